"""Where one follower's data lives, and reading it: their conversation (Rasa tracker), tickets,
REST inbox, audit entries, FAQ review mentions and spooled escalations.

A follower is named ``<channel>:<sender>`` (``whatsapp:15550001``, ``rest:3f2a…``): tickets
store the channel and the sender separately; the Rasa tracker is ``tracker:<channel>:<sender>``
since conversation ids carry their channel, ``tracker:<sender>`` before that: both are looked up.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import redis as redis_lib

from bot.queue.keys import Keys
from bot.queue.models import Ticket, text_of

CHANNEL = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TRACKER_PREFIX = "tracker:"
"""Rasa's RedisTrackerStore key prefix (its default; ``endpoints.yml`` sets none)."""
LOCK_PREFIX = "lock:"
SCAN_COUNT = 1000
MAX_ID = 512


class FollowerIdError(ValueError):
    """Not a follower id of the form ``<channel>:<sender>``."""


@dataclass(frozen=True)
class Follower:
    """One follower: the channel and the sender id on it."""

    channel: str
    sender: str

    @classmethod
    def parse(cls, value: str) -> Follower:
        """``whatsapp:15550001`` -> Follower; :class:`FollowerIdError` otherwise."""
        channel, sep, sender = (value or "").partition(":")
        if not sep or not CHANNEL.match(channel) or not sender or len(value) > MAX_ID:
            raise FollowerIdError(
                f"{value[:60]!r} is not a follower id: expected <channel>:<sender>, "
                "e.g. whatsapp:15550001 or rest:ana")
        if any(c in sender for c in "\r\n\0") or sender != sender.strip():
            raise FollowerIdError("the sender id has control characters or surrounding spaces")
        return cls(channel, sender)

    @property
    def id(self) -> str:
        return f"{self.channel}:{self.sender}"

    @property
    def conversation_ids(self) -> tuple[str, str]:
        """The tracker's conversation id now (``channel:sender``) and before namespacing."""
        return (self.id, self.sender)


def glob_escape(value: str) -> str:
    """``value`` as a literal inside a Redis ``MATCH`` pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", value)


class FollowerData:
    """Reads what one Redis (and the spool directory) holds about followers."""

    def __init__(self, redis: redis_lib.Redis[Any], prefix: str = "carebot",
                 spool_dir: Path | None = None, tracker_prefix: str = TRACKER_PREFIX) -> None:
        self.redis = redis
        self.keys = Keys(prefix)
        self.prefix = prefix
        self.spool_dir = spool_dir
        self.tracker_prefix = tracker_prefix

    # -- keys ----------------------------------------------------------------------------

    def scan(self, pattern: str) -> Iterator[str]:
        for key in self.redis.scan_iter(match=pattern, count=SCAN_COUNT):
            yield text_of(key)

    def tracker_keys(self, who: Follower) -> list[str]:
        """The follower's tracker keys that exist (new id first)."""
        keys = [self.tracker_prefix + c for c in who.conversation_ids]
        return [k for k in keys if self.redis.exists(k)]

    def inbox_keys(self, who: Follower) -> list[str]:
        keys = {f"{self.prefix}:inbox:{who.channel}:{who.sender}"}
        if who.channel == "rest":
            keys.add(f"{self.prefix}:inbox:rest:{who.id}")
        return sorted(k for k in keys if self.redis.exists(k))

    def marker_keys(self, who: Follower) -> list[str]:
        """``{p}:paused-msg:<conversation id>:<ts>`` markers (their names hold the id)."""
        out: list[str] = []
        for conversation in who.conversation_ids:
            out += self.scan(f"{self.prefix}:paused-msg:{glob_escape(conversation)}:*")
        return sorted(set(out))

    def ticket_ids(self, who: Follower) -> list[str]:
        """Ids of every ticket of the follower (open or closed), oldest first."""
        found: list[str] = []
        depth = self.prefix.count(":") + 2
        batch: list[str] = []

        def check() -> None:
            pipe = self.redis.pipeline(transaction=False)
            for key in batch:
                pipe.hmget(key, "channel", "sender")
            for key, (channel, sender) in zip(batch, pipe.execute(), strict=True):
                if channel is not None and sender is not None and text_of(channel) == \
                        who.channel and text_of(sender) == who.sender:
                    found.append(key.rsplit(":", 1)[1])
            batch.clear()

        for key in self.scan(f"{self.prefix}:ticket:*"):
            if key.count(":") == depth:  # not :messages, :notes, :history
                batch.append(key)
                if len(batch) >= SCAN_COUNT:
                    check()
        if batch:
            check()
        return sorted(found)

    # -- reading -------------------------------------------------------------------------

    def tickets(self, ids: list[str]) -> list[Ticket]:
        out = []
        for tid in ids:
            key = self.keys.ticket(tid)
            pipe = self.redis.pipeline(transaction=True)
            pipe.hgetall(key)
            pipe.lrange(self.keys.messages(tid), 0, -1)
            pipe.lrange(self.keys.notes(tid), 0, -1)
            pipe.lrange(self.keys.history(tid), 0, -1)
            fields, messages, notes, history = pipe.execute()
            if fields:
                out.append(Ticket.from_redis(fields, messages, notes, history))
        return out

    def trackers(self, who: Follower) -> list[dict[str, Any]]:
        out = []
        for key in self.tracker_keys(who):
            raw = self.redis.get(key)
            if raw is not None:
                out.append({"key": key, "tracker": json.loads(text_of(raw))})
        return out

    def inbox(self, who: Follower) -> list[dict[str, Any]]:
        return [json.loads(text_of(item)) for key in self.inbox_keys(who)
                for item in self.redis.lrange(key, 0, -1)]

    def audit_entries(self, ticket_ids: set[str], stream: str | None = None,
                      batch: int = 1000) -> list[tuple[str, dict[str, str]]]:
        """Entries of the audit stream about these tickets: ``(id, fields)``, oldest first."""
        stream = stream or self.keys.events
        out: list[tuple[str, dict[str, str]]] = []
        start = "-"
        while ticket_ids:
            chunk = self.redis.xrange(stream, start, "+", count=batch)
            for entry_id, raw in chunk:
                fields = {text_of(k): text_of(v) for k, v in raw.items()}
                if fields.get("ticket") in ticket_ids:
                    out.append((text_of(entry_id), fields))
            if len(chunk) < batch:
                break
            start = "(" + text_of(chunk[-1][0])
        return out

    def review_mentions(self, ticket_ids: set[str],
                        conversation: str = "") -> list[dict[str, Any]]:
        """FAQ review proposals quoting a message of these tickets (or, from the answer audit,
        of this conversation): ``{"id", "messages"}``."""
        out = []
        for key in self.scan(f"{self.prefix}:review:item:*"):
            raw = self.redis.hget(key, "messages")
            messages = json.loads(text_of(raw)) if raw else []
            mine = [m for m in messages if isinstance(m, dict) and (
                m.get("ticket") in ticket_ids
                or (conversation and m.get("conversation") == conversation))]
            if mine:
                out.append({"id": key.rsplit(":", 1)[1], "key": key, "messages": mine})
        return out

    def spooled(self, who: Follower) -> list[tuple[Path, dict[str, Any]]]:
        """Escalations of the follower waiting in the spool (Redis was down)."""
        if self.spool_dir is None or not self.spool_dir.is_dir():
            return []
        out = []
        for path in sorted(self.spool_dir.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("channel") == who.channel \
                    and data.get("sender") == who.sender:
                out.append((path, data))
        return out
