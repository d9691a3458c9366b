"""Fake platform send APIs: Graph (Messenger / Instagram), WhatsApp Cloud, X API v2, Telegram.

``FakePlatform(platform)`` is a real HTTP server (stdlib ``http.server``, HTTP/1.1 keep-alive) on a
free loopback port, in a thread. It answers like the real API does: the same endpoints, the same
auth checks (``access_token`` query, ``Bearer`` token, OAuth 1.0a signature, bot token in the
path), the same text limits with the real error payload shapes, and success bodies of the right
shape. Tests script failures: ``fail_next`` (5xx or any status), ``throttle_next`` (429 with the
platform's way of saying how long to wait), ``reset_next`` (connection reset),
``refuse_window_next`` (the platform's "outside the reply window" refusal). Besides messages they
take typing indicators and read receipts (Messenger/Instagram ``sender_action``, WhatsApp ``status:
read`` with ``typing_indicator``, Telegram ``sendChatAction``, X v1.1 ``indicate_typing`` /
``mark_read``) and WhatsApp templates.

The per-platform API behaviour lives in ``tests.fakes.send_apis``; inbound webhook payloads and
their signatures are built by ``tests.fakes.payloads``.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.send_apis import GRAPH_VERSION, PLATFORMS, TEXT_LIMITS, Credentials, SendApi

__all__ = ["TEXT_LIMITS", "Credentials", "FakePlatform", "Recorded"]


@dataclass
class Recorded:
    """One request the fake received, and what it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when received
    status: int = 0

    @property
    def json(self) -> Any:
        """The JSON body; a multipart body as its form (see :func:`parse_multipart`)."""
        if self.headers.get("content-type", "").startswith("multipart/form-data"):
            return parse_multipart(self.headers["content-type"], self.body)
        return json.loads(self.body) if self.body else None


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """A ``multipart/form-data`` body as ``{field: text, ..., "__files__": {field: {"filename",
    "content_type", "data"}}}`` (media uploads); ``{}`` when it does not parse."""
    from email.message import EmailMessage
    from email.parser import BytesParser
    from email.policy import HTTP

    message: EmailMessage = BytesParser(_class=EmailMessage, policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        return {}
    form: dict[str, Any] = {"__files__": {}}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            form[name] = data.decode("utf-8")
        else:
            form["__files__"][name] = {"filename": filename, "data": data,
                                       "content_type": part.get_content_type()}
    return form


@dataclass
class _Action:
    kind: str  # "status" | "throttle" | "reset" | "window"
    status: int = 500
    seconds: float = 1.0


@dataclass
class _State:
    script: list[_Action] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakePlatform:
    """A fake send API for one platform (``messenger``, ``instagram``, ``whatsapp``, ``x``,
    ``telegram``)."""

    def __init__(self, platform: str, credentials: Credentials | None = None) -> None:
        if platform not in PLATFORMS:
            raise ValueError(platform)
        self.platform = platform
        self.creds = credentials or Credentials()
        self.limit = TEXT_LIMITS[platform]
        self.api = SendApi(platform, self.creds)
        self._state = _State()
        self.media: dict[str, tuple[str, bytes]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakePlatform:
        fake = self

        class Handler(_Handler):
            platform = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def root(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_base(self) -> str:
        """What ``*_API_BASE`` must be set to for this platform."""
        if self.platform in ("messenger", "instagram", "whatsapp"):
            return f"{self.root}/{GRAPH_VERSION}"
        return self.root

    # -- scripting ------------------------------------------------------------------------------

    def fail_next(self, times: int = 1, status: int = 500) -> None:
        """The next ``times`` requests get an error ``status`` in the platform's shape."""
        with self._state.lock:
            self._state.script.extend(_Action("status", status=status) for _ in range(times))

    def throttle_next(self, seconds: float = 1, times: int = 1) -> None:
        """The next ``times`` requests get a 429 asking to wait ``seconds``."""
        with self._state.lock:
            self._state.script.extend(_Action("throttle", seconds=seconds) for _ in range(times))

    def refuse_window_next(self, times: int = 1) -> None:
        """The next ``times`` requests are refused for the reply window, as the platform does
        (Messenger 10/2018278, Instagram 10/2534022, WhatsApp 131047)."""
        with self._state.lock:
            self._state.script.extend(_Action("window") for _ in range(times))

    def reset_next(self, times: int = 1) -> None:
        """The next ``times`` requests have their connection reset (no HTTP answer)."""
        with self._state.lock:
            self._state.script.extend(_Action("reset") for _ in range(times))

    def _next_action(self) -> _Action | None:
        with self._state.lock:
            return self._state.script.pop(0) if self._state.script else None

    # -- media followers send -------------------------------------------------------------------

    def add_media(self, key: str, content_type: str, body: bytes) -> str:
        """Store a file the follower sent; what a webhook carries for it: the WhatsApp media id
        or Telegram file_id (``key``), else the CDN URL the platform gives."""
        self.media[key] = (content_type, body)
        if self.platform in ("whatsapp", "telegram"):
            return key
        return f"{self.root}/cdn/{key}"

    def serve_media(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, str, bytes] | None:
        """The platform's media endpoints (None: not a media request)."""
        if method != "GET":
            return None
        bearer = headers.get("authorization") == f"Bearer {self.creds.token}"
        as_json = "application/json"
        if self.platform == "whatsapp":
            if path.startswith("/whatsapp/media/"):
                key = path.rsplit("/", 1)[-1]
                if not bearer:
                    return 401, as_json, b'{"error": {"code": 190}}'
                return (200, *self.media[key]) if key in self.media else (404, as_json, b"{}")
            key = path.removeprefix(f"/{GRAPH_VERSION}/")
            if key == path or "/" in key:
                return None
            if not bearer:
                return 401, as_json, json.dumps({"error": {"message": "Invalid OAuth access "
                                                           "token", "code": 190}}).encode()
            if key not in self.media:
                return 404, as_json, json.dumps({"error": {"message": "(#100) Unsupported get "
                                                           "request", "code": 100}}).encode()
            content_type, body = self.media[key]
            info = {"messaging_product": "whatsapp", "url": f"{self.root}/whatsapp/media/{key}",
                    "mime_type": content_type, "sha256": "0" * 64, "file_size": len(body),
                    "id": key}
            return 200, as_json, json.dumps(info).encode()
        if self.platform == "telegram":
            token = self.creds.token
            if path == f"/bot{token}/getFile":
                key = query.get("file_id", "")
                if key not in self.media:
                    return 400, as_json, json.dumps({"ok": False, "error_code": 400,
                                                     "description": "Bad Request: invalid "
                                                                    "file_id"}).encode()
                content_type, body = self.media[key]
                ext = {"image/jpeg": "jpg", "video/mp4": "mp4", "audio/ogg": "oga",
                       "application/pdf": "pdf"}.get(content_type, "bin")
                result = {"file_id": key, "file_unique_id": "u" + key[:8],
                          "file_size": len(body), "file_path": f"files/{key}.{ext}"}
                return 200, as_json, json.dumps({"ok": True, "result": result}).encode()
            if path.startswith(f"/file/bot{token}/files/"):
                key = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
                if key not in self.media:
                    return 404, as_json, b'{"ok": false}'
                return 200, "application/octet-stream", self.media[key][1]
            return None
        if path.startswith("/cdn/"):
            key = path.removeprefix("/cdn/")
            if self.platform == "x" and not headers.get("authorization", "").startswith("OAuth "):
                return 401, as_json, b'{"title": "Unauthorized"}'
            return (200, *self.media[key]) if key in self.media else (404, as_json, b"{}")
        return None

    # -- inspection -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def delivered(self) -> list[Recorded]:
        """Requests that were accepted (2xx)."""
        return [r for r in self.requests if 200 <= r.status < 300]

    def texts(self) -> list[str]:
        """Texts of the accepted message sends, in order."""
        return [t for t in (self.text_of(r.json) for r in self.delivered) if t is not None]

    def text_of(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return None
        if self.platform in ("messenger", "instagram"):
            return body.get("message", {}).get("text")
        if self.platform == "whatsapp":
            if body.get("type") == "text":
                return body["text"]["body"]
            if body.get("type") == "interactive":
                return body["interactive"]["body"]["text"]
            return None
        return body.get("text")

    def wait_for(self, count: int, timeout: float = 15.0, accepted: bool = True) -> list[Recorded]:
        """Wait until ``count`` (accepted) requests arrived; return them."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.delivered if accepted else self.requests
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(
            f"{self.platform}: expected {count} requests, got {len(self.requests)} "
            f"({[r.status for r in self.requests]})"
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    platform: FakePlatform

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
        return

    def _handle(self) -> None:
        fake = self.platform
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = Recorded(
            self.command, split.path, dict(parse_qsl(split.query)), headers, raw, time.time()
        )
        with fake._state.lock:
            fake._state.requests.append(record)
        served = fake.serve_media(self.command, split.path, record.query, headers)
        if served is not None:
            record.status, content_type, data = served
            self.send_response(record.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        action = fake._next_action()
        if action is not None and action.kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            record.status = -1
            return
        if action is not None:
            status, payload, extra = fake.api.scripted(action.kind, action.status, action.seconds)
        else:
            try:
                body = record.json
            except ValueError:
                body = None
            status, payload, extra = fake.api.answer(
                self.command, split.path, record.query, headers, body, self.headers.get("Host", "")
            )
        record.status = status
        if status == 204:
            self.send_response(204)
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            return
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_POST = _handle
    do_GET = _handle
