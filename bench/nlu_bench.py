"""NLU quality benchmark: train the project's pipeline on any labelled CSV, run the real decision
code on every test row, print one JSON object and write a Markdown report with plots.

    .venv/bin/python -m bench.cli bench nlu \
        --train ../shared/datasets/clinc150/train.csv --test ../shared/datasets/clinc150/dev.csv

(``carebot bench nlu ...`` once the lead wires ``bench.cli.register`` into ``bot/cli.py``.)

What happens:

1. ``--train`` (``text,label``; label ``oos`` = out of scope) becomes Rasa NLU YAML in a temp dir.
   ``--label-mode faq`` (default): each label is a retrieval intent ``faq/<label>``, which is how
   carebot stores the questions it answers (``data/nlu/faq_*.yml``), so the ToneScorer also
   learns them as calm, as it would in a deployment. ``--label-mode intent``: plain intents.
   ``--oos-training intent`` (default) trains the ``oos`` rows as an ``out_of_scope`` intent
   (which has no answer, so ``decide()`` escalates it); ``drop`` leaves them out.
2. ``rasa train nlu`` with ``--config`` (default ``config/config.yml``), cwd = project root (the
   ToneScorer reads ``data/tone``), its cache in the temp dir.
3. The model is loaded with Rasa's ``Agent`` (as ``bot.model.interpreter`` does); each test row is
   parsed and passed to ``bot.escalation.decision.decide`` with ``config/escalation.yml``.
   ``decide()`` answers a plain intent only when it has a vetted response (``smalltalk:`` map),
   so in ``intent`` mode (and for the baseline, which always uses plain intents) the bench gives
   every in-scope label one (``utter_<label>``); nothing else in the config changes.
4. Metrics (see bench/README.md for the definitions), a risk–coverage curve, the most confused
   pairs, and the same for the stock Rasa 3.6 pipeline with ``--baseline``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    REPORTS,
    Row,
    print_json,
    read_labelled_csv,
    slug,
    stratified_split,
)
from bench.nlu_eval import (  # noqa: E402
    SWEEP_GRID,
    Evaluator,
    decision_config,
    nlu_metrics,
    threshold_sweep,
)
from bench.nlu_report import write_nlu_report  # noqa: E402
from bench.nlu_train import (  # noqa: E402
    BASELINE_CONFIG,
    epoch_seconds,
    train_model,
    write_training_data,
)

# This module is the run (arguments, data sets, one training + evaluation per system, JSON);
# the training data and ``rasa train nlu`` are in bench/nlu_train.py, parsing + ``decide()`` and
# the metrics in bench/nlu_eval.py, the Markdown report in bench/nlu_report.py.


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--train", required=True, help="labelled CSV (text,label) to train on")
    parser.add_argument("--test", help="labelled CSV to test on (or use --dev-split)")
    parser.add_argument(
        "--dev-split", type=float, metavar="SHARE",
        help="no --test: hold out this share of --train (stratified, --seed) as the test set",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=13, help="seed of --dev-split (default 13)")
    parser.add_argument("--config", default="config/config.yml", help="Rasa config to train")
    parser.add_argument("--escalation", default="config/escalation.yml")
    parser.add_argument(
        "--label-mode",
        choices=["faq", "intent"],
        default="faq",
        help="faq: labels become faq/<label> answers (default); intent: plain intents",
    )
    parser.add_argument("--oos-training", choices=["intent", "drop"], default="intent")
    parser.add_argument("--baseline", action="store_true", help="also the stock Rasa pipeline")
    parser.add_argument("--baseline-epochs", type=int, default=100, help="DIET/RS epochs")
    parser.add_argument("--max-test", type=int, help="score only the first N test rows")
    parser.add_argument("--name", help="report name (default: from the file names)")
    parser.add_argument("--report-dir", default=str(REPORTS), help="where the report goes")
    parser.add_argument("--no-report", action="store_true", help="JSON only")
    parser.add_argument("--sweep", action="store_true", help="also sweep decide() thresholds")
    parser.add_argument("--keep", metavar="DIR", help="keep the training data and models here")
    return parser


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def project_path(value: str) -> Path:
    """A path as given (absolute, or relative to the cwd), else relative to the project root."""
    path = _path(value)
    return path if path.exists() else ROOT / value


def load_sets(args: argparse.Namespace) -> tuple[list[Row], list[Row], str]:
    train = read_labelled_csv(_path(args.train))
    if args.test:
        test = read_labelled_csv(_path(args.test))
        how = f"test file {args.test}"
    elif args.dev_split:
        train, test = stratified_split(train, args.dev_split, args.seed)
        how = f"stratified {args.dev_split:.0%} of {args.train} held out (seed {args.seed})"
    else:
        raise SystemExit("bench nlu: give --test FILE or --dev-split SHARE")
    if args.max_test:
        test = test[: args.max_test]
    return train, test, how


def run(args: argparse.Namespace) -> dict[str, Any]:
    train_rows, test_rows, how = load_sets(args)
    name = args.name or slug(Path(args.train).parent.name or Path(args.train).stem)
    config = project_path(args.config)
    escalation = project_path(args.escalation)
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="carebot-bench-"))
    workdir = workdir.resolve()
    try:
        data_info = write_training_data(
            train_rows, workdir / args.label_mode, args.label_mode, args.oos_training
        )
        labels = sorted({r.label for r in train_rows} | {r.label for r in test_rows})
        systems: dict[str, dict[str, Any]] = {}
        runs: list[tuple[str, Path, int | None, str]] = [("carebot", config, None, args.label_mode)]
        if args.baseline:
            # Stock DIET classifies the labels as intents (as Rasa's own benchmarks do): with
            # retrieval intents it would have a single intent ("faq") to learn.
            if args.label_mode != "intent":
                write_training_data(train_rows, workdir / "intent", "intent", args.oos_training)
            baseline_cfg = workdir / "baseline-config.yml"
            baseline_cfg.write_text(BASELINE_CONFIG.format(epochs=args.baseline_epochs))
            runs.append(("baseline", baseline_cfg, args.baseline_epochs, "intent"))
        for system, cfg, epochs, mode in runs:
            data_dir = workdir / mode
            dconfig = decision_config(escalation, mode, labels)
            model, seconds = train_model(cfg, data_dir, workdir / "models", system)
            evaluator = Evaluator(model)
            records = evaluator.run(test_rows, dconfig)
            evaluator.close()
            metrics = nlu_metrics(records)
            metrics["label_mode"] = mode
            metrics["train_seconds"] = round(seconds, 1)
            if epochs is not None:
                metrics["epochs"] = epochs
                metrics["seconds_per_epoch"] = epoch_seconds(data_dir / f"train-{system}.log")
            if args.sweep:
                metrics["_sweep"] = threshold_sweep(records, dconfig, SWEEP_GRID)
            systems[system] = metrics
            del evaluator, records
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result = _public(systems["carebot"])
    result = {
        "dataset": name,
        "train_rows": len(train_rows),
        "test": how,
        "config": str(args.config),
        "label_mode": args.label_mode,
        "oos_training": args.oos_training,
        **data_info,
        **result,
    }
    if args.sweep:
        result["threshold_sweep"] = systems["carebot"]["_sweep"]
    if "baseline" in systems:
        result["baseline"] = _public(systems["baseline"])
        if args.baseline_epochs < 100:
            result["baseline"]["note"] = (
                f"reduced: {args.baseline_epochs} epochs instead of the stock 100"
            )
    if not args.no_report:
        result["report"] = str(write_nlu_report(args, name, how, result, systems))
    return result


def _public(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if not k.startswith("_")}


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="bench nlu", description=__doc__))
    args = parser.parse_args(argv)
    print_json(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
