"""``bot.rasa_ext.patches.graph_runner``: the same NLU parse and policy prediction as Rasa's
``DaskGraphRunner.run`` (dask), message by message, on the trained model in ``models/``
(``carebot train``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.runner.dask import DaskGraphRunner

from bot.rasa_ext import patches

ROOT = Path(__file__).resolve().parents[3]
ORIGINALS = patches.ORIGINALS

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
def test_graph_gives_the_same_parse_and_prediction_as_dask(agent: Any, text: str) -> None:
    fast_parse, fast = _parse_and_predict(agent, text, "s1")
    with patches.disabled("DaskGraphRunner.run"):
        assert DaskGraphRunner.run is ORIGINALS["DaskGraphRunner.run"]
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
