"""``bot.rasa_ext.fast_json.dumps`` (ujson): the JSON ``json.dumps`` would write, in meaning, for
the values Rasa sends and stores; the tracker store's JSON reads back as Rasa's own."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext.fast_json import dumps
from bot.rasa_ext.tracker_store import CarebotTrackerStore

ROOT = Path(__file__).resolve().parents[2]

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


def _tracker(domain: Domain) -> DialogueStateTracker:
    tracker = DialogueStateTracker("follower-1", domain.slots)
    t = 1_700_000_000.0
    for i, text in enumerate(["how long is shipping", "and returns?", "third time I ask"]):
        tracker.update(ActionExecuted("action_listen", timestamp=t + 10 * i))
        tracker.update(UserUttered(
            text, intent={"name": "faq", "confidence": 0.9},
            parse_data={"text": text, "intent": {"name": "faq", "confidence": 0.9},
                        "tone": {"negative": 0.1, "sarcasm": 0.0}, "entities": []},
            input_channel="instagram", timestamp=t + 10 * i + 1,
            metadata={"attachments": [{"type": "image"}]} if i == 1 else None))
        tracker.update(ActionExecuted("action_respond", timestamp=t + 10 * i + 2))
        tracker.update(BotUttered(f"answer {i} 🙂", timestamp=t + 10 * i + 3))
        tracker.update(SlotSet("carebot_failures", float(i), timestamp=t + 10 * i + 4))
    return tracker


def test_stored_trackers_read_back_as_rasa_would() -> None:
    domain = Domain.load(str(ROOT / "config" / "domain"))
    tracker = _tracker(domain)
    ours = CarebotTrackerStore.serialise_tracker(tracker)
    rasa = json.dumps(tracker.as_dialogue().as_dict())
    assert json.loads(ours) == json.loads(rasa)
    store = CarebotTrackerStore(domain, host="redis://127.0.0.1:9/0")
    back = store.deserialise_tracker("follower-1", ours)
    assert back is not None and list(back.events) == list(tracker.events)
