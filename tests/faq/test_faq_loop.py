"""The full trainer loop, for real: escalations and agent replies in Redis → suggest → a trainer
accepts (with edits) → ``carebot train`` (real Rasa training into a temporary models dir) →
the bot answers a paraphrase of the new question with the new FAQ.

One real training (~30-60 s on two cores); runs on a temporary copy of config/ and data/.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
import redis

from bot.cli import faq as cli
from bot.faq.review import ReviewStore
from bot.faq.store import FaqStore
from bot.faq.suggest import suggest
from bot.model.training import latest_model
from bot.queue import AgentQueue
from tests.fakes.project import ROOT, project_home
from tests.faq.test_faq_review import RENT, RENT2, RENTAL_QUESTIONS, SHIP, SHIPPING_QUESTIONS
from tests.faq.test_faq_review import escalated as make_ticket

MORE_RENTAL = [  # what a trainer adds in review so the new FAQ has 10 examples
    "rent a sleeping bag?",
    "can i borrow camping gear for a trip",
    "do you have rental kayaks",
    "how much to rent hiking boots for a week",
    "is renting climbing gear possible at your stores",
    "do you rent snowshoes",
]
ANSWER = (
    "We don't rent out gear at the moment, but our ReWear shop sells quality used gear at "
    "lower prices: ridgeline-outfitters.example/rewear"
)
PARAPHRASES = [
    "could I rent a tent and sleeping bags for a camping trip?",
    "do you guys rent out camping equipment",
    "is it possible to rent skis or a tent from you?",
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[Path]:
    yield from project_home(tmp_path, monkeypatch, redis_url)


@pytest.mark.timeout(600)
def test_escalations_to_an_answering_bot(
    home: Path, redis_client: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = AgentQueue(redis_client)
    review = ReviewStore(redis_client)
    for i, text in enumerate(RENTAL_QUESTIONS):
        make_ticket(
            queue,
            text,
            [RENT if i % 2 == 0 else RENT2],
            reasons=["ambiguous"] if i == 4 else ["low_confidence"],
        )
    for text in SHIPPING_QUESTIONS:
        make_ticket(queue, text, [SHIP])

    created = suggest(queue, review, FaqStore(home))
    new = next(p for p in created if p["kind"] == "new_faq")
    assert sorted(new["examples"]) == sorted(RENTAL_QUESTIONS)
    assert FaqStore(home).faqs().get(new["key"]) is None  # nothing written yet

    # the trainer edits (key, answer, more examples) and accepts, then trains
    review.edit(new["id"], "tess", key="rental_gear", answer=ANSWER, add_examples=MORE_RENTAL)
    accepted = review.accept(new["id"], "tess", FaqStore(home))
    assert accepted["status"] == "accepted"
    assert FaqStore(home).get("rental_gear").answer == ANSWER

    models = home / "models"
    assert latest_model(models) is None
    code = cli.main(["train"])
    out = capsys.readouterr().out
    assert code == 0, out
    model = latest_model(models)
    assert model is not None and "LinearIntentClassifier" in out

    from bot.escalation.config import load_escalation_config
    from bot.model.interpreter import Interpreter

    bot = Interpreter(model, load_escalation_config(ROOT / "config" / "escalation.yml"))
    for text in PARAPHRASES:
        decision = bot.decide(text)
        assert decision.decision == "answer" and decision.faq == "rental_gear", (
            text,
            decision.as_json(),
        )
        assert decision.response == "utter_faq/rental_gear"
        assert bot.responses["utter_faq/rental_gear"][0]["text"] == ANSWER
    assert bot.decide("how long does shipping take?").faq == "shipping_time"  # still there
    # a second train with nothing changed does not start Rasa
    code = cli.main(["train"])
    assert code == 0 and "model is up to date" in capsys.readouterr().out
    latest = latest_model(models)
    assert latest is not None and os.path.samefile(latest, model)
