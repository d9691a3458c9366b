"""actions/respond.py: the action server's decision point, from tracker fixtures (real Redis)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.respond import ActionRespond
from actions.services import Services, reset_services
from bot.queue import AgentQueue
from bot.settings import Settings
from tests.conftest import make_escalation

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = {
    "responses": {
        "utter_faq/shipping_time": [{"text": "Standard shipping takes 3-5 business days."}],
        "utter_greet": [{"text": "Hi!"}],
        "utter_handoff_sorry": [{"text": "Sorry! A teammate will reply within {wait}."}],
    }
}


DOWN_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there


def settings_for(redis_url: str, var_dir: Path) -> Settings:
    return Settings.from_env(
        {"REDIS_URL": redis_url, "CAREBOT_VAR_DIR": str(var_dir), "CAREBOT_HOME": str(ROOT)}
    )


@pytest.fixture
def services(redis_client: redis.Redis, redis_url: str, tmp_path: Path) -> Iterator[Services]:
    svc = Services(settings_for(redis_url, tmp_path))
    reset_services(svc)
    yield svc
    reset_services(None)


def parse(
    text: str, label: str, conf: float = 0.98, negative: float = 0.02, sarcasm: float = 0.01
) -> dict[str, Any]:
    base = label.split("/")[0]
    data: dict[str, Any] = {
        "text": text,
        "intent": {"name": base, "confidence": conf},
        "intent_ranking": [{"name": base, "confidence": conf}],
        "carebot_ranking": [
            {"label": label, "confidence": conf},
            {"label": "thanks", "confidence": 1 - conf},
        ],
        "tone": {"negative": negative, "sarcasm": sarcasm, "label": "neutral", "signals": []},
        "language": {"code": "en", "known_ratio": 1.0, "words": 4},
        "metadata": {},
    }
    if "/" in label:
        data["response_selector"] = {
            "all_retrieval_intents": ["faq"],
            "faq": {"response": {"intent_response_key": label, "confidence": 1.0}},
        }
    return data


def tracker(
    latest: dict[str, Any],
    sender: str = "rest:follower-1",
    failures: float = 0,
    channel: str = "rest",
) -> Tracker:
    events = [
        {"event": "user", "text": "hello", "timestamp": 1.0, "input_channel": channel},
        {"event": "bot", "text": "Hi!", "timestamp": 2.0},
        {
            "event": "user",
            "text": latest["text"],
            "timestamp": 3.0,
            "input_channel": channel,
            "parse_data": latest,
        },
    ]
    return Tracker(
        sender, {"carebot_failures": failures}, latest, events, False, None, {}, "action_listen"
    )


def run(t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionRespond().run(dispatcher, t, DOMAIN))
    return events, dispatcher.messages


def test_confident_faq_is_answered_without_a_ticket(services: Services) -> None:
    events, messages = run(tracker(parse("how long does shipping take", "faq/shipping_time")))
    assert [m["response"] for m in messages] == ["utter_faq/shipping_time"]
    assert events == [{"event": "slot", "timestamp": None, "name": "carebot_failures", "value": 0}]
    assert services.queue.list() == []


def test_negative_message_escalates_pauses_and_drafts(services: Services) -> None:
    events, messages = run(
        tracker(parse("3 weeks and still nothing, useless", "faq/shipping_time", negative=0.98))
    )
    assert [m["response"] for m in messages] == ["utter_handoff_sorry"]
    assert "wait" in messages[0]  # typical wait filled in
    assert events[-1]["event"] == "pause"
    [ticket] = services.queue.list()
    assert ticket.reasons == ["negative_tone"]
    assert ticket.channel == "rest" and ticket.sender == "follower-1"
    assert ticket.priority == 1
    assert "Standard shipping takes 3-5 business days." in ticket.draft
    assert ticket.tone["negative"] == 0.98
    texts = [turn["text"] for turn in ticket.transcript]
    assert texts[-2] == "3 weeks and still nothing, useless"
    notice = ticket.transcript[-1]  # the handoff notice, as the follower saw it
    assert notice["role"] == "bot" and notice["text"].startswith("Sorry! A teammate will reply")
    assert "{wait}" not in notice["text"]
    assert ticket.nlu["ranking"][0]["label"] == "faq/shipping_time"


def test_the_wait_told_is_the_measured_one_and_the_ticket_says_the_same(
    services: Services,
) -> None:
    assert services.wait_estimate() == services.config.default_wait_minutes * 60  # nothing yet
    services.redis.lpush(services.queue.keys.waits, 1180, 1210, 1300)  # recent claim waits
    _, messages = run(tracker(parse("useless, 3 weeks!", "faq/shipping_time", negative=0.98)))
    assert messages[0]["wait"] == "about 20 minutes"
    [ticket] = services.queue.list()
    assert ticket.transcript[-1]["text"] == "Sorry! A teammate will reply within about 20 minutes."


def test_the_channel_is_the_conversation_ids_not_the_input_channel(services: Services) -> None:
    """A conversation id carries its channel; ``input_channel`` (client-supplied on Rasa's stock
    REST channel) cannot move a REST follower into a WhatsApp follower's ticket."""
    services.queue.escalate(make_escalation("15550001", channel="whatsapp"))
    run(tracker(parse("agent please", "ask_for_human"), sender="rest:15550001",
                channel="whatsapp"))
    tickets = {(t.channel, t.sender): t for t in services.queue.list()}
    assert set(tickets) == {("whatsapp", "15550001"), ("rest", "15550001")}
    assert "agent please" not in [m["text"] for m in tickets["whatsapp", "15550001"].transcript]
    run(tracker(parse("still me", "ask_for_human"), sender="whatsapp:15550001"))
    whatsapp = services.queue.get(tickets["whatsapp", "15550001"].id)
    assert whatsapp.transcript[-1]["text"] == "still me"


def test_low_confidence_draft_is_the_faq_answer(services: Services) -> None:
    run(tracker(parse("shipping to the moon?", "faq/shipping_time", conf=0.45)))
    [ticket] = services.queue.list()
    assert "low_confidence" in ticket.reasons
    assert ticket.draft == "Standard shipping takes 3-5 business days."


def test_second_escalation_updates_the_same_ticket(services: Services) -> None:
    run(tracker(parse("I want a person", "ask_for_human")))
    run(tracker(parse("this is ridiculous", "faq/shipping_time", negative=0.95)))
    tickets = services.queue.list()
    assert len(tickets) == 1
    assert set(tickets[0].reasons) >= {"asked_for_human", "negative_tone"}


def test_open_ticket_keeps_the_bot_silent(services: Services) -> None:
    run(tracker(parse("agent please", "ask_for_human")))
    events, messages = run(tracker(parse("how long does shipping take", "faq/shipping_time")))
    assert messages == []
    assert events[-1]["event"] == "pause"
    [ticket] = services.queue.list()
    assert ticket.transcript[-1]["text"] == "how long does shipping take"


def test_repeated_failure_is_flagged(services: Services) -> None:
    events, _ = run(tracker(parse("blorp?", "faq/shipping_time", conf=0.3), failures=1))
    [ticket] = services.queue.list()
    assert "repeated_fallback" in ticket.reasons
    assert {"event": "slot", "timestamp": None, "name": "carebot_failures", "value": 2} in events


def test_redis_down_spools_and_still_tells_the_follower(tmp_path: Path) -> None:
    reset_services(Services(settings_for(DOWN_REDIS_URL, tmp_path)))
    try:
        events, messages = run(
            tracker(parse("you people are useless", "faq/shipping_time", negative=0.95))
        )
        assert [m["response"] for m in messages] == ["utter_handoff_sorry"]
        assert events[-1]["event"] == "pause"
        assert len(list((tmp_path / "spool").glob("*.json"))) == 1
        # FAQ answers keep flowing while Redis is down
        _, messages = run(
            tracker(parse("how long does shipping take", "faq/shipping_time"), sender="rest:other")
        )
        assert [m["response"] for m in messages] == ["utter_faq/shipping_time"]
    finally:
        reset_services(None)


def test_spooled_escalation_is_delivered_when_redis_returns(
    tmp_path: Path, redis_client: redis.Redis, redis_url: str
) -> None:
    down = settings_for(DOWN_REDIS_URL, tmp_path)
    reset_services(Services(down))
    try:
        run(tracker(parse("damaged!!", "damaged_item")))
    finally:
        reset_services(None)
    queue = AgentQueue(redis_client)
    assert Services(down).spool.drain(queue) == 1
    [ticket] = queue.list()
    assert ticket.reasons == ["complex_topic"]
    assert list((tmp_path / "spool").glob("*.json")) == []
