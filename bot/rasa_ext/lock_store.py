"""Rasa's ticket lock on Redis, atomic across bot instances, and fail-safe (``endpoints.yml``).

Rasa takes a ticket lock per conversation around every message, so one conversation's messages
are processed one at a time, in order. Rasa 3.6's ``RedisLockStore`` issues a ticket with a GET
and then a SET: two instances receiving messages of one conversation at the same moment can both
take the first ticket and process them side by side (measured: 11 of 60 conversations held by
two clients at once; ``tests/rasa_ext/test_rasa_lock.py``). :class:`FailSafeRedisLockStore` keeps
Rasa's key and JSON (instances on older code interoperate) but does each read-modify-write step in
one Lua script, so it is atomic in Redis: 2 round trips per message instead of 7 when nobody else
holds the conversation. While Redis is unreachable it degrades to in-process locks, so the bot
keeps answering (Rasa's own ``FailSafeTrackerStore`` does the same for trackers).

It relies on Rasa's lock key and ``TicketLock`` JSON, and on ``RedisLockStore``'s client:
constructing it on any Rasa but :data:`bot.rasa_ext.version.RASA_VERSION` raises
:class:`bot.rasa_ext.version.RasaVersionMismatch`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    LOCK_LIFETIME,
    InMemoryLockStore,
    LockError,
    LockStore,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig

from bot import redis as bot_redis
from bot.rasa_ext.version import require_rasa_version

logger = logging.getLogger(__name__)


class FailSafeRedisLockStore(LockStore):
    """Atomic Redis ticket lock that degrades to in-process locks while Redis is down."""

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        require_rasa_version("FailSafeRedisLockStore (Rasa's ticket lock key and JSON)")
        kwargs = dict(endpoint_config.kwargs) if endpoint_config else {}
        url = endpoint_config.url if endpoint_config and endpoint_config.url else None
        params = bot_redis.params(url)
        self._redis = RedisLockStore(
            host=params["host"],
            port=params["port"],
            db=params["db"],
            password=params["password"],
            key_prefix=kwargs.get("key_prefix"),
            socket_timeout=float(kwargs.get("socket_timeout", 2)),
        )
        # Ours instead of Rasa's client (not yet connected): timeouts, Sentinel when configured.
        self._redis.red = bot_redis.client(
            url, decode=False, timeout=float(kwargs.get("socket_timeout", 2))
        )
        self._memory = InMemoryLockStore()
        self._scripts: dict[str, Any] = {}
        super().__init__()

    @property
    def key_prefix(self) -> str:
        return str(self._redis.key_prefix)

    def _fallback(self, error: Exception) -> None:
        logger.error(f"Redis lock store unavailable ({error}); using in-process locks for now.")

    # -- Rasa's LockStore interface (used by nothing on the hot path; kept for tools) -----------

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        try:
            return self._redis.get_lock(conversation_id)
        except redis.RedisError as error:
            self._fallback(error)
            return self._memory.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        try:
            self._redis.delete_lock(conversation_id)
        except redis.RedisError as error:
            self._fallback(error)
        self._memory.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        try:
            self._redis.save_lock(lock)
        except redis.RedisError as error:
            self._fallback(error)
            self._memory.save_lock(lock)

    # -- the lock Rasa takes around every message: one atomic script per step -----------------

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Rasa's ticket lock: take a ticket, wait until it is served (polling every
        ``wait_time_in_seconds``), run the body, give the ticket back (deleting the lock when
        nobody else holds one). ``LockError`` when the lock expired while waiting, as Rasa."""
        key = self.key_prefix + conversation_id
        try:
            ticket, serving = self._script("issue", key, conversation_id, lock_lifetime)
        except redis.RedisError as error:
            self._fallback(error)
            async with self._memory.lock(conversation_id, lock_lifetime, wait_time_in_seconds):
                yield TicketLock(conversation_id)
            return
        try:
            while serving != ticket:
                await asyncio.sleep(wait_time_in_seconds)
                _, serving = self._script("serving", key, conversation_id, 0)
                if serving is None:
                    raise LockError(f"Could not acquire lock for conversation_id "
                                    f"'{conversation_id}'.")
            yield TicketLock(conversation_id)
        finally:
            try:
                self._script("release", key, conversation_id, ticket)
            except redis.RedisError as error:
                self._fallback(error)

    def _script(self, name: str, key: str, conversation_id: str, arg: float) -> tuple[Any, Any]:
        """Run one lock script: (ticket or None, ticket now served or None)."""
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self._redis.red.register_script(LOCK_SCRIPTS[name])
        reply = script(keys=[key], args=[conversation_id, repr(time.time()), repr(arg)])
        ticket = int(reply[0]) if reply[0] is not None else None
        serving = int(reply[1]) if reply[1] is not None and int(reply[1]) != -1 else None
        return ticket, serving


# KEYS[1] the lock key; ARGV: conversation id, now (client clock, as Rasa), argument. The value is
# Rasa's TicketLock JSON: {"conversation_id": ..., "tickets": ["{\"number\": n, \"expires\": t}"]}
# (each ticket a JSON string inside the list, as ``TicketLock.dumps`` writes it).
_LOCK_LIB = r"""
local now = tonumber(ARGV[2])
local function load()
  local raw = redis.call('GET', KEYS[1])
  local live = {}
  if raw then
    for _, t in ipairs(cjson.decode(raw)['tickets'] or {}) do
      local ticket = cjson.decode(t)
      if tonumber(ticket['expires']) >= now then table.insert(live, ticket) end
    end
  end
  return live
end
local function save(live)
  if #live == 0 then redis.call('DEL', KEYS[1]); return end
  local encoded = {}
  for i, t in ipairs(live) do
    encoded[i] = cjson.encode(string.format('{"number": %d, "expires": %.6f}',
      tonumber(t['number']), tonumber(t['expires'])))
  end
  redis.call('SET', KEYS[1], '{"conversation_id": ' .. cjson.encode(ARGV[1]) ..
    ', "tickets": [' .. table.concat(encoded, ', ') .. ']}')
end
"""
LOCK_SCRIPTS = {
    # ARGV[3] lifetime -> {new ticket, ticket now served}
    "issue": _LOCK_LIB + r"""
local live = load()
local number = 0
if #live > 0 then number = tonumber(live[#live]['number']) + 1 end
table.insert(live, {number = number, expires = now + tonumber(ARGV[3])})
save(live)
return {number, tonumber(live[1]['number'])}
""",
    # -> {nil, ticket now served | -1 when no live ticket is left (the lock expired)}
    "serving": _LOCK_LIB + r"""
local live = load()
save(live)
if #live == 0 then return {false, -1} end
return {false, tonumber(live[1]['number'])}
""",
    # ARGV[3] ticket -> {nil, -1}: drop the ticket; nobody left -> the lock is deleted
    "release": _LOCK_LIB + r"""
local live = load()
local keep = {}
for _, t in ipairs(live) do
  if tonumber(t['number']) ~= tonumber(ARGV[3]) then table.insert(keep, t) end
end
save(keep)
return {false, -1}
""",
}
"""The three steps of the ticket lock, each atomic in Redis."""
