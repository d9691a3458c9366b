"""The audit queue in Redis: sampled bot answers waiting for a supervisor's verdict.

Keys (``bot.queue.keys.Keys``): ``{p}:audit:seq``, ``{p}:audit:item:{id}``,
``{p}:audit:pending``, ``{p}:audit:decided``, ``{p}:audit:day:{YYYYmmdd}``,
``{p}:audit:totals``. Recording and marking are Lua scripts (:mod:`bot.audit.scripts`).
Bounded: at most ``max_pending`` answers wait (the oldest are dropped and counted), every item
and day tally expires after ``retention_seconds``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable

import redis as redis_lib

from bot.audit import precision
from bot.audit.scripts import FORGET, MARK, RECORD
from bot.queue.keys import Keys

if TYPE_CHECKING:
    from bot.settings import Settings

AUDIT_ID = re.compile(r"^A-\d{6,12}$")
VERDICTS = ("right", "wrong")
STATUSES = ("pending", "right", "wrong", "decided")
MAX_TEXT = 5000
MAX_NOTE = 500
_JSON_FIELDS = ("ranking",)
_FLOAT_FIELDS = ("answered_at", "decided_at", "confidence", "intent_confidence",
                 "answer_confidence")


class AuditError(ValueError):
    """An audit operation that cannot be done; ``code`` maps to an HTTP status."""

    def __init__(self, message: str, code: int = 422) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Answer:
    """One FAQ answer the bot gave, as the audit records it."""

    text: str
    conversation: str
    channel: str
    faq: str
    response: str
    answer: str = ""
    confidence: float = 0.0
    intent_confidence: float = 0.0
    answer_confidence: float | None = None
    model_id: str = ""
    ranking: list[dict[str, Any]] = field(default_factory=list)

    def fields(self) -> list[str]:
        out = {
            "text": self.text[:MAX_TEXT], "conversation": self.conversation,
            "channel": self.channel, "faq": self.faq, "response": self.response,
            "answer": self.answer[:MAX_TEXT], "confidence": repr(float(self.confidence)),
            "intent_confidence": repr(float(self.intent_confidence)),
            "answer_confidence": "" if self.answer_confidence is None
            else repr(float(self.answer_confidence)),
            "model_id": self.model_id,
            "ranking": json.dumps(self.ranking[:5], ensure_ascii=False),
        }
        return [part for pair in out.items() for part in pair]


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def from_hash(raw: dict[Any, Any]) -> dict[str, Any]:
    """An audit item, JSON-ready, from its hash."""
    data: dict[str, Any] = {_text(k): _text(v) for k, v in raw.items()}
    for name in _FLOAT_FIELDS:
        data[name] = float(data[name]) if data.get(name) else None
    for name in _JSON_FIELDS:
        data[name] = json.loads(data[name]) if data.get(name) else []
    data["sampled"] = data.get("sampled") == "1"
    data["low_confidence"] = data.pop("low", "") == "1"
    for name in ("verdict", "decided_by", "note", "correct", "proposal"):
        data.setdefault(name, "")
    data["verdict"] = data["status"] if data.get("status") in VERDICTS else ""
    return data


def check_id(audit_id: Any) -> str:
    if not isinstance(audit_id, str) or not AUDIT_ID.match(audit_id):
        raise AuditError(f"no audit item {str(audit_id)[:40]!r}", code=404)
    return audit_id


class AuditStore:
    """The audit queue of one Redis under one prefix."""

    def __init__(self, redis: redis_lib.Redis, prefix: str = "carebot", *,
                 retention_seconds: int = 90 * 86400, max_pending: int = 10_000,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.keys = Keys(prefix)
        self.prefix = prefix
        self.retention_seconds = retention_seconds
        self.max_pending = max_pending
        self.clock = clock
        self._record = redis.register_script(RECORD)
        self._mark = redis.register_script(MARK)
        self._forget = redis.register_script(FORGET)

    # -- writing ------------------------------------------------------------------------------

    def record(self, answer: Answer, *, sampled: bool, low: bool) -> str:
        """Put one answer on the audit queue; its id (``A-000001``)."""
        now = self.clock()
        day = datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y%m%d")
        args = [self.prefix, repr(now), self.retention_seconds, self.max_pending, day,
                "1" if sampled else "0", "1" if low else "0", *answer.fields()]
        return _text(self._record(args=args))

    def mark(self, audit_id: str, verdict: str, actor: str, *, note: str = "",
             correct: str = "") -> dict[str, Any]:
        """Record a verdict (once: a decided item is a 409); the item."""
        audit_id = check_id(audit_id)
        if verdict not in VERDICTS:
            raise AuditError(f"verdict {verdict!r}: expected right or wrong")
        note = " ".join((note or "").split())
        if len(note) > MAX_NOTE:
            raise AuditError(f"the note is longer than {MAX_NOTE} characters")
        result = _text(self._mark(args=[self.prefix, audit_id, verdict, actor,
                                        repr(self.clock()), note, correct,
                                        self.retention_seconds]))
        if result == "missing":
            raise AuditError(f"no audit item {audit_id}", code=404)
        if result != "ok":
            raise AuditError(f"{audit_id} is marked {result} already", code=409)
        return self.get(audit_id)

    def of_conversation(self, conversation: str) -> list[dict[str, Any]]:
        """Every item (pending or decided) of one conversation (``whatsapp:15550001``): what
        the audit holds about a follower (``bot.privacy`` exports and erases it)."""
        ids = [_text(i) for key in (self.keys.audit_pending, self.keys.audit_decided)
               for i in self.redis.zrange(key, 0, -1)]
        found: list[str] = []
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            pipe = self.redis.pipeline(transaction=False)
            for audit_id in chunk:
                pipe.hget(self.keys.audit_item(audit_id), "conversation")
            found += [i for i, c in zip(chunk, pipe.execute(), strict=True)
                      if c is not None and _text(c) == conversation]
        return self._items(found)

    def forget(self, ids: list[str]) -> int:
        """Delete these items (a follower's erasure); the tallies keep their counts."""
        total = 0
        for start in range(0, len(ids), 500):
            total += int(self._forget(args=[self.prefix, *ids[start : start + 500]]))
        return total

    def link_proposal(self, audit_id: str, proposal: str) -> None:
        self.redis.hset(self.keys.audit_item(audit_id), "proposal", proposal)

    # -- reading ------------------------------------------------------------------------------

    def get(self, audit_id: str) -> dict[str, Any]:
        raw = self.redis.hgetall(self.keys.audit_item(check_id(audit_id)))
        if not raw:
            raise AuditError(f"no audit item {audit_id}", code=404)
        return from_hash(raw)

    def _items(self, ids: Iterable[Any]) -> list[dict[str, Any]]:
        pipe = self.redis.pipeline(transaction=False)
        ids = [_text(i) for i in ids]
        for audit_id in ids:
            pipe.hgetall(self.keys.audit_item(audit_id))
        return [from_hash(raw) for raw in pipe.execute() if raw]

    def list(self, status: str = "pending", limit: int = 50,
             before: float | None = None) -> list[dict[str, Any]]:
        """``pending`` oldest first; ``right`` / ``wrong`` / ``decided`` newest first."""
        if status not in STATUSES:
            raise AuditError(f"status {status!r}: expected one of {', '.join(STATUSES)}")
        if status == "pending":
            since = self.clock() - self.retention_seconds
            return self._items(self.redis.zrangebyscore(self.keys.audit_pending, since, "+inf",
                                                        start=0, num=limit))
        out: list[dict[str, Any]] = []
        top = "+inf" if before is None else f"({before}"
        for chunk_start in range(0, 10_000, 500):
            ids = self.redis.zrevrangebyscore(self.keys.audit_decided, top, "-inf",
                                              start=chunk_start, num=500)
            if not ids:
                break
            for item in self._items(ids):
                if status == "decided" or item["status"] == status:
                    out.append(item)
                    if len(out) >= limit:
                        return out
        return out

    def pending_count(self) -> int:
        """Answers waiting for a verdict (within the retention: older ids have expired)."""
        since = self.clock() - self.retention_seconds
        return int(self.redis.zcount(self.keys.audit_pending, since, "+inf"))

    def tally(self, days: int, now: float | None = None) -> dict[str, int]:
        """The day tallies of the last ``days`` UTC days (today included), summed."""
        at = datetime.fromtimestamp(self.clock() if now is None else now, tz=timezone.utc)
        pipe = self.redis.pipeline(transaction=False)
        for i in range(days):
            pipe.hgetall(self.keys.audit_day(at - timedelta(days=i)))
        total: dict[str, int] = {}
        for raw in pipe.execute():
            for k, v in (raw or {}).items():
                total[_text(k)] = total.get(_text(k), 0) + int(v)
        return total

    def totals(self) -> dict[str, int]:
        return {_text(k): int(v) for k, v in self.redis.hgetall(self.keys.audit_totals).items()}

    def report(self, days: int = 30, now: float | None = None) -> dict[str, Any]:
        """Production precision over the answers of the last ``days`` days."""
        return precision.report(self.tally(days, now), self.pending_count(), days)


def audit_store(settings: Settings, redis: redis_lib.Redis | None = None) -> AuditStore:
    from bot import redis as bot_redis

    client = redis or bot_redis.client(settings.redis_url, timeout=5)
    return AuditStore(client, prefix=settings.queue_prefix,
                      retention_seconds=settings.retention_days * 86400,
                      max_pending=settings.audit_max_pending)
