"""The one place Redis clients are built: URL, timeouts and (later) Sentinel live here.

Every process of carebot (Rasa's tracker and lock stores, the action server, the channels, the
workspace, the CLI, the sweeper) asks this module for its client, so a change of how Redis is
reached (a password, TLS, Sentinel) is made once. Key names are built by ``bot.queue.keys.Keys``
(and the few per-feature key helpers it documents), never here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import redis as redis_lib
import redis.asyncio as aioredis

from bot.settings import get_settings

DEFAULT_TIMEOUT_S = 2.0
"""Socket and connect timeout of a client in a request path: a follower's message never waits
longer than this on Redis (the fail-safe stores and the spool take over)."""


def url_or_default(url: str | None) -> str:
    return url or get_settings().redis_url


def client(
    url: str | None = None, *, decode: bool = True, timeout: float = DEFAULT_TIMEOUT_S
) -> redis_lib.Redis:
    """A synchronous client for ``url`` (default: ``REDIS_URL``); ``decode``: str replies, else
    bytes."""
    if decode:
        return redis_lib.Redis.from_url(
            url_or_default(url),
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
    return redis_lib.Redis.from_url(
        url_or_default(url),
        decode_responses=False,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )


def async_client(
    url: str | None = None, *, decode: bool = True, timeout: float = DEFAULT_TIMEOUT_S
) -> aioredis.Redis:
    """An asyncio client for ``url`` (default: ``REDIS_URL``); ``decode``: str replies, else
    bytes."""
    if decode:
        return aioredis.Redis.from_url(
            url_or_default(url),
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
    return aioredis.Redis.from_url(
        url_or_default(url),
        decode_responses=False,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )


def params(url: str | None = None) -> dict[str, Any]:
    """host/port/db/password of a ``redis://`` URL (default: ``REDIS_URL``), for Rasa's stores,
    which take them one by one."""
    parsed = urlparse(url_or_default(url))
    db = (parsed.path or "/0").lstrip("/") or "0"
    return {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or 6379,
        "db": int(db),
        "password": parsed.password,
    }
