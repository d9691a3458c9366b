"""Rasa tracker and lock stores on Redis, configured from ``REDIS_URL`` (``endpoints.yml``).

- ``CarebotTrackerStore``: Rasa's RedisTrackerStore that also forwards follower messages written
  while a human owns the conversation (the tracker is paused) to the open ticket, so the agent
  sees them; the bot itself stays silent.
- ``FailSafeRedisLockStore``: Rasa's RedisLockStore that falls back to in-process locks while
  Redis is unreachable, so the bot keeps answering FAQs (Rasa's own FailSafeTrackerStore does the
  same for trackers).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.escalation.config import load_escalation_config
from bot.escalation.decision import decide
from bot.escalation.handoff import record_while_waiting
from bot.settings import get_settings

logger = logging.getLogger(__name__)


def redis_params(url: str | None = None) -> dict[str, Any]:
    """host/port/db/password of a ``redis://`` URL (default: ``REDIS_URL``)."""
    parsed = urlparse(url or get_settings().redis_url)
    db = (parsed.path or "/0").lstrip("/") or "0"
    return {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or 6379,
        "db": int(db),
        "password": parsed.password,
    }


class CarebotTrackerStore(RedisTrackerStore):
    """RedisTrackerStore that hands follower messages in paused conversations to the ticket."""

    def __init__(self, domain: Domain, host: str | None = None, **kwargs: Any) -> None:
        params = redis_params(host if host and "://" in str(host) else None)
        kwargs.pop("port", None)
        kwargs.pop("db", None)
        super().__init__(
            domain,
            host=params["host"],
            port=params["port"],
            db=params["db"],
            password=params["password"],
            **kwargs,
        )
        self._queue: Any = None

    def _agent_queue(self) -> Any:
        if self._queue is None:
            from bot.queue import AgentQueue

            settings = get_settings()
            self._queue = AgentQueue(
                redis.Redis.from_url(settings.redis_url, decode_responses=True, socket_timeout=2),
                prefix=settings.queue_prefix,
            )
        return self._queue

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        await super().save(tracker, timeout)
        if not tracker.is_paused() or not tracker.events:
            return
        last = tracker.events[-1]
        if not isinstance(last, UserUttered):
            return
        channel = last.input_channel or tracker.get_latest_input_channel() or "rest"
        marker = f"{get_settings().queue_prefix}:paused-msg:{tracker.sender_id}:{last.timestamp}"
        try:
            if not self.red.set(marker, "1", nx=True, ex=86400):
                return  # this message was already forwarded
            config = load_escalation_config(get_settings().escalation_config)
            metadata = {"message_id": last.message_id, **(last.metadata or {})}
            decision = decide(last.parse_data or {"text": last.text}, config, metadata=metadata)
            record_while_waiting(
                self._agent_queue(),
                decision,
                channel=channel,
                sender=tracker.sender_id,
                text=last.text or "",
                metadata=metadata,
                responses=self.domain.responses if self.domain else {},
                config=config,
                ts=last.timestamp,
            )
        except redis.RedisError as error:
            logger.error(f"Could not forward a follower message to the ticket: {error}")


class FailSafeRedisLockStore(LockStore):
    """Redis lock store that degrades to in-process locks while Redis is down."""

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        kwargs = dict(endpoint_config.kwargs) if endpoint_config else {}
        url = endpoint_config.url if endpoint_config and endpoint_config.url else None
        params = redis_params(url)
        self._redis = RedisLockStore(
            host=params["host"],
            port=params["port"],
            db=params["db"],
            password=params["password"],
            key_prefix=kwargs.get("key_prefix"),
            socket_timeout=float(kwargs.get("socket_timeout", 2)),
        )
        self._memory = InMemoryLockStore()
        super().__init__()

    def _fallback(self, error: Exception) -> None:
        logger.error(f"Redis lock store unavailable ({error}); using in-process locks for now.")

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
