"""The workspace app (``bot.workspace.app.create_app``) served in this process, on a loopback
port, with settings a test chooses (trusted proxies, a short credential re-check, a Redis behind
a slow link): what ``carebot workspace`` runs, without a process per configuration."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable

from sanic import Sanic

from bot.settings import Settings
from bot.workspace.app import create_app
from tests.fakes.live_app import free_port


class InProcessWorkspace:
    def __init__(self, settings: Settings) -> None:
        Sanic.test_mode = True
        self.app = create_app(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._server: Any = None

    def _run(self, coro: Awaitable[Any], timeout: float = 15.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> InProcessWorkspace:
        self._thread.start()

        async def boot() -> Any:
            server = await self.app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
            )
            assert server is not None
            await server.startup()
            await server.before_start()
            await server.after_start()
            return server

        self._server = self._run(boot())
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            server = self._server
            await server.before_stop()
            server.close()
            await server.wait_closed()
            for connection in list(server.connections):
                connection.close_if_idle()
            await server.after_stop()
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._server is not None:
            self._run(shutdown(), 30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
