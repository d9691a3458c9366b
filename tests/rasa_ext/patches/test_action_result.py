"""``bot.rasa_ext.patches.action_result``: the action server's responses accepted and refused
exactly as Rasa's ``RemoteAction._validate_action_result`` does (same error message and path)."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.rasa_ext import patches
from bot.rasa_ext.patches.action_result import ActionResultValidator, SchemaChanged

ORIGINALS = patches.ORIGINALS


GOOD_RESULTS: list[dict[str, Any]] = [
    {},
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "tone", "value": "negative"}],
     "responses": [{"response": "utter_faq/shipping_time"}, {"text": "hi"}]},
    {"events": [{"event": "pause"}, {"event": "followup", "name": "action_x"}]},
]
BAD_RESULTS: list[dict[str, Any]] = [
    {"events": "not a list"},
    {"responses": {"text": "an object, not a list"}},
    {"responses": ["a string, not an object"]},
    {"events": [{"name": "no event key"}]},
    {"events": [{"event": "slot"}]},  # slot without name
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "user", "text": 3}], "responses": 7},
    {"events": None},
    {"responses": None},
    {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "noon"}]},
    {"events": [{"event": "bot", "metadata": 3}]},
    {"events": [{"event": 7}]},
    {"events": ["pause"]},
    {"events": [{"event": "pause"}, {"event": "action", "name": 5}]},
    {"events": [{"event": "user", "text": "hi", "parse_data": {"intent": "greet"}}]},
    {"events": [{"event": "entities", "entities": "none"}]},
]


def _rasa_validate(result: dict[str, Any]) -> Any:
    return ORIGINALS["RemoteAction._validate_action_result"](
        RemoteAction("action_respond", None), result)


@pytest.mark.parametrize("result", GOOD_RESULTS)
def test_valid_action_results_pass(result: dict[str, Any]) -> None:
    action = RemoteAction("action_respond", None)
    assert action._validate_action_result(result) is True
    assert _rasa_validate(result) is True


@pytest.mark.parametrize("result", BAD_RESULTS)
def test_invalid_action_results_raise_the_same_error(result: dict[str, Any]) -> None:
    action = RemoteAction("action_respond", None)
    with pytest.raises(ValidationError) as fast:
        action._validate_action_result(result)
    with pytest.raises(ValidationError) as rasa:
        _rasa_validate(result)
    assert fast.value.message == rasa.value.message
    assert list(fast.value.absolute_path) == list(rasa.value.absolute_path)
    assert list(fast.value.absolute_schema_path) == list(rasa.value.absolute_schema_path)
    assert "Failed to validate Action server response" in fast.value.message


EVENT_PARTS: list[Any] = [
    {"event": "slot", "name": "tone", "value": {"negative": 0.9}},
    {"event": "slot", "name": "failures"},  # no value
    {"event": "slot", "value": 1},  # no name
    {"event": "pause"}, {"event": "resume", "timestamp": None}, {"event": "followup",
                                                                 "name": "action_x"},
    {"event": "bot", "text": "hello", "metadata": {"a": 1}}, {"event": "bot", "metadata": []},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet",
                                                                "confidence": 0.5}}},
    {"event": "user", "text": None, "input_channel": 3},
    {"event": "action", "name": "utter_x", "policy": None, "confidence": 1.0},
    {"event": "action", "name": "utter_x", "confidence": "high"},
    {"event": "session_started", "timestamp": True}, {"event": "unknown_kind"}, {"event": None},
    {}, [], "slot", 3, {"event": "restart", "metadata": None, "timestamp": 1.5},
    {"event": "entities", "entities": [{"entity": "size", "value": "m", "start": 0, "end": 1}]},
    {"event": "entities", "entities": [{"value": "m"}]},
]


def test_random_action_results_validate_exactly_as_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa's own validation, minus its constant meta-schema check (checked once here; it takes
    ~0.1 s a call on this machine), against the fast path, on random responses."""
    import random

    from jsonschema import validators

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda *args, **kwargs: None))
    rng = random.Random(8)
    action = RemoteAction("action_respond", None)
    outcomes: Counter[bool] = Counter()
    for _ in range(1000):
        result: Any = {}
        if rng.random() < 0.9:
            result["events"] = [copy.deepcopy(rng.choice(EVENT_PARTS))
                                for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.5:
            result["responses"] = rng.choice([[], [{"text": "x"}], [{"text": "x"}, "y"], {},
                                              [[]], None])
        if rng.random() < 0.03:
            result = rng.choice([[], "events", None])
        try:
            fast: Any = action._validate_action_result(result)
        except ValidationError as error:
            fast = (error.message, list(error.absolute_path))
        try:
            slow: Any = _rasa_validate(result)
        except ValidationError as error:
            slow = (error.message, list(error.absolute_path))
        assert fast == slow, result
        outcomes[fast is True] += 1
    assert outcomes[True] > 100 and outcomes[False] > 100, outcomes


def test_a_changed_response_schema_is_refused() -> None:
    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    ActionResultValidator(schema)  # Rasa 3.6's schema is the one it was written for
    schema["properties"]["followups"] = {"type": "array"}
    with pytest.raises(SchemaChanged, match="followups"):
        ActionResultValidator(schema)
    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    branches = schema["properties"]["events"]["items"]["oneOf"]
    branches.append(copy.deepcopy(branches[0]))
    with pytest.raises(SchemaChanged, match="two event schemas"):
        ActionResultValidator(schema)
