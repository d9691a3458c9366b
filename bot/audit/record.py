"""The action server's side of the answer audit: after the bot sent an FAQ answer, sample it.

:func:`hook` is called by ``actions/respond.py`` for every answer; it never raises (a failed
audit must not break a reply; a warning is logged at most once a minute) and costs one Redis
round trip only for the answers it records (the draw is a hash, no I/O).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Iterable, Mapping

from bot.audit.sampling import choose, low_confidence
from bot.audit.store import Answer, AuditStore

logger = logging.getLogger(__name__)
FAQ_RESPONSE = "utter_faq/"
_last_warning = 0.0


def answer_confidence(parse: Mapping[str, Any]) -> float | None:
    """The FAQ answer's own (response selector) confidence, if the message was an FAQ."""
    selector = parse.get("response_selector") or {}
    chosen = selector.get("faq") or selector.get("default") or {}
    response = chosen.get("response") or {}
    if not response.get("intent_response_key"):
        return None
    return float(response.get("confidence") or 0.0)


def model_id(events: Iterable[Mapping[str, Any]]) -> str:
    """The model that parsed the latest follower message (Rasa stamps ``metadata.model_id`` on
    every event of a tracker)."""
    for event in reversed(list(events or [])):
        if event.get("event") == "user":
            return str((event.get("metadata") or {}).get("model_id") or "")
    return ""


def sample_key(conversation: str, parse: Mapping[str, Any]) -> str:
    """What the draw hashes: the message id Rasa gave the message (unique), in its
    conversation; without one, the conversation and the time."""
    message_id = parse.get("message_id") or f"t{time.time_ns()}"
    return f"{conversation}\x00{message_id}"


def maybe_record(
    store: AuditStore,
    *,
    rate: float,
    margin: float,
    intent_threshold: float,
    answer_threshold: float,
    parse: Mapping[str, Any],
    decision: Any,
    channel: str,
    sender: str,
    responses: Mapping[str, Any] | None = None,
    events: Iterable[Mapping[str, Any]] = (),
) -> str | None:
    """Record the answer ``decision`` sent if it is drawn or low-confidence; its audit id."""
    response = str(getattr(decision, "response", "") or "")
    faq = getattr(decision, "faq", None)
    if getattr(decision, "escalate", True) or not faq or not response.startswith(FAQ_RESPONSE):
        return None  # escalations, small talk, acknowledgements: not audited
    conversation = f"{channel}:{sender}"
    intent_conf = float((parse.get("intent") or {}).get("confidence") or 0.0)
    answer_conf = answer_confidence(parse)
    low = low_confidence(intent_conf, answer_conf, intent_threshold, answer_threshold, margin)
    choice = choose(sample_key(conversation, parse), rate, low)
    if not choice.audited:
        return None
    from bot.escalation.handoff import response_text

    answer = Answer(
        text=str(parse.get("text") or ""), conversation=conversation, channel=channel,
        faq=str(faq), response=response,
        answer=response_text(responses or {}, response) or "",
        confidence=float(getattr(decision, "confidence", 0.0) or 0.0),
        intent_confidence=intent_conf, answer_confidence=answer_conf,
        model_id=model_id(events), ranking=list(getattr(decision, "ranking", None) or [])[:5],
    )
    return store.record(answer, sampled=choice.sampled, low=choice.low)


def hook(services: Any, parse: Mapping[str, Any], decision: Any, *, channel: str, sender: str,
         responses: Mapping[str, Any] | None = None,
         events: Iterable[Mapping[str, Any]] = ()) -> str | None:
    """:func:`maybe_record` for the action server (``actions.services.Services``); never
    raises."""
    try:
        settings = services.settings
        thresholds = services.config.thresholds
        return maybe_record(
            services.audit, rate=settings.audit_rate, margin=settings.audit_margin,
            intent_threshold=thresholds.intent_confidence,
            answer_threshold=thresholds.answer_confidence, parse=parse, decision=decision,
            channel=channel, sender=sender, responses=responses, events=events)
    except Exception as error:  # noqa: BLE001 - the audit is best effort by design
        _warn(error)
        return None


def _warn(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        logger.warning(f"answer not audited ({error.__class__.__name__}: {error})")
