"""NLU quality benchmark: train the project's pipeline on any labelled CSV, run the real decision
code on every test row, print one JSON object and write a Markdown report with plots.

    .venv/bin/python -m bot.bench_cli bench nlu \
        --train ../shared/datasets/clinc150/train.csv --test ../shared/datasets/clinc150/dev.csv

(``carebot bench nlu ...`` once the lead wires ``bot.bench_cli.register`` into ``bot/cli.py``.)

What happens:

1. ``--train`` (``text,label``; label ``oos`` = out of scope) becomes Rasa NLU YAML in a temp dir.
   ``--label-mode faq`` (default): each label is a retrieval intent ``faq/<label>``, which is how
   carebot stores the questions it answers (``data/nlu/faq_*.yml``), so the ToneScorer also
   learns them as calm, as it would in a deployment. ``--label-mode intent``: plain intents.
   ``--oos-training intent`` (default) trains the ``oos`` rows as an ``out_of_scope`` intent
   (which has no answer, so ``decide()`` escalates it); ``drop`` leaves them out.
2. ``rasa train nlu`` with ``--config`` (default ``config/config.yml``), cwd = project root (the
   ToneScorer reads ``data/tone``), its cache in the temp dir.
3. The model is loaded with Rasa's ``Agent`` (as ``bot.interpreter`` does); each test row is
   parsed and passed to ``bot.escalation.decision.decide`` with ``config/escalation.yml``.
   ``decide()`` answers a plain intent only when it has a vetted response (``smalltalk:`` map),
   so in ``intent`` mode (and for the baseline, which always uses plain intents) the bench gives
   every in-scope label one (``utter_<label>``); nothing else in the config changes.
4. Metrics (see bench/README.md for the definitions), a risk–coverage curve, the most confused
   pairs, and the same for the stock Rasa 3.6 pipeline with ``--baseline``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    REPORTS,
    CurvePoint,
    Row,
    accuracy,
    command_line,
    confused_pairs,
    coverage_at_precision,
    machine,
    macro_f1,
    md_table,
    percentile,
    plot_confused_pairs,
    plot_risk_coverage,
    print_json,
    read_labelled_csv,
    risk_coverage,
    rnd,
    slug,
    stratified_split,
    write_report,
)

OOS = "oos"
OOS_INTENT = "out_of_scope"
FALLBACK = "nlu_fallback"
NOT_ANSWERS = {OOS, OOS_INTENT, FALLBACK}
TARGET_PRECISION = 0.99
# Entity markup Rasa would parse out of an example: [text](entity), [text]{...}, [text][...]
_ENTITY_MARKUP = re.compile(r"\[[^\]]*\]\s*[\(\{\[]")

BASELINE_CONFIG = """\
# Stock Rasa 3.6 default pipeline (rasa/engine/recipes/config_files/default_config.yml),
# DIETClassifier / ResponseSelector epochs set by the benchmark.
recipe: default.v1
assistant_id: carebot_bench_baseline
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: {epochs}
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies: []
"""


# -- training data ---------------------------------------------------------------------------


def intent_name(label: str, label_mode: str) -> str:
    if label == OOS:
        return OOS_INTENT
    return f"faq/{label}" if label_mode == "faq" else label


def clean_example(text: str) -> str:
    """One line, and no Markdown that Rasa would read as an entity annotation."""
    text = " ".join(text.split())
    if _ENTITY_MARKUP.search(text):
        text = text.replace("[", "(").replace("]", ")")
    return text


def write_training_data(
    rows: Sequence[Row], directory: Path, label_mode: str, oos_training: str
) -> dict[str, Any]:
    """``nlu.yml`` + ``domain.yml`` in ``directory``; returns what was written."""
    by_intent: dict[str, list[str]] = {}
    dropped = 0
    for row in rows:
        if row.label == OOS and oos_training == "drop":
            dropped += 1
            continue
        name = intent_name(row.label, label_mode)
        text = clean_example(row.text)
        examples = by_intent.setdefault(name, [])
        if text not in examples:
            examples.append(text)
    nlu = {
        "version": "3.1",
        "nlu": [
            {"intent": name, "examples": "".join(f"- {t}\n" for t in texts)}
            for name, texts in sorted(by_intent.items())
        ],
    }
    base_intents = sorted({name.split("/", 1)[0] for name in by_intent})
    domain: dict[str, Any] = {"version": "3.1", "intents": base_intents}
    retrieval = sorted(n for n in by_intent if "/" in n)
    if retrieval:
        domain["responses"] = {f"utter_{n}": [{"text": n.split("/", 1)[1]}] for n in retrieval}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nlu.yml").write_text(
        yaml.safe_dump(nlu, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8"
    )
    (directory / "domain.yml").write_text(
        yaml.safe_dump(domain, allow_unicode=True, sort_keys=False, width=10_000),
        encoding="utf-8",
    )
    return {
        "intents": len(by_intent),
        "examples": sum(len(v) for v in by_intent.values()),
        "oos_rows_dropped": dropped,
    }


def rasa_executable() -> str:
    candidate = Path(sys.executable).with_name("rasa")
    return str(candidate) if candidate.exists() else "rasa"


def train_model(config: Path, data_dir: Path, out_dir: Path, name: str) -> tuple[Path, float]:
    """``rasa train nlu`` as a subprocess, cwd = project root; returns (model, wall seconds)."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["RASA_CACHE_DIRECTORY"] = str(data_dir / "rasa-cache")
    log = data_dir / f"train-{name}.log"
    command = [
        rasa_executable(), "train", "nlu",
        "--config", str(config),
        "--nlu", str(data_dir / "nlu.yml"),
        "--domain", str(data_dir / "domain.yml"),
        "--out", str(out_dir),
        "--fixed-model-name", name,
    ]  # fmt: skip
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=handle, stderr=handle)
    seconds = time.perf_counter() - start
    model = out_dir / f"{name}.tar.gz"
    if result.returncode != 0 or not model.exists():
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])
        raise SystemExit(f"bench nlu: training {name} failed (exit {result.returncode}):\n{tail}")
    return model, seconds


def epoch_seconds(log: Path) -> float | None:
    """Seconds per DIET epoch from the tqdm bar Rasa prints (``… 5/5 [10:00<00:00, …]``)."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    found = re.findall(r"Epochs: 100%\|[^|]*\|\s*(\d+)/\d+ \[(?:(\d+):)?(\d+):(\d+)<", text)
    if not found:
        return None
    epochs, h, m, s = found[0]
    total = int(h or 0) * 3600 + int(m) * 60 + int(s)
    return total / max(int(epochs), 1)


# -- evaluation ------------------------------------------------------------------------------


def quiet_rasa() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from bot.interpreter import quiet_rasa_logging

    quiet_rasa_logging()
    for name in ("rasa", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


def decision_config(escalation: Path, label_mode: str, labels: Sequence[str]) -> Any:
    """``config/escalation.yml``; in ``intent`` mode every in-scope label gets a vetted response
    (``decide()`` answers a non-FAQ intent only through its ``smalltalk`` map)."""
    from bot.escalation.config import EscalationConfig

    config = EscalationConfig.load(escalation)
    if label_mode == "intent":
        extra = {label: f"utter_{label}" for label in labels if label not in NOT_ANSWERS}
        config = dataclasses.replace(config, smalltalk={**extra, **config.smalltalk})
    return config


def top_label(parse: dict[str, Any]) -> tuple[str, float]:
    """The classifier's own best guess (fine-grained), ignoring Rasa's ``nlu_fallback``."""
    ranking = parse.get("carebot_ranking")
    if ranking:
        label, conf = str(ranking[0]["label"]), float(ranking[0]["confidence"])
    else:
        items = [i for i in parse.get("intent_ranking") or [] if i.get("name") != FALLBACK]
        if not items:
            return OOS, 0.0
        label, conf = str(items[0]["name"]), float(items[0].get("confidence") or 0.0)
        if label == "faq":  # stock pipeline: the response selector picks the answer
            selector = (parse.get("response_selector") or {}).get("faq") or {}
            response = selector.get("response") or {}
            key = str(response.get("intent_response_key") or "")
            if key:
                label = key
                conf *= float(response.get("confidence") or 0.0)
    return plain_label(label), conf


def plain_label(label: str | None) -> str:
    if not label:
        return OOS
    label = str(label)
    if label in (OOS_INTENT, FALLBACK):
        return OOS
    return label.split("/", 1)[1] if label.startswith("faq/") else label


def answered_label(decision: Any) -> str | None:
    """The in-scope label the bot answered with, or None when it escalated."""
    if decision.decision != "answer":
        return None
    if decision.faq:
        return str(decision.faq)
    label = plain_label(decision.intent)
    return None if label == OOS else label


class Evaluator:
    """A loaded Rasa model: parse + ``decide()`` per message, timed."""

    def __init__(self, model: Path) -> None:
        quiet_rasa()
        from rasa.core.agent import Agent

        self.agent = Agent.load(str(model))
        self._loop = asyncio.new_event_loop()

    def parse(self, text: str) -> dict[str, Any]:
        return dict(self._loop.run_until_complete(self.agent.parse_message(text)))

    def run(self, rows: Sequence[Row], config: Any) -> list[dict[str, Any]]:
        from bot.escalation.decision import decide

        for warm in ("hello", "what is this"):  # first parse builds caches: not a message cost
            decide(self.parse(warm), config)
        out = []
        for row in rows:
            start = time.perf_counter()
            parse = self.parse(row.text)
            decision = decide(parse, config)
            ms = (time.perf_counter() - start) * 1000.0
            label, conf = top_label(parse)
            out.append(
                {
                    "label": row.label,
                    "top1": label,
                    "top1_confidence": conf,
                    "decision": decision.decision,
                    "reasons": decision.reasons,
                    "answered": answered_label(decision),
                    "confidence": float(decision.confidence),
                    "ms": ms,
                    "parse": parse,
                }
            )
        return out

    def close(self) -> None:
        self._loop.close()


def nlu_metrics(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every number of one system on one test set (definitions in bench/README.md)."""
    y_true = [r["label"] for r in records]
    y_top = [r["top1"] for r in records]
    # the bot's view: what it answered, or "oos" (a person takes it)
    y_bot = [r["answered"] if r["answered"] is not None else OOS for r in records]
    in_scope = [i for i, t in enumerate(y_true) if t != OOS]
    oos = [i for i, t in enumerate(y_true) if t == OOS]
    answered = [i for i, r in enumerate(records) if r["answered"] is not None]
    answered_right = [i for i in answered if y_bot[i] == y_true[i]]
    labels = sorted(set(y_true) | {t for t in y_top if t != OOS})
    n = len(records)
    ms = [r["ms"] for r in records]
    reasons = Counter(reason for r in records for reason in r["reasons"])
    # risk–coverage of the classifier's own confidence (best guess "out of scope": never answered)
    conf = [None if r["top1"] == OOS else r["top1_confidence"] for r in records]
    correct = [r["top1"] == r["label"] and r["label"] != OOS for r in records]
    curve = risk_coverage(conf, correct)
    at99 = coverage_at_precision(curve, TARGET_PRECISION)
    return {
        "test_rows": n,
        "accuracy": rnd(accuracy(y_true, y_top)),
        "macro_f1": rnd(macro_f1(y_true, y_top, labels)),
        "in_scope_accuracy": rnd(
            sum(1 for i in in_scope if y_bot[i] == y_true[i]) / len(in_scope) if in_scope else None
        ),
        "in_scope_top1_accuracy": rnd(
            sum(1 for i in in_scope if y_top[i] == y_true[i]) / len(in_scope) if in_scope else None
        ),
        "oos_rows": len(oos),
        "oos_recall": rnd(sum(1 for i in oos if y_bot[i] == OOS) / len(oos) if oos else None),
        "oos_top1_recall": rnd(sum(1 for i in oos if y_top[i] == OOS) / len(oos) if oos else None),
        "answered_share": rnd(len(answered) / n if n else None),
        "answered_precision": rnd(len(answered_right) / len(answered) if answered else None),
        "system_accuracy": rnd(accuracy(y_true, y_bot)),
        "coverage_at_99_precision": rnd(at99.coverage if at99 else 0.0),
        "threshold_at_99_precision": rnd(at99.threshold if at99 else None),
        "escalation_reasons": dict(reasons.most_common()),
        "decide_ms_p50": rnd(percentile(ms, 50), 3),
        "decide_ms_p95": rnd(percentile(ms, 95), 3),
        "_curve": curve,
        "_pairs": confused_pairs(y_true, y_top, 15),
    }


def threshold_sweep(
    records: Sequence[dict[str, Any]], config: Any, grid: Sequence[float]
) -> list[dict[str, Any]]:
    """``decide()`` again on the stored parses with ``intent_confidence`` = ``answer_confidence``
    = t (everything else as configured): answered share and precision per t."""
    from bot.escalation.decision import decide

    out = []
    for t in grid:
        thresholds = dataclasses.replace(
            config.thresholds, intent_confidence=t, answer_confidence=t
        )
        swept = dataclasses.replace(config, thresholds=thresholds)
        answered = right = 0
        in_scope_right = in_scope = oos_escalated = oos = 0
        for r in records:
            label = answered_label(decide(r["parse"], swept))
            if label is not None:
                answered += 1
                right += label == r["label"]
            if r["label"] == OOS:
                oos += 1
                oos_escalated += label is None
            else:
                in_scope += 1
                in_scope_right += label == r["label"]
        out.append(
            {
                "threshold": t,
                "answered_share": rnd(answered / len(records)),
                "answered_precision": rnd(right / answered if answered else None),
                "in_scope_accuracy": rnd(in_scope_right / in_scope if in_scope else None),
                "oos_recall": rnd(oos_escalated / oos if oos else None),
            }
        )
    return out


SWEEP_GRID = (
    0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98,
)


# -- the run ---------------------------------------------------------------------------------


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


def write_nlu_report(
    args: argparse.Namespace,
    name: str,
    how: str,
    result: dict[str, Any],
    systems: dict[str, dict[str, Any]],
) -> Path:
    out_dir = Path(args.report_dir)
    stem = f"nlu-{name}"
    curves: dict[str, list[CurvePoint]] = {s: m["_curve"] for s, m in systems.items()}
    ops = {
        s: (m["answered_share"], m["answered_precision"] or 0.0)
        for s, m in systems.items()
        if m["answered_share"] is not None
    }
    rc_png = plot_risk_coverage(
        curves, out_dir / f"{stem}-risk-coverage.png", f"{name}: risk–coverage", ops
    )
    sections: list[tuple[str, str]] = [
        (
            "Run",
            "\n".join(
                [
                    f"- command: `{command_line()}`",
                    f"- train: `{args.train}` ({result['train_rows']} rows; "
                    f"{result['intents']} intents, label mode `{args.label_mode}`, "
                    f"oos training `{args.oos_training}`)",
                    f"- test: {how} ({result['test_rows']} rows)",
                    f"- machine: {machine()}",
                ]
            ),
        )
    ]
    keys = [
        "accuracy", "macro_f1", "in_scope_accuracy", "in_scope_top1_accuracy", "oos_recall",
        "oos_top1_recall", "answered_share", "answered_precision", "system_accuracy",
        "coverage_at_99_precision", "threshold_at_99_precision", "train_seconds",
        "decide_ms_p50", "decide_ms_p95",
    ]  # fmt: skip
    names = list(systems)
    header = ["metric"] + [
        f"{s} ({systems[s].get('epochs')} epochs)" if "epochs" in systems[s] else s for s in names
    ]
    sections.append(
        ("Results", md_table(header, [[k] + [systems[s].get(k) for s in names] for k in keys]))
    )
    reasons = "\n".join(
        f"- {s}: " + ", ".join(f"{k} {v}" for k, v in systems[s]["escalation_reasons"].items())
        for s in names
    )
    sections.append(("Escalation reasons (test rows)", reasons or "none"))
    sections.append(
        (
            "Risk–coverage",
            f"![risk–coverage]({rc_png.name})\n\nThe classifier's confidence alone: answer the "
            "most confident messages first. The dots are what `decide()` really did (its gates "
            "also include ambiguity, tone, language).",
        )
    )
    for s in names:
        pairs = systems[s]["_pairs"]
        png = plot_confused_pairs(pairs, out_dir / f"{stem}-{s}-confused.png", f"{name}: {s}")
        sections.append(
            (
                f"Most confused pairs: {s}",
                md_table(["true", "predicted (top-1)", "test rows"], pairs)
                + f"\n\n![confused pairs]({png.name})",
            )
        )
    if "_sweep" in systems.get("carebot", {}):
        sweep = systems["carebot"]["_sweep"]
        sections.append(
            (
                "decide() with other confidence thresholds (carebot)",
                md_table(
                    [
                        "intent/answer threshold",
                        "answered",
                        "precision",
                        "in-scope acc",
                        "oos recall",
                    ],
                    [
                        [
                            s["threshold"],
                            s["answered_share"],
                            s["answered_precision"],
                            s["in_scope_accuracy"],
                            s["oos_recall"],
                        ]
                        for s in sweep
                    ],
                ),  # fmt: skip
            )
        )
    return write_report(out_dir / f"{stem}.md", f"NLU benchmark: {name}", sections)


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="bench nlu", description=__doc__))
    args = parser.parse_args(argv)
    print_json(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
