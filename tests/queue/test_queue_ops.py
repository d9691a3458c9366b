"""AgentQueue operations and their error paths, against a real Redis (upkeep, figures, audit
stream and batches: test_queue_upkeep.py)."""

from __future__ import annotations

import pytest
import redis

from bot.queue import (
    AgentQueue,
    AlreadyClaimed,
    NotHolder,
    TicketClosed,
    TicketNotFound,
)
from tests.conftest import T0, FakeClock, check_invariants, event_types, make_escalation

# -- escalate -------------------------------------------------------------------------------


def test_escalate_creates_a_queued_ticket(queue: AgentQueue, redis_client: redis.Redis) -> None:
    result = queue.escalate(make_escalation("u1", priority=2))
    assert result == ("T-000001", True)
    t = queue.get(result.ticket_id)
    assert (t.id, t.channel, t.sender, t.status, t.priority) == (
        "T-000001",
        "whatsapp",
        "u1",
        "queued",
        2,
    )
    assert t.reasons == ["negative_tone"]
    assert t.tone["label"] == "negative" and t.nlu["intent"] == "complaint"
    assert t.created_at == t.enqueued_at == t.updated_at == T0
    assert t.claimed_by is None and t.lease_until is None and t.outcome is None
    assert t.transcript == [{"role": "follower", "text": "message from u1", "ts": 1.0}]
    assert t.notes == [] and t.escalations == 1 and t.base_priority == 2
    assert [h["type"] for h in t.history] == ["escalated"]
    assert queue.open_ticket_id("whatsapp", "u1") == "T-000001"
    assert queue.open_ticket_id("whatsapp", "nobody") is None
    assert queue.open_ticket_id("instagram", "u1") is None
    assert queue.escalate(make_escalation("u2")).ticket_id == "T-000002"
    check_invariants(redis_client)


def test_reescalation_merges_into_the_open_ticket(queue: AgentQueue, clock: FakeClock) -> None:
    first = queue.escalate(make_escalation("u1", priority=3, reasons=["negative_tone"]))
    queue.escalate(make_escalation("u9", priority=2))  # another conversation
    clock.advance(5)
    second = make_escalation(
        "u1",
        priority=2,
        reasons=["asked_for_human", "negative_tone"],
        text="get me a human",
        draft="Connecting you",
        tone={"negative": 0.5},
        nlu={"intent": "human"},
        transcript=[
            {"role": "follower", "text": "message from u1", "ts": 1.0},  # already there
            {"role": "bot", "text": "Sorry!", "ts": 2.0},
            {"role": "follower", "text": "get me a human", "ts": 3.0},
        ],
    )
    assert queue.escalate(second) == (first.ticket_id, False)
    t = queue.get(first.ticket_id)
    assert t.reasons == ["negative_tone", "asked_for_human"]
    assert t.priority == 2 and t.base_priority == 2
    assert (t.text, t.draft, t.tone, t.nlu) == (
        "get me a human",
        "Connecting you",
        {"negative": 0.5},
        {"intent": "human"},
    )
    assert [m["text"] for m in t.transcript] == ["message from u1", "Sorry!", "get me a human"]
    assert t.escalations == 2 and t.enqueued_at == T0 and t.updated_at == T0 + 5
    # a less urgent escalation keeps the more urgent priority
    queue.escalate(make_escalation("u1", priority=4, reasons=["sarcasm"]))
    t = queue.get(first.ticket_id)
    assert t.priority == 2 and t.reasons == ["negative_tone", "asked_for_human", "sarcasm"]
    # it moved up (priority 2, enqueued before u9)
    assert [x.id for x in queue.list("queued")] == [first.ticket_id, "T-000002"]
    assert len(queue.list(None)) == 2
    assert event_types(queue, first.ticket_id) == ["escalated", "updated", "updated"]


def test_reescalation_of_a_claimed_ticket_keeps_the_claim(queue: AgentQueue) -> None:
    tid = queue.escalate(make_escalation("u1", priority=3)).ticket_id
    queue.claim(tid, "alice")
    assert queue.escalate(make_escalation("u1", priority=1, reasons=["sarcasm"])) == (tid, False)
    t = queue.get(tid)
    assert t.status == "claimed" and t.claimed_by == "alice" and t.priority == 1
    queue.release(tid, "alice")
    assert queue.get(tid).priority == 1
    assert queue.list()[0].id == tid


def test_same_escalation_id_changes_nothing(queue: AgentQueue, clock: FakeClock) -> None:
    e = make_escalation("u1")
    tid = queue.escalate(e).ticket_id
    before = queue.get(tid)
    clock.advance(10)
    assert queue.escalate(e) == (tid, False)
    assert queue.get(tid) == before
    assert event_types(queue) == ["escalated"]
    queue.claim(tid, "a")
    queue.resolve(tid, "a")
    # applied again after the ticket closed: still nothing (no new ticket)
    assert queue.escalate(e) == (tid, False)
    assert queue.open_ticket_id("whatsapp", "u1") is None


def test_escalation_after_resolve_opens_a_new_ticket(queue: AgentQueue) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    queue.claim(tid, "a")
    queue.resolve(tid, "a")
    again = queue.escalate(make_escalation("u1"))
    assert again.created and again.ticket_id != tid
    assert queue.open_ticket_id("whatsapp", "u1") == again.ticket_id
    assert queue.get(tid).status == "resolved"


@pytest.mark.parametrize(
    "bad",
    [
        {"priority": 0},
        {"priority": 5},
        {"priority": True},
        {"priority": "1"},
        {"reasons": "negative_tone"},
        {"channel": ""},
        {"tone": []},
        {"transcript": ["hi"]},
    ],
)
def test_invalid_escalations_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="invalid Escalation"):
        make_escalation("u1", **bad)


def test_escalate_revalidates_a_mutated_escalation(queue: AgentQueue) -> None:
    e = make_escalation("u1")
    e.priority = 7
    with pytest.raises(ValueError):
        queue.escalate(e)


# -- order and listing ----------------------------------------------------------------------


def test_queue_order_is_priority_then_fifo(queue: AgentQueue, clock: FakeClock) -> None:
    plan = [("a", 3), ("b", 1), ("c", 3), ("d", 2), ("e", 1), ("f", 4)]
    for sender, priority in plan:
        queue.escalate(make_escalation(sender, priority=priority))
        clock.advance(1)
    expected = ["b", "e", "d", "a", "c", "f"]
    assert [t.sender for t in queue.list("queued")] == expected
    assert [t.sender for t in queue.list("queued", limit=2)] == expected[:2]
    claimed = [queue.claim_next("agent") for _ in plan]
    assert [t.sender for t in claimed if t] == expected
    assert queue.claim_next("agent") is None


def test_list_by_status(queue: AgentQueue, clock: FakeClock) -> None:
    ids = [queue.escalate(make_escalation(f"u{i}")).ticket_id for i in range(4)]
    queue.claim(ids[2], "a")
    clock.advance(1)
    queue.claim(ids[0], "b")
    clock.advance(1)
    queue.claim(ids[3], "c")
    queue.resolve(ids[3], "c")
    assert [t.id for t in queue.list("queued")] == [ids[1]]
    assert [t.id for t in queue.list("claimed")] == [ids[2], ids[0]]
    assert [t.id for t in queue.list(None)] == [ids[1], ids[2], ids[0]]
    assert [t.id for t in queue.list(None, limit=2)] == [ids[1], ids[2]]
    assert [t.id for t in queue.list("resolved")] == [ids[3]]
    assert queue.list("queued", limit=0) == []
    with pytest.raises(ValueError):
        queue.list("bogus")


def test_get_unknown_ticket(queue: AgentQueue) -> None:
    with pytest.raises(TicketNotFound) as info:
        queue.get("T-999999")
    assert info.value.ticket_id == "T-999999"


# -- claim, heartbeat, reply, note ----------------------------------------------------------


def test_claim_and_its_errors(queue: AgentQueue, redis_client: redis.Redis) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    t = queue.claim(tid, "alice")
    assert t.status == "claimed" and t.claimed_by == "alice"
    assert t.claimed_at == T0 and t.lease_until == T0 + 60
    assert queue.agent_tickets("alice") == [tid]
    with pytest.raises(AlreadyClaimed) as info:
        queue.claim(tid, "bob")
    assert info.value.holder == "alice"
    assert queue.claim(tid, "alice").claimed_by == "alice"  # re-claim by the holder: fine
    with pytest.raises(TicketNotFound):
        queue.claim("T-000404", "bob")
    queue.resolve(tid, "alice")
    with pytest.raises(TicketClosed):
        queue.claim(tid, "bob")
    check_invariants(redis_client)


def test_heartbeat_extends_the_lease(queue: AgentQueue, clock: FakeClock) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    with pytest.raises(NotHolder):
        queue.heartbeat(tid, "alice")  # queued
    queue.claim(tid, "alice")
    clock.advance(50)
    assert queue.heartbeat(tid, "alice") == T0 + 110
    assert queue.get(tid).lease_until == T0 + 110
    clock.advance(55)  # past the first lease (T0 + 60), within the renewed one
    assert queue.heartbeat(tid, "alice") == T0 + 165
    with pytest.raises(NotHolder) as info:
        queue.heartbeat(tid, "bob")
    assert info.value.holder == "alice" and info.value.agent == "bob"
    with pytest.raises(TicketNotFound):
        queue.heartbeat("T-000404", "alice")
    queue.resolve(tid, "alice")
    with pytest.raises(TicketClosed):
        queue.heartbeat(tid, "alice")


def test_reply_appends_to_transcript(queue: AgentQueue, clock: FakeClock) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    with pytest.raises(NotHolder):
        queue.reply(tid, "alice", "hi")
    queue.claim(tid, "alice")
    clock.advance(3)
    msg = queue.reply(tid, "alice", "Hi, I'm Alice")
    assert msg == {"role": "agent", "agent": "alice", "text": "Hi, I'm Alice", "ts": T0 + 3}
    clock.advance(3)
    queue.reply(tid, "alice", "Let me check")
    t = queue.get(tid)
    assert t.transcript[-2:] == [msg, {**msg, "text": "Let me check", "ts": T0 + 6}]
    assert t.first_reply_at == T0 + 3
    with pytest.raises(NotHolder):
        queue.reply(tid, "bob", "me too")
    with pytest.raises(TicketNotFound):
        queue.reply("T-000404", "alice", "x")
    assert event_types(queue, tid).count("replied") == 2


def test_notes_by_any_agent(queue: AgentQueue) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    note = queue.add_note(tid, "supervisor", "VIP customer")
    queue.claim(tid, "alice")
    queue.add_note(tid, "bob", "saw this before")
    queue.resolve(tid, "alice")
    queue.add_note(tid, "alice", "post-mortem")  # closed tickets still take notes
    t = queue.get(tid)
    assert [n["agent"] for n in t.notes] == ["supervisor", "bob", "alice"]
    assert t.notes[0] == note == {"agent": "supervisor", "text": "VIP customer", "ts": T0}
    with pytest.raises(TicketNotFound):
        queue.add_note("T-000404", "a", "x")
    assert event_types(queue, tid).count("note") == 3


def test_follower_messages_go_to_the_open_ticket(queue: AgentQueue) -> None:
    assert queue.add_follower_message("whatsapp", "u1", "hello?") is None
    tid = queue.escalate(make_escalation("u1")).ticket_id
    meta = {"attachments": [{"type": "image", "url": "https://x/y.jpg"}]}
    assert queue.add_follower_message("whatsapp", "u1", "", meta) == tid
    assert queue.add_follower_message("whatsapp", "u1", "anyone?") == tid
    t = queue.get(tid)
    assert t.transcript[-2] == {"role": "follower", "text": "", "ts": T0, "metadata": meta}
    assert t.transcript[-1] == {"role": "follower", "text": "anyone?", "ts": T0}
    queue.resolve(tid, "sup", force=True)
    assert queue.add_follower_message("whatsapp", "u1", "thanks") is None
    assert event_types(queue, tid).count("follower_message") == 2


def test_delivery_failure_attaches_or_escalates(queue: AgentQueue) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    assert (
        queue.record_delivery_failure("whatsapp", "u1", "Your refund is on its way", "HTTP 500")
        == tid
    )
    t = queue.get(tid)
    assert t.transcript[-1]["role"] == "system" and "HTTP 500" in t.transcript[-1]["text"]
    assert t.transcript[-1]["reply"] == "Your refund is on its way"
    new = queue.record_delivery_failure("messenger", "u2", "Hello!", "token expired")
    t2 = queue.get(new)
    assert new != tid and t2.reasons == ["delivery_failed"] and t2.priority == 2
    assert t2.draft == "Hello!" and t2.transcript[0]["error"] == "token expired"
    assert event_types(queue, tid)[-1] == "delivery_failed"
    assert event_types(queue, new) == ["escalated", "delivery_failed"]


# -- release, transfer, resolve -------------------------------------------------------------


def test_release_keeps_the_place_in_the_queue(queue: AgentQueue, clock: FakeClock) -> None:
    first = queue.escalate(make_escalation("u1", priority=3)).ticket_id
    clock.advance(1)
    second = queue.escalate(make_escalation("u2", priority=3)).ticket_id
    claimed = queue.claim_next("alice")
    assert claimed is not None and claimed.id == first
    clock.advance(1)
    third = queue.escalate(make_escalation("u3", priority=3)).ticket_id
    with pytest.raises(NotHolder):
        queue.release(first, "bob")
    queue.release(first, "alice")
    t = queue.get(first)
    assert t.status == "queued" and t.claimed_by is None and t.lease_until is None
    assert t.enqueued_at == T0 and t.priority == 3
    assert [x.id for x in queue.list()] == [first, second, third]
    assert queue.agent_tickets("alice") == []
    assert [h["type"] for h in t.history] == ["escalated", "claimed", "released"]
    with pytest.raises(NotHolder):
        queue.release(first, "alice")  # not claimed any more


def test_transfer(queue: AgentQueue, clock: FakeClock, redis_client: redis.Redis) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    with pytest.raises(NotHolder):
        queue.transfer(tid, "alice", "bob")  # queued, not forced
    queue.claim(tid, "alice")
    with pytest.raises(NotHolder):
        queue.transfer(tid, "carol", "bob")
    clock.advance(30)
    queue.transfer(tid, "alice", "bob")
    t = queue.get(tid)
    assert t.claimed_by == "bob" and t.lease_until == T0 + 90
    assert queue.agent_tickets("alice") == [] and queue.agent_tickets("bob") == [tid]
    queue.transfer(tid, "supervisor", "carol", force=True)
    assert queue.get(tid).claimed_by == "carol"
    check_invariants(redis_client)
    # forced on a queued ticket: assigned directly
    other = queue.escalate(make_escalation("u2")).ticket_id
    queue.transfer(other, "supervisor", "dave", force=True)
    assert queue.get(other).claimed_by == "dave"
    with pytest.raises(TicketNotFound):
        queue.transfer("T-000404", "a", "b", force=True)
    queue.resolve(tid, "carol")
    with pytest.raises(TicketClosed):
        queue.transfer(tid, "carol", "bob", force=True)
    ev = [e for _, e in queue.events() if e["type"] == "transferred"]
    assert [(e["actor"], e["data"]["to"], e["data"]["force"]) for e in ev] == [
        ("alice", "bob", False),
        ("supervisor", "carol", True),
        ("supervisor", "dave", True),
    ]
    check_invariants(redis_client)


def test_resolve(queue: AgentQueue, clock: FakeClock, redis_client: redis.Redis) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    with pytest.raises(NotHolder):
        queue.resolve(tid, "alice")
    queue.claim(tid, "alice")
    with pytest.raises(ValueError):
        queue.resolve(tid, "alice", outcome="done")
    with pytest.raises(NotHolder):
        queue.resolve(tid, "bob")
    clock.advance(7)
    t = queue.resolve(tid, "alice", outcome="handed_back")
    assert (t.status, t.outcome, t.resolved_at, t.resolved_by) == (
        "resolved",
        "handed_back",
        T0 + 7,
        "alice",
    )
    assert t.claimed_by is None and t.lease_until is None
    assert queue.open_ticket_id("whatsapp", "u1") is None
    assert queue.agent_tickets("alice") == []
    with pytest.raises(TicketClosed):
        queue.resolve(tid, "alice")
    with pytest.raises(TicketClosed):
        queue.resolve(tid, "sup", force=True)
    with pytest.raises(TicketNotFound):
        queue.resolve("T-000404", "alice")
    for closed_op in (queue.release, queue.heartbeat, lambda i, a: queue.reply(i, a, "hi")):
        with pytest.raises(TicketClosed):
            closed_op(tid, "alice")
    with pytest.raises(TicketNotFound):
        queue.release("T-000404", "alice")
    # forced on queued and on someone else's claim
    q2 = queue.escalate(make_escalation("u2")).ticket_id
    assert queue.resolve(q2, "sup", force=True).status == "resolved"
    q3 = queue.escalate(make_escalation("u3")).ticket_id
    queue.claim(q3, "bob")
    errors = queue.resolve_many([q3, q2, "T-000404", q3], "bob")
    assert errors[0] is None and queue.get(q3).status == "resolved"
    assert [type(e) for e in errors[1:]] == [TicketClosed, TicketNotFound, TicketClosed]
    with pytest.raises(ValueError):
        queue.resolve_many([q3], "bob", outcome="nope")
    assert check_invariants(redis_client) == {"queued": 0, "claimed": 0, "resolved": 3}
