"""``bot.rasa_ext.patches``: JSON written by ujson, and the slimmer action-server payload, keep
what Rasa and the action server see (compared with Rasa's own code)."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Tracker

from bot.escalation.handoff import transcript_from_events
from bot.rasa_ext import patches as patches_module
from bot.rasa_ext.fast_json import dumps
from bot.rasa_ext.patches import ORIGINALS
from bot.rasa_ext.patches.action_payload import slim_events
from bot.rasa_ext.tracker_store import CarebotTrackerStore
from tests.fakes.http_server import serve_post

ROOT = Path(__file__).resolve().parents[2]

patches_module.apply()

VALUES: list[Any] = [
    {"text": "Ça coûte combien? 🙂 https://x.y/z \"quoted\" \\ back\nline", "n": 3},
    {"confidence": 1e-08, "small": 5e-324, "big": 1.7976931348623157e308, "third": 1 / 3},
    [None, True, False, 0, -1, 2**62, -(2**62), 0.1, 100.0, "", [], {}],
    {"nested": [{"a": [1, {"b": "c"}]}], 1: "int key", "tuple": (1, 2)},
    "\u0000\u001f\u2028 control and separators",
]


@pytest.mark.parametrize("value", VALUES)
def test_dumps_parses_back_to_what_json_dumps_gives(value: Any) -> None:
    assert json.loads(dumps(value)) == json.loads(json.dumps(value))


def test_dumps_keeps_nan_and_refuses_what_json_refuses() -> None:
    parsed = json.loads(dumps({"x": float("nan"), "y": float("inf")}))
    assert math.isnan(parsed["x"]) and parsed["y"] == float("inf")
    with pytest.raises(TypeError):
        dumps({"x": object()})


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "config" / "domain"))


def _parse(text: str, key: str, confidence: float) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": "faq", "confidence": confidence},
        "intent_ranking": [{"name": "faq", "confidence": confidence}],
        "carebot_ranking": [{"label": f"faq/{key}", "confidence": confidence}],
        "tone": {"negative": 0.1, "sarcasm": 0.0},
        "entities": [],
    }


def _tracker(domain: Domain) -> DialogueStateTracker:
    tracker = DialogueStateTracker("follower-1", domain.slots)
    t = 1_700_000_000.0
    turns = [("how long is shipping", "shipping_time"), ("and returns?", "return_policy"),
             ("this is the third time I ask", "order_status")]
    for i, (text, key) in enumerate(turns):
        tracker.update(ActionExecuted("action_listen", timestamp=t + 10 * i))
        tracker.update(UserUttered(text, intent={"name": "faq", "confidence": 0.9},
                                   parse_data=_parse(text, key, 0.9 - i / 10),
                                   input_channel="instagram", timestamp=t + 10 * i + 1,
                                   metadata={"attachments": [{"type": "image"}]} if i == 1
                                   else None))
        tracker.update(ActionExecuted("action_respond", timestamp=t + 10 * i + 2))
        tracker.update(BotUttered(f"answer {i}", timestamp=t + 10 * i + 3))
        tracker.update(SlotSet("carebot_failures", float(i), timestamp=t + 10 * i + 4))
    return tracker


def _payloads(domain: Domain) -> tuple[dict[str, Any], dict[str, Any]]:
    action = RemoteAction("action_respond", EndpointConfig("http://127.0.0.1:9/webhook"))
    tracker = _tracker(domain)
    ours = action._action_call_format(tracker, domain)
    rasa = ORIGINALS["RemoteAction._action_call_format"](action, tracker, domain)
    return ours, rasa


def test_older_user_events_go_without_parse_data(domain: Domain) -> None:
    ours, rasa = _payloads(domain)
    mine, theirs = ours["tracker"]["events"], rasa["tracker"]["events"]
    assert len(mine) == len(theirs)
    users = [i for i, e in enumerate(theirs) if e["event"] == "user"]
    assert len(users) == 3
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        if i in users[:-1]:
            assert "parse_data" in b and "parse_data" not in a
            assert a == {k: v for k, v in b.items() if k != "parse_data"}
        else:
            assert a == b
    assert {k: v for k, v in ours.items() if k != "tracker"} == {
        k: v for k, v in rasa.items() if k != "tracker"}
    assert {k: v for k, v in ours["tracker"].items() if k != "events"} == {
        k: v for k, v in rasa["tracker"].items() if k != "events"}


def test_the_action_server_sees_the_same_conversation(domain: Domain) -> None:
    ours, rasa = _payloads(domain)
    slim, full = (Tracker.from_dict(p["tracker"]) for p in (ours, rasa))
    assert slim.latest_message == full.latest_message
    assert slim.latest_message["carebot_ranking"][0]["label"] == "faq/order_status"
    assert slim.sender_id == full.sender_id == "follower-1"
    assert slim.slots == full.slots
    assert slim.get_latest_input_channel() == full.get_latest_input_channel() == "instagram"
    assert transcript_from_events(slim.events) == transcript_from_events(full.events)
    assert transcript_from_events(slim.events)[2]["attachments"] == [{"type": "image"}]


def test_slim_events_without_user_events_is_unchanged() -> None:
    events = [{"event": "action", "name": "action_listen"}, {"event": "bot", "text": "hi"}]
    assert slim_events(events) == events
    assert slim_events([]) == []


def test_stored_trackers_read_back_as_rasa_would(domain: Domain) -> None:
    tracker = _tracker(domain)
    ours = CarebotTrackerStore.serialise_tracker(tracker)
    rasa = json.dumps(tracker.as_dialogue().as_dict())
    assert json.loads(ours) == json.loads(rasa)
    store = CarebotTrackerStore(domain, host="redis://127.0.0.1:9/0")
    back = store.deserialise_tracker("follower-1", ours)
    assert back is not None and list(back.events) == list(tracker.events)


def test_action_requests_carry_the_same_body() -> None:
    received: list[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"events": []})

    async def scenario() -> None:
        async with serve_post("/webhook", webhook) as url:
            endpoint = EndpointConfig(f"{url}/webhook")
            try:
                for value in VALUES[:3]:
                    await endpoint.request(json={"v": value}, method="post")
            finally:
                await endpoint.__dict__["_carebot_session"][1].close()

    asyncio.run(scenario())
    assert received == [json.loads(json.dumps({"v": v})) for v in VALUES[:3]]
