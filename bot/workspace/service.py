"""The workspace's shared state: settings, Redis, queue, accounts, bot client, thread pool.

The queue, the accounts and the bot client are synchronous (redis-py, requests); handlers call
them through :meth:`Workspace.call`, in a thread pool, so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

import redis as redis_lib

from bot import redis as bot_redis
from bot.queue import AgentQueue
from bot.rasa_ext.client import RasaClient
from bot.settings import Settings
from bot.workspace.accounts import Accounts
from bot.workspace.decide import Decider

T = TypeVar("T")


class Workspace:
    """Everything a request handler needs, built once per process from :class:`Settings`."""

    def __init__(self, settings: Settings, redis: redis_lib.Redis[Any] | None = None) -> None:
        self.settings = settings
        self.redis = redis or bot_redis.client(settings.redis_url, timeout=5)
        self.queue = AgentQueue(self.redis, prefix=settings.queue_prefix,
                                lease_seconds=settings.lease_seconds,
                                max_messages=settings.ticket_max_messages,
                                max_history=settings.ticket_max_history)
        self.accounts = Accounts(self.redis, prefix=settings.queue_prefix,
                                 session_seconds=settings.session_hours * 3600)
        self.decider = Decider(settings)
        self.executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="workspace")

    def rasa(self) -> RasaClient:
        """A client of the Rasa HTTP API (one per call: requests sessions are not shared)."""
        return RasaClient(url=self.settings.rasa_url, token=self.settings.rasa_token)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking function in the pool; its result (or its exception)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.decider.close()
        self.redis.close()
