"""Supervisor statistics over time windows, and alerts on spikes.

``bot.stats.metrics`` keeps counters since the beginning (for Prometheus, which does its own rates).
A supervisor asks other questions: *how much did the bot deflect in the last hour, why did it
escalate, how long do followers wait, is something blowing up right now?* For that the bot also
counts each follower message in a per-minute and a per-hour bucket (same Redis round trip as the
metrics, :func:`add_to_pipeline`), and :func:`summary` reads a window of them.

Redis keys (``bot.queue.keys.Keys``: ``stats_minute`` and ``stats_hour``), hashes per UTC minute
(kept 2 days) and hour (8 days): ``messages``, one field per outcome (``answered``,
``escalated``, …), ``reason:<code>`` per escalation reason, ``label:<name>`` per label an agent
added to a ticket (written by ``bot.queue.labels``; labels are not messages: they count in
``labels`` only).

Spikes (:func:`detect_spikes`): in the last ``spike_window`` minutes, a figure (all messages, all
escalations, each escalation reason) is a spike when it reached ``min_count`` *and* its rate is
at least ``ratio`` times its hourly baseline over the previous 24 hours (with no history, any
figure over ``min_count`` counts, so a brand-new deployment still warns). A queue whose oldest
waiting ticket passed ``wait_alert_minutes`` raises a ``long_wait`` alert. Thresholds come from
``bot.settings`` (``CAREBOT_SPIKE_*``, ``CAREBOT_WAIT_ALERT_MINUTES``).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable

import redis
from redis.client import Pipeline

from bot.queue.keys import Keys
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.queue import AgentQueue

MINUTE_TTL = 2 * 24 * 3600
HOUR_TTL = 8 * 24 * 3600
BASELINE_HOURS = 24


def _utc(now: float | None) -> datetime:
    return datetime.fromtimestamp(time.time() if now is None else now, tz=timezone.utc)


def add_to_pipeline(
    pipe: Pipeline[str],
    prefix: str,
    outcome: str,
    reasons: Iterable[str] = (),
    now: float | None = None,
) -> None:
    """Queue the bucket increments of one follower message on a Redis pipeline."""
    at = _utc(now)
    keys = Keys(prefix)
    for key, ttl in ((keys.stats_minute(at), MINUTE_TTL), (keys.stats_hour(at), HOUR_TTL)):
        pipe.hincrby(key, "messages", 1)
        pipe.hincrby(key, outcome, 1)
        for reason in dict.fromkeys(reasons):
            pipe.hincrby(key, f"reason:{reason}", 1)
        pipe.expire(key, ttl)


@dataclass
class Counts:
    """Follower messages in a window, by outcome and escalation reason."""

    messages: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    """Labels added to tickets, by label."""

    def add(self, raw: dict[Any, Any]) -> None:
        for name, value in raw.items():
            key = name.decode() if isinstance(name, bytes) else str(name)
            count = int(value)
            if key == "messages":
                self.messages += count
            elif key.startswith("reason:"):
                reason = key.split(":", 1)[1]
                self.reasons[reason] = self.reasons.get(reason, 0) + count
            elif key.startswith("label:"):
                label = key.split(":", 1)[1]
                self.labels[label] = self.labels.get(label, 0) + count
            else:
                self.outcomes[key] = self.outcomes.get(key, 0) + count

    @property
    def answered(self) -> int:
        return self.outcomes.get("answered", 0)

    @property
    def escalated(self) -> int:
        return self.outcomes.get("escalated", 0)

    @property
    def deflection_rate(self) -> float | None:
        """Share of decided messages the bot answered itself (None with no messages)."""
        decided = self.answered + self.escalated
        return round(self.answered / decided, 4) if decided else None


def _read(client: redis.Redis, keys: list[str]) -> Counts:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    counts = Counts()
    for raw in pipe.execute():
        counts.add(raw or {})
    return counts


def window(client: redis.Redis, prefix: str, minutes: int, now: float | None = None) -> Counts:
    """The last ``minutes`` minutes (the current minute included), from the minute buckets."""
    at = _utc(now)
    keys = Keys(prefix)
    return _read(client, [keys.stats_minute(at - timedelta(minutes=i)) for i in range(minutes)])


def baseline(client: redis.Redis, prefix: str, now: float | None = None) -> tuple[Counts, int]:
    """The ``BASELINE_HOURS`` full hours before the current one, and how many had any data."""
    at = _utc(now)
    keys = Keys(prefix)
    hour_keys = [keys.stats_hour(at - timedelta(hours=i)) for i in range(1, BASELINE_HOURS + 1)]
    pipe = client.pipeline(transaction=False)
    for key in hour_keys:
        pipe.hgetall(key)
    counts = Counts()
    active = 0
    for raw in pipe.execute():
        if raw:
            active += 1
            counts.add(raw)
    return counts, active


@dataclass(frozen=True)
class SpikeRules:
    """When a figure is a spike (from ``bot.settings``)."""

    window_minutes: int = 15
    ratio: float = 2.0
    min_count: int = 10
    wait_alert_minutes: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> SpikeRules:
        """``CAREBOT_SPIKE_*`` and ``CAREBOT_WAIT_ALERT_MINUTES``, checked in ``bot.settings``."""
        return cls(
            window_minutes=settings.spike_window_minutes,
            ratio=settings.spike_ratio,
            min_count=settings.spike_min_count,
            wait_alert_minutes=settings.wait_alert_minutes,
        )


@dataclass(frozen=True)
class Alert:
    kind: str  # "spike" or "long_wait"
    subject: str  # "messages", "escalated", "reason:<code>" or "queue"
    count: float  # in the window (long_wait: minutes waited)
    expected: float  # what the baseline predicts for the window (long_wait: the limit)
    message: str


def detect_spikes(
    current: Counts,
    base: Counts,
    base_hours: int,
    rules: SpikeRules,
    oldest_wait_seconds: float | None = None,
) -> list[Alert]:
    """Alerts for the figures of ``current`` that jumped above their baseline."""
    scale = rules.window_minutes / 60.0 / base_hours if base_hours else 0.0
    figures: list[tuple[str, int, int, str]] = [
        ("messages", current.messages, base.messages, "follower messages"),
        ("escalated", current.escalated, base.escalated, "escalations"),
    ]
    for reason, count in sorted(current.reasons.items()):
        figures.append((f"reason:{reason}", count, base.reasons.get(reason, 0), f"'{reason}'"))
    alerts: list[Alert] = []
    for subject, count, base_count, label in figures:
        expected = base_count * scale
        if count < rules.min_count or count < rules.ratio * expected:
            continue
        times = f"{count / expected:.1f}× the usual {expected:.1f}" if expected else "no history"
        alerts.append(
            Alert(
                "spike",
                subject,
                count,
                round(expected, 2),
                f"{count} {label} in the last {rules.window_minutes} min ({times})",
            )
        )
    limit = rules.wait_alert_minutes * 60
    if oldest_wait_seconds is not None and oldest_wait_seconds >= limit:
        minutes = oldest_wait_seconds / 60
        alerts.append(
            Alert(
                "long_wait",
                "queue",
                round(minutes, 1),
                rules.wait_alert_minutes,
                f"a follower has waited {minutes:.0f} min for a person "
                f"(alert at {rules.wait_alert_minutes} min)",
            )
        )
    return alerts


def _recent_waits(client: redis.Redis, waits_key: str) -> list[float]:
    return [float(w) for w in client.lrange(waits_key, 0, 49)]


def summary(
    client: redis.Redis,
    prefix: str,
    minutes: int,
    rules: SpikeRules,
    queue: AgentQueue | None = None,
    now: float | None = None,
    audit_days: int = 30,
) -> dict[str, Any]:
    """What a supervisor sees: the window's figures, waits, queue state and alerts (JSON-able).

    ``queue`` (``bot.queue.AgentQueue``, optional) adds the depth by priority, the oldest
    waiting ticket and the recent claim waits. ``audit``: the production precision of the
    bot's answers measured by the answer audit over the last ``audit_days`` days
    (:mod:`bot.audit.precision`; a window of days, not minutes: the audit samples 5%).
    """
    from bot.audit.store import AuditStore

    counts = window(client, prefix, minutes, now)
    current = (
        counts
        if minutes == rules.window_minutes
        else window(client, prefix, rules.window_minutes, now)
    )
    base, base_hours = baseline(client, prefix, now)
    oldest: float | None = None
    waits: list[float] = []
    depth: dict[str, int] = {}
    if queue is not None:
        oldest = queue.oldest_waiting_seconds()
        waits = _recent_waits(client, queue.keys.waits)
        depth = {str(p): n for p, n in sorted(queue.depth_by_priority().items())}
    alerts = detect_spikes(current, base, base_hours, rules, oldest)
    return {
        "window_minutes": minutes,
        "messages": counts.messages,
        "answered": counts.answered,
        "escalated": counts.escalated,
        "outcomes": dict(sorted(counts.outcomes.items())),
        "deflection_rate": counts.deflection_rate,
        "escalation_reasons": dict(sorted(counts.reasons.items(), key=lambda kv: -kv[1])),
        "labels": dict(sorted(counts.labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "queue_depth_by_priority": depth,
        "oldest_waiting_seconds": None if oldest is None else round(oldest, 1),
        "claim_wait_seconds": {
            "median": round(statistics.median(waits), 1) if waits else None,
            "max": round(max(waits), 1) if waits else None,
            "samples": len(waits),
        },
        "alerts": [asdict(a) for a in alerts],
        "audit": AuditStore(client, prefix).report(audit_days, now),
    }
