"""bot.proxy: the round-robin reverse proxy in front of N Rasa instances (real sockets)."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import threading
import time
from collections import Counter
from typing import Any, Iterator

import pytest
import requests

from bot.proxy.routing import conversation_key, parse_address
from bot.proxy.server import Proxy
from tests.fakes.live_app import free_port


class Backend(http.server.BaseHTTPRequestHandler):
    """A fake Rasa instance: answers JSON describing the request it got."""

    protocol_version = "HTTP/1.1"
    name = "?"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reply(self) -> None:
        body = self._body()
        if self.path.startswith("/stream"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"one ", b"two ", b"three"):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path.startswith("/ws"):
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            self.wfile.flush()
            while True:  # echo raw bytes, upper-cased, until the client closes
                data = self.connection.recv(1024)
                if not data:
                    break
                self.connection.sendall(data.upper())
            self.close_connection = True
            return
        if self.path.startswith("/close"):
            self.close_connection = True
        payload = json.dumps(
            {
                "backend": self.name,
                "method": self.command,
                "path": self.path,
                "body": body.decode(),
                "xff": self.headers.get("X-Forwarded-For"),
                "host": self.headers.get("Host"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _reply


class Fleet:
    """Fake instances + the proxy (on its own event loop thread)."""

    def __init__(self, n: int, routing: str = "round_robin", **kwargs: Any) -> None:
        self.servers = []
        for i in range(n):
            handler = type(f"B{i}", (Backend,), {"name": f"b{i}"})
            server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
        self.addresses = [("127.0.0.1", s.server_address[1]) for s in self.servers]
        self.proxy = Proxy(self.addresses, routing=routing, **kwargs)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(
            self.proxy.start("127.0.0.1", self.port), self.loop
        ).result(10)

    def stop_backend(self, i: int) -> None:
        if self.servers[i].socket.fileno() != -1:
            self.servers[i].shutdown()
            self.servers[i].server_close()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        for i in range(len(self.servers)):
            self.stop_backend(i)


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    f = Fleet(3)
    yield f
    f.close()


def test_round_robin_spreads_requests_and_passes_them_whole(fleet: Fleet) -> None:
    session = requests.Session()  # keep-alive to the proxy
    seen = []
    for i in range(30):
        res = session.post(
            f"{fleet.url}/webhooks/rest/webhook?x={i}",
            json={"sender": "ana", "message": f"hi {i}"},
            timeout=5,
        )
        assert res.status_code == 200
        data = res.json()
        assert data["path"] == f"/webhooks/rest/webhook?x={i}"
        assert json.loads(data["body"]) == {"sender": "ana", "message": f"hi {i}"}
        assert data["xff"] == "127.0.0.1" and data["host"] == f"127.0.0.1:{fleet.port}"
        seen.append(data["backend"])
    assert Counter(seen) == {"b0": 10, "b1": 10, "b2": 10}
    assert seen[:3] == ["b0", "b1", "b2"]
    # upstream connections are reused: far fewer than one per request
    assert sum(len(b.idle) for b in fleet.proxy.backends) <= 3


def test_methods_bodies_and_streams(fleet: Fleet) -> None:
    res = requests.put(f"{fleet.url}/conversations/x/tracker/events", data=b"[1,2,3]", timeout=5)
    assert res.json()["method"] == "PUT" and res.json()["body"] == "[1,2,3]"

    def chunks() -> Iterator[bytes]:
        yield b'{"sender": "c",'
        yield b' "message": "chunked"}'

    res = requests.post(f"{fleet.url}/webhooks/rest/webhook", data=chunks(), timeout=5)
    assert json.loads(res.json()["body"]) == {"sender": "c", "message": "chunked"}
    res = requests.get(f"{fleet.url}/stream", stream=True, timeout=5)
    assert b"".join(res.iter_content(None)) == b"one two three"
    res = requests.get(f"{fleet.url}/close", timeout=5)  # instance closes: still fine
    assert res.status_code == 200


def test_failover_when_an_instance_is_down() -> None:
    fleet = Fleet(2)
    try:
        fleet.stop_backend(1)
        backends = [
            requests.get(f"{fleet.url}/status", timeout=5).json()["backend"] for _ in range(10)
        ]
        assert set(backends) == {"b0"}
        status = requests.get(f"{fleet.url}/proxy/status", timeout=5).json()
        assert [i["up"] for i in status["instances"]] == [True, False]
    finally:
        fleet.close()


def test_no_instance_up_is_503() -> None:
    fleet = Fleet(2)
    try:
        fleet.stop_backend(0)
        fleet.stop_backend(1)
        res = requests.get(f"{fleet.url}/status", timeout=5)
        assert res.status_code == 503
        assert "carebot_proxy_unavailable_total 1" in fleet.proxy.render_own_metrics()
    finally:
        fleet.close()


def test_sender_routing_keeps_a_conversation_on_one_instance() -> None:
    fleet = Fleet(3, routing="sender")
    try:
        for sender in ("ana", "bo", "cy", "di"):
            got = {
                requests.post(
                    f"{fleet.url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": "m"},
                    timeout=5,
                ).json()["backend"]
                for _ in range(6)
            }
            assert len(got) == 1
    finally:
        fleet.close()


def test_socketio_and_the_http_api_go_to_the_first_instance(fleet: Fleet) -> None:
    got = {
        requests.get(f"{fleet.url}/socket.io/?EIO=4&transport=polling", timeout=5).json()["backend"]
        for _ in range(6)
    }
    api = {
        requests.post(f"{fleet.url}/conversations/ana/execute", json={}, timeout=5).json()[
            "backend"
        ]
        for _ in range(6)
    }
    assert got == api == {"b0"}
    fleet.stop_backend(0)  # instance 1 down: the next one takes over
    fleet.proxy.backends[0].idle.clear()
    got = {
        requests.get(f"{fleet.url}/socket.io/?EIO=4", timeout=5).json()["backend"] for _ in range(3)
    }
    assert got == {"b1"}


def test_upgrade_is_tunnelled(fleet: Fleet) -> None:
    with socket.create_connection(("127.0.0.1", fleet.port), timeout=5) as sock:
        sock.sendall(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n" b"Upgrade: websocket\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1024)
        assert head.startswith(b"HTTP/1.1 101")
        sock.sendall(b"hello")
        echoed = b""
        while len(echoed) < 5:
            echoed += sock.recv(1024)
        assert echoed == b"HELLO"


def test_metrics_and_status_are_served_by_the_proxy() -> None:
    async def carebot_metrics() -> str:
        return "# TYPE carebot_messages_total counter\ncarebot_messages_total 7\n"

    fleet = Fleet(2, metrics=carebot_metrics, metrics_token="tok")
    try:
        for _ in range(4):
            requests.get(f"{fleet.url}/status", timeout=5)
        assert requests.get(f"{fleet.url}/metrics", timeout=5).status_code == 401
        res = requests.get(
            f"{fleet.url}/metrics", headers={"Authorization": "Bearer tok"}, timeout=5
        )
        assert res.status_code == 200 and "version=0.0.4" in res.headers["Content-Type"]
        assert "carebot_messages_total 7" in res.text
        port0 = fleet.addresses[0][1]
        assert f'carebot_proxy_requests_total{{instance="127.0.0.1:{port0}"}} 2' in res.text
        assert "carebot_proxy_instance_up" in res.text
    finally:
        fleet.close()


def test_metrics_without_a_scrape_token_need_an_account() -> None:
    async def carebot_metrics() -> str:
        return "carebot_messages_total 1\n"

    async def is_account(token: str) -> bool:
        return token == "cbt_agent"

    fleet = Fleet(1, metrics=carebot_metrics, metrics_auth=is_account)
    try:
        assert requests.get(f"{fleet.url}/metrics", timeout=5).status_code == 401
        bad = requests.get(f"{fleet.url}/metrics", headers={"Authorization": "Bearer x"}, timeout=5)
        assert bad.status_code == 401
        res = requests.get(
            f"{fleet.url}/metrics", headers={"Authorization": "Bearer cbt_agent"}, timeout=5
        )
        assert res.status_code == 200 and "carebot_messages_total 1" in res.text
    finally:
        fleet.close()


def test_bad_requests_get_400(fleet: Fleet) -> None:
    with socket.create_connection(("127.0.0.1", fleet.port), timeout=5) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 400")


def test_helpers() -> None:
    assert parse_address("5006") == ("127.0.0.1", 5006)
    assert parse_address("http://rasa-2:5005/") == ("rasa-2", 5005)
    assert parse_address("0.0.0.0:5005") == ("0.0.0.0", 5005)
    assert conversation_key("/conversations/ana/tracker", b"") == "ana"
    assert conversation_key("/webhooks/rest/webhook", b'{"sender": "bo"}') == "bo"
    assert conversation_key("/webhooks/rest/webhook", b"not json") is None
    assert conversation_key("/status", b"") is None
