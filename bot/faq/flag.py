"""Agents' flags: "this message should have been FAQ X" / "this calls for a new FAQ".

An agent (any role with ``note``: agent, supervisor, trainer, admin) flags one follower message
of a conversation someone answered (the ticket is ``claimed`` or ``resolved``; a ``queued`` one
has no agent reply yet). The message joins the trainers' review list
(:class:`bot.faq.review.ReviewStore`) with the agents' replies on the ticket as context:

- ``faq=KEY``: the message is proposed as a new example of the existing FAQ ``KEY`` (joining a
  pending ``examples`` proposal for that key, if there is one);
- ``faq=None``: a ``new_faq`` proposal, with the agent's optional suggested ``key`` and, unless
  ``use_reply`` is false, the agent's reply to that message as the proposed answer.

Nothing is written to ``data/``: only a trainer's accept does that. Called as
``flag(review, queue, ticket_id, text, agent, ...)`` by ``carebot faq flag``
(``bot.cli.faq_review``) and ``POST /api/review/flag`` (``bot.workspace.review_routes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from bot.faq.review import ReviewError, ReviewStore
from bot.faq.review_keys import fingerprint
from bot.faq.schema import FaqError, check_key, clean_example
from bot.faq.store import FaqStore
from bot.queue.errors import TicketNotFound

if TYPE_CHECKING:
    from bot.queue import AgentQueue

FLAGGABLE = ("claimed", "resolved")
MAX_NOTE = 500


def _same(a: Any, b: str) -> bool:
    return " ".join(str(a or "").split()) == b


def reply_to(transcript: Sequence[dict[str, Any]], text: str) -> str | None:
    """The first agent message after the follower message ``text`` (whitespace-insensitive)."""
    wanted = " ".join(text.split())
    asked = False
    for message in transcript:
        role = message.get("role")
        if role == "follower" and _same(message.get("text"), wanted):
            asked = True
        elif asked and role == "agent" and str(message.get("text") or "").strip():
            return str(message["text"])
    return None


def flag(
    review: ReviewStore,
    queue: AgentQueue,
    ticket_id: str,
    text: str,
    agent: str,
    faq: str | None = None,
    store: FaqStore | None = None,
    *,
    key: str | None = None,
    note: str = "",
    use_reply: bool = True,
) -> dict[str, Any]:
    """Put one follower message of ``ticket_id`` on ``review``'s list; the proposal it joined.
    ``ReviewError`` (with an HTTP-like ``code``) when it cannot be flagged."""
    try:
        ticket = queue.get(ticket_id)
    except TicketNotFound:
        raise ReviewError(f"no ticket {ticket_id}", code=404) from None
    if ticket.status not in FLAGGABLE:
        raise ReviewError(f"{ticket_id} is {ticket.status}: flag messages of claimed or "
                          "resolved conversations", code=409)
    wanted = " ".join((text or "").split())
    if not wanted:
        raise ReviewError("the message to flag is empty")
    followers = [m for m in ticket.transcript if m.get("role") == "follower"]
    if not any(_same(m.get("text"), wanted) for m in followers) \
            and not _same(ticket.text, wanted):
        raise ReviewError(f"{ticket_id} has no follower message {text!r}")
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise ReviewError(f"the note is longer than {MAX_NOTE} characters")
    try:
        example = clean_example(wanted)
        faq_key = check_key(faq) if faq else None
        new_key = check_key(key) if key else None
    except FaqError as error:
        raise ReviewError(str(error)) from None
    if faq_key is not None and new_key is not None:
        raise ReviewError("give the FAQ it should have been, or a key for a new FAQ, not both")
    known = store.faqs() if store is not None else None
    if faq_key is not None and known is not None and faq_key not in known:
        raise ReviewError(f"no FAQ {faq_key!r}: flag the message as a new FAQ instead")
    if new_key is not None and known is not None and new_key in known:
        raise ReviewError(f"FAQ {new_key!r} exists already: flag the message as that FAQ")
    print_ = fingerprint(ticket_id, example)
    holder = review.redis.hget(review.keys.seen, print_)
    if holder is not None:
        pid = holder.decode() if isinstance(holder, bytes) else str(holder)
        raise ReviewError(f"that message is in the review list already ({pid})", code=409)
    replies = [str(m.get("text", "")) for m in ticket.transcript if m.get("role") == "agent"]
    answer = reply_to(ticket.transcript, wanted) if use_reply else None
    message: dict[str, Any] = {"text": example, "ticket": ticket_id,
                               "reasons": list(ticket.reasons), "replies": replies,
                               "reply": answer or "", "source": "flag", "flagged_by": agent}
    if note:
        message["note"] = note
    if faq_key is not None:
        return review.merge({"kind": "examples", "key": faq_key, "examples": [example],
                             "messages": [message], "source": "flag"}, actor=agent)
    return review.create({"kind": "new_faq", "key": new_key or "", "examples": [example],
                          "messages": [message], "source": "flag", "answer": answer or "",
                          "answer_source": f"agent reply on {ticket_id}" if answer else ""},
                         actor=agent)
