"""Tickets as the API shows them: a short summary for the queue, the whole ticket for a view.

The queue list is built from :class:`bot.queue.TicketSummary` (``AgentQueue.summaries``): Redis
never sends the transcripts, notes or histories of the listed tickets; a console fetches one
ticket whole when an agent opens it (``GET /api/tickets/{id}``)."""

from __future__ import annotations

from typing import Any

from bot.queue import Ticket, TicketSummary

PREVIEW_CHARS = 280


def waiting_seconds(ticket: Ticket, now: float) -> float:
    """How long the follower has waited for a person: since the ticket was (first) enqueued,
    until the first agent reply (open tickets) or resolution."""
    end = ticket.first_reply_at or ticket.resolved_at or now
    return max(0.0, end - ticket.enqueued_at)


def tone_summary(tone: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": tone.get("label") or "neutral",
        "negative": round(float(tone.get("negative") or 0.0), 3),
        "sarcasm": round(float(tone.get("sarcasm") or 0.0), 3),
    }


def summary(row: TicketSummary, now: float) -> dict[str, Any]:
    """One queue row: what is waiting, why, for how long."""
    ticket, last = row.ticket, row.last_follower
    text = (last or {}).get("text") or ticket.text
    return {
        "id": ticket.id,
        "status": ticket.status,
        "channel": ticket.channel,
        "sender": ticket.sender,
        "priority": ticket.priority,
        "base_priority": ticket.base_priority,
        "reasons": list(ticket.reasons),
        "tone": tone_summary(ticket.tone),
        "preview": text[:PREVIEW_CHARS],
        "messages": row.messages,
        "notes": row.notes,
        "escalations": ticket.escalations,
        "enqueued_at": ticket.enqueued_at,
        "updated_at": ticket.updated_at,
        "waiting_seconds": round(waiting_seconds(ticket, now), 1),
        "claimed_by": ticket.claimed_by,
        "claimed_at": ticket.claimed_at,
        "lease_until": ticket.lease_until,
        "first_reply_at": ticket.first_reply_at,
        "last_message_at": (last or {}).get("ts"),
    }


def detail(ticket: Ticket, now: float) -> dict[str, Any]:
    """The whole ticket (transcript, notes, NLU guesses, draft, history) plus its summary."""
    data = ticket.to_dict()
    data["summary"] = summary(TicketSummary.of(ticket), now)
    return data
