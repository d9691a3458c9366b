"""bot.privacy on a real Redis: export and erase one follower's data everywhere, retention, and
the sweeper running it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import redis

from bot.faq.review import ReviewStore
from bot.privacy import Follower, FollowerIdError, Privacy
from bot.queue import AgentQueue, Escalation, Keys, Spool
from bot.queue.sweeper import Sweeper
from tests.conftest import FakeClock, check_invariants

SECRET_WORDS = "ana-lopez-secret-words"


def conversation(queue: AgentQueue, esc: Callable[..., Escalation], sender: str,
                 channel: str = "whatsapp") -> tuple[str, str]:
    """Two tickets of one follower: one resolved (with a note), one open; their ids."""
    first = queue.escalate(esc(sender, channel=channel, text=f"{SECRET_WORDS} {sender}",
                               transcript=[{"role": "follower", "text": f"hi {sender}",
                                            "ts": 1.0}])).ticket_id
    queue.claim(first, "ada")
    queue.add_note(first, "ada", f"note about {sender}")
    queue.reply(first, "ada", f"hello {sender}")
    queue.resolve(first, "ada")
    second = queue.escalate(esc(sender, channel=channel, text=f"again {sender}")).ticket_id
    return first, second


@pytest.fixture
def privacy(redis_client: redis.Redis, clock: FakeClock, tmp_path: Path) -> Privacy:
    return Privacy(redis_client, spool_dir=tmp_path / "spool", clock=clock)


def seed(redis_client: redis.Redis, queue: AgentQueue, esc: Callable[..., Escalation],
         tmp_path: Path) -> dict[str, Any]:
    mine = conversation(queue, esc, "15550001")
    theirs = conversation(queue, esc, "15559999")
    redis_client.set("tracker:whatsapp:15550001", json.dumps(
        {"sender_id": "whatsapp:15550001", "events": [{"event": "user", "text": "hi"}]}))
    redis_client.set("tracker:15550001", json.dumps({"sender_id": "15550001", "events": []}))
    redis_client.set("tracker:whatsapp:15559999", json.dumps({"sender_id": "other"}))
    redis_client.set("carebot:paused-msg:whatsapp:15550001:1.5", "1")
    redis_client.rpush("carebot:inbox:whatsapp:15550001", json.dumps({"text": "agent reply"}))
    Spool(tmp_path / "spool").put(esc("15550001", text="spooled while redis was down"))
    Spool(tmp_path / "spool").put(esc("15559999", text="someone else"))
    review = ReviewStore(redis_client)
    pid = review.create({"kind": "new_faq", "key": "gift_wrap", "examples": ["gift wrap?"],
                         "messages": [{"text": "gift wrap?", "ticket": mine[0],
                                       "replies": ["yes ana"], "source": "flag"}],
                         "source": "flag"}, actor="ada")["id"]
    return {"mine": mine, "theirs": theirs, "review": pid}


def test_follower_ids() -> None:
    assert Follower.parse("whatsapp:15550001") == Follower("whatsapp", "15550001")
    assert Follower.parse("rest:a:b").sender == "a:b"
    assert Follower.parse("rest:ana").conversation_ids == ("rest:ana", "ana")
    for bad in ["", "ana", ":ana", "rest:", "REST:ana", "rest: ana", "rest:a\nb", "x" * 600]:
        with pytest.raises(FollowerIdError):
            Follower.parse(bad)


def test_export_holds_everything_about_the_follower_and_nothing_else(
    redis_client: redis.Redis, queue: AgentQueue, esc: Callable[..., Escalation],
    privacy: Privacy, tmp_path: Path,
) -> None:
    ids = seed(redis_client, queue, esc, tmp_path)
    doc = privacy.export("whatsapp:15550001")
    assert doc["follower"] == "whatsapp:15550001"
    assert [t["id"] for t in doc["tickets"]] == list(ids["mine"])
    resolved = doc["tickets"][0]
    assert resolved["notes"][0]["text"] == "note about 15550001"
    assert [m["role"] for m in resolved["transcript"]] == ["follower", "agent"]
    assert {e["type"] for e in resolved["history"]} >= {"escalated", "claimed", "resolved"}
    assert doc["open_ticket"] == ids["mine"][1]
    assert sorted(c["key"] for c in doc["conversations"]) == ["tracker:15550001",
                                                             "tracker:whatsapp:15550001"]
    assert doc["inbox"] == [{"text": "agent reply"}]
    assert {a["ticket"] for a in doc["audit"]} == set(ids["mine"])
    assert doc["review_mentions"][0]["id"] == ids["review"]
    assert [s["text"] for s in doc["spooled_escalations"]] == ["spooled while redis was down"]
    assert "15559999" not in json.dumps(doc)
    json.dumps(doc)  # JSON-ready


def test_erase_removes_it_everywhere_and_leaves_the_others(
    redis_client: redis.Redis, queue: AgentQueue, esc: Callable[..., Escalation],
    privacy: Privacy, tmp_path: Path,
) -> None:
    ids = seed(redis_client, queue, esc, tmp_path)
    before = privacy.export("whatsapp:15559999")
    report = privacy.erase("whatsapp:15550001", actor="admin")
    assert report["tickets"] == list(ids["mine"])
    assert report["conversations"] == 2 and report["spooled_escalations"] == 1

    # nothing in any key name or value still names the follower or quotes them
    for key in redis_client.scan_iter(count=1000):
        assert "15550001" not in key, key
        kind = redis_client.type(key)
        if kind == "string":
            dump = redis_client.get(key) or ""
        elif kind == "hash":
            dump = json.dumps(redis_client.hgetall(key))
        elif kind == "list":
            dump = json.dumps(redis_client.lrange(key, 0, -1))
        elif kind == "stream":
            dump = json.dumps(redis_client.xrange(key))
        else:
            dump = json.dumps(redis_client.zrange(key, 0, -1) if kind == "zset"
                              else sorted(redis_client.smembers(key)))
        assert "15550001" not in dump and f"{SECRET_WORDS} 15550001" not in dump, key
        for tid in ids["mine"]:
            assert f'"{tid}"' not in dump or key == "carebot:events", (key, tid)
    assert [p.name for p in (tmp_path / "spool").glob("*.json")] != []
    assert len(list((tmp_path / "spool").glob("*.json"))) == 1  # the other follower's
    check_invariants(redis_client)

    # the other follower is untouched; the review proposal kept the question, not the link
    assert privacy.export("whatsapp:15559999")["tickets"] == before["tickets"]
    item = ReviewStore(redis_client).get(ids["review"])
    assert item["messages"][0]["text"] == "gift wrap?"
    assert item["messages"][0]["ticket"] == "" and "replies" not in item["messages"][0]

    # the erasure is logged, without the follower's id
    last = queue.events(count=10_000)[-1][1]
    assert last["type"] == "follower_erased" and last["actor"] == "admin"
    assert last["data"]["tickets"] == list(ids["mine"])
    assert "15550001" not in json.dumps(last)

    # the follower writes again: a fresh ticket, the queue works as before
    assert queue.escalate(esc("15550001")).created
    assert privacy.export("whatsapp:15550001")["audit"][0]["type"] == "escalated"


def test_erase_of_a_claimed_ticket_frees_its_holder(
    redis_client: redis.Redis, queue: AgentQueue, esc: Callable[..., Escalation],
    privacy: Privacy,
) -> None:
    tid = queue.escalate(esc("u7")).ticket_id
    queue.claim(tid, "ada")
    privacy.erase(Follower("whatsapp", "u7"), actor="admin")
    assert queue.agent_tickets("ada") == []
    assert queue.open_ticket_id("whatsapp", "u7") is None
    assert check_invariants(redis_client) == {"queued": 0, "claimed": 0, "resolved": 0}


def test_erase_of_an_unknown_follower_changes_nothing_but_the_log(
    redis_client: redis.Redis, privacy: Privacy,
) -> None:
    report = privacy.erase("telegram:42", actor="admin")
    assert report["tickets"] == [] and report["conversations"] == 0
    assert redis_client.xlen("carebot:events") == 1


def test_retention_removes_old_resolved_tickets_only(
    redis_client: redis.Redis, queue: AgentQueue, esc: Callable[..., Escalation],
    clock: FakeClock, privacy: Privacy,
) -> None:
    old = [queue.escalate(esc(f"old{i}")).ticket_id for i in range(5)]
    for tid in old:
        queue.resolve(tid, "ada", force=True)
    waiting = queue.escalate(esc("still-waiting")).ticket_id
    clock.advance(89 * 86400)
    recent = queue.escalate(esc("recent")).ticket_id
    queue.resolve(recent, "ada", force=True)
    clock.advance(2 * 86400)  # old ones resolved 91 days ago, recent 2 days ago
    report = privacy.retention_pass(days=90, batch=2)
    assert report.tickets == old  # in batches of 2, within one pass
    for tid in old:
        assert not redis_client.exists(Keys().ticket(tid), Keys().messages(tid),
                                       Keys().history(tid))
    assert queue.get(recent).status == "resolved" and queue.get(waiting).status == "queued"
    assert check_invariants(redis_client) == {"queued": 1, "claimed": 0, "resolved": 1}
    assert privacy.retention_pass(days=90).tickets == []


def test_retention_trims_old_audit_entries(redis_client: redis.Redis) -> None:
    now = time.time()
    old_ms = int((now - 100 * 86400) * 1000)
    for i in range(3):
        redis_client.xadd("carebot:events", {"type": "escalated", "ticket": f"T-00000{i}"},
                          id=f"{old_ms + i}-0")
        redis_client.xadd("carebot:review:events", {"type": "created"}, id=f"{old_ms + i}-0")
    redis_client.xadd("carebot:events", {"type": "escalated", "ticket": "T-000009"})
    report = Privacy(redis_client).retention_pass(days=90)
    assert report.audit_trimmed == 3 and report.review_audit_trimmed == 3
    assert [e["ticket"] for _, e in redis_client.xrange("carebot:events")] == ["T-000009"]


def test_the_sweeper_runs_retention_at_most_once_a_minute(
    redis_client: redis.Redis, queue: AgentQueue, esc: Callable[..., Escalation],
    clock: FakeClock, privacy: Privacy,
) -> None:
    tid = queue.escalate(esc("old")).ticket_id
    queue.resolve(tid, "ada", force=True)
    clock.advance(91 * 86400)
    sweeper = Sweeper(queue, None, interval=0.01, retention=privacy, retention_days=90)
    assert sweeper.run_once()["retention"] == {"tickets": [tid], "audit": 0}
    assert "retention" not in sweeper.run_once()  # not again within the minute
    assert not redis_client.exists(Keys().ticket(tid))
    assert "retention" not in Sweeper(queue, None).run_once()  # none configured


def test_the_answer_audit_is_exported_and_erased(redis_client: redis.Redis,
                                                 privacy: Privacy) -> None:
    """The bot's answers on the answer audit hold the follower's words: export has them, erase
    deletes them (the tallies keep their counts) and anonymises the proposals they became."""
    from bot.audit.store import Answer, AuditStore
    from bot.audit.verdict import judge

    audit = AuditStore(redis_client)

    def answer(conversation: str, text: str) -> str:
        return audit.record(Answer(text=text, conversation=conversation,
                                   channel=conversation.split(":")[0], faq="shipping_time",
                                   response="utter_faq/shipping_time"), sampled=True, low=False)

    mine = answer("whatsapp:15550001", "where is my parcel, I live at 5 Elm St")
    pending = answer("whatsapp:15550001", "how long does shipping take")
    other = answer("whatsapp:15559999", "how long does shipping take to Oslo")
    review = ReviewStore(redis_client)
    pid = judge(audit, review, mine, "wrong", "sue", correct="track_order",
                note="asked for tracking")["proposal"]
    exported = privacy.export("whatsapp:15550001")
    assert sorted(i["id"] for i in exported["answer_audit"]) == sorted([mine, pending])
    assert [m["id"] for m in exported["review_mentions"]] == [pid]

    report = privacy.erase("whatsapp:15550001", actor="admin")
    assert report["audited_answers"] == 2 and report["review_mentions"] == 1
    assert [i["id"] for i in audit.list("pending")] == [other]
    assert audit.list("decided") == []
    assert not redis_client.exists(Keys().audit_item(mine))
    assert audit.report(30)["precision"]["wrong"] == 1  # counts stay
    [message] = review.get(pid)["messages"]
    assert "conversation" not in message and "flagged_by" not in message
    assert "note" not in message
    assert privacy.export("whatsapp:15550001")["answer_audit"] == []
