"""Races: many agents (threads, each with its own connection) on one queue, real Redis."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Callable

import redis

from bot.queue import AgentQueue, AlreadyClaimed, Ticket
from tests.conftest import check_invariants, make_escalation

AGENTS = 20


def run_threads(n: int, target: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def wrapped(i: int) -> None:
        try:
            target(i)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)


def own_queue(redis_url: str) -> AgentQueue:
    return AgentQueue(redis.Redis.from_url(redis_url, decode_responses=True))


def test_twenty_agents_race_for_one_ticket(redis_client: redis.Redis, redis_url: str) -> None:
    tid = AgentQueue(redis_client).escalate(make_escalation("u1")).ticket_id
    queues = [own_queue(redis_url) for _ in range(AGENTS)]
    barrier = threading.Barrier(AGENTS)
    won: list[str] = []
    lost: list[str] = []

    def agent(i: int) -> None:
        barrier.wait()
        try:
            queues[i].claim(tid, f"agent-{i}")
            won.append(f"agent-{i}")
        except AlreadyClaimed as exc:
            lost.append(exc.holder)

    run_threads(AGENTS, agent)
    assert len(won) == 1 and len(lost) == AGENTS - 1
    assert set(lost) == set(won)  # every loser was told who won
    q = AgentQueue(redis_client)
    assert q.get(tid).claimed_by == won[0]
    assert [e["type"] for _, e in q.events()].count("claimed") == 1
    check_invariants(redis_client)


def test_twenty_agents_drain_200_tickets_exactly_once(
    redis_client: redis.Redis, redis_url: str
) -> None:
    q = AgentQueue(redis_client)
    ids = [q.escalate(make_escalation(f"u{i}", priority=1 + i % 4)).ticket_id for i in range(200)]
    queues = [own_queue(redis_url) for _ in range(AGENTS)]
    barrier = threading.Barrier(AGENTS)
    got: list[list[Ticket]] = [[] for _ in range(AGENTS)]

    def agent(i: int) -> None:
        barrier.wait()
        while (t := queues[i].claim_next(f"agent-{i}")) is not None:
            got[i].append(t)

    run_threads(AGENTS, agent)
    claimed = [t.id for per_agent in got for t in per_agent]
    assert sorted(claimed) == sorted(ids)  # every ticket once, none twice
    for i, per_agent in enumerate(got):
        assert all(t.claimed_by == f"agent-{i}" for t in per_agent)
        assert sorted(q.agent_tickets(f"agent-{i}")) == sorted(t.id for t in per_agent)
    events = Counter(e["ticket"] for _, e in q.events(count=10_000) if e["type"] == "claimed")
    assert set(events) == set(ids) and set(events.values()) == {1}
    assert check_invariants(redis_client) == {"queued": 0, "claimed": 200, "resolved": 0}


def test_concurrent_escalations_of_one_conversation_make_one_ticket(
    redis_client: redis.Redis, redis_url: str
) -> None:
    queues = [own_queue(redis_url) for _ in range(AGENTS)]
    barrier = threading.Barrier(AGENTS)
    results: list[tuple[str, bool]] = []

    def bot(i: int) -> None:
        barrier.wait()
        result = queues[i].escalate(make_escalation("u1", reasons=[f"r{i}"]))
        results.append((result.ticket_id, result.created))

    run_threads(AGENTS, bot)
    assert len({tid for tid, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    t = AgentQueue(redis_client).get(results[0][0])
    assert sorted(t.reasons) == sorted(f"r{i}" for i in range(AGENTS)) and t.escalations == AGENTS


def test_full_cycles_with_concurrent_bots_and_agents(
    redis_client: redis.Redis, redis_url: str
) -> None:
    """Bots escalate while agents claim, reply, release or resolve; state stays consistent."""
    queues = [own_queue(redis_url) for _ in range(AGENTS)]
    stop = threading.Event()
    resolved: list[str] = []

    def worker(i: int) -> None:
        q = queues[i]
        if i < 5:  # bots
            for n in range(40):
                q.escalate(make_escalation(f"bot{i}-u{n % 25}", priority=1 + n % 4))
            return
        agent = f"agent-{i}"
        idle = 0
        while idle < 20:
            t = q.claim_next(agent)
            if t is None:
                idle += 1
                stop.wait(0.005)
                continue
            idle = 0
            q.reply(t.id, agent, "hello")
            if len(t.transcript) % 3 == 0:
                q.release(t.id, agent)
            else:
                resolved.append(q.resolve(t.id, agent).id)

    run_threads(AGENTS, worker)
    counts = check_invariants(redis_client)
    assert counts["resolved"] == len(resolved) == len(set(resolved))
    q = AgentQueue(redis_client)
    done = {e["ticket"] for _, e in q.events(count=100_000) if e["type"] == "resolved"}
    assert done == set(resolved)
