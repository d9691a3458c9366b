"""bot.audit.store, bot.audit.record and bot.audit.verdict against real Redis: sampling at the
bot's answer, the queue's bounds, verdicts (once), wrong answers as trainer proposals, and the
precision from the rate-sampled answers only."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
import redis

from bot.audit.record import maybe_record, model_id
from bot.audit.sampling import draw
from bot.audit.store import Answer, AuditError, AuditStore
from bot.audit.verdict import judge
from bot.faq.review import ReviewError, ReviewStore
from bot.faq.store import FaqStore
from bot.queue.keys import Keys
from tests.conftest import FakeClock
from tests.fakes.project import project_home

DAY = 86400


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[Path]:
    yield from project_home(tmp_path, monkeypatch, redis_url)


@pytest.fixture
def audit(redis_client: redis.Redis, clock: FakeClock) -> AuditStore:
    return AuditStore(redis_client, retention_seconds=30 * DAY, max_pending=5, clock=clock)


@pytest.fixture
def review(redis_client: redis.Redis, clock: FakeClock) -> ReviewStore:
    return ReviewStore(redis_client, clock=clock)


def answer(text: str = "how long does shipping take", faq: str = "shipping_time") -> Answer:
    return Answer(text=text, conversation="whatsapp:15550001", channel="whatsapp", faq=faq,
                  response=f"utter_faq/{faq}", answer="3-5 business days.", confidence=0.97,
                  intent_confidence=0.99, answer_confidence=0.98, model_id="m-1",
                  ranking=[{"label": f"faq/{faq}", "confidence": 0.98}])


def parse(text: str, message_id: str, intent: float = 0.99, faq: float = 0.99) -> dict[str, Any]:
    return {"text": text, "message_id": message_id,
            "intent": {"name": "faq", "confidence": intent},
            "response_selector": {"faq": {"response": {
                "intent_response_key": "faq/shipping_time", "confidence": faq}}}}


def decision(faq: str | None = "shipping_time", escalate: bool = False,
             response: str | None = None) -> Any:
    return SimpleNamespace(escalate=escalate, faq=faq, confidence=0.98, ranking=[],
                           response=response or (f"utter_faq/{faq}" if faq else "utter_greet"))


def record(store: AuditStore, p: dict[str, Any], d: Any, rate: float = 0.05,
           margin: float = 0.05) -> str | None:
    return maybe_record(store, rate=rate, margin=margin, intent_threshold=0.9,
                        answer_threshold=0.9, parse=p, decision=d, channel="whatsapp",
                        sender="15550001",
                        responses={"utter_faq/shipping_time": [{"text": "3-5 days."}]},
                        events=[{"event": "user", "metadata": {"model_id": "m-7"}}])


def ids_by_draw(below: bool, n: int, rate: float = 0.05) -> list[str]:
    conv = "whatsapp:15550001\x00"
    return [f"m{i}" for i in range(5000) if (draw(conv + f"m{i}") < rate) == below][:n]


def test_the_bot_s_answers_are_sampled_by_rate_and_low_confidence(audit: AuditStore) -> None:
    drawn, not_drawn = ids_by_draw(True, 1)[0], ids_by_draw(False, 2)
    aid = record(audit, parse("how long does shipping take", drawn), decision())
    assert aid == "A-000001"
    item = audit.get(aid)
    assert item["text"] == "how long does shipping take" and item["faq"] == "shipping_time"
    assert item["conversation"] == "whatsapp:15550001" and item["channel"] == "whatsapp"
    assert item["answer"] == "3-5 days." and item["model_id"] == "m-7"
    assert item["sampled"] and not item["low_confidence"] and item["status"] == "pending"
    assert item["intent_confidence"] == 0.99 and item["answer_confidence"] == 0.99
    # not drawn, sure of itself: not audited; not drawn but near the threshold: audited
    assert record(audit, parse("shipping time?", not_drawn[0]), decision()) is None
    low = record(audit, parse("shipping time?", not_drawn[1], faq=0.93), decision())
    assert low is not None
    item = audit.get(low)
    assert item["low_confidence"] and not item["sampled"]
    # never an escalation, small talk or an acknowledgement
    assert record(audit, parse("x", drawn), decision(escalate=True), rate=1.0) is None
    assert record(audit, parse("hi", drawn), decision(faq=None), rate=1.0) is None
    assert audit.totals() == {"sampled": 1, "low": 1}


def test_the_queue_is_bounded_and_expires(audit: AuditStore, clock: FakeClock,
                                          redis_client: redis.Redis) -> None:
    for i in range(8):
        audit.record(answer(f"question {i}"), sampled=True, low=False)
        clock.advance(1)
    pending = audit.list("pending", limit=100)
    assert [p["text"] for p in pending] == [f"question {i}" for i in range(3, 8)]
    assert audit.totals()["dropped"] == 3
    assert not redis_client.exists(Keys().audit_item("A-000001"))  # dropped with its item
    ttl = redis_client.ttl(Keys().audit_item("A-000008"))
    assert 29 * DAY < ttl <= 30 * DAY
    assert 0 < redis_client.ttl(next(iter(redis_client.keys("carebot:audit:day:*")))) <= 30 * DAY
    # past the retention the ids leave the sets (their items have expired)
    audit.mark("A-000008", "right", "sue")
    clock.advance(31 * DAY)
    assert audit.pending_count() == 0 and audit.list("pending") == []  # before any cleanup
    audit.record(answer("later"), sampled=True, low=False)
    assert audit.redis.zcard(Keys().audit_decided) == 0
    assert [p["text"] for p in audit.list("pending")] == ["later"]


def test_only_documented_keys_are_written(audit: AuditStore, redis_client: redis.Redis,
                                          review: ReviewStore) -> None:
    aid = audit.record(answer(), sampled=True, low=True)
    judge(audit, review, aid, "wrong", "sue", correct="track_order")
    patterns = re.findall(r"``\{p\}(:[^`]*)``", Keys.__doc__ or "")
    regexes = [re.compile("carebot" + re.sub(r"\\\{[A-Za-z_]+\\\}", "[^:]+", re.escape(p))
                          + "$") for p in patterns]
    for key in redis_client.keys("carebot:audit:*"):
        assert any(r.match(key) for r in regexes), f"{key} is not documented in Keys"


def test_a_verdict_is_given_once_and_counts_by_why_it_was_audited(audit: AuditStore) -> None:
    a = audit.record(answer(), sampled=True, low=False)
    b = audit.record(answer("b"), sampled=False, low=True)
    c = audit.record(answer("c"), sampled=True, low=True)
    d = audit.record(answer("d"), sampled=True, low=False)
    item = audit.mark(a, "right", "sue", note="  fine   answer ")
    assert item["status"] == item["verdict"] == "right" and item["decided_by"] == "sue"
    assert item["note"] == "fine answer"
    with pytest.raises(AuditError) as again:
        audit.mark(a, "wrong", "sam")
    assert again.value.code == 409 and audit.get(a)["verdict"] == "right"
    audit.mark(b, "wrong", "sue")
    audit.mark(c, "wrong", "sue")
    audit.mark(d, "right", "sue")
    report = audit.report(days=30)
    # the estimate: a, c, d (rate-sampled); the low-confidence ones: b, c
    assert report["precision"]["right"] == 2 and report["precision"]["wrong"] == 1
    assert report["low_confidence_precision"] == {**report["low_confidence_precision"],
                                                   "right": 0, "wrong": 2}
    assert report["pending"] == 0 and report["sampled"] == 3 and report["low_confidence"] == 2
    assert [i["id"] for i in audit.list("decided")] == [d, c, b, a]
    assert [i["id"] for i in audit.list("wrong")] == [c, b]
    for bad, code in (("A-999999", 404), ("T-000001", 404), ("../x", 404)):
        with pytest.raises(AuditError) as error:
            audit.mark(bad, "right", "sue")
        assert error.value.code == code
    with pytest.raises(AuditError):
        audit.mark(d, "maybe", "sue")
    with pytest.raises(AuditError):
        audit.mark(d, "right", "sue", note="x" * 501)


def test_a_wrong_answer_becomes_a_trainer_proposal(audit: AuditStore, review: ReviewStore,
                                                   home: Path) -> None:
    store = FaqStore(home)
    one = audit.record(answer("where is my parcel right now"), sampled=True, low=False)
    item = judge(audit, review, one, "wrong", "sue", correct="track_order",
                 note="asks for tracking", store=store)
    [proposal] = review.list("pending")
    assert item["proposal"] == proposal["id"] and audit.get(one)["proposal"] == proposal["id"]
    assert proposal["kind"] == "examples" and proposal["key"] == "track_order"
    assert proposal["examples"] == ["where is my parcel right now"]
    assert proposal["source"] == "audit"
    [message] = proposal["messages"]
    assert message["audit"] == one and message["answered"] == "shipping_time"
    assert message["flagged_by"] == "sue" and message["note"] == "asks for tracking"

    two = audit.record(answer("do you do gift wrapping"), sampled=True, low=False)
    item = judge(audit, review, two, "wrong", "sue", correct="new_faq", key="gift_wrapping",
                 store=store)
    new = review.get(item["proposal"])
    assert new["kind"] == "new_faq" and new["key"] == "gift_wrapping" and new["answer"] == ""

    three = audit.record(answer("when does the album come out"), sampled=True, low=False)
    item = judge(audit, review, three, "wrong", "sue", correct="negative", store=store)
    negative = review.get(item["proposal"])
    assert negative["kind"] == "negative" and negative["key"] == "shipping_time"
    # the same wording again links to the proposal that holds it
    again = audit.record(answer("when does the album come out"), sampled=True, low=False)
    assert judge(audit, review, again, "wrong", "sam", correct="negative",
                 store=store)["proposal"] == negative["id"]
    assert len(review.list("pending")) == 3

    # what cannot be a verdict is refused, and nothing is marked
    four = audit.record(answer("x y z"), sampled=True, low=False)
    for kwargs, message_part in (
        ({}, "needs what it should have been"),
        ({"correct": "shipping_time"}, "the answer the bot gave"),
        ({"correct": "no_such_faq"}, "no FAQ"),
        ({"correct": "Bad Key!"}, "FAQ key"),
        ({"correct": "track_order", "key": "gift"}, "only with"),
        ({"correct": "new_faq", "key": "track_order"}, "exists already"),
    ):
        with pytest.raises(AuditError, match=message_part):
            judge(audit, review, four, "wrong", "sue", store=store, **kwargs)
    with pytest.raises(AuditError, match="no correction"):
        judge(audit, review, four, "right", "sue", correct="track_order", store=store)
    assert audit.get(four)["status"] == "pending"
    assert judge(audit, review, four, "right", "sue", store=store)["proposal"] == ""
    with pytest.raises(AuditError) as done:
        judge(audit, review, four, "wrong", "sue", correct="negative", store=store)
    assert done.value.code == 409


def test_accepting_a_negative_example_needs_the_out_of_scope_class(
        audit: AuditStore, review: ReviewStore, home: Path) -> None:
    store = FaqStore(home)
    nlu = home / "data" / "nlu"
    shipped = {p.name: p.read_text() for p in nlu.glob("out_of_scope*.yml")}
    assert shipped, "the project ships an out_of_scope class (issue 16)"
    for name in shipped:  # a brand's data without the class
        (nlu / name).unlink()
    aid = audit.record(answer("when does the album come out"), sampled=True, low=False)
    pid = judge(audit, review, aid, "wrong", "sue", correct="negative", store=store)["proposal"]
    before = {p: p.read_text() for p in nlu.glob("*.yml")}
    with pytest.raises(ReviewError) as refused:
        review.accept(pid, "tess", store)
    assert refused.value.code == 409 and "out_of_scope" in str(refused.value)
    assert {p: p.read_text() for p in nlu.glob("*.yml")} == before
    # with the class back in the data, accepting appends the message to one of its files
    for name, text in shipped.items():
        (nlu / name).write_text(text)
    accepted = review.accept(pid, "tess", store)
    assert accepted["status"] == "accepted"
    [changed] = accepted["result"]["files"]
    assert changed.startswith("data/nlu/out_of_scope")
    text = (home / changed).read_text()
    assert "    - when does the album come out\n" in text
    assert text != shipped[Path(changed).name]


def test_model_id_is_the_latest_user_event_s() -> None:
    events: list[dict[str, Any]] = [
        {"event": "user", "metadata": {"model_id": "old"}}, {"event": "bot"},
        {"event": "user", "metadata": {"model_id": "new"}}, {"event": "action"}]
    assert model_id(events) == "new" and model_id([]) == ""


def test_the_draw_is_keyed_by_the_message_id_rasa_gives() -> None:
    from bot.audit.record import sample_key

    assert sample_key("rest:a", {"message_id": "9f1c"}) == "rest:a\x009f1c"
    assert sample_key("rest:a", {"message_id": "9f1c"}) == sample_key("rest:a",
                                                                       {"message_id": "9f1c"})
    # without one (never from Rasa), a fresh key each time: still a fair draw
    assert sample_key("rest:a", {}) != sample_key("rest:a", {})


def test_the_scripts_write_the_keys_keys_names(redis_client: redis.Redis,
                                               clock: FakeClock) -> None:
    """The Lua scripts build key names themselves: they must be ``Keys``' (any prefix)."""
    from datetime import datetime, timezone

    store = AuditStore(redis_client, prefix="brand", clock=clock)
    aid = store.record(answer(), sampled=True, low=False)
    waiting = store.record(answer("b"), sampled=False, low=True)
    store.mark(aid, "right", "sue")
    keys = Keys("brand")
    day = datetime.fromtimestamp(clock(), tz=timezone.utc)
    assert set(redis_client.keys("*")) == {
        keys.audit_seq, keys.audit_item(aid), keys.audit_item(waiting), keys.audit_pending,
        keys.audit_decided,
        keys.audit_day(day), keys.audit_totals}
    assert keys.audit_item("A-000001") == "brand:audit:item:A-000001"
    assert keys.audit_day(datetime(2024, 3, 9, tzinfo=timezone.utc)) == "brand:audit:day:20240309"
