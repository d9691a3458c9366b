"""Which instance a request goes to (:mod:`bot.proxy`): the instances and their counters, the
conversation a request is about, and the order in which instances are tried.

``/socket.io/`` and the HTTP API (``PRIMARY_PATHS``) go to instance 1; with ``sender`` routing
a conversation's requests go to the instance its id hashes to; everything else round-robin.
Instances that recently refused a connection are tried last.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from dataclasses import dataclass, field
from typing import Sequence

ROUTINGS = ("round_robin", "sender")
PRIMARY_PATHS = ("/socket.io", "/conversations/")
"""Requests that go to instance 1 (the next one up if it is down): socket.io, whose sessions
live in one instance, and the HTTP API, so that an agent's reply (``/conversations/<id>/…``) is
sent by the instance that holds the web-chat follower's socket."""


@dataclass
class Backend:
    """One Rasa instance: its address, its counters and its idle keep-alive connections."""

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


class Router:
    """Orders the instances to try for one request (``round_robin`` or ``sender``)."""

    def __init__(self, backends: Sequence[tuple[str, int]], routing: str = "round_robin") -> None:
        if not backends:
            raise ValueError("at least one backend")
        if routing not in ROUTINGS:
            raise ValueError("routing: round_robin or sender")
        self.backends = [Backend(h, int(p), i) for i, (h, p) in enumerate(backends)]
        self.routing = routing
        self._next = 0

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
