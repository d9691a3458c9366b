"""AgentQueue upkeep (leases, sweeping, aging), figures, the audit stream, keys and batches."""

from __future__ import annotations

import re

import pytest
import redis

from bot.queue import AgentQueue, AlreadyClaimed, Keys, NotHolder, SweepReport
from tests.conftest import T0, FakeClock, check_invariants, event_types, make_escalation

# -- leases, sweeping, aging ----------------------------------------------------------------


def test_expired_lease_returns_to_queue_with_history(
    queue: AgentQueue, clock: FakeClock, redis_client: redis.Redis
) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    later = queue.escalate(make_escalation("u2")).ticket_id
    queue.claim(tid, "alice")
    queue.reply(tid, "alice", "looking into it")
    queue.add_note(tid, "alice", "needs refund")
    clock.advance(59)
    assert queue.sweep() == []
    clock.advance(2)
    with pytest.raises(NotHolder):  # the lease ran out: lost even before the sweep
        queue.reply(tid, "alice", "still here")
    assert queue.sweep() == [tid]
    assert queue.sweep() == []
    t = queue.get(tid)
    assert t.status == "queued" and t.claimed_by is None and t.enqueued_at == T0
    assert [h["type"] for h in t.history] == [
        "escalated",
        "claimed",
        "replied",
        "note",
        "lease_expired",
    ]
    assert t.history[-1]["data"]["agent"] == "alice" and t.history[-1]["actor"] == "sweeper"
    assert t.transcript[-1]["text"] == "looking into it" and t.notes[0]["text"] == "needs refund"
    assert [x.id for x in queue.list()] == [tid, later]
    with pytest.raises(NotHolder):
        queue.heartbeat(tid, "alice")
    assert queue.agent_tickets("alice") == []
    check_invariants(redis_client)


def test_expired_leases_are_recovered_without_a_sweeper(
    queue: AgentQueue, clock: FakeClock
) -> None:
    a = queue.escalate(make_escalation("u1")).ticket_id
    b = queue.escalate(make_escalation("u2")).ticket_id
    queue.claim(a, "alice")
    queue.claim(b, "bob")
    clock.advance(61)
    # claim on an expired lease takes it over
    assert queue.claim(b, "carol").claimed_by == "carol"
    # claim_next requeues expired leases first, then pops the head
    claimed = queue.claim_next("dave")
    assert claimed is not None and claimed.id == a
    assert event_types(queue, a)[-2:] == ["lease_expired", "claimed"]
    assert event_types(queue, b)[-2:] == ["lease_expired", "claimed"]


def test_aging_raises_priority_of_waiting_tickets(
    queue: AgentQueue, clock: FakeClock, redis_client: redis.Redis
) -> None:
    old = queue.escalate(make_escalation("old", priority=4)).ticket_id
    urgent = queue.escalate(make_escalation("urgent", priority=1)).ticket_id
    clock.advance(599)
    fresh = queue.escalate(make_escalation("fresh", priority=3)).ticket_id
    assert queue.sweep_report().aged == []
    clock.advance(2)  # old waited 601 s
    report = queue.sweep_report()
    assert report.aged == [old] and report.expired == []
    t = queue.get(old)
    assert t.priority == 3 and t.base_priority == 4 and t.enqueued_at == T0
    assert [x.id for x in queue.list()] == [urgent, old, fresh]  # FIFO within priority 3
    assert queue.sweep_report().aged == []  # nothing more until the next level is due
    clock.advance(1800)  # old: 2401 s -> 4 levels -> 1 ; fresh: 1802 s -> 3 levels -> 1
    assert sorted(queue.sweep_report().aged) == sorted([old, fresh])
    assert queue.get(old).priority == 1 and queue.get(fresh).priority == 1
    assert queue.get(urgent).priority == 1
    assert [x.id for x in queue.list()] == [old, urgent, fresh]
    assert redis_client.zcard(Keys().aging) == 0
    aged = [e for _, e in queue.events() if e["type"] == "aged" and e["ticket"] == old]
    assert [(e["data"]["from"], e["data"]["to"]) for e in aged] == [(4, 3), (3, 1)]
    check_invariants(redis_client)


def test_claimed_tickets_do_not_age_until_released(queue: AgentQueue, clock: FakeClock) -> None:
    tid = queue.escalate(make_escalation("u1", priority=4)).ticket_id
    queue.claim(tid, "alice")
    for _ in range(14):  # 700 s, heartbeating every 50 s
        clock.advance(50)
        queue.heartbeat(tid, "alice")
    assert queue.sweep_report() == SweepReport()
    assert queue.get(tid).priority == 4
    queue.release(tid, "alice")  # back in the queue with its first enqueued_at (700 s ago)
    assert queue.sweep_report().aged == [tid]
    assert queue.get(tid).priority == 3


def test_aging_can_be_disabled(redis_client: redis.Redis, clock: FakeClock) -> None:
    q = AgentQueue(redis_client, clock=clock, aging_seconds=0)
    tid = q.escalate(make_escalation("u1", priority=4)).ticket_id
    clock.advance(100_000)
    assert q.sweep_report().aged == [] and q.get(tid).priority == 4


# -- figures, events, keys ------------------------------------------------------------------


def test_typical_wait_depth_and_oldest(queue: AgentQueue, clock: FakeClock) -> None:
    assert queue.typical_wait_seconds() is None
    assert queue.typical_wait_seconds(default=90.0) == 90.0
    assert queue.oldest_waiting_seconds() is None
    assert queue.depth_by_priority() == {1: 0, 2: 0, 3: 0, 4: 0}
    for i, p in enumerate([2, 3, 3, 4, 1]):
        queue.escalate(make_escalation(f"u{i}", priority=p))
        clock.advance(10)
    assert queue.depth_by_priority() == {1: 1, 2: 1, 3: 2, 4: 1}
    assert queue.oldest_waiting_seconds() == pytest.approx(50.0)
    waits = []
    for _ in range(3):
        t = queue.claim_next("a")
        assert t is not None
        waits.append(clock.now - t.enqueued_at)
        clock.advance(5)
    assert queue.typical_wait_seconds() == pytest.approx(sorted(waits)[1])
    assert queue.depth_by_priority() == {1: 0, 2: 0, 3: 1, 4: 1}


def test_typical_wait_uses_the_last_50_claims(queue: AgentQueue, clock: FakeClock) -> None:
    for i in range(60):
        queue.escalate(make_escalation(f"u{i}"))
        clock.advance(100 if i < 10 else 1)
        t = queue.claim_next("a")
        assert t is not None
        queue.resolve_many([t.id], "a")
    assert queue.typical_wait_seconds() == pytest.approx(1.0)


def test_every_change_is_in_the_audit_stream(
    queue: AgentQueue, clock: FakeClock, redis_client: redis.Redis
) -> None:
    tid = queue.escalate(make_escalation("u1", priority=4)).ticket_id
    queue.escalate(make_escalation("u1", priority=4, reasons=["sarcasm"]))
    queue.add_follower_message("whatsapp", "u1", "hello?")
    queue.claim(tid, "alice")
    queue.heartbeat(tid, "alice")
    queue.reply(tid, "alice", "hi")
    queue.add_note(tid, "alice", "note")
    queue.record_delivery_failure("whatsapp", "u1", "hi", "timeout")
    queue.release(tid, "alice")
    clock.advance(601)
    queue.sweep()
    queue.claim(tid, "bob")
    queue.transfer(tid, "bob", "carol")
    clock.advance(61)
    queue.sweep()
    queue.claim(tid, "dave")
    queue.resolve(tid, "dave")
    events = queue.events(count=1000)
    assert [e["type"] for _, e in events] == [
        "escalated",
        "updated",
        "follower_message",
        "claimed",
        "replied",
        "note",
        "delivery_failed",
        "released",
        "aged",
        "claimed",
        "transferred",
        "lease_expired",
        "claimed",
        "resolved",
    ]
    for entry_id, e in events:
        assert re.fullmatch(r"\d+-\d+", entry_id)
        assert e["ticket"] == tid and isinstance(e["data"], dict) and e["ts"] >= T0
    # the per-ticket history is the same log
    assert [h["id"] for h in queue.get(tid).history] == [i for i, _ in events]
    assert queue.events(start=events[-1][0]) == events[-1:]
    assert len(queue.events(count=3)) == 3
    assert redis_client.type(Keys().events) == "stream"


def test_only_documented_keys_are_written(queue: AgentQueue, clock: FakeClock) -> None:
    tid = queue.escalate(make_escalation("u1", priority=4)).ticket_id
    queue.escalate(make_escalation("u2", priority=2))
    queue.claim(tid, "alice")
    queue.reply(tid, "alice", "hi")
    queue.add_note(tid, "alice", "n")
    queue.resolve(tid, "alice")
    queue.claim_next("bob")
    doc = Keys.__doc__ or ""
    patterns = re.findall(r"``\{p\}(:[^`]*)``", doc)
    assert len(patterns) >= 14
    regexes = [
        re.compile("carebot" + re.sub(r"\\\{[a-z_]+\\\}", "[^:]+", re.escape(p)) + "$")
        for p in patterns
    ]
    written = set(queue.redis.keys("*"))
    assert written
    for key in written:
        assert any(r.match(key) for r in regexes), f"{key} is not documented in Keys"


def test_keys_of_other_modules_keep_their_names() -> None:
    """Data already in Redis must stay readable: the names other modules used to build."""
    from datetime import datetime, timezone

    from bot.faq.review_keys import ReviewKeys

    k = Keys("brand")
    at = datetime(2024, 3, 9, 7, 5, tzinfo=timezone.utc)
    assert k.seen("whatsapp", "wamid.1") == "brand:seen:whatsapp:wamid.1"
    assert k.paused_message("f-1", 1712000000.25) == "brand:paused-msg:f-1:1712000000.25"
    assert k.inbox("rest", "f-1") == "brand:inbox:rest:f-1"
    assert (k.stats_minute(at), k.stats_hour(at)) == (
        "brand:stats:m:202403090705", "brand:stats:h:2024030907"
    )
    assert k.events == "brand:events"
    assert ReviewKeys("brand").training == "brand:review:training"


def test_a_non_decoding_client_works(
    redis_client: redis.Redis, redis_url: str, clock: FakeClock
) -> None:
    raw = redis.Redis.from_url(redis_url)  # bytes replies
    q = AgentQueue(raw, clock=clock)
    tid = q.escalate(make_escalation("u1")).ticket_id
    assert q.open_ticket_id("whatsapp", "u1") == tid
    claimed = q.claim_next("alice")
    assert claimed is not None and claimed.id == tid
    with pytest.raises(AlreadyClaimed) as info:
        q.claim(tid, "bob")
    assert info.value.holder == "alice"
    assert q.agent_tickets("alice") == [tid]
    assert q.add_follower_message("whatsapp", "u1", "hi") == tid
    assert q.list("claimed")[0].transcript[-1]["text"] == "hi"
    assert q.events()[0][1]["type"] == "escalated"
    assert q.resolve(tid, "alice").status == "resolved"
    assert q.typical_wait_seconds() == 0.0
    raw.close()


def test_custom_prefix_is_isolated(redis_client: redis.Redis, clock: FakeClock) -> None:
    a = AgentQueue(redis_client, prefix="brand_a", clock=clock)
    b = AgentQueue(redis_client, prefix="brand_b", clock=clock)
    a.escalate(make_escalation("u1"))
    assert b.list() == [] and b.claim_next("x") is None
    assert all(k.startswith("brand_a:") for k in redis_client.keys("*"))
    check_invariants(redis_client, prefix="brand_a")


def test_constructor_checks(redis_client: redis.Redis) -> None:
    with pytest.raises(ValueError):
        AgentQueue(redis_client, lease_seconds=0)
    with pytest.raises(ValueError):
        AgentQueue(redis_client, aging_seconds=-1)
    with pytest.raises(ValueError):
        AgentQueue(redis_client, idempotency_ttl=0)


def test_batches_take_one_round_trip_each(queue: AgentQueue, redis_client: redis.Redis) -> None:
    escs = [make_escalation(f"u{i}", priority=4 - i % 2) for i in range(6)]
    results = queue.escalate_many(escs + [escs[0]])
    assert [r.created for r in results] == [True] * 6 + [False]
    assert results[-1].ticket_id == results[0].ticket_id
    got = queue.claim_next_many("alice", 4)
    assert [t.sender for t in got] == ["u1", "u3", "u5", "u0"]  # priority 3 first, then FIFO
    assert all(t.claimed_by == "alice" for t in got)
    assert len(queue.claim_next_many("bob", 10)) == 2 and queue.claim_next_many("bob", 3) == []
    assert queue.resolve_many([t.id for t in got], "alice") == [None] * 4
    assert check_invariants(redis_client) == {"queued": 0, "claimed": 2, "resolved": 4}
