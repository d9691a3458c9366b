"""Queue priority of an escalation: 1 (most urgent) … 4.

The most urgent of the reasons wins; legal, safety and account-security topics are always 1; a
very negative message moves one level up. Waiting time is added later by the queue's sweeper
(aging), so a low-priority ticket cannot wait forever.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from bot.escalation.config import EscalationConfig
from bot.escalation.reasons import Reason


def priority_for(
    reasons: Iterable[Reason],
    intent: str | None,
    tone: Mapping[str, Any],
    config: EscalationConfig,
) -> int:
    levels = [config.reason_priority.get(r, 4) for r in reasons] or [4]
    level = min(levels)
    if intent in config.urgent_topics:
        return 1
    if float(tone.get("negative", 0.0)) >= config.very_negative:
        level -= 1
    return max(1, min(4, level))
