"""The one place Redis clients are built: URL, timeouts and Sentinel live here.

Every process of carebot (Rasa's tracker and lock stores, the action server, the channels, the
workspace, the CLI, the sweeper) asks this module for its client, so how Redis is reached (a
password, TLS, Sentinel) is decided once. Key names are built by ``bot.queue.keys.Keys`` (and
the few per-feature key helpers it documents), never here.

With ``REDIS_SENTINELS`` set, a client for ``REDIS_URL`` is a Sentinel-managed connection to the
current master of ``REDIS_MASTER_NAME``: after a failover the next command reconnects to the
promoted replica (a command in flight fails with ``redis.ConnectionError``, which every caller
already handles as "Redis is down": fail-safe stores, the spool). ``REDIS_URL`` then gives only
the database number and the password. A client for any other URL (tests, tools) is direct.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

import redis as redis_lib
import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel

from bot.settings import Settings, get_settings

DEFAULT_TIMEOUT_S = 2.0
"""Socket and connect timeout of a client in a request path: a follower's message never waits
longer than this on Redis (the fail-safe stores and the spool take over)."""


def url_or_default(url: str | None) -> str:
    return url or get_settings().redis_url


def params(url: str | None = None) -> dict[str, Any]:
    """host/port/db/username/password of a ``redis://`` URL (default: ``REDIS_URL``), for
    Rasa's stores, which take them one by one."""
    parsed = urlparse(url_or_default(url))
    db = (parsed.path or "/0").lstrip("/") or "0"
    return {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or 6379,
        "db": int(db),
        "username": unquote(parsed.username) if parsed.username else None,
        "password": unquote(parsed.password) if parsed.password else None,
    }


def _sentinel_for(url: str | None) -> Settings | None:
    """The settings when ``url`` is the configured ``REDIS_URL`` and Sentinel is on."""
    settings = get_settings()
    if settings.redis_sentinels and (url is None or url == settings.redis_url):
        return settings
    return None


def client(
    url: str | None = None, *, decode: bool = True, timeout: float | None = DEFAULT_TIMEOUT_S
) -> redis_lib.Redis:
    """A synchronous client for ``url`` (default: ``REDIS_URL``; through Sentinel when set)."""
    settings = _sentinel_for(url)
    if settings is not None:
        p = params(settings.redis_url)
        sentinel = Sentinel(
            list(settings.redis_sentinels),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        master: redis_lib.Redis = sentinel.master_for(
            settings.redis_master_name,
            db=p["db"],
            username=p["username"],
            password=p["password"],
            decode_responses=decode,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        return master
    options: dict[str, Any] = {
        "decode_responses": decode, "socket_timeout": timeout, "socket_connect_timeout": timeout,
    }
    direct: redis_lib.Redis = redis_lib.Redis.from_url(url_or_default(url), **options)
    return direct


def async_client(
    url: str | None = None, *, decode: bool = True, timeout: float | None = DEFAULT_TIMEOUT_S
) -> aioredis.Redis:
    """An asyncio client for ``url`` (default: ``REDIS_URL``; through Sentinel when set)."""
    settings = _sentinel_for(url)
    if settings is not None:
        p = params(settings.redis_url)
        sentinel = AsyncSentinel(
            list(settings.redis_sentinels),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        master: aioredis.Redis = sentinel.master_for(
            settings.redis_master_name,
            db=p["db"],
            username=p["username"],
            password=p["password"],
            decode_responses=decode,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        return master
    options: dict[str, Any] = {
        "decode_responses": decode, "socket_timeout": timeout, "socket_connect_timeout": timeout,
    }
    direct: aioredis.Redis = aioredis.Redis.from_url(url_or_default(url), **options)
    return direct
