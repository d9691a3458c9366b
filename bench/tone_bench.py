"""Tone benchmark: the project's tone component and ``decide()``'s tone gates on a labelled CSV.

    .venv/bin/python -m bot.bench_cli bench tone --test ../shared/datasets/airline_sentiment/dev.csv

The tone model is trained exactly as the shipped ``bot.nlu.tone.ToneScorer`` trains it: the
project's corpus (``data/tone``) plus the project's NLU examples of FAQ questions and small talk as
calm rows (``ToneScorer._calm_examples``), with the component's settings from ``--config``. It
never sees the test data. ``--model models/X.tar.gz`` scores with the ToneScorer inside a trained
Rasa model instead.

Each row is scored (``ToneModel.score``) and passed to ``bot.escalation.decision.decide`` with
``config/escalation.yml``; a row is *escalated for tone* when ``decide()`` gives the reason
``negative_tone`` or ``sarcasm`` (so the ``sarcasm_negative`` condition and the emoji-only rule
apply exactly as in the bot). Labels ``negative/neutral/positive`` → negative recall/precision and
false escalations; labels ``ironic/not_ironic`` → ``irony_f1`` (ironic = ``decide()`` gives the
``sarcasm`` reason).
"""

from __future__ import annotations

import argparse
import csv
import html
import re
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    REPORTS,
    binary_prf,
    command_line,
    machine,
    macro_recall,
    md_table,
    percentile,
    plot_xy,
    print_json,
    read_labelled_csv,
    rnd,
    slug,
    write_report,
)

SENTIMENT = {"negative", "neutral", "positive"}
IRONY = {"ironic", "not_ironic"}
TONE_REASONS = ("negative_tone", "sarcasm")
TARGET = 0.90
_LITERAL_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def clean_text(text: str) -> str:
    """Undo two transport artefacts of the public tweet CSVs: HTML entities (``&amp;``, in
    ~5% of airline tweets) and literal ``\\u2019`` / ``\\u002c`` escapes (in ~10% of TweetEval
    sentiment rows: "don\\u2019t" would otherwise hide a negation from every cue). A follower's
    message never arrives like that, so scoring the artefacts would measure the wrong thing."""
    text = _LITERAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(text)


# -- the tone model, as the shipped component trains it -------------------------------------


def tone_component_config(config_path: Path) -> dict[str, Any]:
    """The ToneScorer entry of the Rasa config merged over the component's defaults."""
    from bot.nlu.tone import ToneScorer

    raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    entry: dict[str, Any] = {}
    for item in raw.get("pipeline") or []:
        if str(item.get("name", "")).endswith("ToneScorer"):
            entry = {k: v for k, v in item.items() if k != "name"}
    return {**ToneScorer.get_default_config(), **entry}


def train_tone_model(config_path: Path, nlu_dir: Path) -> tuple[Any, dict[str, Any]]:
    """``ToneScorer.train`` without Rasa's graph: same corpus, same calm rows, same C."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu.tone import ToneScorer
    from bot.nlu.tone_model import ToneModel, load_corpus

    config = tone_component_config(config_path)
    corpus = config["corpus"]
    paths = [ROOT / p for p in ([corpus] if isinstance(corpus, str) else corpus)]
    rows = load_corpus(paths)
    own = len(rows)
    scorer = ToneScorer(config, None, None)  # type: ignore[arg-type]  # only _config is used
    rows += scorer._calm_examples(load_data(str(nlu_dir)))
    model = ToneModel().fit(
        rows,
        c=float(config["C"]),
        feature_scale=float(config["feature_scale"]),
        vader_weight=float(config["vader_weight"]),
    )
    info = {
        "tone_source": f"trained from {', '.join(_shown(p) for p in paths)} "
        f"+ calm NLU examples of {_shown(nlu_dir)}",
        "tone_train_rows": len(rows),
        "tone_corpus_rows": own,
    }
    return model, info


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def load_tone_model(model_tar: Path) -> tuple[Any, dict[str, Any]]:
    """The ToneScorer inside a trained Rasa model (``models/*.tar.gz``)."""
    from bot.nlu.tone_model import ToneModel

    target = Path(tempfile.mkdtemp(prefix="carebot-tone-"))
    try:
        with tarfile.open(model_tar) as tar:
            members = [m for m in tar.getmembers() if ".tone.ToneScorer" in m.name]
            if not members:
                raise SystemExit(f"bench tone: {model_tar} has no ToneScorer")
            tar.extractall(target, members=members)  # noqa: S202 (our own model file)
        directory = next(p for p in target.rglob("*ToneScorer*") if (p / "polarity").exists())
        model = ToneModel.load(directory)  # reads every array into memory
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return model, {"tone_source": f"model {model_tar}"}


# -- scoring ---------------------------------------------------------------------------------


def score_rows(model: Any, texts: Sequence[str], config: Any) -> list[dict[str, Any]]:
    """Tone + ``decide()`` per message, one at a time (as the bot does), timed."""
    from bot.escalation.decision import decide

    model.score("warm up")
    out = []
    for text in texts:
        start = time.perf_counter()
        tone = model.score(text)
        decision = decide({"text": text, "tone": tone}, config)
        ms = (time.perf_counter() - start) * 1000.0
        tone_reasons = [r for r in decision.reasons if r in TONE_REASONS]
        out.append(
            {
                "negative": float(tone["negative"]),
                "sarcasm": float(tone["sarcasm"]),
                "polarity": tone["label"],
                "reasons": tone_reasons,
                "escalated": bool(tone_reasons),
                "ms": ms,
            }
        )
    return out


def gate(scored: dict[str, Any], t: Any, negative: float | None = None) -> bool:
    """``decide()``'s tone gates from the scores, with another negative threshold (sweeps)."""
    neg_t = t.negative_tone if negative is None else negative
    return scored["negative"] >= neg_t or (
        scored["sarcasm"] >= t.sarcasm and scored["negative"] >= t.sarcasm_negative
    )


GRID = [round(0.05 * i, 2) for i in range(1, 20)]


def sentiment_metrics(
    labels: Sequence[str], scored: Sequence[dict[str, Any]], t: Any, reasons_col: Sequence[str]
) -> dict[str, Any]:
    negative = [label == "negative" for label in labels]
    escalated = [s["escalated"] for s in scored]
    prf = binary_prf(negative, escalated)
    non_negative = [i for i, n in enumerate(negative) if not n]
    false_esc = sum(1 for i in non_negative if escalated[i])
    sweep = []
    for thr in GRID:
        p = binary_prf(negative, [gate(s, t, thr) for s in scored])
        sweep.append({"negative_tone": thr, "recall": rnd(p["recall"]),
                      "precision": rnd(p["precision"])})  # fmt: skip
    ok = [s for s in sweep if (s["precision"] or 0) >= TARGET]
    best = max(ok, key=lambda s: s["recall"] or 0) if ok else None
    by_reason: dict[str, list[bool]] = {}
    for reason, neg, esc in zip(reasons_col, negative, escalated, strict=False):
        if neg and reason:
            by_reason.setdefault(reason, []).append(esc)
    return {
        "negative_recall": rnd(prf["recall"]),
        "negative_precision": rnd(prf["precision"]),
        "negative_f1": rnd(prf["f1"]),
        "false_escalation_rate": rnd(false_esc / len(non_negative) if non_negative else None),
        "irony_f1": None,
        # the trivial reference: escalating everything has this precision
        "negative_base_rate": rnd(sum(negative) / len(negative)),
        "escalated_share": rnd(sum(escalated) / len(escalated)),
        "escalated_by_reason": {
            r: sum(1 for s in scored if r in s["reasons"]) for r in TONE_REASONS
        },
        "polarity_accuracy": rnd(
            sum(1 for lab, s in zip(labels, scored, strict=False) if s["polarity"] == lab)
            / len(labels)
        ),
        "polarity_macro_recall": rnd(macro_recall(labels, [s["polarity"] for s in scored])),
        "best_negative_threshold_at_90_precision": best,
        "negative_recall_by_reason": {
            r: rnd(sum(v) / len(v)) for r, v in sorted(by_reason.items(), key=lambda x: -len(x[1]))
        },
        "_sweep": sweep,
    }


def irony_metrics(
    labels: Sequence[str], scored: Sequence[dict[str, Any]], t: Any
) -> dict[str, Any]:
    ironic = [label == "ironic" for label in labels]
    by_decide = binary_prf(ironic, ["sarcasm" in s["reasons"] for s in scored])
    any_tone = binary_prf(ironic, [s["escalated"] for s in scored])
    score_only = binary_prf(ironic, [s["sarcasm"] >= t.sarcasm for s in scored])
    sweep = []
    for thr in GRID:
        p_s = binary_prf(ironic, [s["sarcasm"] >= thr for s in scored])
        p_n = binary_prf(ironic, [s["negative"] >= thr for s in scored])
        sweep.append({"threshold": thr, "f1_sarcasm_score": rnd(p_s["f1"]),
                      "f1_negative_score": rnd(p_n["f1"])})  # fmt: skip
    not_ironic = [i for i, x in enumerate(ironic) if not x]
    return {
        "negative_recall": None,
        "negative_precision": None,
        "false_escalation_rate": None,
        "irony_f1": rnd(by_decide["f1"] or 0.0),
        "irony_precision": rnd(by_decide["precision"]),
        "irony_recall": rnd(by_decide["recall"]),
        "irony_f1_any_tone_escalation": rnd(any_tone["f1"] or 0.0),
        "irony_f1_sarcasm_score_only": rnd(score_only["f1"] or 0.0),
        # the trivial reference: call every message ironic
        "irony_f1_flag_everything": rnd(binary_prf(ironic, [True] * len(ironic))["f1"] or 0.0),
        "not_ironic_escalation_rate": rnd(
            sum(1 for i in not_ironic if scored[i]["escalated"]) / len(not_ironic)
            if not_ironic
            else None
        ),
        "escalated_share": rnd(sum(s["escalated"] for s in scored) / len(scored)),
        "_sweep": sweep,
    }


# -- the run ---------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--test", required=True, help="labelled CSV (text,label)")
    parser.add_argument("--config", default="config/config.yml", help="Rasa config (ToneScorer)")
    parser.add_argument("--escalation", default="config/escalation.yml")
    parser.add_argument("--nlu-data", default="data/nlu", help="NLU data for the calm rows")
    parser.add_argument("--model", help="score with the ToneScorer of this trained model")
    parser.add_argument("--max-test", type=int, help="score only the first N rows")
    parser.add_argument("--name", help="report name (default: from the file name)")
    parser.add_argument("--report-dir", default=str(REPORTS))
    parser.add_argument("--no-report", action="store_true", help="JSON only")
    return parser


def _project_path(value: str) -> Path:
    path = Path(value)
    if path.is_absolute():
        return path
    here = (Path.cwd() / path).resolve()
    return here if here.exists() else ROOT / value


def _extra_column(path: Path, column: str, n: int) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if column not in (reader.fieldnames or []):
            return [""] * n
        values = [  # the rows read_labelled_csv keeps: text and label both present
            str(r.get(column) or "")
            for r in reader
            if " ".join(str(r.get("text") or "").split()) and str(r.get("label") or "").strip()
        ]
    return values[:n] if len(values) >= n else values + [""] * (n - len(values))


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bot.escalation.config import EscalationConfig

    test_path = _project_path(args.test)
    rows = read_labelled_csv(test_path, limit=args.max_test)
    labels = [r.label for r in rows]
    kinds = set(labels)
    if kinds <= SENTIMENT:
        kind = "sentiment"
    elif kinds <= IRONY:
        kind = "irony"
    else:
        raise SystemExit(f"bench tone: labels {sorted(kinds)} are neither sentiment nor irony")
    config = EscalationConfig.load(_project_path(args.escalation))
    start = time.perf_counter()
    if args.model:
        model, info = load_tone_model(_project_path(args.model))
    else:
        model, info = train_tone_model(_project_path(args.config), _project_path(args.nlu_data))
    seconds_key = "tone_load_seconds" if args.model else "tone_train_seconds"
    info[seconds_key] = round(time.perf_counter() - start, 1)
    scored = score_rows(model, [clean_text(r.text) for r in rows], config)
    ms = [s["ms"] for s in scored]
    t = config.thresholds
    if kind == "sentiment":
        reasons_col = _extra_column(test_path, "negative_reason", len(rows))
        metrics = sentiment_metrics(labels, scored, t, reasons_col)
    else:
        metrics = irony_metrics(labels, scored, t)
    name = args.name or slug(test_path.parent.name or test_path.stem)
    result: dict[str, Any] = {
        "dataset": name,
        "test": str(args.test),
        "rows": len(rows),
        "kind": kind,
        "thresholds": {
            "negative_tone": t.negative_tone,
            "sarcasm": t.sarcasm,
            "sarcasm_negative": t.sarcasm_negative,
        },
        **info,
        **{k: v for k, v in metrics.items() if not k.startswith("_")},
        "ms_per_message": rnd(sum(ms) / len(ms), 3),
        "ms_p95": rnd(percentile(ms, 95), 3),
    }
    if not args.no_report:
        result["report"] = str(write_tone_report(args, name, kind, result, metrics, scored, labels))
    return result


def write_tone_report(
    args: argparse.Namespace,
    name: str,
    kind: str,
    result: dict[str, Any],
    metrics: dict[str, Any],
    scored: Sequence[dict[str, Any]],
    labels: Sequence[str],
) -> Path:
    out_dir = Path(args.report_dir)
    stem = f"tone-{name}"
    run_lines = [
        f"- command: `{command_line()}`",
        f"- test: `{args.test}` ({result['rows']} rows, {kind} labels)",
        f"- tone model: {result['tone_source']}",
        f"- thresholds (config/escalation.yml): {result['thresholds']}",
        f"- machine: {machine()}",
    ]
    shown = {
        k: v for k, v in result.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "rows"
    }  # fmt: skip
    sections = [
        ("Run", "\n".join(run_lines)),
        ("Results", md_table(["metric", "value"], sorted(shown.items()))),
    ]
    sweep = metrics["_sweep"]
    if kind == "sentiment":
        png = plot_xy(
            {"negative: precision vs recall (negative_tone threshold swept)": (
                [s["recall"] or 0 for s in sweep], [s["precision"] or 0 for s in sweep])},
            out_dir / f"{stem}-pr.png",
            f"{name}: escalate-for-tone, negative class",
            "recall (negative messages escalated)",
            "precision (escalated messages that are negative)",
            marks={"decide() as configured": (result["negative_recall"] or 0,
                                              result["negative_precision"] or 0)},
            hlines=[TARGET], vlines=[TARGET],
        )  # fmt: skip
        sections.append(
            (
                "Sweep of negative_tone (sarcasm gates as configured)",
                md_table(
                    ["negative_tone", "recall", "precision"],
                    [[s["negative_tone"], s["recall"], s["precision"]] for s in sweep],
                )
                + f"\n\n![precision–recall]({png.name})",
            )
        )
        if result.get("negative_recall_by_reason"):
            sections.append(
                (
                    "Negative recall by complaint reason (dataset column)",
                    md_table(["reason", "recall"], result["negative_recall_by_reason"].items()),
                )
            )
    else:
        png = plot_xy(
            {
                "F1 (ironic), sarcasm score ≥ t": (
                    [s["threshold"] for s in sweep],
                    [s["f1_sarcasm_score"] or 0 for s in sweep],
                ),
                "F1 (ironic), negative score ≥ t": (
                    [s["threshold"] for s in sweep],
                    [s["f1_negative_score"] or 0 for s in sweep],
                ),
            },
            out_dir / f"{stem}-f1.png",
            f"{name}: irony F1 by threshold",
            "threshold",
            "F1 of the ironic class",
            hlines=[0.66],
        )
        sections.append(
            (
                "Sweep (scores alone, not decide())",
                md_table(
                    ["threshold", "F1 sarcasm ≥ t", "F1 negative ≥ t"],
                    [
                        [s["threshold"], s["f1_sarcasm_score"], s["f1_negative_score"]]
                        for s in sweep
                    ],
                )  # fmt: skip
                + f"\n\n![F1]({png.name})",
            )
        )
    hist = plot_xy(
        _score_cdf(scored, labels),
        out_dir / f"{stem}-scores.png",
        f"{name}: share of messages with negative score ≤ x, by true label",
        "tone.negative",
        "cumulative share",
    )
    sections.append(("Score distribution", f"![scores]({hist.name})"))
    return write_report(out_dir / f"{stem}.md", f"Tone benchmark: {name}", sections)


def _score_cdf(
    scored: Sequence[dict[str, Any]], labels: Sequence[str]
) -> dict[str, tuple[list[float], list[float]]]:
    out = {}
    for label in sorted(set(labels)):
        values = sorted(
            s["negative"] for s, lab in zip(scored, labels, strict=False) if lab == label
        )
        if values:
            out[label] = (values, [(i + 1) / len(values) for i in range(len(values))])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="bench tone", description=__doc__))
    print_json(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
