"""The instance side of the proxy (:mod:`bot.proxy`): keep-alive connections to each instance,
sending one request, and relaying the instance's response to the client as it arrives.

Responses are streamed, never buffered: ``Content-Length`` bodies piece by piece, chunked bodies
chunk by chunk (``?stream=true``), close-delimited bodies until the instance closes, and a
``101`` (WebSocket) becomes a tunnel both ways. An idle keep-alive connection the instance has
closed meanwhile is retried once on a fresh one.
"""

from __future__ import annotations

import asyncio

from bot.proxy.messages import (
    HOP_BY_HOP,
    MAX_HEAD,
    BadRequest,
    Message,
    close_quietly,
    head_bytes,
    pipe,
    read_head,
)
from bot.proxy.routing import Backend


class UpstreamFailed(Exception):
    """The instance failed; ``sent`` tells whether the request may have reached it."""

    def __init__(self, message: str, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class Upstream:
    """Connections to the instances (a pool of idle ones per :class:`Backend`) and exchanges."""

    def __init__(self, connect_timeout: float = 3.0, response_timeout: float = 300.0,
                 max_idle_per_backend: int = 64) -> None:
        self.connect_timeout = connect_timeout
        self.response_timeout = response_timeout
        self.max_idle = max_idle_per_backend

    # -- connections --------------------------------------------------------------------------

    async def connect(self, backend: Backend) -> tuple[asyncio.StreamReader,
                                                       asyncio.StreamWriter, bool]:
        """An idle connection to ``backend`` if one is still open, else a new one; the flag
        tells whether it was reused."""
        while backend.idle:
            reader, writer = backend.idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer, True
            close_quietly(writer)
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(backend.host, backend.port, limit=MAX_HEAD),
            self.connect_timeout,
        )
        return reader, writer, False

    def release(self, backend: Backend, reader: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> None:
        """Back to ``backend``'s idle pool (closed when the pool is full)."""
        if len(backend.idle) < self.max_idle and not writer.is_closing():
            backend.idle.append((reader, writer))
        else:
            close_quietly(writer)

    def keep_or_close(self, backend: Backend, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter, keep: bool) -> None:
        if keep:
            self.release(backend, reader, writer)
        else:
            close_quietly(writer)

    @staticmethod
    def close_idle(backends: list[Backend]) -> None:
        """Close every idle connection (the proxy is stopping)."""
        for backend in backends:
            while backend.idle:
                close_quietly(backend.idle.pop()[1])

    # -- one request --------------------------------------------------------------------------

    async def exchange(
        self,
        backend: Backend,
        head: bytes,
        body: bytes,
        client: asyncio.StreamWriter,
        client_reader: asyncio.StreamReader,
        method: str,
        client_keep: bool = True,
    ) -> bool:
        """Send one request to ``backend`` and stream its response to ``client``.

        Returns whether the client connection may be kept alive.
        """
        for attempt in range(2):
            try:
                reader, writer, reused = await self.connect(backend)
            except (OSError, asyncio.TimeoutError) as error:
                raise UpstreamFailed(f"connect: {error}", sent=False) from None
            try:
                writer.write(head + body)
                await writer.drain()
                response = await asyncio.wait_for(read_head(reader), self.response_timeout)
            except (OSError, asyncio.IncompleteReadError, BadRequest) as error:
                close_quietly(writer)
                if reused and attempt == 0:
                    continue  # the instance closed an idle keep-alive connection: retry fresh
                raise UpstreamFailed(f"request: {error}", sent=True) from None
            except asyncio.TimeoutError:
                close_quietly(writer)
                raise UpstreamFailed("no response in time", sent=True) from None
            if response is None:
                close_quietly(writer)
                if reused and attempt == 0:
                    continue
                raise UpstreamFailed("closed without a response", sent=True)
            return await self.relay(backend, response, reader, writer, client, client_reader,
                                    method, client_keep)
        raise UpstreamFailed("unreachable", sent=True)  # pragma: no cover

    async def relay(
        self,
        backend: Backend,
        response: Message,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client: asyncio.StreamWriter,
        client_reader: asyncio.StreamReader,
        method: str,
        client_keep: bool = True,
    ) -> bool:
        """Stream the instance's response (head read already) to the client; returns whether
        the client connection may be kept alive."""
        conn = ("Connection", "keep-alive" if client_keep else "close")
        status = int(response.start.split(" ", 2)[1])
        if status == 101:  # Upgrade (WebSocket): tunnel both ways until either side closes
            client.write(head_bytes(response.start, response.headers))
            await client.drain()
            await asyncio.gather(pipe(client_reader, writer), pipe(reader, client))
            close_quietly(writer)
            return False
        upstream_keep = "close" not in response.tokens("connection")
        headers = [(k, v) for k, v in response.headers if k.lower() not in HOP_BY_HOP]
        no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
        if no_body:
            client.write(head_bytes(response.start, headers + [conn]))
            await client.drain()
            self.keep_or_close(backend, reader, writer, upstream_keep)
            return True
        if response.length is not None:
            client.write(head_bytes(response.start, headers + [conn]))
            remaining = response.length
            while remaining:
                data = await reader.read(min(remaining, 65536))
                if not data:
                    raise ConnectionError("instance closed mid-body")
                client.write(data)
                remaining -= len(data)
                await client.drain()
            await client.drain()
            self.keep_or_close(backend, reader, writer, upstream_keep)
            return True
        if response.chunked:  # stream chunk by chunk (e.g. ?stream=true), frames as received
            client.write(head_bytes(response.start, headers + [
                ("Transfer-Encoding", "chunked"), conn]))
            while True:
                line = await reader.readuntil(b"\r\n")
                client.write(line)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while True:
                        trailer = await reader.readuntil(b"\r\n")
                        client.write(trailer)
                        if trailer == b"\r\n":
                            break
                    break
                client.write(await reader.readexactly(size + 2))
                await client.drain()
            await client.drain()
            self.keep_or_close(backend, reader, writer, upstream_keep)
            return True
        # no length, not chunked: the body ends when the instance closes
        client.write(head_bytes(response.start, headers + [("Connection", "close")]))
        await pipe(reader, client)
        close_quietly(writer)
        return False
