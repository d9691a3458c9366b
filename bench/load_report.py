"""Load benchmark, the report (``bench/load_bench.py``): ``bench/reports/<name>.md`` with a
latency histogram per phase."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from bench.common import machine, md_table, percentile, save_figure, write_report

if TYPE_CHECKING:
    from bench.load_bench import Phase

# -- report ---------------------------------------------------------------------------------------


def plot_histogram(phases: Sequence[Phase], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    values = [[s.ms for s in p.sent if s.ok] for p in phases]
    top = max([max(v) for v in values if v] + [10.0])
    bins = np.logspace(0, np.log10(top * 1.1), 50)
    for phase, v in zip(phases, values, strict=True):
        if v:
            p95 = percentile(v, 95) or 0.0
            ax.hist(v, bins=bins, alpha=0.55, label=f"{phase.label} (p95 {p95:.0f} ms)")
    ax.set_xscale("log")
    ax.set_xlabel("reply latency, ms (log scale)")
    ax.set_ylabel("messages")
    ax.axvline(50, color="grey", linestyle="--", linewidth=0.8)
    ax.set_title("Reply latency per message (REST, waiting for each reply)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def write_load_report(result: dict[str, Any], phases: Sequence[Phase], args: argparse.Namespace,
                      report_dir: Path) -> Path:
    name = args.name or "load"
    png = plot_histogram(phases, report_dir / f"{name}-latency.png")
    rows = []
    for phase in phases:
        s = phase.summary()
        by_role = s.get("cpu_ms_per_message_by_process") or {}
        rows.append([str(v) if v is not None else None for v in (
            phase.label, f"{phase.think_ms:.0f}" if phase.think_ms else "0 (closed loop)",
            s["messages"], s["messages_per_s"], s["p50_ms"], s["p95_ms"],
            s["p99_ms"], s["errors"], s["escalations"], s.get("server_cpu_ms_per_message"),
            ", ".join(f"{k} {v}" for k, v in by_role.items()) or None,
            s.get("client_cpu_ms_per_message"),
            " ".join(str(x) for x in s["loadavg_before"]))])
    table = md_table(["stack", "think ms", "messages", "msg/s", "p50 ms", "p95 ms", "p99 ms",
                      "errors", "escalations", "server CPU ms/msg", "by process",
                      "load generator CPU ms/msg", "load avg before"], rows)
    command = " ".join(["carebot bench load", *sys.argv[1:]]) if sys.argv else ""
    sections = [
        ("Run", f"Command: `{command}`  \nWhen: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; "
                f"{machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at "
                f"the end (the machine is shared: other work runs too).  \n"
                f"{args.senders} followers x {args.messages} messages, think time "
                f"{args.think_ms:.0f} ms (0.5x-1.5x) then closed loop, warm-up {args.warmup} "
                f"messages per phase."),
        ("Result", f"```json\n{json.dumps(result, indent=2, ensure_ascii=False)}\n```"),
        ("Side by side", table + f"\n\n![latency histogram]({png.name})"),
        ("What is compared", (
            "**carebot**: the stack at the URL (carebot's NLU: linear intent classifier, tone, "
            "language guard; RulePolicy; every message through `action_respond` on the action "
            "server: decision, escalation to the Redis queue with a ticket, hand-off).  \n"
            f"**stock**: Rasa 3.6 `rasa init` default config, {args.stock_epochs} epochs, same "
            "NLU data and domain, Rasa's own Redis tracker and lock stores, answering with "
            "responses from rules inside Rasa (`faq -> utter_faq`, small talk, hand-off texts): "
            "no action server, no tone, no decision, no ticket. The point is the per-message "
            "serving cost."
            "\n\nserver CPU ms/msg: CPU time of the serving processes (Rasa, action servers, "
            "proxy) divided by messages; unlike latency it hardly depends on other load.")),
    ]
    return write_report(report_dir / f"{name}.md", "Load benchmark: followers over REST",
                        sections)
