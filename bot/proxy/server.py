"""The proxy server (:mod:`bot.proxy`): serves each client connection request by request,
answers ``GET /metrics`` and ``GET /proxy/status`` itself, and forwards everything else to an
instance, failing over to the next one when an instance refuses the connection.

An instance that refuses a connection rests ``down_seconds`` and the request goes to the next
instance (nothing was sent, so any method may be retried); an error after the request was sent
answers ``502``; no instance at all answers ``503``. Routing is :mod:`bot.proxy.routing`, the
instance side :mod:`bot.proxy.upstream`, the wire format :mod:`bot.proxy.messages`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Awaitable, Callable, Sequence

from bot.proxy.messages import (
    HOP_BY_HOP,
    MAX_BODY,
    MAX_HEAD,
    BadRequest,
    Message,
    close_quietly,
    head_bytes,
    read_chunked,
    read_head,
    simple_response,
)
from bot.proxy.metrics import metrics_response, render_own_metrics
from bot.proxy.routing import Backend, Router
from bot.proxy.upstream import Upstream, UpstreamFailed

logger = logging.getLogger("carebot.proxy")


class Proxy:
    """Round-robin (or by-sender) reverse proxy over ``backends`` (``(host, port)`` pairs)."""

    def __init__(
        self,
        backends: Sequence[tuple[str, int]],
        routing: str = "round_robin",
        metrics: Callable[[], Awaitable[str]] | None = None,
        metrics_token: str = "",
        metrics_auth: Callable[[str], Awaitable[bool]] | None = None,
        down_seconds: float = 2.0,
        connect_timeout: float = 3.0,
        response_timeout: float = 300.0,
        idle_timeout: float = 75.0,
        max_idle_per_backend: int = 64,
    ) -> None:
        self.router = Router(backends, routing)
        self.backends: list[Backend] = self.router.backends
        self.routing = routing
        self.upstream = Upstream(connect_timeout, response_timeout, max_idle_per_backend)
        self.metrics = metrics
        self.metrics_token = metrics_token
        self.metrics_auth = metrics_auth
        self.down_seconds = down_seconds
        self.idle_timeout = idle_timeout
        self.started = time.time()
        self.no_backend = 0
        self.server: asyncio.base_events.Server | None = None

    def candidates(self, path: str, body: bytes) -> list[Backend]:
        """Instances to try, in order: the chosen one first, then the others."""
        return self.router.candidates(path, body)

    # -- serving a client ---------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: its requests one after the other (keep-alive)."""
        peer = writer.get_extra_info("peername")
        client_ip = peer[0] if isinstance(peer, tuple) else ""
        try:
            while True:
                try:
                    request = await asyncio.wait_for(read_head(reader), self.idle_timeout)
                except asyncio.TimeoutError:
                    break
                if request is None:
                    break
                if not await self._serve_one(request, reader, writer, client_ip):
                    break
        except BadRequest as error:
            writer.write(simple_response(400, "Bad Request", f"{error}\n".encode(),
                                         keep_alive=False))
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            try:
                await writer.drain()
            except (ConnectionError, OSError):
                pass
            close_quietly(writer)

    async def _serve_one(self, request: Message, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter, client_ip: str) -> bool:
        parts = request.start.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest("not an HTTP/1.x request line")
        method, target, version = parts
        if request.chunked:
            body = await read_chunked(reader)
        elif request.length:
            if request.length > MAX_BODY:
                writer.write(simple_response(413, "Payload Too Large", b"too large\n",
                                             keep_alive=False))
                return False
            body = await reader.readexactly(request.length)
        else:
            body = b""
        client_keep = version == "HTTP/1.1" and "close" not in request.tokens("connection")
        client_keep = client_keep or "keep-alive" in request.tokens("connection")
        path = target.split("?", 1)[0]
        if method == "GET" and path == "/metrics":
            writer.write(await self._metrics_response(request, client_keep))
            await writer.drain()
            return client_keep
        if method == "GET" and path == "/proxy/status":
            writer.write(simple_response(200, "OK", json.dumps(self.status()).encode(),
                                         "application/json", client_keep))
            await writer.drain()
            return client_keep
        head = self._forwarded_head(request, method, target, client_ip)
        for backend in self.candidates(path, body):
            backend.in_flight += 1
            backend.requests += 1
            try:
                keep = await self.upstream.exchange(backend, head, body, writer, reader, method,
                                                    client_keep)
                return keep and client_keep
            except UpstreamFailed as error:
                backend.errors += 1
                if not error.sent:
                    backend.down_until = time.monotonic() + self.down_seconds
                    logger.warning(f"instance {backend.name} unreachable ({error}); next one")
                    continue
                logger.error(f"instance {backend.name} failed: {error}")
                writer.write(simple_response(502, "Bad Gateway", b"instance failed\n",
                                             keep_alive=False))
                return False
            finally:
                backend.in_flight -= 1
        self.no_backend += 1
        writer.write(simple_response(503, "Service Unavailable", b"no instance is up\n",
                                     keep_alive=False))
        return False

    @staticmethod
    def _forwarded_head(request: Message, method: str, target: str, client_ip: str) -> bytes:
        """The request head sent to the instance: hop-by-hop headers replaced, the client
        appended to ``X-Forwarded-For``, keep-alive (or the client's ``Upgrade``)."""
        upgrade = "upgrade" in request.tokens("connection") and request.header("upgrade")
        headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
        forwarded = request.header("x-forwarded-for")
        headers = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
        headers.append(("X-Forwarded-For", f"{forwarded}, {client_ip}" if forwarded
                        else client_ip))
        if request.chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        if upgrade:
            headers += [("Connection", "Upgrade"), ("Upgrade", str(upgrade))]
        else:
            headers.append(("Connection", "keep-alive"))
        return head_bytes(f"{method} {target} HTTP/1.1", headers)

    # -- the proxy's own answers --------------------------------------------------------------

    async def _metrics_response(self, request: Message, keep: bool) -> bytes:
        return await metrics_response(request, keep, self.render_own_metrics,
                                      token=self.metrics_token, auth=self.metrics_auth,
                                      carebot=self.metrics)

    def render_own_metrics(self) -> str:
        return render_own_metrics(self.backends, self.no_backend)

    def status(self) -> dict[str, Any]:
        now = time.monotonic()
        return {
            "routing": self.routing,
            "uptime_s": round(time.time() - self.started, 1),
            "instances": [
                {"instance": b.name, "up": b.up(now), "requests": b.requests,
                 "errors": b.errors, "in_flight": b.in_flight}
                for b in self.backends
            ],
        }

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> asyncio.base_events.Server:
        self.server = await asyncio.start_server(self.handle, host, port, limit=MAX_HEAD,
                                                 backlog=1024)
        return self.server

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        self.upstream.close_idle(self.backends)
