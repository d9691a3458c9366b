"""Building an escalation: the agent's draft, the follower's handoff message, the transcript."""

from __future__ import annotations

import time
from typing import Any, Iterable, Mapping

from bot.escalation.attachments import clean_metadata, normalise_attachments
from bot.escalation.config import EscalationConfig
from bot.escalation.decision import Decision
from bot.escalation.reasons import NOT_SERIOUS, PRIORITY_ORDER, TONE, Reason
from bot.nlu.pii.detect import entities as detail_entities
from bot.queue import AgentQueue, Escalation

TRANSCRIPT_TURNS = 40


def primary_reason(reasons: Iterable[Reason]) -> Reason:
    """The reason a ticket is mainly about (``PRIORITY_ORDER``); ``low_confidence`` for none."""
    listed = set(reasons)
    for reason in PRIORITY_ORDER:
        if reason in listed:
            return reason
    return Reason.LOW_CONFIDENCE


def response_text(responses: Mapping[str, Any], name: str | None) -> str | None:
    """First text variation of a domain response, or None."""
    if not name:
        return None
    variations = responses.get(name) or []
    for variation in variations:
        if isinstance(variation, Mapping) and variation.get("text"):
            return str(variation["text"])
    return None


def draft_reply(decision: Decision, responses: Mapping[str, Any], config: EscalationConfig) -> str:
    """The agent's starting point: the vetted FAQ answer the bot would have sent when the
    message was an FAQ the bot held back only for confidence, else the reason's template
    (never the nearby FAQ answer of an ``out_of_scope`` message: it does not cover it)."""
    reason = primary_reason(decision.reasons)
    template = config.drafts.get(reason) or config.drafts.get(Reason.LOW_CONFIDENCE) or ""
    faq_answer = response_text(responses, f"utter_faq/{decision.faq}") if decision.faq else None
    if Reason.OUT_OF_SCOPE in decision.reasons:
        faq_answer = None  # the gate found that answer does not cover the question
    if faq_answer and set(decision.reasons) <= NOT_SERIOUS:
        return faq_answer
    if faq_answer and reason in TONE:
        return f"{template}\n\n{faq_answer}"
    return template


def handoff_response(decision: Decision, config: EscalationConfig) -> str:
    """The vetted message telling the follower a person will reply."""
    for reason in decision.reasons:
        if reason in config.handoff_responses:
            return config.handoff_responses[reason]
    return config.default_handoff


def wait_text(seconds: float | None) -> str:
    """A human estimate of the wait: 'a few minutes', 'about 20 minutes', 'about 2 hours'."""
    if seconds is None:
        return "a few hours"
    minutes = seconds / 60
    if minutes < 5:
        return "a few minutes"
    if minutes < 55:
        return f"about {int(5 * round(minutes / 5))} minutes"
    hours = round(minutes / 60)
    return "about an hour" if hours <= 1 else f"about {hours} hours"


def transcript_from_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The follower's and the bot's turns from tracker events (latest session, last turns)."""
    turns: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            role = "follower"
        elif kind == "bot":
            role = "bot"
        else:
            continue
        text = event.get("text") or ""
        entry: dict[str, Any] = {"role": role, "text": text, "ts": event.get("timestamp")}
        metadata = event.get("metadata")
        attachments = normalise_attachments(metadata.get("attachments")) if isinstance(
            metadata, Mapping) else []
        if attachments:
            entry["attachments"] = attachments
        turns.append(entry)
    return turns[-TRANSCRIPT_TURNS:]


def build_escalation(
    decision: Decision,
    *,
    channel: str,
    sender: str,
    text: str,
    transcript: list[dict[str, Any]],
    responses: Mapping[str, Any],
    config: EscalationConfig,
) -> Escalation:
    """The ticket payload for an escalating decision."""
    return Escalation(
        channel=channel,
        sender=sender,
        reasons=[reason.value for reason in decision.reasons],
        priority=decision.priority or 4,
        text=text,
        draft=draft_reply(decision, responses, config),
        tone=decision.tone,
        nlu={
            "intent": decision.intent,
            "faq": decision.faq,
            "confidence": decision.confidence,
            "ranking": decision.ranking,
            "language": decision.language,
            # order and tracking numbers the follower gave in this conversation, for the agent
            "entities": detail_entities(
                [str(m.get("text") or "") for m in transcript if m.get("role") == "follower"]
                + [text]
            ),
        },
        transcript=transcript,
    )


def record_while_waiting(
    queue: AgentQueue,
    decision: Decision,
    *,
    channel: str,
    sender: str,
    text: str,
    metadata: Mapping[str, Any],
    responses: Mapping[str, Any],
    config: EscalationConfig,
    ts: float | None = None,
) -> str | None:
    """A follower message in a conversation a person owns: it goes on the open ticket. When it
    raises a serious reason (anger, sarcasm, a complex topic...), the ticket's reasons and
    priority are raised too (escalating again merges into the open ticket)."""
    serious = [r for r in decision.reasons if r not in NOT_SERIOUS]
    if decision.escalate and serious:
        decision.reasons = serious
        entry: dict[str, Any] = {"role": "follower", "text": text, "ts": ts or time.time()}
        attachments = normalise_attachments(metadata.get("attachments"))
        if attachments:
            entry["attachments"] = attachments
        escalation = build_escalation(
            decision,
            channel=channel,
            sender=sender,
            text=text,
            transcript=[entry],
            responses=responses,
            config=config,
        )
        return queue.escalate(escalation).ticket_id
    return queue.add_follower_message(channel, sender, text, clean_metadata(metadata))
