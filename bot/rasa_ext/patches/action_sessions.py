"""``EndpointConfig.session``: one keep-alive aiohttp session per endpoint and event loop.

Rasa opens a new aiohttp session (and so a new TCP connection) to the action server for every
action call. The replacement keeps one session per endpoint and event loop (connections kept
alive for :data:`ACTION_KEEPALIVE_S`), and writes request bodies with
:func:`bot.rasa_ext.fast_json.dumps` (ujson) instead of ``json.dumps``. Outside an event loop it
returns Rasa's own one-off session.

The sessions it opens are closed by :func:`close_sessions`, which ``bot.rasa_ext.serve`` runs when
the Sanic server stops (``after_server_stop``).

Measured (``bench/rasa_patches_bench.py``, ``bench/reports/rasa-patches-six.md``): one action
call per message; a request with a 15.7 KB action-call body to a local server costs 1,306 µs of
CPU in the calling process with Rasa's session against 512 µs, and 1,100 against 700 µs in the
server (accepting a connection per call): 1.16 ms of CPU per message, 8.6 % of the 13.5 ms the
server spends per message.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import aiohttp

from bot.rasa_ext.fast_json import dumps

NAME = "EndpointConfig.session"
ACTION_KEEPALIVE_S = 2.0
"""Idle keep-alive of connections to the action server: shorter than Sanic's 5 s, so the bot
never reuses a connection the action server is closing (that failed 2 of 1,000 calls at 5 s)."""
_CACHED = "_carebot_session"
_OPEN: list[tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = []
"""Every session this patch opened and did not close yet, with its event loop."""


def target() -> tuple[type, str]:
    from rasa.utils.endpoints import EndpointConfig

    return EndpointConfig, "session"


class _Borrowed:
    """``async with`` over a shared session that leaves it open on exit."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        return None


def new_session(endpoint: Any) -> aiohttp.ClientSession:
    """The session Rasa would open for ``endpoint``, kept alive and writing JSON with ujson."""
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=ACTION_KEEPALIVE_S),
        json_serialize=dumps,
    )


def replacement(original: Callable[..., Any]) -> Callable[..., Any]:
    def session(self: Any) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop: Rasa's one-off session
            return original(self)
        cached = self.__dict__.get(_CACHED)
        if cached is None or cached[0] is not loop or cached[1].closed:
            cached = (loop, new_session(self))
            self.__dict__[_CACHED] = cached
            _OPEN[:] = [(lp, s) for lp, s in _OPEN if not s.closed and not lp.is_closed()]
            _OPEN.append(cached)
        return _Borrowed(cached[1])

    return session


async def close_sessions() -> int:
    """Close the sessions opened on the running event loop (how many); forget those of loops
    that are closed (they cannot be awaited any more)."""
    loop = asyncio.get_running_loop()
    mine = [s for lp, s in _OPEN if lp is loop and not s.closed]
    _OPEN[:] = [(lp, s) for lp, s in _OPEN if lp is not loop and not lp.is_closed()]
    for session in mine:
        await session.close()
    return len(mine)
