"""``bot.rasa_ext.patches.event_types``: the same classes as Rasa's ``Event.resolve_by_type``."""

from __future__ import annotations

import copy
import inspect

import pytest
from rasa.shared.core import events as rasa_events
from rasa.shared.utils.common import all_subclasses

from bot.rasa_ext import patches

NAME = "Event.resolve_by_type"


def test_event_types_resolve_to_the_same_classes() -> None:
    original = patches.ORIGINALS[NAME]
    names = {cls.type_name for cls in all_subclasses(rasa_events.Event)
             if not inspect.isabstract(cls)}
    assert len(names) > 20
    assert rasa_events.Event.resolve_by_type is not original  # the patch is what runs
    for _ in range(2):  # the second round comes from the cache
        for name in sorted(names):
            assert rasa_events.Event.resolve_by_type(name) is original(name), name


def test_unknown_event_types_behave_as_in_rasa() -> None:
    original = patches.ORIGINALS[NAME]
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        rasa_events.Event.resolve_by_type("no_such_event")
    with pytest.raises(ValueError):
        original("no_such_event")
    default = rasa_events.SlotSet
    assert rasa_events.Event.resolve_by_type("no_such_event", default) is default
    assert rasa_events.Event.resolve_by_type("topic") is None is original("topic")
    # a default never poisons the cache
    assert rasa_events.Event.resolve_by_type("user", default) is rasa_events.UserUttered


def test_trackers_deserialise_to_equal_events() -> None:
    stored = [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "user", "text": "hi", "timestamp": 2.0,
         "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []}},
        {"event": "slot", "name": "tone", "value": "neutral", "timestamp": 3.0},
        {"event": "bot", "text": "Hello!", "timestamp": 4.0},
        {"event": "pause", "timestamp": 5.0},
    ]
    fast = rasa_events.deserialise_events(copy.deepcopy(stored))
    with patches.disabled(NAME):
        assert rasa_events.Event.resolve_by_type is patches.ORIGINALS[NAME]
        slow = rasa_events.deserialise_events(copy.deepcopy(stored))
    assert len(fast) == len(stored)
    assert [e.as_dict() for e in fast] == [e.as_dict() for e in slow]
    assert [type(e) for e in fast] == [type(e) for e in slow]
