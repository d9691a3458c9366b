"""The follower book: who wrote (profiles captured at ingress), their tickets, and contacts that
link one person's conversations across channels.

* **Profiles** (``{p}:follower:{channel}:{sender}``): the name / handle where the platform gives
  it (Telegram ``from``, X ``users``, WhatsApp ``contacts[].profile.name``; Messenger and
  Instagram webhooks carry none), first and last seen, the last inbound message id (read
  receipts, the reply window). Written by :func:`bot.followers.ingress.remember`.
* **Tickets per conversation** (``{p}:follower:{channel}:{sender}:tickets``): indexed from the
  queue's audit stream (``escalated`` events carry channel and sender) by :meth:`sync_index`,
  which reads on from a cursor; without a cursor (first use, or data from before this index) it
  first scans the ticket hashes once. The queue's own scripts stay untouched.
* **Contacts** (``{p}:contact:{id}`` + ``:members``): an agent links two conversations (merging
  their contacts if both had one) or unlinks one; each is one Lua script.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import redis as redis_lib

from bot.followers.keys import FollowerKeys
from bot.queue.keys import Keys
from bot.queue.models import decode, text_of

CHANNEL = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
SENDER = re.compile(r"^[^\s:\x00-\x1f\x7f]{1,128}$")
NAME_MAX = 100
HANDLE_MAX = 64
MAX_TICKETS = 50
NOTES_PER_TICKET = 20
INDEX_BATCH = 1000
INDEX_BATCHES = 20


class FollowerError(ValueError):
    """A follower operation that cannot be done (bad id, unknown conversation, …)."""


class BadConversation(FollowerError):
    """A channel or sender id that is not one."""


class UnknownConversation(FollowerError):
    """No follower of that channel and id has ever written or had a ticket."""


@dataclass(frozen=True, order=True)
class Conversation:
    """One follower's conversation on one channel."""

    channel: str
    sender: str

    @classmethod
    def parse(cls, channel: Any, sender: Any) -> Conversation:
        """Checked: ``BadConversation`` unless both look like ids."""
        if not isinstance(channel, str) or not CHANNEL.match(channel):
            raise BadConversation("'channel' must be a channel name such as whatsapp.")
        if not isinstance(sender, str) or not SENDER.match(sender):
            raise BadConversation("'sender' must be the follower's id on that channel "
                                  "(1-128 characters, no spaces or ':').")
        return cls(channel, sender)

    @property
    def field(self) -> str:
        """As the queue names a conversation (``Keys.conversation``)."""
        return Keys.conversation(self.channel, self.sender)

    @classmethod
    def from_field(cls, value: str) -> Conversation:
        channel, sender = json.loads(value)
        return cls(str(channel), str(sender))

    def to_dict(self) -> dict[str, str]:
        return {"channel": self.channel, "sender": self.sender}


def clean(value: Any, limit: int) -> str:
    """A platform-given display string: control characters dropped, whitespace folded, cut."""
    text = "".join(ch for ch in str(value or "") if ch.isprintable() or ch == " ")
    return " ".join(text.split())[:limit]


_LUA_HEAD = r"""
local P = ARGV[1] .. ':'
local function fkey(conv)
  local c = cjson.decode(conv)
  return P .. 'follower:' .. c[1] .. ':' .. c[2], c
end
local function touch(conv)
  local key, c = fkey(conv)
  redis.call('HSET', key, 'channel', c[1], 'sender', c[2])
  return key
end
local function mkey(id) return P .. 'contact:' .. id .. ':members' end
"""

# ARGV: prefix, conversation a, conversation b, now, actor -> the contact id
LINK = _LUA_HEAD + r"""
local a, b = ARGV[2], ARGV[3]
local ca = redis.call('HGET', touch(a), 'contact')
local cb = redis.call('HGET', touch(b), 'contact')
if ca and cb and ca == cb then return ca end
local target = ca or cb
if not target then
  target = string.format('C-%06d', redis.call('INCR', P .. 'contacts:seq'))
  redis.call('HSET', P .. 'contact:' .. target, 'id', target, 'created_at', ARGV[4],
    'created_by', ARGV[5])
end
if ca and cb then
  for _, m in ipairs(redis.call('SMEMBERS', mkey(cb))) do
    redis.call('SADD', mkey(target), m)
    redis.call('HSET', touch(m), 'contact', target)
  end
  redis.call('DEL', mkey(cb), P .. 'contact:' .. cb)
end
for _, conv in ipairs({a, b}) do
  redis.call('SADD', mkey(target), conv)
  redis.call('HSET', touch(conv), 'contact', target)
end
return target
"""

# ARGV: prefix, conversation -> the contact id it left, or false
UNLINK = _LUA_HEAD + r"""
local a = ARGV[2]
local key = fkey(a)
local c = redis.call('HGET', key, 'contact')
if not c then return false end
redis.call('SREM', mkey(c), a)
redis.call('HDEL', key, 'contact')
local rest = redis.call('SMEMBERS', mkey(c))
if #rest <= 1 then
  for _, m in ipairs(rest) do redis.call('HDEL', fkey(m), 'contact') end
  redis.call('DEL', mkey(c), P .. 'contact:' .. c)
end
return c
"""


class FollowerBook:
    """Profiles, tickets per conversation and contacts, in Redis."""

    def __init__(
        self,
        redis: redis_lib.Redis[Any],
        prefix: str = "carebot",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.keys = FollowerKeys(prefix)
        self.queue_keys = Keys(prefix)
        self._clock = clock
        self._link = redis.register_script(LINK)
        self._unlink = redis.register_script(UNLINK)

    # -- profiles ---------------------------------------------------------------------------------

    def seen(
        self,
        conv: Conversation,
        *,
        name: str = "",
        handle: str = "",
        message_id: str = "",
        at: float | None = None,
    ) -> None:
        """A follower message arrived: remember when, its id, and the name / handle given."""
        when = repr(float(self._clock() if at is None else at))
        key = self.keys.follower(conv.channel, conv.sender)
        fields: dict[str | bytes, bytes | float | int | str] = {
            "channel": conv.channel, "sender": conv.sender, "last_seen": when}
        if name := clean(name, NAME_MAX):
            fields["name"] = name
        if handle := clean(handle, HANDLE_MAX):
            fields["handle"] = handle
        if message_id:
            fields["last_message_id"] = message_id[:256]
        pipe = self.redis.pipeline(transaction=True)
        pipe.hsetnx(key, "first_seen", when)
        pipe.hset(key, mapping=fields)
        pipe.execute()

    def profile(self, conv: Conversation) -> dict[str, Any]:
        """The stored profile (empty when the follower never came through a platform webhook)."""
        raw = decode(self.redis.hgetall(self.keys.follower(conv.channel, conv.sender)))
        out: dict[str, Any] = {k: v for k, v in raw.items() if k != "last_message_id"}
        for name in ("first_seen", "last_seen"):
            if out.get(name):
                out[name] = float(out[name])
        return out

    def last_message_id(self, conv: Conversation) -> str:
        value = self.redis.hget(self.keys.follower(conv.channel, conv.sender), "last_message_id")
        return text_of(value) if value is not None else ""

    def known(self, conv: Conversation) -> bool:
        """Whether the conversation ever wrote through a webhook or had a ticket."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.exists(self.keys.follower(conv.channel, conv.sender))
        pipe.exists(self.keys.tickets(conv.channel, conv.sender))
        pipe.hexists(self.queue_keys.open, conv.field)
        return any(pipe.execute())

    # -- contacts ---------------------------------------------------------------------------------

    def contact_of(self, conv: Conversation) -> str | None:
        value = self.redis.hget(self.keys.follower(conv.channel, conv.sender), "contact")
        return text_of(value) if value else None

    def members(self, conv: Conversation) -> tuple[str | None, list[Conversation]]:
        """(contact id or None, the conversations of that person: ``conv`` first)."""
        contact = self.contact_of(conv)
        if contact is None:
            return None, [conv]
        found = sorted(Conversation.from_field(text_of(m))
                       for m in self.redis.smembers(self.keys.members(contact)))
        return contact, [conv, *(m for m in found if m != conv)]

    def link(self, a: Conversation, b: Conversation, actor: str) -> str:
        """Link ``b`` to ``a`` (one person); the contact id. Both must be known."""
        if a == b:
            raise FollowerError("A conversation cannot be linked to itself.")
        for conv in (a, b):
            if not self.known(conv):
                raise UnknownConversation(
                    f"No follower {conv.sender} on {conv.channel} has written yet.")
        reply = self._link(args=[self.keys.prefix, a.field, b.field, repr(self._clock()), actor])
        return text_of(reply)

    def unlink(self, conv: Conversation) -> str | None:
        """Take ``conv`` out of its contact; the contact id it left (None: it had none)."""
        reply = self._unlink(args=[self.keys.prefix, conv.field])
        return text_of(reply) if reply else None

    # -- tickets per conversation -------------------------------------------------------------

    def sync_index(self, batches: int = INDEX_BATCHES) -> int:
        """Index the tickets created since the last call (audit stream); how many were read."""
        cursor = self.redis.get(self.keys.cursor)
        if cursor is None:
            cursor = self._backfill()
        last, seen = text_of(cursor), 0
        for _ in range(batches):
            rows = self.redis.xrange(self.queue_keys.events, f"({last}", "+", count=INDEX_BATCH)
            if not rows:
                break
            pipe = self.redis.pipeline(transaction=False)
            for entry_id, raw in rows:
                last = text_of(entry_id)
                fields = {text_of(k): text_of(v) for k, v in raw.items()}
                if fields.get("type") != "escalated":
                    continue
                try:
                    data = json.loads(fields.get("data") or "{}")
                    channel, sender = str(data["channel"]), str(data["sender"])
                    ts = float(fields.get("ts") or 0.0)
                except (ValueError, KeyError, TypeError):
                    continue
                pipe.zadd(self.keys.tickets(channel, sender), {fields.get("ticket", ""): ts})
                seen += 1
            pipe.set(self.keys.cursor, last)
            pipe.execute()
            if len(rows) < INDEX_BATCH:
                break
        return seen

    def _backfill(self) -> str:
        """Index every stored ticket (once); the stream id to read on from."""
        newest = self.redis.xrevrange(self.queue_keys.events, "+", "-", count=1)
        start = text_of(newest[0][0]) if newest else "0-0"
        pattern = self.queue_keys.ticket("T-*")
        ids = [text_of(k).rsplit(":", 1)[-1] for k in self.redis.scan_iter(pattern, count=1000)
               if text_of(k).count(":") == self.queue_keys.ticket("x").count(":")]
        for chunk in _chunks(ids, 500):
            pipe = self.redis.pipeline(transaction=False)
            for tid in chunk:
                pipe.hmget(self.queue_keys.ticket(tid), "channel", "sender", "created_at")
            rows = pipe.execute()
            pipe = self.redis.pipeline(transaction=False)
            for tid, (channel, sender, created) in zip(chunk, rows, strict=True):
                if channel and sender:
                    key = self.keys.tickets(text_of(channel), text_of(sender))
                    pipe.zadd(key, {tid: float(text_of(created or b"0"))})
            pipe.execute()
        self.redis.set(self.keys.cursor, start)
        return start

    def ticket_ids(self, convs: Iterable[Conversation], limit: int = MAX_TICKETS) -> list[str]:
        """The tickets of ``convs``, newest first (at most ``limit``)."""
        pipe = self.redis.pipeline(transaction=False)
        for conv in convs:
            pipe.zrevrange(self.keys.tickets(conv.channel, conv.sender), 0, limit - 1,
                           withscores=True)
        scored = [(float(score), text_of(tid)) for rows in pipe.execute() for tid, score in rows]
        return [tid for _, tid in sorted(scored, reverse=True)[:limit]]

    def ticket_summaries(self, ids: list[str]) -> list[dict[str, Any]]:
        """Each ticket's outcome, reasons, notes and agent replies (for the contact panel)."""
        fields = ("id", "channel", "sender", "status", "outcome", "created_at", "resolved_at",
                  "resolved_by", "claimed_by", "reasons", "priority", "text")
        pipe = self.redis.pipeline(transaction=False)
        for tid in ids:
            pipe.hmget(self.queue_keys.ticket(tid), *fields)
            pipe.lrange(self.queue_keys.notes(tid), -NOTES_PER_TICKET, -1)
            pipe.lrange(self.queue_keys.messages(tid), -50, -1)
        rows = pipe.execute()
        out: list[dict[str, Any]] = []
        for index in range(len(ids)):
            values, notes, messages = rows[3 * index: 3 * index + 3]
            if values[0] is None:
                continue  # deleted
            item: dict[str, Any] = {k: (text_of(v) if v is not None else None)
                                    for k, v in zip(fields, values, strict=True)}
            for name in ("created_at", "resolved_at"):
                item[name] = float(item[name]) if item[name] else None
            item["priority"] = int(item["priority"] or 4)
            item["reasons"] = json.loads(item["reasons"] or "[]") or []
            item["text"] = (item["text"] or "")[:280]
            item["notes"] = [_json(n) for n in notes]
            replies = [m for m in (_json(x) for x in messages) if m.get("role") == "agent"]
            item["agent_replies"] = len(replies)
            item["last_agent_reply"] = (replies[-1].get("text") or "")[:280] if replies else None
            out.append(item)
        return out


def _json(value: Any) -> dict[str, Any]:
    try:
        loaded = json.loads(text_of(value))
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
