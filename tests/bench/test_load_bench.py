"""The load benchmark's follower model (``bench/load_followers.py``) against a fake REST channel,
and its small helpers: stock Rasa's endpoints, process roles."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest
from aiohttp import web

from bench import load_followers
from bench.load_bench import role
from bench.load_stock import stock_endpoints
from tests.fakes.http_server import serve_post

HANDOFF = "I've passed this to a teammate"


def _run(think_ms: float, senders: int = 3, messages: int = 7,
         seed: int = 3) -> tuple[list[Any], list[Any], list[float]]:
    """Followers against a fake channel that hands off every ESCALATE text; the pauses the
    followers asked for are recorded (and not waited)."""
    received: list[tuple[str, str]] = []
    pauses: list[float] = []

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        received.append((body["sender"], body["message"]))
        text = HANDOFF if body["message"] in load_followers.ESCALATE else "Here you go."
        return web.json_response([{"recipient_id": body["sender"], "text": text}])

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    async def scenario() -> list[Any]:
        async with serve_post("/webhooks/rest/webhook", webhook) as url:
            sent, _ = await load_followers.run_followers(
                url, "t", senders, messages, think_ms, seed, 10.0, [HANDOFF])
            return sent

    original = load_followers.asyncio
    load_followers.asyncio = types.SimpleNamespace(  # type: ignore[assignment]
        sleep=pause, gather=asyncio.gather, TimeoutError=asyncio.TimeoutError)
    try:
        sent = asyncio.run(scenario())
    finally:
        load_followers.asyncio = original
    return sent, received, pauses


def test_followers_wait_for_each_reply_then_think() -> None:
    sent, received, pauses = _run(3000)
    assert len(sent) == len(received) == 3 * 7
    assert all(s.ok for s in sent)
    by_follower: dict[str, list[Any]] = {}
    for s in sent:
        by_follower.setdefault(s.sender.split("-c")[0], []).append(s)
    assert sorted(by_follower) == ["t-f0", "t-f1", "t-f2"]
    assert all(len(v) == 7 for v in by_follower.values())
    # (seed 3: three of these conversations escalate)
    # one start offset (0..1x) per follower, then one think time (0.5x..1.5x) per later message
    assert len(pauses) == 3 + 3 * 6
    offsets = [p for p in pauses if p < 1.5]
    thinks = [p for p in pauses if p >= 1.5]
    assert len(thinks) >= 3 * 6 and all(1.5 <= p <= 4.5 for p in thinks)
    assert all(0 <= p <= 3.0 for p in offsets)
    # every conversation that was handed off ends there; the follower goes on in a new one
    for s in sent:
        later = [x for x in sent if x.sender == s.sender and x.seq > s.seq]
        assert not (s.escalated and later), s
    assert any(s.escalated for s in sent)
    assert [(s.sender, s.text) for s in sent if s.sender == sent[0].sender] == [
        r for r in received if r[0] == sent[0].sender]


def test_closed_loop_never_pauses() -> None:
    sent, received, pauses = _run(0, senders=2, messages=5)
    assert pauses == [] and len(sent) == len(received) == 10


def test_stock_rasa_uses_rasas_own_redis_stores() -> None:
    endpoints = stock_endpoints("redis://:secret@cache.local:6380/3")
    for store in (endpoints["tracker_store"], endpoints["lock_store"]):
        assert store == {"type": "redis", "url": "cache.local", "port": 6380, "db": 3,
                         "password": "secret"}
    assert "action_endpoint" not in endpoints
    assert stock_endpoints("redis://localhost")["lock_store"]["db"] == 0


class _Process:
    def __init__(self, cmd: list[str]) -> None:
        self.cmd = cmd

    def cmdline(self) -> list[str]:
        return self.cmd


@pytest.mark.parametrize("cmd,expected", [
    (["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"], "actions"),
    (["python", "/venv/bin/rasa", "run", "--enable-api", "--port", "5006"], "rasa"),
    (["nginx: master process nginx -e stderr -p /x/var/nginx -c conf/nginx.conf"], "nginx"),
    (["nginx: worker process"], "nginx"),
    (["python", "/venv/bin/carebot", "run"], "other"),
])
def test_process_roles(cmd: list[str], expected: str) -> None:
    assert role(_Process(cmd)) == expected


def test_trackers_are_read_through_rasas_api_not_the_public_side() -> None:
    """Behind nginx the public port answers 404 for Rasa's API: the check reads trackers from
    ``api_url`` (nginx's internal port) and counts what it could not read, never as checked."""
    import http.server
    import json
    import threading

    from bench.load_bench import Phase
    from bench.load_checks import verify
    from bench.load_followers import Sent

    stored = {"rest:a": ["hi", "where is my order"], "rest:b": ["hello", "thanks"]}

    class Api(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:  # noqa: N802
            conversation = self.path.split("/")[2]
            body = json.dumps({"events": [{"event": "user", "text": t}
                                          for t in stored[conversation]]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Public(Api):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), h) for h in (Api, Public)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    api, public = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    try:
        phase = Phase("carebot", public)
        phase.sent = [Sent("a", 0, "faq", "hi", 1.0, True, conversation="rest:a"),
                      Sent("a", 1, "faq", "where is my order", 1.0, True, conversation="rest:a"),
                      Sent("b", 0, "faq", "thanks", 1.0, True, conversation="rest:b"),
                      Sent("b", 1, "faq", "hello", 1.0, True, conversation="rest:b")]
        through_public = verify(phase, "t", None, "p", False)
        assert through_public["conversations_checked"] == 0
        assert through_public["unreadable"] == 2
        result = verify(phase, "t", None, "p", False, api_url=api)
        assert result["conversations_checked"] == 2 and result["unreadable"] == 0
        assert result["reordered"] == 1 and result["lost"] == 0  # b was stored out of order
    finally:
        for server in servers:
            server.shutdown()
