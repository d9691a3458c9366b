"""Data of the agent queue: an :class:`Escalation` goes in, a :class:`Ticket` comes out."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Iterable, Mapping, NamedTuple

PRIORITIES = (1, 2, 3, 4)
"""1 is the most urgent."""

STATUSES = ("queued", "claimed", "resolved")
OUTCOMES = ("resolved", "handed_back")
ROLES = ("follower", "bot", "agent", "system")


def text_of(value: Any) -> str:
    """A Redis reply item as ``str`` whether the client decodes responses or not."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def decode(value: Any) -> Any:
    """Recursively turn bytes from a non-decoding client into ``str``."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, tuple):
        return tuple(decode(v) for v in value)
    if isinstance(value, dict):
        return {decode(k): decode(v) for k, v in value.items()}
    return value


def dumps(value: Any) -> str:
    """Compact, deterministic JSON (the Lua scripts compare encoded messages as strings)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _valid_priority(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in PRIORITIES


@dataclass
class Escalation:
    """One decision to hand a conversation to a human (what the bot sends to the queue)."""

    channel: str
    sender: str
    reasons: list[str]
    priority: int
    text: str
    """The follower message that triggered the escalation."""
    draft: str
    """Draft reply for the agent (vetted text)."""
    tone: dict[str, Any] = field(default_factory=dict)
    nlu: dict[str, Any] = field(default_factory=dict)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    """``[{"role": "follower"|"bot"|"agent"|"system", "text": str, "ts": float}, ...]``"""
    escalation_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Idempotency key: applying the same escalation twice changes nothing."""
    created_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        problems = []
        for name in ("channel", "sender", "escalation_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                problems.append(f"{name}={value!r}: expected a non-empty string")
        for name in ("text", "draft"):
            if not isinstance(getattr(self, name), str):
                problems.append(f"{name}: expected a string")
        if not _valid_priority(self.priority):
            problems.append(f"priority={self.priority!r}: expected an int 1..4")
        if not isinstance(self.reasons, list) or not all(isinstance(r, str) for r in self.reasons):
            problems.append("reasons: expected a list of strings")
        for name in ("tone", "nlu"):
            if not isinstance(getattr(self, name), dict):
                problems.append(f"{name}: expected a dict")
        if not isinstance(self.transcript, list) or not all(
            isinstance(m, dict) for m in self.transcript
        ):
            problems.append("transcript: expected a list of dicts")
        if isinstance(self.created_at, bool) or not isinstance(self.created_at, int | float):
            problems.append("created_at: expected a number")
        if problems:
            raise ValueError("invalid Escalation: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Escalation:
        """Rebuild an escalation from :meth:`to_dict` output; ``ValueError`` if it is not one."""
        if not isinstance(data, Mapping):
            raise ValueError("escalation: expected a JSON object")
        known = {f.name for f in fields(cls)}
        missing = {"channel", "sender", "reasons", "priority", "text", "draft"} - set(data)
        if missing:
            raise ValueError(f"escalation: missing {', '.join(sorted(missing))}")
        return cls(**{k: v for k, v in data.items() if k in known})


class EscalateResult(NamedTuple):
    """What :meth:`AgentQueue.escalate` did: the ticket it touched, and whether it is new."""

    ticket_id: str
    created: bool


@dataclass
class SweepReport:
    """What one sweep did: leases that ran out (tickets requeued) and tickets aged up."""

    expired: list[str] = field(default_factory=list)
    aged: list[str] = field(default_factory=list)


def _float(value: str | None) -> float | None:
    return float(value) if value else None


def _json(value: str | None, default: Any) -> Any:
    if value in (None, ""):
        return default
    loaded = json.loads(value)  # type: ignore[arg-type]
    # Lua's cjson encodes an empty table as {}: map it back to the expected empty type.
    if isinstance(default, list) and loaded == {}:
        return []
    return loaded


def _items(values: Iterable[Any]) -> list[dict[str, Any]]:
    return [v if isinstance(v, dict) else json.loads(text_of(v)) for v in values]


@dataclass
class Ticket:
    """One escalated conversation, as stored in Redis (see :class:`bot.queue.keys.Keys`)."""

    id: str
    channel: str
    sender: str
    status: str
    outcome: str | None
    priority: int
    reasons: list[str]
    text: str
    draft: str
    tone: dict[str, Any]
    nlu: dict[str, Any]
    created_at: float
    enqueued_at: float
    updated_at: float
    claimed_by: str | None
    lease_until: float | None
    first_reply_at: float | None
    resolved_at: float | None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    base_priority: int = 4
    """Priority before aging (the most urgent one escalated); aging lowers ``priority`` from it."""
    claimed_at: float | None = None
    resolved_by: str | None = None
    escalations: int = 1
    """How many escalations were merged into this ticket."""
    history: list[dict[str, Any]] = field(default_factory=list)
    """This ticket's audit events: ``{"id", "type", "actor", "ts", "data"}``."""
    trimmed_messages: int = 0
    """Transcript messages dropped to keep the list at its cap (the first one is always kept)."""
    trimmed_history: int = 0
    """Audit events dropped from ``history`` (they stay in the events stream)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: str | bytes) -> Ticket:
        """Build a ticket from the JSON document the Lua scripts return (``payload``)."""
        doc = json.loads(payload)
        return cls._build(doc["ticket"], doc["messages"], doc["notes"], doc["history"])

    @classmethod
    def from_redis(
        cls,
        hash_fields: Mapping[Any, Any] | Iterable[Any],
        messages: Iterable[Any] = (),
        notes: Iterable[Any] = (),
        history: Iterable[Any] = (),
    ) -> Ticket:
        """Build a ticket from its hash (a mapping, or HGETALL's flat list) and its lists
        (items as stored JSON strings, or already decoded), str or bytes alike."""
        if isinstance(hash_fields, Mapping):
            h = {text_of(k): text_of(v) for k, v in hash_fields.items()}
        else:
            flat = [text_of(v) for v in hash_fields]
            h = dict(zip(flat[::2], flat[1::2], strict=True))
        return cls._build(h, _items(messages), _items(notes), _items(history))

    @classmethod
    def _build(
        cls,
        h: dict[str, str],
        messages: list[dict[str, Any]],
        notes: list[dict[str, Any]],
        history: list[dict[str, Any]],
    ) -> Ticket:
        for event in history:
            event["ts"] = float(event.get("ts") or 0.0)
            if event.get("data") == []:
                event["data"] = {}
        get = h.get
        return cls(
            id=h["id"],
            channel=h["channel"],
            sender=h["sender"],
            status=h["status"],
            outcome=get("outcome") or None,
            priority=int(h["priority"]),
            reasons=_json(get("reasons"), []),
            text=get("text", ""),
            draft=get("draft", ""),
            tone=_json(get("tone"), {}),
            nlu=_json(get("nlu"), {}),
            created_at=float(h["created_at"]),
            enqueued_at=float(h["enqueued_at"]),
            updated_at=float(h["updated_at"]),
            claimed_by=get("claimed_by") or None,
            lease_until=_float(get("lease_until")),
            first_reply_at=_float(get("first_reply_at")),
            resolved_at=_float(get("resolved_at")),
            transcript=messages,
            notes=notes,
            base_priority=int(get("base_priority") or h["priority"]),
            claimed_at=_float(get("claimed_at")),
            resolved_by=get("resolved_by") or None,
            escalations=int(get("escalations") or 1),
            history=history,
            trimmed_messages=int(get("trimmed_messages") or 0),
            trimmed_history=int(get("trimmed_history") or 0),
        )


def last_follower_message(transcript: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest follower message of a transcript."""
    for message in reversed(list(transcript)):
        if message.get("role") == "follower":
            return message
    return None


@dataclass
class TicketSummary:
    """A ticket as a queue row: no transcript, notes, history, draft or NLU (``ticket`` has them
    empty, and its ``text`` cut), with the counts and the newest follower message instead."""

    ticket: Ticket
    messages: int
    notes: int
    last_follower: dict[str, Any] | None
    """``{"text", "ts"}``, ``text`` cut to a preview (at least 280 characters)."""

    @classmethod
    def from_payload(cls, payload: str | bytes) -> TicketSummary:
        """From the JSON document the list script returns in ``summary`` mode."""
        doc = json.loads(payload)
        last = doc.get("last_follower") or None
        return cls(Ticket._build(doc["ticket"], [], [], []), int(doc["messages"]),
                   int(doc["notes"]), last)

    @classmethod
    def of(cls, ticket: Ticket) -> TicketSummary:
        """The summary of a whole ticket."""
        return cls(ticket, len(ticket.transcript), len(ticket.notes),
                   last_follower_message(ticket.transcript))
