"""Each patch of ``bot.rasa_ext.patches`` keeps Rasa's behaviour (compared with Rasa's own code).

The graph test loads the trained model in ``models/`` (``carebot train``) and compares the NLU
parse and the policy prediction of the patched graph runner with dask's, message by message.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core import events as rasa_events
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext import patches as patches_module
from bot.rasa_ext import patches as rasa_speedups
from bot.rasa_ext.patches import ORIGINALS
from tests.fakes.http_server import serve_post

ROOT = Path(__file__).resolve().parents[2]

patches_module.apply()


def test_applied_once_on_import_of_the_stores_module() -> None:
    patched = DaskGraphRunner.run
    assert set(ORIGINALS) == {"Event.resolve_by_type", "RemoteAction._validate_action_result",
                              "DaskGraphRunner.run", "EndpointConfig.session",
                              "Domain.is_empty", "RemoteAction._action_call_format"}
    assert patched is not ORIGINALS["DaskGraphRunner.run"]
    rasa_speedups.apply()  # a second call changes nothing
    assert DaskGraphRunner.run is patched
    assert ORIGINALS["DaskGraphRunner.run"].__module__ == "rasa.engine.runner.dask"


# -- Event.resolve_by_type ------------------------------------------------------------------------


def test_event_types_resolve_to_the_same_classes() -> None:
    original = ORIGINALS["Event.resolve_by_type"]
    names = {cls.type_name for cls in all_subclasses(rasa_events.Event)
             if not inspect.isabstract(cls)}
    assert len(names) > 20
    for _ in range(2):  # the second round comes from the cache
        for name in sorted(names):
            assert rasa_events.Event.resolve_by_type(name) is original(name), name


def test_unknown_event_types_behave_as_in_rasa() -> None:
    original = ORIGINALS["Event.resolve_by_type"]
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        rasa_events.Event.resolve_by_type("no_such_event")
    with pytest.raises(ValueError):
        original("no_such_event")
    default = rasa_events.SlotSet
    assert rasa_events.Event.resolve_by_type("no_such_event", default) is default
    assert rasa_events.Event.resolve_by_type("topic") is None is original("topic")
    # a default never poisons the cache
    assert rasa_events.Event.resolve_by_type("user", default) is rasa_events.UserUttered


def test_trackers_deserialise_to_equal_events(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "user", "text": "hi", "timestamp": 2.0,
         "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []}},
        {"event": "slot", "name": "tone", "value": "neutral", "timestamp": 3.0},
        {"event": "bot", "text": "Hello!", "timestamp": 4.0},
        {"event": "pause", "timestamp": 5.0},
    ]
    fast = rasa_events.deserialise_events(copy.deepcopy(stored))
    with monkeypatch.context() as patch:
        patch.setattr(rasa_events.Event, "resolve_by_type",
                      staticmethod(ORIGINALS["Event.resolve_by_type"]))
        slow = rasa_events.deserialise_events(copy.deepcopy(stored))
    assert len(fast) == len(stored)
    assert [e.as_dict() for e in fast] == [e.as_dict() for e in slow]
    assert [type(e) for e in fast] == [type(e) for e in slow]


def test_domain_emptiness_as_in_rasa() -> None:
    from rasa.shared.core.domain import Domain

    ours = Domain.load(str(ROOT / "config" / "domain"))
    for domain in (ours, Domain.empty(), Domain.from_dict({"intents": ["greet"]}), ours):
        assert domain.is_empty() == ORIGINALS["Domain.is_empty"](domain)
    assert Domain.empty().is_empty() and not ours.is_empty()


# -- RemoteAction._validate_action_result -------------------------------------------------------

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


# -- DaskGraphRunner.run: same parse and prediction as dask on the trained model ---------------

MESSAGES = [
    "hi there", "how long does shipping to canada take", "can i return a worn jacket",
    "my order arrived broken and i am furious", "i want to talk to a human", "thanks, bye",
    "asdf qwerty", "wow great, a month late again 🙄",
]


@pytest.fixture(scope="module")
def agent() -> Any:
    from rasa.core.agent import Agent

    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    assert models, "no trained model in models/: run `carebot train` first"
    return Agent.load(str(models[-1]))


def _parse_and_predict(agent: Any, text: str, sender: str) -> tuple[dict[str, Any], Any]:
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = agent.processor
    message = UserMessage(text, sender_id=sender, message_id="m1")
    parse = asyncio.run(processor.parse_message(message))
    tracker = DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_listen"), UserUttered(text, parse)],
        slots=agent.domain.slots)
    prediction = processor._predict_next_with_tracker(tracker)
    return parse, prediction


@pytest.mark.parametrize("text", MESSAGES)
def test_graph_gives_the_same_parse_and_prediction_as_dask(
    agent: Any, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_parse, fast = _parse_and_predict(agent, text, "s1")
    with monkeypatch.context() as patch:
        patch.setattr(DaskGraphRunner, "run", ORIGINALS["DaskGraphRunner.run"])
        dask_parse, slow = _parse_and_predict(agent, text, "s1")
    assert fast_parse == dask_parse
    assert fast_parse["intent"]["name"]
    assert fast.probabilities == slow.probabilities
    assert fast.policy_name == slow.policy_name
    assert fast.events == slow.events
    assert fast.max_confidence_index == slow.max_confidence_index


def test_graph_input_clashing_with_a_node_name_is_refused(agent: Any) -> None:
    from rasa.engine.exceptions import GraphRunError

    runner = agent.processor.graph_runner
    node = next(iter(runner._graph_schema.nodes))
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run(inputs={"__message__": node}, targets=[node])
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        ORIGINALS["DaskGraphRunner.run"](runner, inputs={"__message__": node}, targets=[node])


# -- EndpointConfig.session: one keep-alive session per endpoint and loop -----------------------


def test_action_calls_reuse_one_connection() -> None:
    peers: list[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        body = await request.json()
        return web.json_response({"echo": body["n"], "auth": request.headers.get("Authorization")})

    async def scenario() -> tuple[list[Any], list[Any]]:
        async with serve_post("/webhook", webhook) as url:
            try:
                endpoint = EndpointConfig(f"{url}/webhook",
                                          basic_auth={"username": "u", "password": "p"})
                answers = [await endpoint.request(json={"n": n}, method="post") for n in range(3)]
                other = EndpointConfig(f"{url}/webhook")
                answers.append(await other.request(json={"n": 3}, method="post"))
                async with endpoint.session() as session:
                    assert not session.closed  # borrowed, still open after the block
                assert not session.closed
                return answers, [session]
            finally:
                await endpoint.__dict__["_carebot_session"][1].close()
                await other.__dict__["_carebot_session"][1].close()

    answers, _ = asyncio.run(scenario())
    assert [a["echo"] for a in answers] == [0, 1, 2, 3]
    assert answers[0]["auth"] == "Basic dTpw" and answers[3]["auth"] is None
    assert peers[0] == peers[1] == peers[2]  # one connection for the three calls
    assert peers[3] != peers[0]  # another endpoint, another session


def test_a_new_event_loop_gets_a_new_session() -> None:
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")

    async def grab() -> Any:
        async with endpoint.session() as session:
            return session

    first = asyncio.run(grab())
    second = asyncio.run(grab())
    assert first is not second
