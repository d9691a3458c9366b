"""Agents mark a tone call wrong (``bot.faq.tone_flag``): a ``tone`` proposal on the trainers'
review list, which accepting appends, with the corrected label, to ``data/tone/reviewed.yml``.
Real Redis, a temporary copy of the project."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
import yaml

from bot.faq.flag import flag
from bot.faq.review import ReviewError, ReviewStore
from bot.faq.store import FaqStore
from bot.faq.tone_flag import append_reviewed, bot_call, flag_tone, normalise
from bot.queue import AgentQueue, Escalation
from tests.fakes.project import project_home

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[Path]:
    yield from project_home(tmp_path, monkeypatch, redis_url)


@pytest.fixture
def q(redis_client: redis.Redis) -> AgentQueue:
    return AgentQueue(redis_client)


@pytest.fixture
def review(redis_client: redis.Redis) -> ReviewStore:
    return ReviewStore(redis_client)


def ticket(q: AgentQueue, text: str, reasons: list[str], later: str = "") -> str:
    """An open ticket escalated for ``reasons``, with tone scores and signals on it."""
    transcript = [{"role": "follower", "text": text, "ts": time.time()}]
    if later:
        transcript.append({"role": "follower", "text": later, "ts": time.time()})
    esc = Escalation(
        channel="x", sender=f"f-{time.monotonic_ns()}", reasons=reasons, priority=2, text=text,
        draft="", nlu={"intent": "faq"}, transcript=transcript,
        tone={"negative": 0.93, "sarcasm": 0.85, "label": "negative",
              "signals": ["sarcasm marker: love how"]},
    )
    return q.escalate(esc).ticket_id


def reviewed_rows(home: Path) -> list[dict[str, Any]]:
    path = home / "data/tone/reviewed.yml"
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["tone"]) if path.exists() else []


def test_a_tone_flag_waits_for_a_trainer_then_lands_in_the_reviewed_corpus(
    home: Path, q: AgentQueue, review: ReviewStore
) -> None:
    asked = "love how quick you lot were with my refund, cheers"
    tid = ticket(q, asked, ["sarcasm"])
    before = {p: p.read_text() for p in (home / "data").rglob("*.yml")}
    proposal = flag_tone(review, q, tid, asked, "ana", "positive", note="sincere, they thanked us")
    assert proposal["kind"] == "tone" and proposal["label"] == "positive"
    [message] = proposal["messages"]
    assert message["was"] == "sarcastic" and message["flagged_by"] == "ana"
    assert message["tone"]["signals"] == ["sarcasm marker: love how"]  # the trainer sees why
    assert message["note"] == "sincere, they thanked us"
    # nothing written until a trainer accepts; flagging it again is refused
    assert {p: p.read_text() for p in (home / "data").rglob("*.yml")} == before
    with pytest.raises(ReviewError, match="in the review list already") as again:
        flag_tone(review, q, tid, asked, "bob", "calm")
    assert again.value.code == 409
    # a tone flag does not block an FAQ flag of the same message (their own fingerprints)
    q.claim(tid, "ana")
    assert flag(review, q, tid, asked, "ana", store=FaqStore(home))["kind"] == "new_faq"

    # the trainer corrects the label while accepting: a sincere thank-you is calm, positive
    accepted = review.accept(proposal["id"], "tess", FaqStore(home), label="positive")
    assert accepted["status"] == "accepted" and accepted["result"]["files"] == [
        "data/tone/reviewed.yml"]
    assert reviewed_rows(home) == [{"text": asked, "label": "positive", "sarcasm": False}]
    text = (home / "data/tone/reviewed.yml").read_text()
    assert f"{proposal['id']} {tid} flagged by ana accepted by tess" in text
    # the corpus loader reads it like every other tone file
    from bot.nlu.tone.model import load_corpus

    assert {"text": asked, "label": "positive", "sarcasm": False} in load_corpus(
        [home / "data/tone"])


def test_labels_map_to_corpus_rows_and_the_checker_accepts_the_file(
    home: Path, q: AgentQueue, review: ReviewStore
) -> None:
    cases = {
        "oh wonderful, the 'next day' parcel is on day nine now": "sarcastic",
        "third chat this week and the router still drops out": "negative",
        "WHAT time do you close on sundays?? just checking lol": "calm",
    }
    for text, label in cases.items():
        tid = ticket(q, text, ["low_confidence"] if label != "calm" else ["negative_tone"])
        p = flag_tone(review, q, tid, text, "ana", label)
        review.accept(p["id"], "tess", FaqStore(home))
    assert reviewed_rows(home) == [
        {"text": "oh wonderful, the 'next day' parcel is on day nine now", "label": "negative",
         "sarcasm": True},
        {"text": "third chat this week and the router still drops out", "label": "negative",
         "sarcasm": False},
        {"text": "WHAT time do you close on sundays?? just checking lol", "label": "neutral",
         "sarcasm": False},
    ]
    checker = _checker()
    problems, _ = checker.check(home / "data/tone", ROOT)
    assert problems == []


def test_bad_tone_flags_are_refused(home: Path, q: AgentQueue, review: ReviewStore) -> None:
    text = "thanks for nothing, four days without internet"
    tid = ticket(q, text, ["sarcasm", "negative_tone"], later="hello??")
    cases: list[tuple[dict[str, Any], str, int]] = [
        ({"label": "angry"}, "expected one of calm, positive, negative, sarcastic", 400),
        ({"text": "never sent"}, "no follower message", 400),
        ({"text": "  "}, "empty", 400),
        ({"label": "sarcastic"}, "called this message sarcastic already", 409),
        ({"ticket": "T-999999"}, "no ticket", 404),
        ({"note": "n" * 501}, "longer than 500", 400),
    ]
    for change, words, code in cases:
        args = {"ticket": tid, "text": text, "label": "calm", **change}
        with pytest.raises(ReviewError, match=words) as error:
            flag_tone(review, q, args["ticket"], args["text"], "ana", args["label"],
                      note=args.get("note", ""))
        assert error.value.code == code
    long = "x " * 200
    long_tid = ticket(q, long.strip(), ["negative_tone"])
    with pytest.raises(ReviewError, match="longer than 280"):
        flag_tone(review, q, long_tid, long, "ana", "calm")
    # a later message of the conversation: the bot's call on it is not on the ticket
    later = flag_tone(review, q, tid, "hello??", "ana", "calm")
    assert later["messages"][0]["was"] == "" and later["messages"][0]["tone"] == {}
    assert review.list("pending")[0]["id"] == later["id"]


def test_accepting_refuses_a_message_the_corpus_labels_otherwise(
    home: Path, q: AgentQueue, review: ReviewStore
) -> None:
    rows = yaml.safe_load((home / "data/tone/care.yml").read_text(encoding="utf-8"))["tone"]
    negative = next(r for r in rows if r["label"] == "negative" and not r["sarcasm"])
    tid = ticket(q, negative["text"], ["low_confidence"])
    p = flag_tone(review, q, tid, negative["text"], "ana", "sarcastic")
    with pytest.raises(ReviewError, match="care.yml has this message labelled negative"):
        review.accept(p["id"], "tess", FaqStore(home))
    assert review.get(p["id"])["status"] == "pending"
    assert not (home / "data/tone/reviewed.yml").exists()
    # the trainer agrees with the corpus: nothing to write twice
    done = review.accept(p["id"], "tess", FaqStore(home), label="negative")
    assert done["status"] == "accepted" and done["result"]["files"] == []
    with pytest.raises(ReviewError, match="only a tone proposal has a label"):
        other = ticket(q, "do you sell gift wrap", ["low_confidence"])
        q.claim(other, "ana")
        faq = flag(review, q, other, "do you sell gift wrap", "ana", store=FaqStore(home))
        review.edit(faq["id"], "tess", label="calm")


def test_append_reviewed_keeps_odd_text_intact(tmp_path: Path) -> None:
    (tmp_path / "data/tone").mkdir(parents=True)
    odd = 'she said "fine" #blessed: 🙄 {not yaml} - [x] & \\ done'
    append_reviewed(tmp_path, odd, "sarcastic", provenance="R-000001 T-000001 by ana\n# x")
    append_reviewed(tmp_path, "ok thanks", "positive")
    assert reviewed_rows(tmp_path) == [{"text": odd, "label": "negative", "sarcasm": True},
                                       {"text": "ok thanks", "label": "positive",
                                        "sarcasm": False}]
    assert bot_call(["low_confidence"]) == "calm"
    assert bot_call(["negative_tone", "sarcasm"]) == "sarcastic"


def _checker() -> Any:
    spec = importlib.util.spec_from_file_location("check_corpus",
                                                  ROOT / "data/tone/check_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_duplicates_are_found_as_the_corpus_checker_finds_them() -> None:
    checker = _checker()
    for text in ["Oh GREAT, another delay!!! 🙄", "it's   “fine”…", "WHERE is my order #123?",
                 "  ", "🙂👍", "ça marche, merci"]:
        assert normalise(text) == checker.normalise(text), text
