"""``GET /metrics`` on the proxy (:mod:`bot.proxy`): its own counters in Prometheus text,
carebot's metrics from Redis (``--metrics``), and who may read them.

Callers are the same as for the workspace's ``/metrics``: ``Authorization: Bearer
<CAREBOT_METRICS_TOKEN>`` when that is set, else any workspace account's token
(:func:`account_auth`); with neither check configured, anyone.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import TYPE_CHECKING, Awaitable, Callable, Sequence

from bot.proxy.messages import Message, simple_response
from bot.proxy.routing import Backend
from bot.stats.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger("carebot.proxy")

PROMETHEUS_TEXT = CONTENT_TYPE


def render_own_metrics(backends: Sequence[Backend], unavailable: int) -> str:
    """The proxy's counters per instance, and the requests no instance could take."""
    now = time.monotonic()
    lines = [
        "# HELP carebot_proxy_requests_total Requests the proxy sent to each instance.",
        "# TYPE carebot_proxy_requests_total counter",
        *[f'carebot_proxy_requests_total{{instance="{b.name}"}} {b.requests}'
          for b in backends],
        "# HELP carebot_proxy_upstream_errors_total Requests an instance failed or refused.",
        "# TYPE carebot_proxy_upstream_errors_total counter",
        *[f'carebot_proxy_upstream_errors_total{{instance="{b.name}"}} {b.errors}'
          for b in backends],
        "# HELP carebot_proxy_in_flight Requests waiting on each instance now.",
        "# TYPE carebot_proxy_in_flight gauge",
        *[f'carebot_proxy_in_flight{{instance="{b.name}"}} {b.in_flight}'
          for b in backends],
        "# HELP carebot_proxy_instance_up 1 unless the instance recently refused a "
        "connection.",
        "# TYPE carebot_proxy_instance_up gauge",
        *[f'carebot_proxy_instance_up{{instance="{b.name}"}} {int(b.up(now))}'
          for b in backends],
        "# HELP carebot_proxy_unavailable_total Requests answered 503: no instance up.",
        "# TYPE carebot_proxy_unavailable_total counter",
        f"carebot_proxy_unavailable_total {unavailable}",
    ]
    return "\n".join(lines) + "\n"


async def metrics_response(
    request: Message,
    keep: bool,
    own: Callable[[], str],
    token: str = "",
    auth: Callable[[str], Awaitable[bool]] | None = None,
    carebot: Callable[[], Awaitable[str]] | None = None,
) -> bytes:
    """The whole ``GET /metrics`` response: ``401`` unless the bearer token is ``token`` (when
    set) or passes ``auth``; else carebot's metrics (when ``carebot`` is given) + ``own()``."""
    scheme, _, given = (request.header("authorization") or "").partition(" ")
    given = given.strip() if scheme.lower() == "bearer" else ""
    if token:
        allowed = hmac.compare_digest(given, token)
    elif auth is not None:
        try:
            allowed = bool(given) and await auth(given)
        except Exception as error:  # noqa: BLE001 - no verdict: no metrics
            logger.error(f"metrics: could not check the token: {error}")
            allowed = False
    else:
        allowed = True
    if not allowed:
        return simple_response(401, "Unauthorized", b"unauthorised\n", keep_alive=keep)
    text = own()
    if carebot is not None:
        try:
            text = await carebot() + text
        except Exception as error:  # noqa: BLE001
            logger.error(f"carebot metrics unavailable: {error}")
            text += f"# carebot metrics unavailable: {error.__class__.__name__}\n"
    return simple_response(200, "OK", text.encode(), PROMETHEUS_TEXT, keep)


def account_auth(settings: Settings) -> Callable[[str], Awaitable[bool]]:
    """A check that a bearer token belongs to a workspace account (as the workspace's
    ``/metrics`` asks when no ``CAREBOT_METRICS_TOKEN`` is set)."""
    import redis

    from bot.workspace.accounts import Accounts

    client = redis.Redis.from_url(settings.redis_url, decode_responses=True, socket_timeout=5)
    accounts = Accounts(client, prefix=settings.queue_prefix,
                        session_seconds=settings.session_hours * 3600)

    async def check(token: str) -> bool:
        who = await asyncio.get_running_loop().run_in_executor(None, accounts.authenticate, token)
        return who is not None

    return check


def redis_metrics(redis_url: str, prefix: str) -> Callable[[], Awaitable[str]]:
    """An async renderer of :func:`bot.stats.metrics.render_prometheus` (in a worker thread)."""
    import redis

    from bot.stats.metrics import render_prometheus

    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=5)

    async def render() -> str:
        return await asyncio.get_running_loop().run_in_executor(
            None, render_prometheus, client, prefix)

    return render
