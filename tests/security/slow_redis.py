"""A slow link to the real test Redis: a TCP relay that holds every command for ``delay``
seconds before passing it on (answers come back at once). Code that calls Redis synchronously
on an event loop stalls that loop for the whole delay; code that waits in a thread does not."""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from urllib.parse import urlparse

from tests.fakes.live_app import free_port


class SlowRedis:
    def __init__(self, redis_url: str, delay: float) -> None:
        parsed = urlparse(redis_url)
        self.target = (parsed.hostname or "127.0.0.1", parsed.port or 6379)
        self.delay = delay
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}{parsed.path or '/0'}"
        self.loop = asyncio.new_event_loop()
        self._server: Any = None
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    delay: float) -> None:
        try:
            while data := await reader.read(65536):
                if delay:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(self._pipe(reader, up_writer, self.delay),
                             self._pipe(up_reader, writer, 0.0))

    def start(self) -> SlowRedis:
        async def serve() -> Any:
            return await asyncio.start_server(self._client, "127.0.0.1", self.port)

        self._server = asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
