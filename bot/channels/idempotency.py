"""Idempotency for webhook deliveries: platforms retry, the bot must answer once.

A message is "seen" when ``SET {prefix}:seen:{channel}:{message_id} 1 NX EX ttl`` succeeds. The
Redis client is built lazily by the factory on first use. When Redis is unreachable we log a warning
and process the message anyway: a rare duplicate answer beats silently dropping a follower.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis

from bot import redis as bot_redis
from bot.queue.keys import Keys

logger = logging.getLogger(__name__)

RedisFactory = Callable[[], redis.Redis]


def redis_factory(url: str) -> RedisFactory:
    """A factory for a client with short timeouts, so a dead Redis cannot stall a webhook."""

    def build() -> redis.Redis:
        return bot_redis.client(url, decode=False, timeout=1.0)

    return build


class Deduplicator:
    """Remembers platform message ids for ``ttl_seconds`` to drop redelivered webhooks."""

    def __init__(
        self,
        redis_client_factory: RedisFactory,
        ttl_seconds: int = 86400,
        prefix: str = "carebot",
    ) -> None:
        self._factory = redis_client_factory
        self._client: redis.Redis | None = None
        self._lock = threading.Lock()
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix
        self._keys = Keys(prefix)

    def key(self, channel: str, message_id: str) -> str:
        """The Redis key marking ``message_id`` of ``channel`` as seen."""
        return self._keys.seen(channel, message_id)

    def _redis(self) -> redis.Redis:
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    def first_time(self, channel: str, message_id: str) -> bool:
        """True if this is the first delivery of ``message_id`` (or Redis cannot tell us)."""
        try:
            created = self._redis().set(
                self.key(channel, message_id), 1, nx=True, ex=self.ttl_seconds
            )
        except redis.RedisError as exc:
            logger.warning(
                "Idempotency check unavailable (Redis error: %s); processing %s message %s "
                "without duplicate protection",
                exc,
                channel,
                message_id,
            )
            return True
        return bool(created)
