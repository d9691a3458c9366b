"""bot.escalation.reasons and its users: the codes, the config that must cover every one of them,
priority, the primary reason, drafts and handoff responses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.escalation.config import EscalationConfig, EscalationConfigError, load_escalation_config
from bot.escalation.decision import Decision, decide
from bot.escalation.handoff import draft_reply, handoff_response, primary_reason
from bot.escalation.priority import priority_for
from bot.escalation.reasons import PRIORITY_ORDER, Reason, parse_reason

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "escalation.yml"
RESPONSES = {"utter_faq/shipping_time": [{"text": "Orders ship within 2 days."}]}


@pytest.fixture(scope="module")
def config() -> EscalationConfig:
    return load_escalation_config(CONFIG)


def raw_config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return data


def decision(*reasons: Reason, faq: str | None = None, negative: float = 0.1) -> Decision:
    return Decision(
        decision="escalate",
        faq=faq,
        reasons=list(reasons),
        confidence=0.5,
        tone={"negative": negative, "sarcasm": 0.0},
    )


def test_the_readme_table_lists_every_reason_and_no_other() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| reason | when |", 1)[1].split("\n\n", 1)[0]
    codes = set(re.findall(r"^\| `(\w+)`(?: / `(\w+)`)?", table, re.M))
    listed = {code for row in codes for code in row if code}
    assert listed == {reason.value for reason in Reason}


def test_a_reason_is_its_code_string() -> None:
    assert Reason.SARCASM == "sarcasm" and "sarcasm" == Reason.SARCASM
    assert "sarcasm" in {Reason.SARCASM} and Reason.SARCASM in {"sarcasm"}
    assert {"sarcasm": 2}[Reason.SARCASM] == 2 and {Reason.SARCASM: 2}["sarcasm"] == 2
    assert f"reason:{Reason.SARCASM}" == "reason:sarcasm" and str(Reason.SARCASM) == "sarcasm"
    assert json.dumps({Reason.SARCASM: [Reason.AMBIGUOUS]}) == '{"sarcasm": ["ambiguous"]}'
    assert parse_reason("ambiguous") is Reason.AMBIGUOUS
    with pytest.raises(ValueError, match="unknown escalation reason 'angry'.*low_confidence"):
        parse_reason("angry")
    assert sorted(PRIORITY_ORDER) == sorted(Reason)


def test_decide_gives_members_and_plain_strings_in_json(config: EscalationConfig) -> None:
    parse = {"text": "I want to talk to a real person",
             "intent": {"name": "ask_for_human", "confidence": 0.97}}
    d = decide(parse, config)
    assert d.reasons == [Reason.ASKED_FOR_HUMAN]
    assert all(type(r) is Reason for r in d.reasons)
    reasons = d.as_json()["reasons"]
    assert reasons == ["asked_for_human"] and all(type(r) is str for r in reasons)
    assert json.loads(json.dumps(d.as_json()))["reasons"] == ["asked_for_human"]


def test_config_needs_a_priority_for_every_reason() -> None:
    raw = raw_config()
    del raw["priority"]["reasons"]["delivery_failed"]
    with pytest.raises(EscalationConfigError, match="priority.reasons lacks delivery_failed"):
        EscalationConfig.from_dict(raw)


@pytest.mark.parametrize("section", ["drafts", "handoff_responses"])
def test_config_refuses_an_unknown_reason(section: str) -> None:
    raw = raw_config()
    raw[section]["angry_tone"] = "utter_handoff_sorry"
    with pytest.raises(EscalationConfigError, match=f"{section}.angry_tone: unknown reason"):
        EscalationConfig.from_dict(raw)
    raw = raw_config()
    raw["priority"]["reasons"]["angry_tone"] = 2
    with pytest.raises(EscalationConfigError, match="priority.reasons.angry_tone: unknown"):
        EscalationConfig.from_dict(raw)


def test_config_is_keyed_by_members(config: EscalationConfig) -> None:
    assert set(config.reason_priority) == set(Reason)
    assert all(type(r) is Reason for r in (*config.reason_priority, *config.drafts))
    assert config.handoff_responses[Reason.ASKED_FOR_HUMAN] == "utter_handoff_human"
    assert config.default_handoff == "utter_handoff"


def test_priority_most_urgent_reason_wins(config: EscalationConfig) -> None:
    tone = {"negative": 0.1}
    assert priority_for([Reason.LOW_CONFIDENCE], None, tone, config) == 4
    assert priority_for([Reason.LOW_CONFIDENCE, Reason.ASKED_FOR_HUMAN], None, tone, config) == 3
    assert priority_for([Reason.ASKED_FOR_HUMAN, Reason.NEGATIVE_TONE], None, tone, config) == 2
    assert priority_for([Reason.COMPLEX_TOPIC], "legal_threat", tone, config) == 1
    very_negative = {"negative": config.very_negative}
    assert priority_for([Reason.NEGATIVE_TONE], None, very_negative, config) == 1


def test_primary_reason_follows_the_order() -> None:
    assert primary_reason([Reason.LOW_CONFIDENCE, Reason.SARCASM]) is Reason.SARCASM
    assert primary_reason([Reason.AMBIGUOUS, Reason.COMPLEX_TOPIC]) is Reason.COMPLEX_TOPIC
    assert primary_reason([Reason.DELIVERY_FAILED]) is Reason.DELIVERY_FAILED
    assert primary_reason([]) is Reason.LOW_CONFIDENCE


def test_draft_is_the_vetted_answer_only_when_the_bot_was_merely_unsure(
    config: EscalationConfig,
) -> None:
    answer = "Orders ship within 2 days."
    unsure = decision(Reason.LOW_CONFIDENCE, Reason.REPEATED_FALLBACK, faq="shipping_time")
    assert draft_reply(unsure, RESPONSES, config) == answer
    angry = decision(Reason.NEGATIVE_TONE, Reason.LOW_CONFIDENCE, faq="shipping_time")
    assert draft_reply(angry, RESPONSES, config) == (
        f"{config.drafts[Reason.NEGATIVE_TONE]}\n\n{answer}"
    )
    human = decision(Reason.ASKED_FOR_HUMAN, faq="shipping_time")
    assert draft_reply(human, RESPONSES, config) == config.drafts[Reason.ASKED_FOR_HUMAN]
    no_faq = decision(Reason.AMBIGUOUS)
    assert draft_reply(no_faq, RESPONSES, config) == config.drafts[Reason.AMBIGUOUS]
    # Outside the FAQ's boundary the nearby answer is the wrong one: never offered as a draft,
    # not even after a sarcastic remark.
    outside = decision(Reason.OUT_OF_SCOPE, faq="shipping_time")
    assert draft_reply(outside, RESPONSES, config) == config.drafts[Reason.OUT_OF_SCOPE]
    snide = decision(Reason.SARCASM, Reason.OUT_OF_SCOPE, faq="shipping_time")
    assert answer not in draft_reply(snide, RESPONSES, config)


def test_handoff_response_by_reason_else_default(config: EscalationConfig) -> None:
    assert handoff_response(decision(Reason.ASKED_FOR_HUMAN), config) == "utter_handoff_human"
    both = decision(Reason.LOW_CONFIDENCE, Reason.SARCASM)
    assert handoff_response(both, config) == "utter_handoff_sorry"
    assert handoff_response(decision(Reason.AMBIGUOUS), config) == "utter_handoff"


def test_the_console_explains_every_reason() -> None:
    # The queue's reason badges carry a plain-language title for agents (render.js REASONS).
    source = (ROOT / "bot" / "workspace" / "console" / "render.js").read_text(encoding="utf-8")
    block = source.split("const REASONS = {", 1)[1].split("};", 1)[0]
    explained = set(re.findall(r"^\s*(\w+):", block, flags=re.M))
    assert explained == {reason.value for reason in Reason}
