"""Tone benchmark, the report (``bench/tone_bench.py``): ``bench/reports/tone-<name>.md`` with
the metrics, the sweep as a table and a plot, and the distribution of negative scores by label.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Sequence

from bench.common import (
    command_line,
    machine,
    md_table,
    plot_risk_coverage,
    plot_xy,
    risk_coverage,
    write_report,
)
from bench.tone_score import TARGET


def write_tone_report(
    args: argparse.Namespace,
    name: str,
    kind: str,
    result: dict[str, Any],
    metrics: dict[str, Any],
    scored: Sequence[dict[str, Any]],
    labels: Sequence[str],
) -> Path:
    """Write ``tone-<name>.md`` and its plots in ``--report-dir``; returns the Markdown path."""
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
    at90 = result.get("negative_score_recall_at_90_precision") or {}
    if at90.get("recall") is not None:
        shown["negative_score_recall_at_90_precision"] = at90["recall"]
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
        curve = risk_coverage([x["negative"] for x in scored],
                              [lab == "negative" for lab in labels])
        rc = plot_risk_coverage(
            {"tone.negative (escalate the most negative first)": curve},
            out_dir / f"{stem}-risk-coverage.png",
            f"{name}: the negative gate, most negative messages first",
            operating_points={"as configured": (result["escalated_share"] or 0,
                                                result["negative_precision"] or 0)},
            target=TARGET,
            xlabel="share of all messages escalated for tone (coverage)",
            ylabel="share of the escalated that are negative (precision)",
        )
        sections.append(("Risk–coverage of the negative gate",
                         "Escalate messages in order of `tone.negative`; the dot is what "
                         "`decide()` does with the configured gates (both tone reasons)."
                         f"\n\n![risk–coverage]({rc.name})"))
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
