"""``carebot stats``: the supervisor's figures for a time window, any alerts
(``bot.stats.figures``), and the production precision the answer audit measured
(``bot.audit``)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.cli.common import Subparsers


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def days_type(raw: str) -> int:
    try:
        days = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of days") from None
    if not 1 <= days <= 365:
        raise argparse.ArgumentTypeError("expected 1..365 days")
    return days


def render(data: dict[str, Any]) -> str:
    """The summary as a few lines for a terminal."""
    waits = data["claim_wait_seconds"]
    lines = [
        f"last {data['window_minutes']} min: {data['messages']} follower messages, "
        f"{data['answered']} answered by the bot, {data['escalated']} escalated "
        f"(deflection {_percent(data['deflection_rate'])})",
    ]
    if data["escalation_reasons"]:
        reasons = ", ".join(f"{r} {n}" for r, n in data["escalation_reasons"].items())
        lines.append(f"escalation reasons: {reasons}")
    if data.get("labels"):
        labels = ", ".join(f"{name} {n}" for name, n in data["labels"].items())
        lines.append(f"labels added: {labels}")
    depth = data["queue_depth_by_priority"]
    if depth:
        queued = ", ".join(f"P{p}: {n}" for p, n in depth.items())
        lines.append(f"queue: {queued}; oldest waiting {data['oldest_waiting_seconds'] or 0:.0f} s")
    if waits["samples"]:
        lines.append(
            f"claim waits (last {waits['samples']}): median {waits['median']:.0f} s, "
            f"max {waits['max']:.0f} s"
        )
    if data.get("audit"):
        from bot.audit.precision import describe

        lines.append(describe(data["audit"]))
    for alert in data["alerts"]:
        lines.append(f"ALERT {alert['kind']}: {alert['message']}")
    if not data["alerts"]:
        lines.append("no alerts")
    return "\n".join(lines)


def cmd_stats(args: argparse.Namespace) -> int:
    from bot import redis as bot_redis
    from bot.queue.connect import agent_queue
    from bot.settings import get_settings
    from bot.stats.figures import SpikeRules, summary

    settings = get_settings()
    client = bot_redis.client(settings.redis_url, timeout=5)
    queue = agent_queue(settings, client)
    data = summary(
        client, settings.queue_prefix, args.minutes, SpikeRules.from_settings(settings), queue,
        audit_days=args.audit_days,
    )
    print(json.dumps(data, indent=2) if args.json else render(data))
    return 1 if args.fail_on_alert and data["alerts"] else 0


def register(subparsers: Subparsers) -> None:
    """Add ``stats`` to the ``carebot`` command line."""
    p = subparsers.add_parser(
        "stats", help="deflection, escalation reasons, waits and alerts over a time window"
    )
    p.add_argument("--minutes", type=int, default=60, help="window length (default 60)")
    p.add_argument("--audit-days", type=days_type, default=30, metavar="DAYS",
                   help="the answer audit's production precision over the answers of the last "
                        "DAYS days (default 30)")
    p.add_argument("--json", action="store_true", help="print the JSON of GET /api/overview")
    p.add_argument(
        "--fail-on-alert", action="store_true", help="exit 1 when there is an alert (for cron)"
    )
    p.set_defaults(func=cmd_stats)
