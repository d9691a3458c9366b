"""Live updates: the queue's audit stream (``{prefix}:events``) as server-sent events.

Every queue change already appends to the Redis Stream ``{prefix}:events`` in the same Lua
script, so the stream is the one source of truth: each workspace process tails it with
``XREAD BLOCK`` (one connection per process, :class:`EventHub`) and fans each entry out to its
``GET /api/events`` clients. Every process sees every change, whichever process (or the bot, or
the CLI) made it.

Each SSE message is ``id: <stream id>``, ``event: queue``, ``data: {"id", "type", "ticket",
"actor", "ts", "data"}``. Live notices that are not audit events go out as ``event: <kind>``
without an id (:class:`Notice`; ``presence``: who views or types in a ticket,
``bot.workspace.presence``). A reconnecting ``EventSource`` sends ``Last-Event-ID``; the missed
entries are replayed from the stream first. A comment line every 15 s keeps proxies (and
Sanic's response timeout) from closing an idle stream. The caller's credentials are checked again
every :data:`RECHECK_SECONDS` (60 s), also while events keep flowing: a removed account, a
rotated token or an ended session loses the stream within that deadline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from sanic import Blueprint
from sanic.request import Request

from bot import redis as bot_redis
from bot.workspace.auth import authenticate, requires

log = logging.getLogger(__name__)

bp = Blueprint("events", url_prefix="/api")

KEEPALIVE_SECONDS = 15.0
RECHECK_SECONDS = 60.0
SUBSCRIBER_BUFFER = 1000
REPLAY_LIMIT = 1000
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def parse_id(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass(frozen=True)
class Event:
    """One audit-stream entry, ready to send."""

    id: str
    type: str
    ticket: str
    actor: str
    ts: float
    data: dict[str, Any]

    @classmethod
    def from_entry(cls, entry_id: str, fields: dict[str, str]) -> Event:
        try:
            data = json.loads(fields.get("data") or "{}")
        except ValueError:
            data = {}
        return cls(
            id=entry_id,
            type=fields.get("type", ""),
            ticket=fields.get("ticket", ""),
            actor=fields.get("actor", ""),
            ts=float(fields.get("ts") or 0.0),
            data=data if isinstance(data, dict) else {},
        )

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "ticket": self.ticket, "actor": self.actor,
                "ts": self.ts, "data": self.data}

    def sse(self) -> str:
        payload = json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
        return f"id: {self.id}\nevent: queue\ndata: {payload}\n\n"


@dataclass(frozen=True)
class Notice:
    """A live notice that is not an audit event (presence: who views or types in a ticket):
    ``event: <kind>`` without an ``id`` (nothing to replay), fanned out like events."""

    kind: str
    data: dict[str, Any]

    def sse(self) -> str:
        payload = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return f"event: {self.kind}\ndata: {payload}\n\n"


class EventHub:
    """Tails the stream once per process and hands each entry to every subscriber's queue."""

    def __init__(self, redis_url: str, stream_key: str, block_ms: int = 5000) -> None:
        self.redis = bot_redis.async_client(redis_url, timeout=block_ms / 1000 + 5)
        self.stream_key = stream_key
        self.block_ms = block_ms
        self.subscribers: set[asyncio.Queue[Event | Notice | None]] = set()
        self.last_id: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="event-hub")

    async def ready(self, timeout: float = 5.0) -> bool:
        """Whether the tail has started (it knows where the stream ends)."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def close(self) -> None:
        for queue in list(self.subscribers):
            self._offer(queue, None)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None
        await self.redis.close()

    # -- subscribers -------------------------------------------------------------------------

    def subscribe(self) -> asyncio.Queue[Event | Notice | None]:
        queue: asyncio.Queue[Event | Notice | None] = asyncio.Queue(maxsize=SUBSCRIBER_BUFFER)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | Notice | None]) -> None:
        self.subscribers.discard(queue)

    def broadcast(self, notice: Notice) -> None:
        """Hand a notice to every subscriber of this process."""
        for queue in list(self.subscribers):
            self._offer(queue, notice)

    def _offer(
        self, queue: asyncio.Queue[Event | Notice | None], item: Event | Notice | None
    ) -> None:
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:  # a stuck client: end its stream, it reconnects and replays
            self.subscribers.discard(queue)
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(None)

    async def replay(self, after: str) -> list[Event]:
        """Entries after ``after`` (exclusive), oldest first, at most :data:`REPLAY_LIMIT`."""
        rows = await self.redis.xrange(self.stream_key, f"({after}", "+", count=REPLAY_LIMIT)
        return [Event.from_entry(entry_id, fields) for entry_id, fields in rows]

    # -- the tail ----------------------------------------------------------------------------

    async def _start_id(self) -> str:
        rows = await self.redis.xrevrange(self.stream_key, "+", "-", count=1)
        return rows[0][0] if rows else "0-0"

    async def _run(self) -> None:
        while True:
            try:
                if self.last_id is None:
                    self.last_id = await self._start_id()
                self._ready.set()
                reply = await self.redis.xread({self.stream_key: self.last_id},
                                               block=self.block_ms, count=500)
                for _stream, rows in reply or []:
                    for entry_id, fields in rows:
                        self.last_id = entry_id
                        event = Event.from_entry(entry_id, fields)
                        for queue in list(self.subscribers):
                            self._offer(queue, event)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("events: Redis unavailable (%s); retrying", exc)
                await asyncio.sleep(1.0)
            except Exception:
                log.exception("events: tail failed; retrying")
                await asyncio.sleep(1.0)


def hub_of(request: Request) -> EventHub:
    hub: EventHub = request.app.ctx.hub
    return hub


@bp.get("/events")
@requires("read")
async def events(request: Request) -> None:
    """Server-sent events: every queue change, live (see the module docstring)."""
    hub = hub_of(request)
    last = request.headers.get("last-event-id") or request.args.get("after") or ""
    queue = hub.subscribe()
    try:
        stream = await request.respond(
            content_type="text/event-stream; charset=utf-8",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        await stream.send("retry: 2000\n: carebot events\n\n")
        sent = (0, 0)
        if STREAM_ID.match(last):
            for event in await hub.replay(last):
                await stream.send(event.sse())
                sent = parse_id(event.id)
        now = asyncio.get_running_loop().time
        recheck_at, keepalive_at = now() + RECHECK_SECONDS, now() + KEEPALIVE_SECONDS
        while True:
            wait = max(0.0, min(recheck_at, keepalive_at) - now())
            item: Event | Notice | None | bool
            try:
                item = await asyncio.wait_for(queue.get(), wait)
            except asyncio.TimeoutError:
                item = False  # nothing arrived in time
            if now() >= recheck_at:  # on a fixed deadline, busy or idle
                if await authenticate(request) is None:
                    break  # signed out, token rotated or account removed
                recheck_at = now() + RECHECK_SECONDS
            if item is None:
                break
            if isinstance(item, Event) and parse_id(item.id) > sent:
                await stream.send(item.sse())
                keepalive_at = now() + KEEPALIVE_SECONDS
            elif isinstance(item, Notice):
                await stream.send(item.sse())
            elif now() >= keepalive_at:
                await stream.send(": keepalive\n\n")
                keepalive_at = now() + KEEPALIVE_SECONDS
        await stream.eof()
    finally:
        hub.unsubscribe(queue)
