"""Spool (escalations kept on disk while Redis is down) and the Sweeper."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from bot.queue import AgentQueue, Escalation, Spool, Sweeper
from tests.conftest import FakeClock, make_escalation

ROOT = Path(__file__).resolve().parents[2]


def down_queue() -> AgentQueue:
    """A queue pointed at a closed port: every call raises ConnectionError quickly."""
    client = redis.Redis.from_url(
        "redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2
    )
    return AgentQueue(client)


def test_escalation_round_trips_through_dict() -> None:
    e = make_escalation("u1")
    assert Escalation.from_dict(e.to_dict()) == e
    with pytest.raises(ValueError, match="missing"):
        Escalation.from_dict({"channel": "x"})
    with pytest.raises(ValueError):
        Escalation.from_dict(["not", "a", "dict"])  # type: ignore[arg-type]


def test_put_writes_json_atomically(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    assert spool.pending() == []
    e = make_escalation("u1")
    path = spool.put(e)
    assert path.parent == tmp_path / "spool" and path.suffix == ".json"
    assert e.escalation_id in path.name
    assert Escalation.from_dict(json.loads(path.read_text())) == e
    assert [p.name for p in (tmp_path / "spool").iterdir()] == [path.name]  # no tmp file left
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_pending_is_oldest_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    paths = [spool.put(make_escalation(f"u{i}")) for i in range(5)]
    assert spool.pending() == paths


def test_drain_delivers_in_order_and_deletes(
    tmp_path: Path, queue: AgentQueue, clock: FakeClock
) -> None:
    spool = Spool(tmp_path)
    escs = [make_escalation(f"u{i}", priority=3) for i in range(5)]
    for e in escs:
        spool.put(e)
    assert spool.drain(queue) == 5
    assert spool.pending() == []
    assert [t.sender for t in queue.list()] == [f"u{i}" for i in range(5)]
    assert spool.drain(queue) == 0


def test_drain_is_idempotent(tmp_path: Path, queue: AgentQueue) -> None:
    spool = Spool(tmp_path)
    e = make_escalation("u1")
    queue.escalate(e)  # already delivered once (e.g. a crash before the file was deleted)
    spool.put(e)
    spool.put(e)
    assert spool.drain(queue) == 2
    assert len(queue.list()) == 1 and queue.get("T-000001").escalations == 1


def test_corrupt_files_are_moved_aside(
    tmp_path: Path, queue: AgentQueue, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path)
    spool.put(make_escalation("u1"))
    (tmp_path / "00000000000000000001-garbage.json").write_text("{not json")
    bad = make_escalation("u2").to_dict()
    bad["priority"] = 9
    (tmp_path / "00000000000000000002-badprio.json").write_text(json.dumps(bad))
    (tmp_path / "00000000000000000003-list.json").write_text("[1, 2]")
    (tmp_path / "00000000000000000004-binary.json").write_bytes(b"\xff\xfe\x00")
    spool.put(make_escalation("u3"))
    with caplog.at_level(logging.ERROR, logger="bot.queue.spool"):
        assert spool.drain(queue) == 2
    assert spool.pending() == []
    assert sorted(p.name for p in tmp_path.glob("*.bad")) == [
        "00000000000000000001-garbage.json.bad",
        "00000000000000000002-badprio.json.bad",
        "00000000000000000003-list.json.bad",
        "00000000000000000004-binary.json.bad",
    ]
    assert caplog.text.count("not a valid escalation") == 4
    assert sorted(t.sender for t in queue.list()) == ["u1", "u3"]


def test_drain_with_redis_down_keeps_everything(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    paths = [spool.put(make_escalation(f"u{i}")) for i in range(3)]
    started = time.monotonic()
    assert spool.drain(down_queue()) == 0
    assert time.monotonic() - started < 2  # stopped at the first error, did not try all
    assert spool.pending() == paths


def test_drain_stops_when_redis_goes_away_midway(tmp_path: Path, queue: AgentQueue) -> None:
    spool = Spool(tmp_path)
    paths = [spool.put(make_escalation(f"u{i}")) for i in range(4)]

    class FlakyQueue:
        calls = 0

        def escalate(self, esc: Escalation) -> object:
            FlakyQueue.calls += 1
            if FlakyQueue.calls == 3:
                raise redis.ConnectionError("gone")
            return queue.escalate(esc)

    assert spool.drain(FlakyQueue()) == 2  # type: ignore[arg-type]
    assert spool.pending() == paths[2:]
    assert spool.drain(queue) == 2
    assert [t.sender for t in queue.list()] == ["u0", "u1", "u2", "u3"]


def test_stale_tmp_files_are_cleaned(tmp_path: Path, queue: AgentQueue) -> None:
    spool = Spool(tmp_path)
    stale = tmp_path / ".123-x.json.tmp"
    stale.write_text("{")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    fresh = tmp_path / ".456-y.json.tmp"  # maybe being written right now: left alone
    fresh.write_text("{")
    spool.drain(queue)
    assert not stale.exists() and fresh.exists()


CHILD = r"""
import sys
from pathlib import Path
from bot.queue import Escalation, Spool

spool = Spool(Path(sys.argv[1]))
i = 0
while True:
    e = Escalation("web", f"u{i}", ["x"], 2, "t" * 5000, "d", escalation_id=f"esc-{i}")
    spool.put(e)
    print(e.escalation_id, flush=True)
    i += 1
"""


def test_a_process_killed_while_spooling_loses_nothing(tmp_path: Path, queue: AgentQueue) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, cwd=ROOT, env=env
    )
    assert child.stdout is not None
    acked = []
    for line in child.stdout:
        acked.append(line.decode().strip())
        if len(acked) >= 100:
            break
    child.send_signal(signal.SIGKILL)
    acked.extend(line.decode().strip() for line in child.stdout)
    child.wait(timeout=10)
    spool = Spool(tmp_path)
    # every file that looks finished is complete (a torn write stays a hidden .tmp)
    ids = [Escalation.from_dict(json.loads(p.read_text())).escalation_id for p in spool.pending()]
    assert set(acked) <= set(ids) and len(ids) <= len(acked) + 1
    assert spool.drain(queue) == len(ids)
    assert len(queue.list(limit=1000)) == len(ids)


def test_sweeper_tolerates_redis_down_then_catches_up(
    tmp_path: Path, queue: AgentQueue, clock: FakeClock
) -> None:
    spool = Spool(tmp_path)
    spool.put(make_escalation("u1"))
    result = Sweeper(down_queue(), spool).run_once()
    assert result["drained"] == 0 and result["spooled"] == 1 and result["errors"]
    # Redis is back: expired lease requeued, waiting ticket aged, spool drained
    tid = queue.escalate(make_escalation("u2", priority=4)).ticket_id
    other = queue.escalate(make_escalation("u3", priority=4)).ticket_id
    queue.claim(tid, "alice")
    clock.advance(601)
    result = Sweeper(queue, spool, interval=0.01).run_once()
    assert result["expired"] == [tid] and sorted(result["aged"]) == sorted([tid, other])
    assert result["drained"] == 1 and result["spooled"] == 0 and result["errors"] == []
    assert queue.open_ticket_id("whatsapp", "u1") is not None


def test_sweeper_without_spool_and_run_forever(queue: AgentQueue, clock: FakeClock) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    queue.claim(tid, "alice")
    clock.advance(61)
    sweeper = Sweeper(queue, None, interval=0.01)
    stop = threading.Event()
    thread = threading.Thread(target=sweeper.run_forever, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 5
    while queue.get(tid).status != "queued" and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert queue.get(tid).status == "queued"
    with pytest.raises(ValueError):
        Sweeper(queue, None, interval=0)


def test_run_forever_survives_a_failing_pass(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def sweep_report(self) -> None:
            raise RuntimeError("boom")

    sweeper = Sweeper(Broken(), None, interval=0.01)  # type: ignore[arg-type]
    stop = threading.Event()
    thread = threading.Thread(target=sweeper.run_forever, args=(stop,))
    with caplog.at_level(logging.ERROR, logger="bot.queue.sweeper"):
        thread.start()
        time.sleep(0.1)
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive() and "pass failed" in caplog.text
