"""Why a conversation goes to a person: the escalation reason codes.

A ``Reason`` *is* its code string (``Reason.SARCASM == "sarcasm"``, same hash, same JSON, same
text in an f-string), so tickets, stats counters and ``carebot decide`` output keep the plain
codes; compare and look up with the members. README's reason table lists the same codes.

To add a reason: a member here, then its priority and (optionally) its draft and handoff
response in ``config/escalation.yml`` (a reason without a priority fails at start-up), the rule
that raises it in ``bot.escalation.decision.decide``, its place in ``PRIORITY_ORDER`` and a
line in README's table.
"""

from __future__ import annotations

from enum import Enum


class Reason(str, Enum):
    """An escalation reason code."""

    LOW_CONFIDENCE = "low_confidence"  # intent or FAQ-answer confidence below its threshold
    OUT_OF_SCOPE = "out_of_scope"  # asks something no FAQ answer covers (outside every boundary)
    AMBIGUOUS = "ambiguous"  # the top two candidates too close to call
    NEGATIVE_TONE = "negative_tone"  # angry, frustrated or threatening
    SARCASM = "sarcasm"  # sarcastic (and at least a little negative)
    COMPLEX_TOPIC = "complex_topic"  # a topic that always needs a person, or a very long message
    ASKED_FOR_HUMAN = "asked_for_human"  # the follower asked for a person
    REPEATED_FALLBACK = "repeated_fallback"  # the bot failed on the previous turn too
    UNSUPPORTED_MESSAGE = "unsupported_message"  # attachments, voice, another language/script
    DELIVERY_FAILED = "delivery_failed"  # a reply could not be delivered to the follower

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:
        # Enum hashes the member's name; a code must hash like the equal plain string, so that
        # ``"sarcasm" in {Reason.SARCASM}`` and dicts keyed either way agree.
        return hash(self.value)


UNCERTAIN = frozenset({Reason.LOW_CONFIDENCE, Reason.AMBIGUOUS})
"""The bot could not tell what the follower meant: such a turn counts as a failed turn (two in a
row add ``repeated_fallback``), and ``carebot faq suggest`` learns from these tickets."""

UNANSWERED = UNCERTAIN | {Reason.OUT_OF_SCOPE}
"""The bot had no answer it could stand behind: it was unsure, or the message is outside every
FAQ's boundary. Such a turn counts as a failed turn, and ``carebot faq suggest`` clusters these
tickets (what followers keep asking that no FAQ covers is where a new FAQ comes from)."""

NOT_SERIOUS = UNANSWERED | {Reason.REPEATED_FALLBACK}
"""Reasons that say only that the bot could not answer: on a ticket a person already owns they
add nothing. When the bot held back a vetted FAQ answer only for confidence, that answer
becomes the agent's draft; never for ``out_of_scope`` (the gate found that answer does not
cover the question, so it must not be offered as the reply)."""

TONE = frozenset({Reason.NEGATIVE_TONE, Reason.SARCASM})
"""Reasons raised by the tone component."""

PRIORITY_ORDER: tuple[Reason, ...] = (
    Reason.COMPLEX_TOPIC,
    Reason.NEGATIVE_TONE,
    Reason.SARCASM,
    Reason.ASKED_FOR_HUMAN,
    Reason.REPEATED_FALLBACK,
    Reason.UNSUPPORTED_MESSAGE,
    Reason.OUT_OF_SCOPE,
    Reason.AMBIGUOUS,
    Reason.LOW_CONFIDENCE,
    Reason.DELIVERY_FAILED,
)
"""Which reason of several is a ticket's primary one (its draft template): first listed wins."""


def parse_reason(code: str) -> Reason:
    """The member for ``code``; ``ValueError`` naming the known codes when there is none."""
    try:
        return Reason(code)
    except ValueError:
        known = ", ".join(r.value for r in Reason)
        raise ValueError(f"unknown escalation reason {code!r} (known: {known})") from None
