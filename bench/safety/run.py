"""Answer-safety benchmark: parse every message with a trained model, run the bot's own
``decide()``, and score the answers against what the vetted FAQ answers really cover.

Data (read by path, never copied): Bitext retail customer-support dev split, mapped to acceptable
FAQ keys by :mod:`bench.safety.bitext_map`, and every CLINC150 dev row (``oos`` and all ten
domains) as out-of-scope traffic. Prints one JSON object and writes
``bench/reports/safety-<name>.md`` with ``safety-<name>-risk-coverage.png``.

    .venv/bin/python -m bench.safety.run --name baseline [--model models/X.tar.gz] [--sweep]

``main(argv)`` is what ``carebot bench safety`` can call. Everything this module needs from the
``bot`` package is imported in :func:`load_bot` and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Sequence

from bench.safety import metrics as m
from bench.safety.bitext_map import BITEXT_TO_FAQ, Case, bitext_cases, clinc_cases
from bench.safety.plot import plot_risk_coverage

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT.parent / "shared" / "datasets"
COMMAND = ".venv/bin/python -m bench.safety.run"
SWEEP = (0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99)
MAX_RISK = 0.02  # the target: answered precision >= 98%


# -- the adapter to bot/ ---------------------------------------------------------------------


class Bot(NamedTuple):
    """What the benchmark needs from the bot: parse a text, decide on a parse (optionally with
    both answer thresholds set to ``t``), and the model's name."""

    parse: Callable[[str], dict[str, Any]]
    decide: Callable[[Mapping[str, Any], float | None], dict[str, Any]]
    model: str


def load_bot(model: Path | None, models_dir: Path, escalation: Path) -> Bot:
    """The only place that imports ``bot``: the package is being restructured, fix paths here."""
    import dataclasses

    from bot.escalation.config import load_escalation_config
    from bot.escalation.decision import decide
    from bot.model.interpreter import Interpreter
    from bot.model.training import latest_model

    path = model or latest_model(models_dir)
    if path is None:
        raise SystemExit(f"bench safety: no trained model in {models_dir}; run 'carebot train'")
    config = load_escalation_config(escalation)
    interpreter = Interpreter(path, config)

    def decide_json(parse: Mapping[str, Any], threshold: float | None) -> dict[str, Any]:
        used = config
        if threshold is not None:
            t = dataclasses.replace(
                config.thresholds, intent_confidence=threshold, answer_confidence=threshold,
                boundary_confidence=threshold,
            )
            used = dataclasses.replace(config, thresholds=t)
        return dict(decide(parse, used).as_json())

    return Bot(interpreter.parse, decide_json, path.name)


# -- one message -----------------------------------------------------------------------------


class Judged(NamedTuple):
    case: Case
    action: m.Action
    best_faq: str | None  # the classifier's FAQ key when its top intent is faq, else None
    confidence: float  # decide()'s confidence (intent x answer confidence for an FAQ)
    reasons: tuple[str, ...]
    intent: str | None
    ms: float


def action_of(decision: Mapping[str, Any]) -> m.Action:
    """``decide()``'s JSON → ``("answer", faq_key)``, ``("escalate", reasons)`` or
    ``("reply", response)`` (small talk, acknowledgements: no FAQ answer, no hand-over)."""
    if decision.get("decision") == "escalate":
        return m.ESCALATE, ",".join(decision.get("reasons") or []) or "escalate"
    response = str(decision.get("response") or "")
    if response.startswith("utter_faq/"):
        return m.ANSWER, response.split("/", 1)[1]
    return m.REPLY, response or "none"


def judge(case: Case, parse: Mapping[str, Any], decision: Mapping[str, Any], ms: float) -> Judged:
    intent = decision.get("intent")
    best = decision.get("faq") if intent == "faq" else None
    return Judged(
        case=case,
        action=action_of(decision),
        best_faq=str(best) if best else None,
        confidence=float(decision.get("confidence") or 0.0),
        reasons=tuple(decision.get("reasons") or ()),
        intent=str(intent) if intent else None,
        ms=ms,
    )


def outcomes(judged: Iterable[Judged]) -> list[m.Outcome]:
    return [(j.case.acceptable, j.action) for j in judged]


def scored(judged: Iterable[Judged]) -> list[tuple[m.FaqKeys, str | None, float]]:
    return [(j.case.acceptable, j.best_faq, j.confidence) for j in judged]


# -- metrics ---------------------------------------------------------------------------------


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def headline(bitext: Sequence[Judged], clinc: Sequence[Judged]) -> dict[str, Any]:
    """The issue's four numbers: precision / coverage / off-FAQ on Bitext, OOS recall on CLINC."""
    b, c = outcomes(bitext), outcomes(clinc)
    both = b + c
    ms = [j.ms for j in list(bitext) + list(clinc)]
    return {
        "answered_precision": _r(m.answered_precision(b)),
        "faq_coverage": _r(m.faq_coverage(b)),
        "off_faq_answered": _r(m.off_faq_answered(b)),
        "oos_recall": _r(m.oos_recall(c)),
        "clinc_faq_answered": _r(m.off_faq_answered(c)),
        "answered_precision_bitext_and_clinc": _r(m.answered_precision(both)),
        "n_bitext": len(b),
        "n_bitext_in_faq": sum(1 for k, _ in b if k),
        "n_bitext_off_faq": sum(1 for k, _ in b if not k),
        "n_clinc": len(c),
        "answered_bitext": sum(1 for _, a in b if m.is_answer(a)),
        "answered_wrong_bitext": sum(1 for k, a in b if m.is_answer(a) and a[1] not in k),
        "answered_clinc": sum(1 for _, a in c if m.is_answer(a)),
        "decide_ms_p50": _r(_percentile(ms, 50)),
        "decide_ms_p95": _r(_percentile(ms, 95)),
    }


def sweep(
    bot: Bot,
    parses: Sequence[tuple[Case, Mapping[str, Any]]],
    thresholds: Sequence[float],
    n_bitext: int,
) -> list[dict[str, Any]]:
    """``decide()`` again on the stored parses with intent = answer threshold = t."""
    rows = []
    for t in thresholds:
        judged = [judge(case, p, bot.decide(p, t), 0.0) for case, p in parses]
        b, c = outcomes(judged[:n_bitext]), outcomes(judged[n_bitext:])
        rows.append(
            {
                "threshold": t,
                "answered_precision": _r(m.answered_precision(b)),
                "faq_coverage": _r(m.faq_coverage(b)),
                "off_faq_answered": _r(m.off_faq_answered(b)),
                "oos_recall": _r(m.oos_recall(c)),
                "clinc_faq_answered": _r(m.off_faq_answered(c)),
            }
        )
    return rows


def per_intent(bitext: Sequence[Judged]) -> list[list[Any]]:
    """One row per Bitext intent: rows, mapped keys, answered right / wrong, escalated, top
    wrong keys."""
    groups: dict[str, list[Judged]] = defaultdict(list)
    for j in bitext:
        groups[j.case.source.split(":", 1)[1]].append(j)
    table = []
    for intent in sorted(groups):
        items = groups[intent]
        right = sum(1 for j in items if m.is_correct(j.case.acceptable, j.action))
        wrong = Counter(
            j.action[1]
            for j in items
            if m.is_answer(j.action) and j.action[1] not in j.case.acceptable
        )
        table.append(
            [
                intent,
                len(items),
                ", ".join(BITEXT_TO_FAQ.get(intent, ())) or "— (escalate)",
                right,
                sum(wrong.values()),
                sum(1 for j in items if j.action[0] == m.ESCALATE),
                ", ".join(f"{k} {n}" for k, n in wrong.most_common(3)) or "",
            ]
        )
    return table


def clinc_answers(clinc: Sequence[Judged], top: int = 20) -> list[list[Any]]:
    """The CLINC labels that got an FAQ answer: (label, FAQ key, rows), most frequent first."""
    counts = Counter(
        (j.case.source.split(":", 1)[1], j.action[1]) for j in clinc if m.is_answer(j.action)
    )
    return [[label, key, n] for (label, key), n in counts.most_common(top)]


def reasons(judged: Iterable[Judged]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for j in judged:
        if j.action[0] == m.ESCALATE:
            counts.update(j.reasons or ("(none)",))
        elif j.action[0] == m.REPLY:
            counts[f"reply {j.action[1]}"] += 1
    return dict(counts.most_common())


# -- report ----------------------------------------------------------------------------------


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4f}"
        return "—" if value is None else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(
    args: argparse.Namespace,
    result: dict[str, Any],
    bitext: Sequence[Judged],
    clinc: Sequence[Judged],
    swept: Sequence[dict[str, Any]],
) -> Path:
    out = Path(args.report_dir)
    stem = f"safety-{args.name}"
    bitext_curve = m.risk_coverage(scored(bitext))
    mixed_curve = m.risk_coverage(scored(list(bitext) + list(clinc)))
    dots = {}
    for label, items in (("Bitext", bitext), ("Bitext + CLINC", list(bitext) + list(clinc))):
        point = m.operating_point(outcomes(items))
        if point:
            dots[label] = point
    png = plot_risk_coverage(
        {
            "Bitext dev": [(p.coverage, p.risk) for p in bitext_curve],
            "Bitext dev + CLINC150 dev": [(p.coverage, p.risk) for p in mixed_curve],
        },
        out / f"{stem}-risk-coverage.png",
        f"answer safety ({args.name}): risk–coverage",
        dots,
        MAX_RISK,
    )
    best = m.best_at_risk(bitext_curve, MAX_RISK)
    keys = [k for k in result if not k.startswith("_") and not isinstance(result[k], dict | list)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    sections: list[tuple[str, str]] = [
        (
            "Run",
            "\n".join(
                [
                    f"- command: `{command_line(args)}`",
                    f"- model: `{result['model']}`",
                    *([f"- note: {args.note}"] if args.note else []),
                    f"- data: `{args.bitext}` (Bitext, mapped by `bench/safety/bitext_map.py`), "
                    f"`{args.clinc}` (CLINC150, every row out of scope); read by path, not copied",
                    f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
                    f"{platform.python_version()}, load average {load:.1f} (timings wall-clock)",
                ]
            ),
        ),
        ("Results", md_table(["metric", "value"], [[k, result[k]] for k in keys])),
        (
            "Definitions",
            "- `answered_precision`: Bitext messages answered with an acceptable FAQ key / Bitext "
            "messages answered with any FAQ\n"
            "- `faq_coverage`: answered with an acceptable key / Bitext messages that have one\n"
            "- `off_faq_answered`: answered with any FAQ / Bitext messages no FAQ covers\n"
            "- `oos_recall`: escalated / CLINC150 messages (a small-talk reply is not an "
            "escalation; `clinc_faq_answered` is the share that got an FAQ answer)\n"
            "- `decide_ms_*`: Rasa parse + `decide()` per message",
        ),
        (
            "Per Bitext intent",
            md_table(
                ["intent", "rows", "acceptable FAQ", "right", "wrong", "escalated", "wrong keys"],
                per_intent(bitext),
            ),
        ),
        (
            "CLINC150 rows answered with an FAQ (label → FAQ key)",
            md_table(["CLINC label", "FAQ answered", "rows"], clinc_answers(clinc)) or "none",
        ),
        (
            "Escalation reasons and other replies",
            "- Bitext: "
            + ", ".join(f"{k} {v}" for k, v in reasons(bitext).items())
            + "\n- CLINC150: "
            + ", ".join(f"{k} {v}" for k, v in reasons(clinc).items()),
        ),
        (
            "Risk–coverage",
            f"![risk–coverage]({png.name})\n\nThe classifier's confidence alone (intent × answer "
            "confidence of its best FAQ; a message whose top intent is not an FAQ is never "
            "answered): answer the most confident messages first. Risk = wrong answers / "
            "answers. The dots are what `decide()` did (its gates include ambiguity, tone, "
            "language). Best Bitext point with risk ≤ "
            f"{MAX_RISK:g}: "
            + (
                f"coverage {best.coverage:.4f}, FAQ coverage {best.faq_coverage}, threshold "
                f"{best.threshold:.4f}"
                if best
                else "none"
            ),
        ),
    ]
    if swept:
        header = list(swept[0])
        sections.append(
            (
                "decide() with other answer thresholds (intent = answer confidence = t)",
                md_table(header, [[row[h] for h in header] for row in swept]),
            )
        )
    path = out / f"{stem}.md"
    parts = [f"# Answer-safety benchmark: {args.name}", ""]
    for heading, body in sections:
        parts += [f"## {heading}", "", body.rstrip(), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_rows(path: Path, judged: Iterable[Judged]) -> None:
    """One JSON line per message, for offline analysis (never into the project: dataset text)."""
    with path.open("w", encoding="utf-8") as out:
        for j in judged:
            row = {
                "text": j.case.text,
                "source": j.case.source,
                "acceptable": list(j.case.acceptable),
                "action": list(j.action),
                "best_faq": j.best_faq,
                "confidence": round(j.confidence, 6),
                "reasons": list(j.reasons),
                "intent": j.intent,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


# -- main ------------------------------------------------------------------------------------


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bitext", default=str(DATASETS / "bitext" / "dev.csv"))
    p.add_argument("--clinc", default=str(DATASETS / "clinc150" / "dev.csv"))
    p.add_argument("--model", help="a model .tar.gz (default: the latest in --models-dir)")
    p.add_argument("--models-dir", default=str(ROOT / "models"))
    p.add_argument("--escalation", default=str(ROOT / "config" / "escalation.yml"))
    p.add_argument("--name", default="dev", help="report name: safety-<name>.md")
    p.add_argument("--report-dir", default=str(ROOT / "bench" / "reports"))
    p.add_argument("--no-report", action="store_true")
    p.add_argument("--sweep", action="store_true", help="decide() again at other thresholds")
    p.add_argument("--note", help="one line for the report (how the model was made)")
    p.add_argument("--max", type=int, help="at most N rows of each data set (every k-th row)")
    p.add_argument(
        "--rows-out",
        help="also write one JSON line per message (text, source, acceptable keys, action, best "
        "FAQ, confidence, reasons) for offline analysis; it holds dataset text, so keep it "
        "outside the project (e.g. /tmp)",
    )


def _take(cases: list[Case], limit: int | None) -> list[Case]:
    if not limit or len(cases) <= limit:
        return cases
    step = len(cases) / limit
    return [cases[int(i * step)] for i in range(limit)]


def run(args: argparse.Namespace) -> dict[str, Any]:
    bitext_data = _take(list(bitext_cases(args.bitext)), args.max)
    clinc_data = _take(list(clinc_cases(args.clinc)), args.max)
    bot = load_bot(
        Path(args.model) if args.model else None, Path(args.models_dir), Path(args.escalation)
    )
    parses: list[tuple[Case, dict[str, Any]]] = []
    judged: list[Judged] = []
    for case in bitext_data + clinc_data:
        start = time.perf_counter()
        parse = bot.parse(case.text)
        decision = bot.decide(parse, None)
        ms = (time.perf_counter() - start) * 1000
        parses.append((case, parse))
        judged.append(judge(case, parse, decision, ms))
    bitext, clinc = judged[: len(bitext_data)], judged[len(bitext_data) :]
    result: dict[str, Any] = {"model": bot.model, **headline(bitext, clinc)}
    if args.rows_out:
        write_rows(Path(args.rows_out), judged)
    swept = sweep(bot, parses, SWEEP, len(bitext_data)) if args.sweep else []
    if swept:
        result["threshold_sweep"] = swept
    if not args.no_report:
        result["report"] = str(write_report(args, result, bitext, clinc, swept))
    return result


def command_line(args: argparse.Namespace) -> str:
    """The command that ran this bench, for the report: ``python -m bench.safety.run …`` keeps
    its arguments (``main``); ``carebot bench safety …`` has none stored, so the report
    names the options it ran with."""
    argv = getattr(args, "argv", None)
    if argv is not None:
        return " ".join([COMMAND, *argv])
    options = [f"--{k.replace('_', '-')} {v}" if v is not True else f"--{k.replace('_', '-')}"
               for k, v in sorted(vars(args).items())
               if k not in {"func", "bench_cmd"} and v not in (None, False, [], "")]
    return " ".join(["carebot bench safety", *options])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.safety.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    print(json.dumps(run(args), ensure_ascii=False))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
