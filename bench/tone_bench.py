"""Tone benchmark: the project's tone component and ``decide()``'s tone gates on a labelled CSV.

    .venv/bin/python -m bench.cli bench tone --test ../shared/datasets/airline_sentiment/dev.csv

The tone model is trained exactly as the shipped ``bot.nlu.tone.component.ToneScorer`` trains it:
the project's corpus (``data/tone``) plus the project's NLU examples of FAQ questions and small
talk as calm rows (``ToneScorer._calm_examples``), with the component's settings from
``--config``. It never sees the test data. ``--model models/X.tar.gz`` scores with the ToneScorer
inside a trained Rasa model instead.

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
import sys
import time
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    REPORTS,
    percentile,
    print_json,
    read_labelled_csv,
    rnd,
    slug,
)
from bench.tone_report import write_tone_report  # noqa: E402
from bench.tone_score import (  # noqa: E402
    IRONY,
    SENTIMENT,
    irony_metrics,
    score_rows,
    sentiment_metrics,
)
from bench.tone_train import load_tone_model, train_tone_model  # noqa: E402

# This module is the run (arguments, the test CSV, one model, JSON); the tone model is trained
# or loaded in bench/tone_train.py, scored with ``decide()`` and measured in bench/tone_score.py,
# and the Markdown report is written by bench/tone_report.py.

_LITERAL_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def clean_text(text: str) -> str:
    """Undo two transport artefacts of the public tweet CSVs: HTML entities (``&amp;``, in
    ~5% of airline tweets) and literal ``\\u2019`` / ``\\u002c`` escapes (in ~10% of TweetEval
    sentiment rows: "don\\u2019t" would otherwise hide a negation from every cue). A follower's
    message never arrives like that, so scoring the artefacts would measure the wrong thing."""
    text = _LITERAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(text)


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
    cpu = [s["cpu_ms"] for s in scored]
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
        # CPU time of this thread: the cost on one core, whatever else the machine runs
        "cpu_ms_per_message": rnd(sum(cpu) / len(cpu), 3),
        "cpu_ms_p95": rnd(percentile(cpu, 95), 3),
    }
    if not args.no_report:
        result["report"] = str(write_tone_report(args, name, kind, result, metrics, scored, labels))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="bench tone", description=__doc__))
    print_json(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
