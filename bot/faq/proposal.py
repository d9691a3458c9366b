"""A review proposal (``R-000001``) as a record: its fields, and how a Redis hash holds them.

``kind``      ``examples`` (new examples for the existing FAQ ``key``), ``new_faq``, ``tone``
              (an agent marked the bot's tone call on a message wrong: :mod:`bot.faq.tone_flag`),
              or ``negative`` (a supervisor marked the bot's answer ``key`` wrong in the answer
              audit and no FAQ covers the message: :mod:`bot.faq.negative`)
``key``       the FAQ key (proposed for ``new_faq``; the trainer may change it); empty for ``tone``
``label``     ``tone`` only: what the message should have been, ``calm`` | ``positive`` |
              ``negative`` | ``sarcastic`` (accepting appends it so to ``data/tone/reviewed.yml``)
``answer``    ``new_faq``: the proposed answer (an agent's reply: vet it!)
``examples``  the examples that accepting writes (the trainer may edit them)
``messages``  the escalated follower messages behind it: ``text``, ``ticket``, ``reasons``,
              the agents' ``replies``, ``source`` (``escalation`` or ``flag``); a flag adds
              ``flagged_by``, ``reply`` (the agent's reply to that message) and ``note``; a tone
              flag adds ``was`` (the bot's call) and ``tone`` (its scores and signals); an
              audit verdict (``source`` ``audit``) has ``audit`` (its id), ``answered`` (the
              FAQ the bot gave) and ``conversation`` instead of a ticket
``status``    ``pending`` → ``accepted`` | ``rejected``

Lists and ``result`` are stored as JSON, times as unix seconds.
"""

from __future__ import annotations

import json
from typing import Any

KINDS = ("examples", "new_faq", "tone", "negative")
TONE_LABELS = ("calm", "positive", "negative", "sarcastic")
STATUSES = ("pending", "accepted", "rejected")
_JSON_FIELDS = ("examples", "messages", "alternatives", "result")


def as_text(value: Any) -> str:
    """A Redis reply (``bytes`` or ``str``) as ``str``."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def new_proposal(pid: str, kind: str, proposal: dict[str, Any], now: float) -> dict[str, Any]:
    """The fields of a new pending proposal ``pid`` made of what was proposed."""
    return {
        "id": pid, "kind": kind, "status": "pending", "key": proposal.get("key") or "",
        "label": proposal.get("label") or "",
        "topic": proposal.get("topic") or "", "answer": proposal.get("answer") or "",
        "answer_source": proposal.get("answer_source") or "",
        "examples": list(proposal.get("examples") or []),
        "messages": list(proposal.get("messages") or []),
        "alternatives": list(proposal.get("alternatives") or []),
        "score": proposal.get("score") or 0.0, "source": proposal.get("source") or "suggest",
        "created_at": now, "updated_at": now, "decided_at": "", "decided_by": "",
        "note": "", "result": {},
    }


def from_hash(raw: dict[Any, Any]) -> dict[str, Any]:
    """A proposal from its Redis hash, JSON-ready, with ``needs_examples`` worked out."""
    data: dict[str, Any] = {as_text(k): as_text(v) for k, v in raw.items()}
    for name in _JSON_FIELDS:
        data[name] = json.loads(data[name]) if data.get(name) else (
            {} if name == "result" else [])
    for name in ("created_at", "updated_at", "decided_at", "score"):
        if data.get(name):
            data[name] = float(data[name])
    data.setdefault("label", "")  # proposals stored before tone flags existed
    data["needs_examples"] = needs_examples(data)
    return data


def needs_examples(data: dict[str, Any]) -> int:
    """How many more examples a ``new_faq`` proposal needs before it can be accepted."""
    from bot.faq.check import MIN_EXAMPLES

    if data.get("kind") != "new_faq":
        return 0
    return max(0, MIN_EXAMPLES - len(data.get("examples") or []))


def to_hash(data: dict[str, Any]) -> dict[str | bytes, str]:
    """A proposal's fields as a Redis hash mapping (``needs_examples`` is not stored); keys typed
    as redis-py's ``hset(mapping=...)`` takes them."""
    out: dict[str | bytes, str] = {}
    for name, value in data.items():
        if name == "needs_examples":
            continue
        if name in _JSON_FIELDS:
            out[name] = json.dumps(value, ensure_ascii=False)
        elif value is None:
            out[name] = ""
        else:
            out[name] = str(value)
    return out
