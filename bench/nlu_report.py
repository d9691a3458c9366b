"""NLU benchmark, the report (``bench/nlu_bench.py``): ``bench/reports/nlu-<name>.md`` with
the metrics of every system side by side, a risk–coverage plot, the most confused pairs and the
threshold sweep.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.common import (
    CurvePoint,
    command_line,
    machine,
    md_table,
    plot_confused_pairs,
    plot_risk_coverage,
    write_report,
)


def write_nlu_report(
    args: argparse.Namespace,
    name: str,
    how: str,
    result: dict[str, Any],
    systems: dict[str, dict[str, Any]],
) -> Path:
    """Write ``nlu-<name>.md`` and its plots in ``--report-dir``; returns the Markdown path."""
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
