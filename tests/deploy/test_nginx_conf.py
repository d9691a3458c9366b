"""The nginx configuration in front of carebot (deploy/nginx.conf, deploy/nginx/*.conf), run for
real with Debian's nginx against dummy Rasa instances: what the public side lets through, sticky
routing by sender, socket.io and the API on instance 1, body and rate limits.

No bot, no Redis: each dummy instance answers every request with its own number. Skipped when
nginx is not installed (scripts/install-deploy-tools installs it).
"""

from __future__ import annotations

import http.client
import http.server
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
if NGINX is None:  # `make test` installs it (scripts/ensure-debian-packages); never skipped
    pytest.fail("nginx is not installed: run `make system-packages`", pytrace=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler(http.server.BaseHTTPRequestHandler):
    instance = 0

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        data = json.dumps({
            "instance": self.instance, "method": self.command, "path": self.path,
            "body_bytes": len(body), "x_forwarded_for": self.headers.get("X-Forwarded-For"),
            "x_carebot_sender": self.headers.get("X-Carebot-Sender"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 (http.server naming)


class Backend:
    """A dummy Rasa instance on 127.0.0.1:<port> that can be stopped and started again."""

    def __init__(self, instance: int, port: int) -> None:
        self.instance, self.port = instance, port
        self.server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> None:
        handler = type(f"Handler{self.instance}", (_Handler,), {"instance": self.instance})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def instance(self) -> int:
        return int(self.json()["instance"])


def call(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None
         = None, client: str = "127.0.0.1") -> Answer:
    """One request from the loopback address ``client`` (each test its own: separate rate
    limits and separate `$remote_addr` keys)."""
    raw = body if isinstance(body, bytes) else (None if body is None else json.dumps(body).encode())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(client, 0))
    try:
        conn.request(method, path, body=raw, headers={
            **({"Content-Type": "application/json"} if raw is not None else {}), **(headers or {})})
        res = conn.getresponse()
        return Answer(res.status, {k.lower(): v for k, v in res.getheaders()}, res.read())
    finally:
        conn.close()


@dataclass
class Nginx:
    public: int
    api: int
    workspace: int
    backends: list[Backend]
    prefix: Path


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    prefix = tmp_path_factory.mktemp("nginx")
    backends = [Backend(i, free_port()) for i in (1, 2, 3)]
    workspace = Backend(99, free_port())
    for b in [*backends, workspace]:
        b.start()
    public, api, ws_port = free_port(), free_port(), free_port()
    cmd = [str(ROOT / "scripts" / "render-nginx-conf"), "--prefix", str(prefix),
           "--listen", f"127.0.0.1:{public}", "--api-listen", f"127.0.0.1:{api}",
           "--workspace", f"127.0.0.1:{workspace.port}",
           "--workspace-listen", f"127.0.0.1:{ws_port}"]
    for b in backends:
        cmd += ["--backend", f"127.0.0.1:{b.port}"]
    subprocess.run(cmd, check=True, capture_output=True)
    conf = prefix / "conf" / "nginx.conf"
    process = subprocess.Popen([str(NGINX), "-e", "stderr", "-p", str(prefix), "-c", str(conf)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if call(public, "GET", "/healthz").status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                out = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"nginx did not start: {out}")
            time.sleep(0.1)
        yield Nginx(public, api, ws_port, backends, prefix)
    finally:
        process.terminate()
        process.wait(timeout=10)
        for b in [*backends, workspace]:
            b.stop()


def test_health_answers_from_nginx(nginx: Nginx) -> None:
    res = call(nginx.public, "GET", "/healthz", client="127.0.0.2")
    assert (res.status, res.body) == (200, b"ok\n")
    ready = call(nginx.public, "GET", "/readyz", client="127.0.0.2")
    assert ready.status == 200 and ready.json()["path"] == "/"  # Rasa's "/" behind /readyz


@pytest.mark.parametrize("method,path", [
    ("GET", "/"), ("GET", "/status"), ("GET", "/version"), ("GET", "/domain"),
    ("PUT", "/model"), ("DELETE", "/model"), ("POST", "/model/train"),
    ("GET", "/conversations/ana/tracker"),
    ("POST", "/conversations/ana/tracker/events?output_channel=latest"),
    ("GET", "/metrics"), ("GET", "/webhooks"),
    ("GET", "/webhooks/rest/../../status"), ("GET", "/webhooks/%2e%2e/model"),
    ("GET", "/socket.io/../conversations/ana/tracker"), ("GET", "//status"),
])
def test_rasa_api_is_not_public(nginx: Nginx, method: str, path: str) -> None:
    res = call(nginx.public, method, path, body={} if method != "GET" else None,
               client="127.0.0.3")
    assert res.status in (400, 403, 404), (path, res.status, res.body)
    assert b"instance" not in res.body  # never reached an instance


def test_internal_api_reaches_instance_one(nginx: Nginx) -> None:
    for path in ("/status", "/conversations/ana/tracker", "/model"):
        res = call(nginx.api, "GET", path, client="127.0.0.4")
        assert res.status == 200 and res.instance == 1, path


def test_workspace_has_its_own_server(nginx: Nginx) -> None:
    res = call(nginx.workspace, "GET", "/api/tickets", client="127.0.0.5")
    assert res.status == 200 and res.instance == 99
    assert call(nginx.public, "GET", "/api/tickets", client="127.0.0.5").status == 404


def test_rest_is_sticky_by_sender_in_the_body(nginx: Nginx) -> None:
    seen: dict[str, set[int]] = {}
    for round_ in range(3):
        for i in range(12):
            sender = f"follower-{i}"
            res = call(nginx.public, "POST", "/webhooks/rest/webhook",
                       {"sender": sender, "message": f"hello {round_}"},
                       client=f"127.0.2.{i}")
            assert res.status == 200
            seen.setdefault(sender, set()).add(res.instance)
    assert all(len(v) == 1 for v in seen.values()), seen  # one conversation, one instance
    assert len(set().union(*seen.values())) >= 2            # ... and conversations spread
    # the inbox of a sender is read from the instance its messages go to
    for sender, (instance,) in seen.items():
        res = call(nginx.public, "GET", f"/webhooks/rest/inbox/{sender}", client="127.0.0.6")
        assert res.instance == instance


def test_other_sticky_keys(nginx: Nginx) -> None:
    clients = iter(range(1, 200))

    def instances(**kw: Any) -> set[int]:
        client = f"127.0.3.{next(clients)}"  # a fresh address: no rate limit in the way
        return {call(nginx.public, client=client, **kw).instance for _ in range(4)}

    for key in ("a", "b", "c", "d"):
        assert len(instances(method="POST", path="/webhooks/rest/webhook",
                             body={"message": "hi"}, headers={"X-Carebot-Sender": key})) == 1
        assert len(instances(method="POST", path=f"/webhooks/rest/webhook?sender={key}",
                             body={"message": "hi"})) == 1
    # social platforms' notifications: the follower's id inside the platform's JSON
    bodies = [
        {"object": "page", "entry": [{"messaging": [{"sender": {"id": "4711"}, "message": {}}]}]},
        {"entry": [{"changes": [{"value": {"messages": [{"from": "15550001", "id": "x"}]}}]}]},
        {"update_id": 1, "message": {"chat": {"id": -1001234, "type": "private"}, "text": "hi"}},
        {"for_user_id": "1", "direct_message_events": [{"message_create": {"sender_id": "99"}}]},
    ]
    for body in bodies:
        assert len(instances(method="POST", path="/webhooks/any/webhook", body=body)) == 1


def test_the_client_address_is_the_last_resort(nginx: Nginx) -> None:
    picked = set()
    for n in range(20, 40):
        got = {call(nginx.public, "POST", "/webhooks/rest/webhook", {"message": "hi"},
                    client=f"127.0.1.{n}").instance for _ in range(3)}
        assert len(got) == 1
        picked |= got
    assert len(picked) >= 2


def test_socket_io_goes_to_instance_one(nginx: Nginx) -> None:
    for _ in range(5):
        res = call(nginx.public, "GET", "/socket.io/?EIO=4&transport=polling", client="127.0.0.8")
        assert res.status == 200 and res.instance == 1


def test_body_limit(nginx: Nginx) -> None:
    big = {"sender": "ana", "message": "x" * 70_000}
    assert call(nginx.public, "POST", "/webhooks/rest/webhook", big, client="127.0.0.9"
                ).status == 413
    ok = {"sender": "ana", "message": "x" * 60_000}
    assert call(nginx.public, "POST", "/webhooks/rest/webhook", ok, client="127.0.0.9"
                ).status == 200


def test_rate_limit_answers_429_with_retry_after(nginx: Nginx) -> None:
    answers = [call(nginx.public, "POST", "/webhooks/rest/webhook",
                    {"sender": "flood", "message": "hi"}, client="127.0.0.10")
               for _ in range(60)]
    limited = [a for a in answers if a.status == 429]
    assert limited, "no request was limited"
    assert all(a.headers.get("retry-after") == "1" for a in limited)
    assert limited[0].json()["error"] == "too many requests"
    # another address is not affected
    assert call(nginx.public, "POST", "/webhooks/rest/webhook",
                {"sender": "calm", "message": "hi"}, client="127.0.0.11").status == 200


def test_an_instance_down_moves_only_its_conversations(nginx: Nginx) -> None:
    """Last: stops instance 1. Its conversations go elsewhere; the others stay where they were;
    socket.io and the API fall back to the next instance (backup)."""
    before = {f"s{i}": call(nginx.public, "POST", "/webhooks/rest/webhook",
                            {"sender": f"s{i}", "message": "hi"}, client=f"127.0.4.{i}").instance
              for i in range(15)}
    nginx.backends[0].stop()
    try:
        for sender, instance in before.items():
            res = call(nginx.public, "POST", "/webhooks/rest/webhook",
                       {"sender": sender, "message": "again"}, client=f"127.0.5.{sender[1:]}")
            assert res.status == 200
            if instance != 1:
                assert res.instance == instance
            else:
                assert res.instance in (2, 3)
        res = call(nginx.public, "GET", "/socket.io/?EIO=4&transport=polling", client="127.0.0.13")
        assert res.status == 200 and res.instance == 2
        assert call(nginx.api, "GET", "/status", client="127.0.0.13").instance == 2
    finally:
        nginx.backends[0].start()


def test_production_conf_is_valid(tmp_path: Path) -> None:
    """deploy/nginx.conf with the compose service names pointed at localhost (nginx -t resolves
    upstream names) and its /tmp paths inside the test's folder."""
    conf_dir = tmp_path / "conf"
    shutil.copytree(ROOT / "deploy" / "nginx", conf_dir / "carebot")
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    for name in ("rasa1", "rasa2", "workspace"):
        text = text.replace(f" {name}:", " 127.0.0.1:")
    text = text.replace("/tmp/", f"{tmp_path}/").replace("/dev/stderr", str(tmp_path / "err.log"))
    (conf_dir / "nginx.conf").write_text(text)
    run = subprocess.run([str(NGINX), "-e", "stderr", "-t", "-p", str(tmp_path),
                          "-c", str(conf_dir / "nginx.conf")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_k8s_configmap_is_generated_from_the_snippets(tmp_path: Path) -> None:
    out = tmp_path / "nginx-config.yaml"
    subprocess.run([str(ROOT / "scripts" / "render-nginx-conf"), "--k8s", "--instances", "2",
                    "--out", str(out)], check=True, capture_output=True)
    committed = ROOT / "deploy" / "k8s" / "nginx-config.yaml"
    assert committed.read_text() == out.read_text(), (
        "deploy/k8s/nginx-config.yaml is stale: run scripts/render-nginx-conf --k8s")


def test_local_follower_rate_can_be_raised(tmp_path: Path) -> None:
    """`make run` load benchmarks send everything from one address: the local variant can lift
    the per-address limit without touching the shared snippets."""
    subprocess.run([str(ROOT / "scripts" / "render-nginx-conf"), "--prefix", str(tmp_path),
                    "-n", "2", "--follower-rate", "100000r/s"], check=True, capture_output=True)
    http_conf = (tmp_path / "conf" / "carebot" / "http.conf").read_text()
    assert "zone=carebot_followers:10m rate=100000r/s;" in http_conf
    assert "rate=10r/s" in (ROOT / "deploy" / "nginx" / "http.conf").read_text()
    # the burst too: requests of the same millisecond count against it whatever the rate
    public = (tmp_path / "conf" / "carebot" / "public.conf").read_text()
    bursts = re.findall(r"zone=carebot_followers burst=(\d+)", public)
    assert bursts and set(bursts) == {"100000"}, bursts
    shared = (ROOT / "deploy" / "nginx" / "public.conf").read_text()
    assert set(re.findall(r"zone=carebot_followers burst=(\d+)", shared)) == {"20", "40"}
    run = subprocess.run([str(NGINX), "-e", "stderr", "-t", "-p", str(tmp_path), "-c",
                          str(tmp_path / "conf" / "nginx.conf")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
