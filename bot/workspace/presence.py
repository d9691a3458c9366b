"""Collision and presence: who is viewing or typing in a ticket, live; drafts in progress.

The console reports what its agent does with a ticket (``POST /api/tickets/{id}/presence``:
``viewing`` every few seconds while it is open, ``typing`` while keys are pressed in the reply
box, ``idle`` after sending, ``left`` when another ticket is opened). Redis keeps it with short
expiries (:class:`bot.followers.keys.FollowerKeys`: ``presence:{id}`` zset of viewers,
``presence:{id}:state`` typing marks, ``draft:{id}`` the holder's draft in progress), so a
closed tab disappears by itself. Every change is published on ``{p}:presence`` and each
workspace process fans it out to its consoles over the existing event stream
(``event: presence``, :class:`bot.workspace.events.Notice`).

Typing is the holder's: it renews their lease (an agent writing a long answer never loses the
ticket) and holds the **draft lock** for a few seconds after the last key. While the lock is
held, nobody else takes the ticket without ``force`` (supervisors): a claim gets 409
``draft_in_progress`` even if the lease lapsed, and the 409s for a ticket someone else holds
say that they are typing (:func:`explain`).

Presence also drives what the follower sees (``bot.channels.signals``): when an agent who may
work tickets opens one, a read receipt; while its holder types, a typing indicator, at most
once per :data:`SIGNAL_SECONDS` per conversation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

import redis as redis_lib
from redis.exceptions import RedisError
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import redis as bot_redis
from bot.channels.outbound import DeliveryFailed
from bot.channels.signals import READ, TYPING, PlatformSignals
from bot.followers.book import Conversation, FollowerBook
from bot.followers.keys import FollowerKeys
from bot.queue import AlreadyClaimed, Keys, NotHolder, QueueError, TicketNotFound
from bot.queue.models import text_of
from bot.workspace.auth import principal, requires, workspace
from bot.workspace.errors import ApiError, from_queue_error, invalid
from bot.workspace.events import EventHub, Notice
from bot.workspace.service import Workspace

log = logging.getLogger(__name__)

bp = Blueprint("presence", url_prefix="/api")

VIEW_SECONDS = 30.0
"""A viewer disappears this long after its last report (the console reports every 10 s)."""
TYPING_SECONDS = 8.0
"""An agent counts as typing this long after the last key report (every 3 s while typing)."""
DRAFT_SECONDS = 10
"""The draft lock outlives the last typing report by this much."""
SIGNAL_SECONDS = 5
"""At most one typing indicator per conversation in this many seconds."""
STATES = ("viewing", "typing", "idle", "left")

# KEYS: viewers zset, typing hash, draft lock. ARGV: now, agent, state, view ttl, typing ttl,
# draft ttl, '1' when the agent holds the ticket  -> {viewers (flat, with scores), typing (flat)}
UPDATE = r"""
local now, agent, state = tonumber(ARGV[1]), ARGV[2], ARGV[3]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if state == 'left' then
  redis.call('ZREM', KEYS[1], agent)
end
if state == 'left' or state == 'idle' then
  redis.call('HDEL', KEYS[2], agent)
  if redis.call('GET', KEYS[3]) == agent then redis.call('DEL', KEYS[3]) end
else
  local old = tonumber(redis.call('ZSCORE', KEYS[1], agent) or 0)
  redis.call('ZADD', KEYS[1], math.max(old, now + tonumber(ARGV[4])), agent)
  if state == 'typing' then
    redis.call('HSET', KEYS[2], agent, now + tonumber(ARGV[5]))
    if ARGV[7] == '1' then redis.call('SET', KEYS[3], agent, 'EX', ARGV[6]) end
  end
end
local flat = redis.call('HGETALL', KEYS[2])
for i = 1, #flat, 2 do
  if tonumber(flat[i + 1]) <= now or not redis.call('ZSCORE', KEYS[1], flat[i]) then
    redis.call('HDEL', KEYS[2], flat[i])
  end
end
redis.call('EXPIRE', KEYS[1], 120)
redis.call('EXPIRE', KEYS[2], 120)
return {redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES'), redis.call('HGETALL', KEYS[2])}
"""


class Presence:
    """Presence and draft locks of tickets, in Redis."""

    def __init__(self, redis: redis_lib.Redis[Any], prefix: str = "carebot",
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.keys = FollowerKeys(prefix)
        self._clock = clock
        self._update = redis.register_script(UPDATE)

    def update(self, ticket_id: str, agent: str, state: str, holds: bool = False
               ) -> list[dict[str, Any]]:
        """Record ``agent``'s ``state`` in ``ticket_id``; who is there now."""
        if state not in STATES:
            raise ValueError(state)
        now = self._clock()
        keys = [self.keys.presence(ticket_id), self.keys.presence_state(ticket_id),
                self.keys.draft(ticket_id)]
        reply = self._update(keys=keys, args=[repr(now), agent, state, VIEW_SECONDS,
                                              TYPING_SECONDS, DRAFT_SECONDS, "1" if holds else "0"])
        entries = self._entries(reply[0], reply[1], now)
        self.publish(ticket_id, entries)
        return entries

    def current(self, ticket_id: str) -> list[dict[str, Any]]:
        """Who views or types in ``ticket_id`` now."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zrange(self.keys.presence(ticket_id), 0, -1, withscores=True)
        pipe.hgetall(self.keys.presence_state(ticket_id))
        viewers, typing = pipe.execute()
        flat_viewers = [v for pair in viewers for v in pair]
        flat_typing = [v for pair in typing.items() for v in pair]
        return self._entries(flat_viewers, flat_typing, self._clock())

    @staticmethod
    def _entries(viewers: list[Any], typing: list[Any], now: float) -> list[dict[str, Any]]:
        typing_until = {text_of(typing[i]): float(text_of(typing[i + 1]))
                        for i in range(0, len(typing), 2)}
        out = []
        for i in range(0, len(viewers), 2):
            agent, until = text_of(viewers[i]), float(text_of(viewers[i + 1]))
            if until <= now:
                continue
            typing_at = typing_until.get(agent, 0.0)
            state = "typing" if typing_at > now else "viewing"
            out.append({"agent": agent, "state": state,
                        "until": typing_at if state == "typing" else until})
        return sorted(out, key=lambda e: e["agent"])

    def drafting(self, ticket_id: str) -> str | None:
        """The agent whose draft lock is on ``ticket_id``, if any."""
        value = self.redis.get(self.keys.draft(ticket_id))
        return text_of(value) if value else None

    def release_draft(self, ticket_id: str, agent: str) -> None:
        """``agent`` sent (or dropped) their draft: lock and typing mark go."""
        self.update(ticket_id, agent, "idle")

    def publish(self, ticket_id: str, entries: list[dict[str, Any]]) -> None:
        message = json.dumps({"ticket": ticket_id, "presence": entries}, separators=(",", ":"))
        self.redis.publish(self.keys.presence_channel, message)

    # -- follower-facing signals --------------------------------------------------------------

    def signal_due(self, kind: str, conv: Conversation, marker: str) -> bool:
        """Whether a ``kind`` signal should go to ``conv`` now (and note that it goes)."""
        key = self.keys.signal(kind, conv.channel, conv.sender)
        if kind == TYPING:
            return bool(self.redis.set(key, "1", nx=True, ex=SIGNAL_SECONDS))
        if not marker:
            return False
        previous = self.redis.set(key, marker, ex=7 * 24 * 3600, get=True)
        return previous is None or text_of(previous) != marker


@dataclass
class Extras:
    """What this module keeps per workspace process."""

    presence: Presence
    book: FollowerBook
    signals: PlatformSignals
    tasks: set[asyncio.Task[Any]]


def extras(ws: Workspace) -> Extras:
    found: Extras | None = getattr(ws, "presence_extras", None)
    if found is None:
        prefix = ws.settings.queue_prefix
        found = Extras(Presence(ws.redis, prefix), FollowerBook(ws.redis, prefix),
                       PlatformSignals(), set())
        ws.presence_extras = found  # type: ignore[attr-defined]
    return found


def send_signal(x: Extras, kind: str, conv: Conversation) -> bool:
    """A typing indicator / read receipt to the follower, when due (blocking; never raises)."""
    try:
        if not x.signals.supports(conv.channel, kind):
            return False
        message_id = x.book.last_message_id(conv)
        marker = message_id or str(x.book.profile(conv).get("last_seen") or "")
        if not x.presence.signal_due(kind, conv, marker):
            return False
        return x.signals.send(kind, conv.channel, conv.sender, message_id)
    except (DeliveryFailed, RedisError) as exc:
        log.info("%s signal to %s:%s not sent: %s", kind, conv.channel, conv.sender, exc)
        return False


def brief(ws: Workspace, ticket_id: str) -> dict[str, str]:
    """The few fields presence needs (not the whole ticket: consoles report every few seconds).
    ``TicketNotFound`` (404) when there is no such ticket."""
    names = ("status", "claimed_by", "channel", "sender")
    values = ws.redis.hmget(Keys(ws.settings.queue_prefix).ticket(ticket_id), *names)
    if values[0] is None:
        raise TicketNotFound(ticket_id)
    return {n: text_of(v) if v is not None else "" for n, v in zip(names, values, strict=True)}


def _spawn(ws: Workspace, x: Extras, kind: str, ticket: dict[str, str]) -> None:
    try:
        conv = Conversation.parse(ticket["channel"], ticket["sender"])
    except ValueError:
        return
    task = asyncio.get_running_loop().create_task(ws.call(send_signal, x, kind, conv))
    x.tasks.add(task)
    task.add_done_callback(x.tasks.discard)


async def explain(ws: Workspace, error: QueueError) -> ApiError:
    """A 409 for a ticket someone else holds, saying when they are typing a reply."""
    api_error = from_queue_error(error)
    holder = getattr(error, "holder", None)
    if not isinstance(error, (AlreadyClaimed, NotHolder)) or not holder:
        return api_error
    typist = await ws.call(extras(ws).presence.drafting, error.ticket_id)
    if typist != holder:
        return api_error
    return ApiError(api_error.status_code, api_error.code,
                    api_error.message.rstrip(".") + ", who is typing a reply right now.",
                    holder=holder, typing=True)


async def guard_draft(ws: Workspace, ticket_id: str, agent: str, force: bool) -> None:
    """409 ``draft_in_progress`` when someone else's draft lock is on the ticket (unless
    ``force``, which only supervisors may send)."""
    typist = await ws.call(extras(ws).presence.drafting, ticket_id)
    if typist and typist != agent and not force:
        ticket = await ws.call(ws.queue.get, ticket_id)
        if ticket.claimed_by == typist and (ticket.lease_until or 0) >= time.time():
            raise ApiError(409, "already_claimed", f"{ticket_id} is already claimed by "
                           f"{typist}, who is typing a reply right now.", holder=typist,
                           typing=True)
        raise ApiError(409, "draft_in_progress",
                       f"{typist} is typing a reply on {ticket_id}; it stays theirs while they "
                       "write. A supervisor can take it over with force.",
                       holder=typist, typing=True)


# -- routes ----------------------------------------------------------------------------------


@bp.post("/tickets/<tid:str>/presence")
@requires("read")
async def report(request: Request, tid: str) -> HTTPResponse:
    """What the caller does with the ticket: ``viewing``, ``typing``, ``idle`` or ``left``."""
    from bot.workspace.api import ok, payload, ticket_id

    ws, who = workspace(request), principal(request)
    tid = ticket_id(tid)
    state = payload(request).get("state")
    if state not in STATES:
        raise invalid(f"'state' must be one of {', '.join(STATES)}.")
    x = extras(ws)
    ticket = await ws.call(brief, ws, tid)
    holds = ticket["status"] == "claimed" and ticket["claimed_by"] == who.name
    lease_until = None
    if state == "typing":
        if not who.can("work"):
            raise invalid("Only agents who work tickets type replies.")
        try:
            lease_until = await ws.call(ws.queue.heartbeat, tid, who.name)
        except NotHolder as exc:
            raise await explain(ws, exc) from None
        holds = True
    entries = await ws.call(x.presence.update, tid, who.name, state, holds)
    if ticket["status"] != "resolved" and who.can("work"):
        if state == "typing":
            _spawn(ws, x, TYPING, ticket)
        elif state == "viewing":
            _spawn(ws, x, READ, ticket)
    return ok({"ticket": tid, "presence": entries, "lease_until": lease_until})


@bp.get("/tickets/<tid:str>/presence")
@requires("read")
async def show(request: Request, tid: str) -> HTTPResponse:
    """Who views or types in the ticket now."""
    from bot.workspace.api import ok, ticket_id

    ws = workspace(request)
    tid = ticket_id(tid)
    entries = await ws.call(extras(ws).presence.current, tid)
    return ok({"ticket": tid, "presence": entries})


# -- fan-out ---------------------------------------------------------------------------------


class Listener:
    """Tails ``{p}:presence`` (pub/sub) and hands each change to this process's consoles."""

    def __init__(self, redis_url: str, prefix: str, hub: EventHub) -> None:
        self.redis_url = redis_url
        self.channel = FollowerKeys(prefix).presence_channel
        self.hub = hub
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="presence")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self) -> None:
        while True:
            client = bot_redis.async_client(self.redis_url, timeout=None)
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self.channel)
                async for message in pubsub.listen():
                    try:
                        data = json.loads(text_of(message["data"]))
                    except (ValueError, KeyError, TypeError):
                        continue
                    if isinstance(data, dict):
                        self.hub.broadcast(Notice("presence", data))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("presence: Redis unavailable (%s); retrying", exc)
                await asyncio.sleep(1.0)
            except Exception:
                log.exception("presence: listener failed; retrying")
                await asyncio.sleep(1.0)
            finally:
                await client.close()
