"""The agent queue as every process builds it: the configured Redis (``bot.redis``: Sentinel
when set), prefix, lease and replica acknowledgement from the settings."""

from __future__ import annotations

import redis

from bot import redis as bot_redis
from bot.queue.queue import AgentQueue
from bot.settings import Settings, get_settings


def agent_queue(
    settings: Settings | None = None,
    client: redis.Redis | None = None,
    *,
    timeout: float = bot_redis.DEFAULT_TIMEOUT_S,
) -> AgentQueue:
    """An :class:`AgentQueue` on ``client`` (default: a new client for ``REDIS_URL``)."""
    s = settings or get_settings()
    return AgentQueue(
        client if client is not None else bot_redis.client(s.redis_url, timeout=timeout),
        prefix=s.queue_prefix,
        lease_seconds=s.lease_seconds,
        replicas=s.redis_wait_replicas,
        max_messages=s.ticket_max_messages,
        max_history=s.ticket_max_history,
    )
