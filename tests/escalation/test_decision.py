"""bot.escalation.decision: every reason code from synthetic NLU output."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from bot.escalation.config import EscalationConfig, EscalationConfigError, load_escalation_config
from bot.escalation.decision import decide
from bot.escalation.reasons import Reason

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def config() -> EscalationConfig:
    return load_escalation_config(ROOT / "config" / "escalation.yml")


def parse(
    text: str = "how long does shipping take",
    ranking: list[tuple[str, float]] | None = None,
    negative: float = 0.05,
    sarcasm: float = 0.02,
    language: dict[str, Any] | None = None,
) -> dict[str, Any]:
    ranking = ranking or [("faq/shipping_time", 0.98), ("faq/track_order", 0.01), ("greet", 0.01)]
    base: dict[str, float] = {}
    for label, p in ranking:
        b = label.split("/")[0]
        base[b] = base.get(b, 0.0) + p
    top = max(base.items(), key=lambda kv: kv[1])
    data: dict[str, Any] = {
        "text": text,
        "intent": {"name": top[0], "confidence": top[1]},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in base.items()],
        "carebot_ranking": [{"label": lbl, "confidence": p} for lbl, p in ranking],
        "tone": {"negative": negative, "sarcasm": sarcasm, "label": "neutral", "signals": []},
        "language": language or {"code": "en", "known_ratio": 1.0, "words": 5},
    }
    faq = [(lbl, p) for lbl, p in ranking if lbl.startswith("faq/")]
    if faq:
        best = max(faq, key=lambda kv: kv[1])
        data["response_selector"] = {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {"intent_response_key": best[0], "confidence": best[1] / base["faq"]}
            },
        }
    return data


def test_confident_faq_is_answered(config: EscalationConfig) -> None:
    d = decide(parse(), config)
    assert d.decision == "answer"
    assert d.faq == "shipping_time"
    assert d.response == "utter_faq/shipping_time"
    assert d.reasons == []
    assert d.confidence == pytest.approx(0.98)


def test_low_intent_confidence_escalates_with_draft_faq(config: EscalationConfig) -> None:
    d = decide(
        parse(ranking=[("faq/shipping_time", 0.4), ("greet", 0.35), ("thanks", 0.25)]), config
    )
    assert d.decision == "escalate"
    assert d.reasons == ["low_confidence", "ambiguous"]  # 0.40 vs 0.35: both apply
    assert d.faq == "shipping_time" and d.failed


def test_low_answer_confidence_escalates_even_when_intent_is_sure(config: EscalationConfig) -> None:
    # faq as a whole is 0.95 likely, but the answer is split between three keys
    d = decide(
        parse(
            ranking=[
                ("faq/shipping_time", 0.4),
                ("faq/track_order", 0.3),
                ("faq/shipping_cost", 0.25),
                ("greet", 0.05),
            ]
        ),
        config,
    )
    assert d.decision == "escalate"
    assert "low_confidence" in d.reasons


def lenient(config: EscalationConfig, threshold: float = 0.5) -> EscalationConfig:
    """The shipped config with lower confidence thresholds: isolates the ambiguity rule."""
    thresholds = dataclasses.replace(
        config.thresholds, intent_confidence=threshold, answer_confidence=threshold
    )
    return dataclasses.replace(config, thresholds=thresholds)


def test_close_candidates_are_ambiguous(config: EscalationConfig) -> None:
    # answer confidence above threshold but top two within the margin
    d = decide(
        parse(ranking=[("faq/shipping_time", 0.55), ("faq/track_order", 0.40), ("greet", 0.05)]),
        lenient(config, 0.5),
    )
    assert d.decision == "escalate"
    assert d.reasons == ["ambiguous"]
    # With the shipped thresholds it is also not confident enough.
    d = decide(
        parse(ranking=[("faq/shipping_time", 0.55), ("faq/track_order", 0.40), ("greet", 0.05)]),
        config,
    )
    assert d.decision == "escalate" and "low_confidence" in d.reasons


def test_ambiguous_when_margin_small(config: EscalationConfig) -> None:
    cfg = lenient(config, 0.5)
    d = decide(parse(ranking=[("faq/shipping_time", 0.66), ("greet", 0.30), ("thanks", 0.04)]), cfg)
    assert d.decision == "answer"
    d = decide(
        parse(ranking=[("faq/shipping_time", 0.62), ("faq/track_order", 0.03), ("greet", 0.35)]),
        cfg,
    )
    # intent faq=0.65 ok, answer=0.95 ok, but 0.62 vs 0.35 → margin 0.27 ≥ 0.20: answered
    assert d.decision == "answer"
    d = decide(parse(ranking=[("greet", 0.61), ("faq/track_order", 0.45)]), cfg)
    assert d.decision == "escalate" and "ambiguous" in d.reasons


def test_negative_tone_escalates_even_on_a_faq(config: EscalationConfig) -> None:
    d = decide(parse(text="3 weeks and STILL no package, useless", negative=0.92), config)
    assert d.decision == "escalate"
    assert "negative_tone" in d.reasons
    assert d.faq == "shipping_time"  # the agent still sees what the bot would have said
    assert d.priority == 2  # negative_tone's own priority
    furious = decide(parse(text="3 weeks and STILL no package, useless", negative=0.98), config)
    assert furious.priority == 1  # very negative → one level more urgent


def test_sincere_thanks_with_a_sarcasm_score_but_no_negativity_is_answered(
    config: EscalationConfig,
) -> None:
    d = decide(
        parse(
            text="thanks so much for the quick help",
            ranking=[("thanks", 0.98), ("greet", 0.02)],
            negative=0.02,
            sarcasm=0.9,
        ),
        config,
    )
    assert d.decision == "answer"


def test_sarcasm_escalates(config: EscalationConfig) -> None:
    d = decide(parse(text="great, love waiting 🙄", negative=0.3, sarcasm=0.8), config)
    assert d.reasons == ["sarcasm"]
    assert d.priority == 2


@pytest.mark.parametrize("topic", ["damaged_item", "charged_twice", "press_enquiry"])
def test_complex_topics_always_escalate(config: EscalationConfig, topic: str) -> None:
    d = decide(parse(ranking=[(topic, 0.97), ("faq/return_policy", 0.03)]), config)
    assert d.decision == "escalate" and d.reasons == ["complex_topic"]


def test_legal_and_safety_are_urgent(config: EscalationConfig) -> None:
    d = decide(parse(ranking=[("legal_threat", 0.9), ("faq/return_policy", 0.1)]), config)
    assert d.priority == 1


def test_complex_topic_as_runner_up_still_escalates(config: EscalationConfig) -> None:
    d = decide(
        parse(ranking=[("faq/track_order", 0.5), ("missing_package", 0.45), ("greet", 0.05)]),
        config,
    )
    assert "complex_topic" in d.reasons


def test_ask_for_human(config: EscalationConfig) -> None:
    d = decide(parse(ranking=[("ask_for_human", 0.9), ("greet", 0.1)]), config)
    assert d.reasons == ["asked_for_human"] and d.priority == 3


def test_second_failure_in_a_row_is_repeated_fallback(config: EscalationConfig) -> None:
    unsure = parse(ranking=[("faq/shipping_time", 0.3), ("greet", 0.3), ("thanks", 0.4)])
    assert "repeated_fallback" not in decide(unsure, config).reasons
    d = decide(unsure, config, previous_failures=1)
    assert "repeated_fallback" in d.reasons and d.priority == 3


def test_attachments_are_unsupported(config: EscalationConfig) -> None:
    d = decide(parse(text=""), config, metadata={"attachments": [{"type": "image"}]})
    assert d.decision == "escalate" and d.reasons == ["unsupported_message"]


def test_reactions_are_quiet_and_stickers_acknowledged(config: EscalationConfig) -> None:
    reaction = decide(
        parse(text=""), config, metadata={"attachments": [{"type": "reaction", "emoji": "❤️"}]}
    )
    assert reaction.decision == "answer" and reaction.response is None
    sticker = decide(parse(text=""), config, metadata={"attachments": [{"type": "sticker"}]})
    assert sticker.decision == "answer" and sticker.response == "utter_ack"
    voice = decide(parse(text=""), config, metadata={"attachments": [{"type": "audio"}]})
    assert voice.decision == "escalate" and voice.reasons == ["unsupported_message"]


def test_other_language(config: EscalationConfig) -> None:
    d = decide(
        parse(
            text="¿cuándo llega mi pedido?",
            language={"code": "other", "known_ratio": 0.0, "words": 4},
        ),
        config,
    )
    assert "unsupported_message" in d.reasons


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u200b", "\x00\x01"])
def test_empty_messages_get_a_prompt_not_a_ticket(config: EscalationConfig, text: str) -> None:
    d = decide(parse(text=text), config)
    assert d.decision == "answer" and d.response == "utter_empty_message"


def test_emoji_only(config: EscalationConfig) -> None:
    assert decide(parse(text="👍👍"), config).response == "utter_ack"
    angry = decide(parse(text="😡😡😡", negative=0.9), config)
    assert angry.decision == "escalate" and angry.reasons == ["negative_tone"]


def test_very_long_message_is_not_auto_answered(config: EscalationConfig) -> None:
    d = decide(parse(text="where is my order " * 2000), config)
    assert d.decision == "escalate" and d.reasons == ["complex_topic"]


def test_smalltalk_answered_with_its_response(config: EscalationConfig) -> None:
    d = decide(parse(text="hiya", ranking=[("greet", 0.98), ("thanks", 0.02)]), config)
    assert d.decision == "answer" and d.response == "utter_greet" and d.faq is None


def test_json_shape(config: EscalationConfig) -> None:
    data = decide(parse(), config).as_json()
    for key in ("decision", "faq", "reasons", "confidence", "tone"):
        assert key in data
    assert isinstance(data["confidence"], float)


def test_bad_config_fails_loudly(tmp_path: Path) -> None:
    bad = tmp_path / "escalation.yml"
    bad.write_text("thresholds: {intent_confidence: 2}\n")
    with pytest.raises(EscalationConfigError, match="intent_confidence"):
        EscalationConfig.load(bad)


# -- out_of_scope (issue 16): the out-of-scope intent and the FAQ boundary gate ---------------


def with_boundary(data: dict[str, Any], faq: str, inside: bool) -> dict[str, Any]:
    data["boundary"] = {"faq": faq, "inside": inside, "margin": 0.1 if inside else -0.2,
                        "threshold": 0.0, "p_value": 0.5 if inside else 0.01}
    return data


def test_out_of_scope_intent_escalates_as_out_of_scope(config: EscalationConfig) -> None:
    d = decide(parse("can i get an invoice", [("out_of_scope", 0.97), ("faq/track_order", 0.03)]),
               config)
    assert d.decision == "escalate"
    assert d.reasons == ["out_of_scope"]
    assert d.failed is True  # the bot could not answer: a second one in a row is repeated
    again = decide(parse("invoice pls", [("out_of_scope", 0.97), ("greet", 0.03)]), config,
                   previous_failures=1)
    assert again.reasons == ["out_of_scope", "repeated_fallback"]


def test_confident_faq_outside_its_boundary_escalates(config: EscalationConfig) -> None:
    data = with_boundary(parse("how do i set up a new shipping address",
                               [("faq/change_address", 0.99), ("greet", 0.01)]),
                         "change_address", inside=False)
    d = decide(data, config)
    assert d.decision == "escalate"
    assert d.reasons == ["out_of_scope"]
    assert d.faq == "change_address"  # kept on the ticket: what the bot would have said
    assert d.priority == config.reason_priority[Reason.OUT_OF_SCOPE]


def test_faq_inside_its_boundary_is_answered(config: EscalationConfig) -> None:
    d = decide(with_boundary(parse(), "shipping_time", inside=True), config)
    assert d.decision == "answer"
    assert d.response == "utter_faq/shipping_time"


def test_a_verdict_about_another_faq_refuses_nothing(config: EscalationConfig) -> None:
    # The verdict must be about the FAQ decide() would answer with; a stale or foreign one (or
    # none: a model trained without the gate) leaves the confidence rules in charge.
    d = decide(with_boundary(parse(), "track_order", inside=False), config)
    assert d.decision == "answer"
    assert decide(parse(), config).decision == "answer"


def test_tone_and_complex_reasons_come_before_the_boundary(config: EscalationConfig) -> None:
    angry = with_boundary(parse("where is my refund, this is a joke", negative=0.97),
                          "refund_timing", inside=False)
    assert decide(angry, config).reasons == ["negative_tone"]


def test_inside_the_boundary_an_faq_needs_only_boundary_confidence(
    config: EscalationConfig,
) -> None:
    t = config.thresholds
    assert t.boundary_confidence < t.intent_confidence
    conf = (t.boundary_confidence + t.intent_confidence) / 2  # between the two bars
    ranking = [("faq/shipping_time", conf), ("greet", 1 - conf)]
    vouched = decide(with_boundary(parse(ranking=ranking), "shipping_time", inside=True), config)
    assert vouched.decision == "answer", vouched.reasons
    alone = decide(parse(ranking=ranking), config)  # no gate verdict: the stricter bar
    assert alone.reasons[0] == "low_confidence"
    below = [("faq/shipping_time", t.boundary_confidence - 0.05), ("greet", 0.3)]
    assert decide(with_boundary(parse(ranking=below), "shipping_time", inside=True),
                  config).decision == "escalate"
