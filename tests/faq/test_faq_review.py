"""``carebot faq suggest`` / review / flag against real Redis, on a temporary copy of the data.

Escalated tickets (low_confidence / ambiguous, resolved by an agent) are clustered into
proposals; nothing reaches data/ until a trainer accepts one.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator, Sequence

import pytest
import redis

from bot.cli import faq as cli
from bot.faq.flag import flag, reply_to
from bot.faq.review import ReviewError, ReviewStore
from bot.faq.store import FaqStore
from bot.faq.suggest import collect, suggest
from bot.queue import AgentQueue, Escalation
from tests.fakes.project import project_home
from tests.faq.test_faq_store import diff

SHIP = (
    "Hi! Standard shipping takes 3–5 business days and Express 1–2 business days. Orders "
    "placed before 2pm ET ship the same day."
)
RENT = (
    "Hi there! We don't rent gear at the moment, but our ReWear shop sells used gear at "
    "ridgeline-outfitters.example/rewear."
)
RENT2 = (
    "Sorry, no rentals yet! Have a look at ReWear (ridgeline-outfitters.example/rewear) "
    "for used gear at lower prices."
)
RENTAL_QUESTIONS = [
    "can i rent a tent from you",
    "do you rent out skis or snowboards",
    "is there gear rental at the denver store",
    "can i hire a tent for the weekend",
    "do you do equipment rental",
]
SHIPPING_QUESTIONS = [
    "yo whens my hoodie gonna show up if i buy it today",
    "if i buy now how many days till it's at my door",
    "buying a fleece rn, arrival date?",
]


def escalated(
    queue: AgentQueue,
    text: str,
    replies: Sequence[str],
    reasons: Sequence[str] = ("low_confidence",),
    outcome: str = "resolved",
    sender: str | None = None,
) -> str:
    """A ticket escalated for ``reasons``, answered by agent ana, then closed."""
    esc = Escalation(
        channel="whatsapp",
        sender=sender or f"f-{time.monotonic_ns()}",
        reasons=list(reasons),
        priority=4,
        text=text,
        draft="",
        nlu={"intent": "faq", "ranking": []},
        transcript=[{"role": "follower", "text": text, "ts": time.time()}],
    )
    tid = queue.escalate(esc).ticket_id
    if outcome == "open":
        return tid
    queue.claim(tid, "ana")
    for reply in replies:
        queue.reply(tid, "ana", reply)
    queue.resolve(tid, "ana", outcome=outcome)
    return tid


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[Path]:
    yield from project_home(tmp_path, monkeypatch, redis_url)


@pytest.fixture
def q(redis_client: redis.Redis) -> AgentQueue:
    return AgentQueue(redis_client)


@pytest.fixture
def review(redis_client: redis.Redis) -> ReviewStore:
    return ReviewStore(redis_client)


def files(home: Path) -> dict[str, str]:
    return {str(p.relative_to(home)): p.read_text() for p in sorted(home.rglob("*.yml"))}


def seed(q: AgentQueue) -> dict[str, str]:
    tickets = {}
    for i, text in enumerate(RENTAL_QUESTIONS):
        tickets[text] = escalated(
            q,
            text,
            [RENT if i % 2 == 0 else RENT2],
            reasons=["ambiguous"] if i == 4 else ["low_confidence"],
        )
    for text in SHIPPING_QUESTIONS:
        tickets[text] = escalated(q, text, [SHIP])
    # not learned from: another reason, handed back, still open
    escalated(q, "this is a joke, where is my refund?!", ["So sorry!"], reasons=["negative_tone"])
    escalated(q, "can i rent a canoe", [RENT], outcome="handed_back")
    escalated(q, "do you rent bikes", [], outcome="open")
    return tickets


def test_collect_reads_only_resolved_uncertain_escalations(q: AgentQueue) -> None:
    tickets = seed(q)
    got = collect(q)
    assert sorted(e.text for e in got) == sorted(RENTAL_QUESTIONS + SHIPPING_QUESTIONS)
    rental = next(e for e in got if e.text == RENTAL_QUESTIONS[0])
    assert rental.ticket == tickets[RENTAL_QUESTIONS[0]] and rental.replies == [RENT]


def test_suggest_clusters_and_proposes_without_writing_data(
    home: Path, q: AgentQueue, review: ReviewStore
) -> None:
    tickets = seed(q)
    before = files(home)
    created = suggest(q, review, FaqStore(home))
    assert files(home) == before  # nothing written without a trainer
    by_kind = {p["kind"]: p for p in created}
    assert len(created) == 2, [(p["kind"], p["key"], p["examples"]) for p in created]
    new = by_kind["new_faq"]
    assert sorted(new["examples"]) == sorted(RENTAL_QUESTIONS)
    assert "rent" in new["key"] and new["status"] == "pending" and new["id"].startswith("R-")
    assert new["answer"].startswith(("We don't rent", "Sorry, no rentals"))  # greeting dropped
    assert new["needs_examples"] == 5
    assert {m["ticket"] for m in new["messages"]} == {tickets[t] for t in RENTAL_QUESTIONS}
    assert all(m["replies"] in ([RENT], [RENT2]) for m in new["messages"])
    ship = by_kind["examples"]
    assert ship["key"] == "shipping_time" and sorted(ship["examples"]) == sorted(SHIPPING_QUESTIONS)
    assert ship["alternatives"][0]["key"] == "shipping_time"
    assert [p["id"] for p in review.list("pending")] == [p["id"] for p in created]
    # a second run proposes nothing new; a new shipping question joins the pending proposal
    assert suggest(q, review, FaqStore(home)) == []
    escalated(q, "ordering boots now, when do they land?", [SHIP])
    again = suggest(q, review, FaqStore(home))
    assert len(again) == 1 and again[0]["id"] == ship["id"]
    assert "ordering boots now, when do they land?" in again[0]["examples"]
    assert len(review.list("pending")) == 2


def test_accept_examples_writes_them_to_the_faq_block(
    home: Path, q: AgentQueue, review: ReviewStore
) -> None:
    seed(q)
    ship = next(p for p in suggest(q, review, FaqStore(home)) if p["kind"] == "examples")
    done = review.accept(ship["id"], "tess", FaqStore(home))
    assert done["status"] == "accepted" and done["decided_by"] == "tess"
    assert done["result"]["files"] == ["data/nlu/faq_orders.yml"]
    assert sorted(diff(home, "data/nlu/faq_orders.yml")) == sorted(
        f"+    - {t}" for t in SHIPPING_QUESTIONS
    )
    examples = [e.text for e in FaqStore(home).get("shipping_time").examples]
    assert examples[-3:] == ship["examples"]
    with pytest.raises(ReviewError, match="accepted already"):
        review.accept(ship["id"], "tess", FaqStore(home))
    assert review.list("pending")[0]["kind"] == "new_faq"
    assert review.list("accepted")[0]["id"] == ship["id"]
    types = [e["type"] for e in review.events()]
    assert types[0] == "accepted" and "proposed" in types


def test_new_faq_needs_ten_examples_then_edit_and_accept(
    home: Path, q: AgentQueue, review: ReviewStore
) -> None:
    seed(q)
    new = next(p for p in suggest(q, review, FaqStore(home)) if p["kind"] == "new_faq")
    before = files(home)
    with pytest.raises(ReviewError, match="needs at least 10 examples .it has 5.: add 5 more"):
        review.accept(new["id"], "tess", FaqStore(home))
    assert files(home) == before and review.get(new["id"])["status"] == "pending"
    more = [
        "rent a sleeping bag?",
        "can i borrow camping gear for a trip",
        "do you have rental kayaks",
        "how much to rent hiking boots for a week",
        "is renting climbing gear possible at your stores",
    ]
    edited = review.edit(
        new["id"],
        "tess",
        key="rental_gear",
        add_examples=more,
        answer="We don't rent gear, but ReWear sells used gear: "
        "ridgeline-outfitters.example/rewear",
        topic="services",
    )
    assert edited["needs_examples"] == 0 and edited["key"] == "rental_gear"
    done = review.accept(new["id"], "tess", FaqStore(home))
    assert done["status"] == "accepted"
    faq = FaqStore(home).get("rental_gear")
    assert faq.path == "data/nlu/faq_services.yml" and len(faq.examples) == 10
    assert faq.answer.startswith("We don't rent gear, but ReWear")


def test_reject_keeps_messages_out_of_later_suggestions(
    home: Path, q: AgentQueue, review: ReviewStore
) -> None:
    seed(q)
    created = suggest(q, review, FaqStore(home))
    for p in created:
        review.reject(p["id"], "tess", "not an FAQ")
    assert review.list("pending") == []
    assert {p["note"] for p in review.list("rejected")} == {"not an FAQ"}
    assert suggest(q, review, FaqStore(home)) == []
    with pytest.raises(ReviewError, match="rejected already"):
        review.edit(created[0]["id"], "tess", key="whatever_key")


def test_agents_flag_messages_into_the_same_review_list(
    home: Path, q: AgentQueue, review: ReviewStore
) -> None:
    store = FaqStore(home)
    t1 = escalated(
        q,
        "hey when does my order get here if i order now",
        ["3-5 days!"],
        reasons=["negative_tone"],
    )
    t2 = escalated(q, "do you sell gift wrap", ["Yes, $5 at checkout."], reasons=["sarcasm"])
    open_t = escalated(q, "how long does shipping take", [], outcome="open")
    flagged = flag(
        review,
        q,
        t1,
        "hey when does my order get here if i order now",
        "ana",
        faq="shipping_time",
        store=store,
    )
    assert flagged["kind"] == "examples" and flagged["key"] == "shipping_time"
    assert flagged["messages"][0]["flagged_by"] == "ana" and flagged["source"] == "flag"
    new = flag(review, q, t2, "do you sell gift wrap", "ana", store=store)
    assert new["kind"] == "new_faq" and new["answer"] == "Yes, $5 at checkout."
    with pytest.raises(ReviewError, match="already"):
        flag(review, q, t2, "do you sell gift wrap", "bob", store=store)
    with pytest.raises(ReviewError, match="is queued: flag messages of claimed or resolved"):
        flag(review, q, open_t, "how long does shipping take", "ana", faq="shipping_time")
    with pytest.raises(ReviewError, match="no follower message"):
        flag(review, q, t1, "something else", "ana", faq="shipping_time")
    with pytest.raises(ReviewError, match="no FAQ 'nope_nope'"):
        flag(review, q, t2, "do you sell gift wrap", "ana", faq="nope_nope", store=store)
    # suggestions for the same FAQ join the flagged proposal
    for text in SHIPPING_QUESTIONS:
        escalated(q, text, [SHIP])
    joined = suggest(q, review, store)
    assert [p["id"] for p in joined] == [flagged["id"]]
    assert len(review.get(flagged["id"])["messages"]) == 4


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_suggest_review_accept_reject_and_flag(
    home: Path, q: AgentQueue, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(q)
    code, out, err = run(capsys, "faq", "suggest", "--dry-run")
    assert code == 0 and "(dry run) new FAQ" in out and "examples for faq/shipping_time" in out
    code, out, err = run(capsys, "faq", "suggest")
    assert code == 0 and "2 proposal(s) waiting for review" in out
    assert "agent: " + RENT in out  # the agents' replies are shown
    code, out, _ = (
        run(capsys, "faq", "review", "--json")
        if False
        else run(capsys, "faq", "review", "list", "--json")
    )
    items = json.loads(out)
    ship = next(p for p in items if p["kind"] == "examples")
    new = next(p for p in items if p["kind"] == "new_faq")
    code, out, _ = run(capsys, "faq", "review")
    assert code == 0 and ship["id"] in out and new["id"] in out
    code, out, _ = run(capsys, "faq", "review", "show", new["id"])
    assert "needs 5 more examples" in out and "proposed answer" in out
    code, out, err = run(capsys, "faq", "--agent", "tess", "review", "accept", ship["id"])
    assert code == 0, err
    assert "accepted by tess" in out and "faq/shipping_time: added 3 example(s)" in out
    code, out, err = run(capsys, "faq", "--agent", "tess", "review", "accept", new["id"])
    assert code == 1 and "needs at least 10 examples" in err
    code, out, err = run(
        capsys,
        "faq",
        "--agent",
        "tess",
        "review",
        "reject",
        new["id"],
        "--reason",
        "rentals are a store decision",
    )
    assert code == 0 and "rejected" in out
    code, out, _ = run(capsys, "faq", "review", "list", "--status", "decided")
    assert ship["id"] in out and new["id"] in out
    t = escalated(q, "do you sell gift wrap", ["Yes!"], reasons=["complex_topic"])
    code, out, err = run(
        capsys, "faq", "--agent", "ana", "flag", t, "--message", "do you sell gift wrap", "--new"
    )
    assert code == 0, err
    assert "NEW FAQ" in out
    code, _, err = run(capsys, "faq", "flag", t, "--message", "x")
    assert code == 2 and "--faq KEY" in err


def test_review_needs_a_trainer_once_accounts_exist(
    home: Path,
    q: AgentQueue,
    review: ReviewStore,
    redis_client: redis.Redis,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.workspace.accounts import Accounts

    seed(q)
    pid = suggest(q, review, FaqStore(home))[0]["id"]
    accounts = Accounts(redis_client)
    agent_token = accounts.add("ana", "agent")
    trainer_token = accounts.add("tess", "trainer")
    code, _, err = run(capsys, "faq", "review", "reject", pid)
    assert code == 2 and "sign in first" in err
    code, _, err = run(capsys, "faq", "--token", agent_token, "review", "reject", pid)
    assert code == 3 and "role 'agent' may not" in err
    code, out, err = run(capsys, "faq", "--token", trainer_token, "review", "reject", pid)
    assert code == 0, err
    assert review.get(pid)["decided_by"] == "tess"


def test_flag_on_a_claimed_conversation_with_a_key_a_note_and_no_reply_as_answer(
    home: Path, q: AgentQueue, review: ReviewStore
) -> None:
    store = FaqStore(home)
    tid = escalated(q, "do you sell gift wrap", [], outcome="open", sender="f-gift")
    q.claim(tid, "ana")
    q.reply(tid, "ana", "Yes, $5 at checkout.")
    assert q.add_follower_message("whatsapp", "f-gift", "and for gift cards?") == tid
    ticket = q.get(tid)
    assert ticket.status == "claimed"
    assert reply_to(ticket.transcript, "do  you sell gift wrap") == "Yes, $5 at checkout."
    assert reply_to(ticket.transcript, "and for gift cards?") is None  # not answered yet
    assert reply_to(ticket.transcript, "something else") is None
    # claimed (someone answered it): flaggable; the agent's reply to it is the proposed answer
    new = flag(review, q, tid, "do you sell gift wrap", "bob", store=store, key="gift_wrap",
                      note="  asked   twice this week ")
    assert new["kind"] == "new_faq" and new["key"] == "gift_wrap"
    assert new["answer"] == "Yes, $5 at checkout."
    assert new["answer_source"] == f"agent reply on {tid}"
    [message] = new["messages"]
    assert message["note"] == "asked twice this week" and message["flagged_by"] == "bob"
    assert message["reply"] == "Yes, $5 at checkout." and message["replies"] == [
        "Yes, $5 at checkout."]
    # use_reply=False: the trainer writes the answer
    t2 = escalated(q, "can i pay in instalments", ["Yes, with Klarna."])
    bare = flag(review, q, t2, "can i pay in instalments", "ana", store=store, use_reply=False)
    assert bare["answer"] == "" and bare["answer_source"] == ""
    assert bare["messages"][0]["replies"] == ["Yes, with Klarna."]
    with pytest.raises(ReviewError, match="exists already"):
        flag(review, q, t2, "can i pay in instalments", "ana", store=store, key="payment_methods")
    with pytest.raises(ReviewError, match="not both"):
        flag(review, q, t2, "can i pay in instalments", "ana", store=store,
                    faq="payment_methods", key="instalments")
    with pytest.raises(ReviewError, match="longer than 500"):
        flag(review, q, t2, "can i pay in instalments", "ana", store=store, note="n" * 501)
    assert len(review.list("pending")) == 2
