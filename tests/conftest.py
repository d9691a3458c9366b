"""Shared fixtures: a real Redis (never a mock), a fake clock, and queue invariant checks."""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import pytest
import redis

from bot.queue import AgentQueue, Escalation, Keys

pytest_plugins = (
    "tests.stack",  # the `stack` fixture: a running bot for end-to-end tests
    "tests.workspace.test_workspace_support",  # `workspace_stack`, `accounts`, `people`
    "tests.fakes.fixtures",  # fake platforms for the channel and security tests
)

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
T0 = 1_700_000_000.0


@pytest.fixture(scope="session")
def redis_url() -> str:
    """``CAREBOT_TEST_REDIS_URL`` or db 15 of the local server (flushed by the tests!)."""
    return os.environ.get("CAREBOT_TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A decoding client on an empty db; FLUSHDB before and after the test."""
    client = redis.Redis.from_url(
        redis_url, decode_responses=True, socket_connect_timeout=2, socket_timeout=10
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {redis_url} ({exc}). Start redis-server, or point "
            "CAREBOT_TEST_REDIS_URL at a server whose db may be flushed.",
            pytrace=False,
        )
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


class FakeClock:
    """A clock the test moves by hand: ``clock()`` -> now; ``clock.advance(seconds)``."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue(redis_client: redis.Redis, clock: FakeClock) -> AgentQueue:
    """An AgentQueue on the test db, with the fake clock, 60 s leases and 600 s aging."""
    return AgentQueue(redis_client, lease_seconds=60.0, clock=clock, aging_seconds=600.0)


def make_escalation(sender: str = "u1", **overrides: Any) -> Escalation:
    """An escalation with sensible defaults; any field can be overridden."""
    fields: dict[str, Any] = {
        "channel": "whatsapp",
        "sender": sender,
        "reasons": ["negative_tone"],
        "priority": 3,
        "text": f"message from {sender}",
        "draft": "Sorry to hear that, an agent will help you.",
        "tone": {"negative": 0.9, "sarcasm": 0.1, "label": "negative", "signals": []},
        "nlu": {"intent": "complaint", "confidence": 0.4},
        "transcript": [{"role": "follower", "text": f"message from {sender}", "ts": 1.0}],
    }
    fields.update(overrides)
    return Escalation(**fields)


@pytest.fixture
def esc() -> Callable[..., Escalation]:
    return make_escalation


def event_types(queue: AgentQueue, ticket_id: str | None = None) -> list[str]:
    """Types of the audit events (of one ticket, or all), oldest first."""
    return [e["type"] for _, e in queue.events(count=10_000) if ticket_id in (None, e["ticket"])]


def check_invariants(client: redis.Redis, prefix: str = "carebot") -> dict[str, int]:
    """Assert that every ticket is in exactly the indexes its status says; counts by status."""
    k = Keys(prefix)
    queued = {m: s for m, s in client.zrange(k.queued, 0, -1, withscores=True)}
    claimed = {m: s for m, s in client.zrange(k.claimed, 0, -1, withscores=True)}
    order = set(client.zrange(k.claimed_order, 0, -1))
    resolved = set(client.zrange(k.resolved, 0, -1))
    aging = set(client.zrange(k.aging, 0, -1))
    opens = client.hgetall(k.open)
    ids = {key.split(":")[2] for key in client.scan_iter(f"{prefix}:ticket:*", count=1000)}
    counts = {"queued": 0, "claimed": 0, "resolved": 0}
    held: dict[str, set[str]] = {}
    for tid in ids:
        h = client.hgetall(k.ticket(tid))
        status = h["status"]
        counts[status] += 1
        assert (tid in queued) == (status == "queued"), (tid, status)
        assert (tid in claimed) == (status == "claimed"), (tid, status)
        assert (tid in order) == (status == "claimed"), (tid, status)
        assert (tid in resolved) == (status == "resolved"), (tid, status)
        assert tid not in aging or status == "queued", (tid, status)
        if status == "queued":
            assert queued[tid] == Keys.score(int(h["priority"]), int(h["enqueued_ms"]))
            assert "claimed_by" not in h
        if status == "claimed":
            assert claimed[tid] == pytest.approx(float(h["lease_until"]))
            held.setdefault(h["claimed_by"], set()).add(tid)
        if status == "resolved":
            assert opens.get(h["conv"]) != tid
            assert h["outcome"] in ("resolved", "handed_back")
        else:
            assert opens.get(h["conv"]) == tid, (tid, "not the open ticket of its conversation")
    assert set(queued) | set(claimed) | resolved | set(opens.values()) <= ids
    for key in client.scan_iter(f"{prefix}:agent:*"):
        agent = key[len(f"{prefix}:agent:") :]
        assert client.smembers(key) == held.get(agent, set()), agent
    for agent, tickets in held.items():
        assert client.smembers(k.agent(agent)) == tickets
    return counts


@pytest.fixture
def invariants() -> Callable[..., dict[str, int]]:
    return check_invariants
