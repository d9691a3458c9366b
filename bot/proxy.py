"""A small asyncio HTTP/1.1 reverse proxy that spreads requests over N Rasa instances.

``carebot run`` starts it when ``CAREBOT_INSTANCES`` > 1: the proxy listens on the public port
(``CAREBOT_RASA_PORT``, 5005) and instance *i* (1..N) on that port + *i*. Every instance shares
one Redis tracker store and lock store, so any instance can serve any message: the tracker
always comes from Redis and Rasa's Redis lock store orders the messages of one conversation.
``carebot run`` uses ``--routing sender`` (``CAREBOT_PROXY_ROUTING``, default ``sender``): the
REST body's ``sender`` picks the instance, so a conversation stays on one instance while that
instance is up. Rasa 3.6's Redis lock store issues tickets with a GET then a SET, not
atomically: two messages of one conversation arriving at the same moment on two instances can
both get the first ticket and be processed side by side (``tests/test_multi_instance.py``
shows it; docs/scaling.md has the fix). Within one instance that cannot happen.
``round_robin`` spreads every request regardless of its conversation.

What passes: any HTTP/1.1 request (REST channel, the HTTP API, the social webhooks, the REST
inbox), with keep-alive on both sides, ``Content-Length`` or chunked bodies, streamed
responses (``?stream=true``) and ``Upgrade`` (WebSocket) tunnels. socket.io (web chat) needs
every request of a session on the instance that opened it, which a plain round-robin cannot
know (the session id is chosen by the server), so ``/socket.io/`` always goes to instance 1
(the next one up if it is down). Rasa 3.6's socket.io server keeps its sockets in its own
process, so a message *to* a web-chat follower must be sent by that instance too: the HTTP API
(``/conversations/…``: agent replies, hand-backs, tracker reads; little traffic) also goes to
instance 1. REST, the social webhooks and the REST inbox are spread over every instance.
In production nginx does the same job (``deploy/nginx.conf``).

Failover: a connection an instance refuses marks it down for ``down_seconds`` and the request
goes to the next instance (nothing was sent, so retrying is safe for any method); an error after
the request was sent answers ``502`` (the message may have been processed; it is not replayed).

``GET /metrics`` answers the proxy's own counters and, with ``--metrics`` (Redis from
``REDIS_URL``), every carebot metric (:mod:`bot.metrics`), to the same callers as the
workspace's ``/metrics``: ``Authorization: Bearer <CAREBOT_METRICS_TOKEN>`` when that is set,
else any workspace account's token. ``GET /proxy/status`` lists the instances as JSON.
Run alone: ``python -m bot.proxy --listen 0.0.0.0:5005 --backend 127.0.0.1:5006 --backend
127.0.0.1:5007``.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import signal
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Sequence

logger = logging.getLogger("carebot.proxy")

MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
PRIMARY_PATHS = ("/socket.io", "/conversations/")
"""Requests that go to instance 1 (the next one up if it is down): socket.io, whose sessions
live in one instance, and the HTTP API, so that an agent's reply (``/conversations/<id>/…``) is
sent by the instance that holds the web-chat follower's socket."""
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
    "upgrade",
}


class BadRequest(Exception):
    """The client sent something that is not HTTP/1.x we can forward."""


class UpstreamFailed(Exception):
    """The instance failed; ``sent`` tells whether the request may have reached it."""

    def __init__(self, message: str, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


@dataclass
class Backend:
    host: str
    port: int
    index: int
    down_until: float = 0.0
    requests: int = 0
    errors: int = 0
    in_flight: int = 0
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    def up(self, now: float) -> bool:
        return now >= self.down_until


@dataclass
class Message:
    """One HTTP message head (request or response) plus how its body is framed."""

    start: str
    headers: list[tuple[str, str]]
    length: int | None = None  # Content-Length
    chunked: bool = False

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def tokens(self, name: str) -> set[str]:
        return {t.strip().lower() for t in (self.header(name) or "").split(",") if t.strip()}


async def read_head(reader: asyncio.StreamReader) -> Message | None:
    """The next message head; None on a clean EOF before any byte."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial.strip():
            return None
        raise BadRequest("truncated head") from None
    except asyncio.LimitOverrunError:
        raise BadRequest("head too large") from None
    lines = raw[:-4].decode("latin-1").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(f"bad header line {line[:40]!r}")
        headers.append((name, value.strip()))
    msg = Message(lines[0], headers)
    if "chunked" in msg.tokens("transfer-encoding"):
        msg.chunked = True
    elif msg.header("content-length") is not None:
        try:
            msg.length = int(msg.header("content-length") or "")
        except ValueError:
            raise BadRequest("bad Content-Length") from None
        if msg.length < 0:
            raise BadRequest("bad Content-Length")
    return msg


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A whole chunked body, re-framed as received (chunks, last chunk, trailers)."""
    out = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        out += line
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers, then the empty line
                trailer = await reader.readuntil(b"\r\n")
                out += trailer
                if trailer == b"\r\n":
                    return bytes(out)
        out += await reader.readexactly(size + 2)
        if len(out) > MAX_BODY:
            raise BadRequest("body too large")


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes until EOF (tunnels and close-delimited bodies)."""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, OSError):
        pass
    finally:
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except (OSError, RuntimeError):
            pass


def _close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
    except (OSError, RuntimeError):
        pass


def simple_response(status: int, reason: str, body: bytes, ctype: str = "text/plain",
                    keep_alive: bool = True) -> bytes:
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: {'keep-alive' if keep_alive else 'close'}"
        "\r\n\r\n"
    )
    return head.encode("latin-1") + body


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
        if not backends:
            raise ValueError("at least one backend")
        if routing not in ("round_robin", "sender"):
            raise ValueError("routing: round_robin or sender")
        self.backends = [Backend(h, int(p), i) for i, (h, p) in enumerate(backends)]
        self.routing = routing
        self.metrics = metrics
        self.metrics_token = metrics_token
        self.metrics_auth = metrics_auth
        self.down_seconds = down_seconds
        self.connect_timeout = connect_timeout
        self.response_timeout = response_timeout
        self.idle_timeout = idle_timeout
        self.max_idle = max_idle_per_backend
        self._next = 0
        self.started = time.time()
        self.no_backend = 0
        self.server: asyncio.base_events.Server | None = None

    # -- choosing an instance -----------------------------------------------------------------

    def candidates(self, path: str, body: bytes) -> list[Backend]:
        """Instances to try, in order: the chosen one first, then the others."""
        n = len(self.backends)
        if path.startswith(PRIMARY_PATHS):
            first = 0
        elif self.routing == "sender" and (key := conversation_key(path, body)) is not None:
            first = zlib.crc32(key.encode()) % n
        else:
            first = self._next % n
            self._next += 1
        now = time.monotonic()
        ordered = [self.backends[(first + i) % n] for i in range(n)]
        up = [b for b in ordered if b.up(now)]
        return up + [b for b in ordered if not b.up(now)]  # all down: try anyway, in order

    # -- upstream connections -----------------------------------------------------------------

    async def _connect(self, backend: Backend) -> tuple[asyncio.StreamReader,
                                                        asyncio.StreamWriter, bool]:
        while backend.idle:
            reader, writer = backend.idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer, True
            _close(writer)
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(backend.host, backend.port, limit=MAX_HEAD),
            self.connect_timeout,
        )
        return reader, writer, False

    def _release(self, backend: Backend, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        if len(backend.idle) < self.max_idle and not writer.is_closing():
            backend.idle.append((reader, writer))
        else:
            _close(writer)

    async def _exchange(
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
                reader, writer, reused = await self._connect(backend)
            except (OSError, asyncio.TimeoutError) as error:
                raise UpstreamFailed(f"connect: {error}", sent=False) from None
            try:
                writer.write(head + body)
                await writer.drain()
                response = await asyncio.wait_for(read_head(reader), self.response_timeout)
            except (OSError, asyncio.IncompleteReadError, BadRequest) as error:
                _close(writer)
                if reused and attempt == 0:
                    continue  # the instance closed an idle keep-alive connection: retry fresh
                raise UpstreamFailed(f"request: {error}", sent=True) from None
            except asyncio.TimeoutError:
                _close(writer)
                raise UpstreamFailed("no response in time", sent=True) from None
            if response is None:
                _close(writer)
                if reused and attempt == 0:
                    continue
                raise UpstreamFailed("closed without a response", sent=True)
            return await self._relay(backend, response, reader, writer, client, client_reader,
                                     method, client_keep)
        raise UpstreamFailed("unreachable", sent=True)  # pragma: no cover

    async def _relay(
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
        conn = ("Connection", "keep-alive" if client_keep else "close")
        status = int(response.start.split(" ", 2)[1])
        if status == 101:  # Upgrade (WebSocket): tunnel both ways until either side closes
            client.write(_head_bytes(response.start, response.headers))
            await client.drain()
            await asyncio.gather(pipe(client_reader, writer), pipe(reader, client))
            _close(writer)
            return False
        upstream_keep = "close" not in response.tokens("connection")
        headers = [(k, v) for k, v in response.headers if k.lower() not in HOP_BY_HOP]
        no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
        if no_body:
            client.write(_head_bytes(response.start, headers + [conn]))
            await client.drain()
            self._keep_or_close(backend, reader, writer, upstream_keep)
            return True
        if response.length is not None:
            client.write(_head_bytes(response.start, headers + [conn]))
            remaining = response.length
            while remaining:
                data = await reader.read(min(remaining, 65536))
                if not data:
                    raise ConnectionError("instance closed mid-body")
                client.write(data)
                remaining -= len(data)
                await client.drain()
            await client.drain()
            self._keep_or_close(backend, reader, writer, upstream_keep)
            return True
        if response.chunked:  # stream chunk by chunk (e.g. ?stream=true), frames as received
            client.write(_head_bytes(response.start, headers + [
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
            self._keep_or_close(backend, reader, writer, upstream_keep)
            return True
        # no length, not chunked: the body ends when the instance closes
        client.write(_head_bytes(response.start, headers + [("Connection", "close")]))
        await pipe(reader, client)
        _close(writer)
        return False

    def _keep_or_close(self, backend: Backend, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter, keep: bool) -> None:
        if keep:
            self._release(backend, reader, writer)
        else:
            _close(writer)

    # -- serving a client ---------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
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
            _close(writer)

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
        head = _head_bytes(f"{method} {target} HTTP/1.1", headers)
        for backend in self.candidates(path, body):
            backend.in_flight += 1
            backend.requests += 1
            try:
                keep = await self._exchange(backend, head, body, writer, reader, method,
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

    async def _metrics_response(self, request: Message, keep: bool) -> bytes:
        scheme, _, given = (request.header("authorization") or "").partition(" ")
        given = given.strip() if scheme.lower() == "bearer" else ""
        if self.metrics_token:
            allowed = hmac.compare_digest(given, self.metrics_token)
        elif self.metrics_auth is not None:
            try:
                allowed = bool(given) and await self.metrics_auth(given)
            except Exception as error:  # noqa: BLE001 - no verdict: no metrics
                logger.error(f"metrics: could not check the token: {error}")
                allowed = False
        else:
            allowed = True
        if not allowed:
            return simple_response(401, "Unauthorized", b"unauthorised\n", keep_alive=keep)
        text = self.render_own_metrics()
        if self.metrics is not None:
            try:
                text = await self.metrics() + text
            except Exception as error:  # noqa: BLE001
                logger.error(f"carebot metrics unavailable: {error}")
                text += f"# carebot metrics unavailable: {error.__class__.__name__}\n"
        return simple_response(200, "OK", text.encode(),
                               "text/plain; version=0.0.4; charset=utf-8", keep)

    def render_own_metrics(self) -> str:
        now = time.monotonic()
        lines = [
            "# HELP carebot_proxy_requests_total Requests the proxy sent to each instance.",
            "# TYPE carebot_proxy_requests_total counter",
            *[f'carebot_proxy_requests_total{{instance="{b.name}"}} {b.requests}'
              for b in self.backends],
            "# HELP carebot_proxy_upstream_errors_total Requests an instance failed or refused.",
            "# TYPE carebot_proxy_upstream_errors_total counter",
            *[f'carebot_proxy_upstream_errors_total{{instance="{b.name}"}} {b.errors}'
              for b in self.backends],
            "# HELP carebot_proxy_in_flight Requests waiting on each instance now.",
            "# TYPE carebot_proxy_in_flight gauge",
            *[f'carebot_proxy_in_flight{{instance="{b.name}"}} {b.in_flight}'
              for b in self.backends],
            "# HELP carebot_proxy_instance_up 1 unless the instance recently refused a "
            "connection.",
            "# TYPE carebot_proxy_instance_up gauge",
            *[f'carebot_proxy_instance_up{{instance="{b.name}"}} {int(b.up(now))}'
              for b in self.backends],
            "# HELP carebot_proxy_unavailable_total Requests answered 503: no instance up.",
            "# TYPE carebot_proxy_unavailable_total counter",
            f"carebot_proxy_unavailable_total {self.no_backend}",
        ]
        return "\n".join(lines) + "\n"

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

    async def start(self, host: str, port: int) -> asyncio.base_events.Server:
        self.server = await asyncio.start_server(self.handle, host, port, limit=MAX_HEAD,
                                                 backlog=1024)
        return self.server

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        for backend in self.backends:
            while backend.idle:
                _close(backend.idle.pop()[1])


def _head_bytes(start: str, headers: Sequence[tuple[str, str]]) -> bytes:
    return (start + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode(
        "latin-1")


def conversation_key(path: str, body: bytes) -> str | None:
    """The conversation a request is about: ``/conversations/<id>/…`` or a JSON body's
    ``sender`` (the REST channel); None when there is none (then: round-robin)."""
    if path.startswith("/conversations/"):
        segment = path[len("/conversations/"):].split("/", 1)[0]
        return segment or None
    if body and len(body) < 65536 and body.lstrip()[:1] == b"{":
        try:
            data = json.loads(body)
        except ValueError:
            return None
        sender = data.get("sender") if isinstance(data, dict) else None
        return str(sender) if sender not in (None, "") else None
    return None


def parse_address(text: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """``host:port``, ``:port`` or ``port`` (also ``http://host:port``)."""
    text = text.strip()
    if "://" in text:
        text = text.split("://", 1)[1].rstrip("/")
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    return (host or default_host), int(port)


def account_auth(settings: Any) -> Callable[[str], Awaitable[bool]]:
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
    """An async renderer of :func:`bot.metrics.render_prometheus` (in a worker thread)."""
    import redis

    from bot.metrics import render_prometheus

    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=5)

    async def render() -> str:
        return await asyncio.get_running_loop().run_in_executor(
            None, render_prometheus, client, prefix)

    return render


async def serve(proxy: Proxy, host: str, port: int) -> None:
    await proxy.start(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logger.info(f"proxy on {host}:{port} -> {', '.join(b.name for b in proxy.backends)}")
    print(f"carebot proxy on http://{host}:{port}/ -> "
          f"{', '.join(b.name for b in proxy.backends)} ({proxy.routing})", flush=True)
    await stop.wait()
    await proxy.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.proxy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", default="0.0.0.0:5005", help="host:port (default 0.0.0.0:5005)")
    parser.add_argument("--backend", action="append", required=True,
                        help="an instance, host:port (repeat for each)")
    parser.add_argument("--routing", choices=["round_robin", "sender"], default=None,
                        help="default: CAREBOT_PROXY_ROUTING (sender)")
    parser.add_argument("--metrics", action="store_true",
                        help="serve carebot's metrics (Redis: REDIS_URL) on GET /metrics too")
    args = parser.parse_args(argv)
    from bot.settings import get_settings

    settings = get_settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host, port = parse_address(args.listen, "0.0.0.0")
    proxy = Proxy(
        [parse_address(b) for b in args.backend],
        routing=args.routing or settings.proxy_routing,
        metrics=redis_metrics(settings.redis_url, settings.queue_prefix) if args.metrics
        else None,
        metrics_token=settings.metrics_token,
        metrics_auth=account_auth(settings) if args.metrics and not settings.metrics_token
        else None,
    )
    try:
        import uvloop  # noqa: F401 - installed with Sanic; faster event loop when present

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(proxy, host, port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
