"""Rasa's HTTP API as the workspace uses it, for tests that need no trained model.

``FakeRasa(outputs)`` is a real HTTP server on a loopback port, in a thread, answering the calls
``bot.rasa_ext.client.RasaClient`` makes: ``GET /conversations/{id}/tracker`` and ``POST
/conversations/{id}/tracker/events`` (``output_channel``, ``execute_side_effects``). Trackers are
kept in memory. With side effects, each bot event is handed to the conversation's real output
channel exactly as ``rasa.server`` does it (``BotUttered.message()``: ``data`` + ``text`` +
``metadata`` → ``OutputChannel.send_response``), so an agent's reply goes through carebot's own
channel code (splitting, tags, templates, retries, failure recording) to a fake platform. The
output channel is the ``output_channel`` query parameter, or for ``latest`` the input channel of
the conversation's latest user event, as Rasa picks it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from rasa.core.channels.channel import OutputChannel


class FakeRasa:
    """In-memory trackers behind Rasa's conversation endpoints."""

    def __init__(self, outputs: dict[str, OutputChannel]) -> None:
        self.outputs = outputs
        self.trackers: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.unavailable = False
        """When set, every request gets a 500 (the bot server is broken)."""
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeRasa:
        fake = self

        class Handler(_Handler):
            rasa = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def root(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- seeding trackers ---------------------------------------------------------------------

    def user(self, sender: str, text: str, channel: str, ts: float | None = None,
             intent: str = "faq") -> None:
        self._append(sender, {"event": "user", "text": text, "input_channel": channel,
                              "timestamp": ts or time.time(),
                              "parse_data": {"intent": {"name": intent, "confidence": 0.9}},
                              "metadata": {"channel": channel}})

    def bot(self, sender: str, text: str, ts: float | None = None,
            utter_action: str | None = None) -> None:
        metadata = {"utter_action": utter_action} if utter_action else {}
        self._append(sender, {"event": "bot", "text": text, "timestamp": ts or time.time(),
                              "metadata": metadata, "data": {}})

    def _append(self, sender: str, event: dict[str, Any]) -> None:
        with self.lock:
            self.trackers.setdefault(sender, []).append(event)

    def events(self, sender: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.trackers.get(sender, []))

    def reset(self) -> None:
        with self.lock:
            self.trackers.clear()
            self.requests.clear()
            self.unavailable = False

    # -- what rasa.server does ----------------------------------------------------------------

    def latest_channel(self, sender: str) -> str | None:
        for event in reversed(self.events(sender)):
            if event.get("event") == "user":
                return str(event.get("input_channel"))
        return None

    def append(self, sender: str, events: list[dict[str, Any]], query: dict[str, str]) -> None:
        for event in events:
            self._append(sender, {**event, "timestamp": time.time()})
        if query.get("execute_side_effects") != "true":
            return
        channel = query.get("output_channel", "latest")
        if channel == "latest":
            channel = self.latest_channel(sender) or ""
        output = self.outputs.get(channel)
        if output is None:
            return  # Rasa falls back to a collecting channel: nothing reaches a follower
        for event in events:
            if event.get("event") != "bot":
                continue
            message = {**(event.get("data") or {}), "text": event.get("text"),
                       **(event.get("metadata") or {})}
            asyncio.run(output.send_response(sender, message))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    rasa: FakeRasa

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
        return

    def _answer(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> tuple[str, str, dict[str, str]] | None:
        split = urlsplit(self.path)
        parts = split.path.split("/")
        if len(parts) < 4 or parts[1] != "conversations":
            return None
        return unquote(parts[2]), "/" + "/".join(parts[3:]), dict(parse_qsl(split.query))

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        route = self._route()
        rasa = self.rasa
        if route is None:
            return self._answer(404, {"status": "failure", "reason": "NotFound"})
        sender, path, query = route
        with rasa.lock:
            rasa.requests.append((method, path, query))
        if "authorization" not in {k.lower() for k in self.headers}:
            return self._answer(401, {"status": "failure", "reason": "NotAuthenticated"})
        if rasa.unavailable:
            return self._answer(500, {"status": "failure", "reason": "ConversationError"})
        if method == "GET" and path == "/tracker":
            return self._answer(200, {"sender_id": sender, "events": rasa.events(sender)})
        if method == "POST" and path == "/tracker/events":
            events = json.loads(raw or b"[]")
            events = events if isinstance(events, list) else [events]
            rasa.append(sender, events, query)
            return self._answer(200, {"sender_id": sender, "events": rasa.events(sender)})
        return self._answer(404, {"status": "failure", "reason": "NotFound"})
