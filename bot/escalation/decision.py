"""The bot's decision for one follower message: answer with a vetted response, or hand over.

``decide`` is a pure function of the parsed message (what the NLU pipeline produced), the
channel metadata, how many turns in a row the bot has already failed, and
``config/escalation.yml``. The action server, ``carebot decide`` and the benchmarks all call it,
so what is measured is what runs.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from bot.escalation.attachments import normalise_attachments
from bot.escalation.config import EscalationConfig
from bot.escalation.priority import priority_for
from bot.escalation.reasons import UNANSWERED, Reason

ASK_FOR_HUMAN = "ask_for_human"
OUT_OF_SCOPE = "out_of_scope"  # the intent of what no FAQ answer covers (data/nlu/out_of_scope_*)
BOUNDARY = "boundary"  # the parse key bot.nlu.boundary.component fills for an FAQ
QUIET_KINDS = frozenset({"reaction", "sticker"})  # acknowledged, not escalated
FAQ = "faq"


@dataclass
class Decision:
    """What the bot does with one message (``as_json`` is the stable ``carebot decide`` shape)."""

    decision: str  # "answer" | "escalate"
    faq: str | None  # bare FAQ key when the message is (or would be) an FAQ
    reasons: list[Reason]
    confidence: float
    tone: dict[str, Any]
    intent: str | None = None
    response: str | None = None  # the vetted response to send (answer) or to draft from
    priority: int | None = None  # queue priority when escalating (1 = most urgent)
    failed: bool = False  # the bot could not understand this turn (counts to repeated_fallback)
    ranking: list[dict[str, Any]] = field(default_factory=list)
    language: dict[str, Any] = field(default_factory=dict)

    @property
    def escalate(self) -> bool:
        return self.decision == "escalate"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = [reason.value for reason in self.reasons]
        data["confidence"] = round(float(self.confidence), 4)
        return data


def _is_blank(text: str) -> bool:
    return not "".join(c for c in text if unicodedata.category(c)[0] not in ("C", "Z")).strip()


def _has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _fine_ranking(parse: Mapping[str, Any]) -> list[dict[str, Any]]:
    ranking = parse.get("carebot_ranking")
    if ranking:
        return list(ranking)
    # Stock Rasa pipeline: fall back to intent ranking + response selector.
    out = []
    for item in parse.get("intent_ranking") or []:
        out.append({"label": item.get("name"), "confidence": float(item.get("confidence", 0.0))})
    return out


def _faq_choice(parse: Mapping[str, Any]) -> tuple[str | None, float]:
    """The FAQ key the response selector chose and its own confidence."""
    selector = parse.get("response_selector") or {}
    chosen = selector.get(FAQ) or selector.get("default") or {}
    response = chosen.get("response") or {}
    full = response.get("intent_response_key") or ""
    if "/" not in full:
        return None, 0.0
    return full.split("/", 1)[1], float(response.get("confidence") or 0.0)


def _boundary_verdict(parse: Mapping[str, Any], faq_key: str | None) -> bool | None:
    """The boundary gate's verdict (``inside``) on the FAQ the classifier chose; None when
    there is none (an FAQ the gate does not know, a model without the gate, a stock pipeline,
    a verdict about another FAQ): then only the confidence rules apply."""
    verdict = parse.get(BOUNDARY)
    if not faq_key or not isinstance(verdict, Mapping) or verdict.get("faq") != faq_key:
        return None
    inside = verdict.get("inside")
    return inside if isinstance(inside, bool) else None


def _outside_boundary(parse: Mapping[str, Any], faq_key: str | None) -> bool:
    return _boundary_verdict(parse, faq_key) is False


def _inside_boundary(parse: Mapping[str, Any], faq_key: str | None) -> bool:
    return _boundary_verdict(parse, faq_key) is True


def decide(
    parse: Mapping[str, Any],
    config: EscalationConfig,
    *,
    metadata: Mapping[str, Any] | None = None,
    previous_failures: int = 0,
) -> Decision:
    """Decide what to do with one parsed follower message."""
    t = config.thresholds
    text = str(parse.get("text") or "")
    metadata = metadata or {}
    intent = (parse.get("intent") or {}).get("name")
    intent_conf = float((parse.get("intent") or {}).get("confidence") or 0.0)
    tone = dict(parse.get("tone") or {})
    language = dict(parse.get("language") or {})
    ranking = _fine_ranking(parse)
    faq_key, faq_conf = _faq_choice(parse) if intent == FAQ else (None, 0.0)
    reasons: list[Reason] = []

    def result(decision: str, response: str | None, confidence: float) -> Decision:
        failed = bool(reasons) and set(reasons) <= UNANSWERED
        if failed and previous_failures >= 1:
            reasons.append(Reason.REPEATED_FALLBACK)
        return Decision(
            decision=decision,
            faq=faq_key,
            reasons=list(dict.fromkeys(reasons)),
            confidence=confidence,
            tone=tone,
            intent=intent,
            response=response,
            priority=priority_for(reasons, intent, tone, config) if reasons else None,
            failed=failed,
            ranking=ranking[:5],
            language=language,
        )

    answer_response = f"utter_faq/{faq_key}" if faq_key else config.smalltalk.get(intent or "")
    confidence = intent_conf * faq_conf if faq_key else intent_conf

    # 1. Nothing the bot can read: attachments, voice, stickers, empty or emoji-only text.
    attachments = normalise_attachments(metadata.get("attachments"))
    kinds = {str(a.get("type")) for a in attachments}
    if attachments and not text.strip() and kinds <= QUIET_KINDS:
        faq_key = None
        # A reaction (❤️ on an answer) needs no reply; a sticker gets a friendly nudge.
        return result("answer", "utter_ack" if "sticker" in kinds else None, 1.0)
    if attachments:
        reasons.append(Reason.UNSUPPORTED_MESSAGE)
        return result("escalate", answer_response, confidence)
    if _is_blank(text) or not _has_words(text):
        faq_key = None  # nothing to answer from: the classifier's guess is noise
    if _is_blank(text):
        return result("answer", "utter_empty_message", 1.0)
    if not _has_words(text):
        if (
            float(tone.get("negative", 0)) >= t.negative_tone
            or float(tone.get("sarcasm", 0)) >= t.sarcasm
        ):
            reasons.append(Reason.NEGATIVE_TONE)
            return result("escalate", None, 1.0)
        return result("answer", "utter_ack", 1.0)

    # 2. Another language or script.
    if language.get("code") == "other" and float(language.get("known_ratio", 1)) < t.other_language:
        reasons.append(Reason.UNSUPPORTED_MESSAGE)

    # 3. Tone: angry or sarcastic messages go to a person even when they match an FAQ.
    if float(tone.get("negative", 0)) >= t.negative_tone:
        reasons.append(Reason.NEGATIVE_TONE)
    if (
        float(tone.get("sarcasm", 0)) >= t.sarcasm
        and float(tone.get("negative", 0)) >= t.sarcasm_negative
    ):
        reasons.append(Reason.SARCASM)

    # 4. Topics that always need a person, and explicit requests for one.
    fine = {str(r.get("label")): float(r.get("confidence", 0)) for r in ranking}
    complex_score = max((fine.get(topic, 0.0) for topic in config.complex_topics), default=0.0)
    if intent in config.complex_topics:
        complex_score = max(complex_score, intent_conf)
    if complex_score >= t.complex_topic:
        reasons.append(Reason.COMPLEX_TOPIC)
    human_score = max(fine.get(ASK_FOR_HUMAN, 0.0), intent_conf if intent == ASK_FOR_HUMAN else 0)
    if human_score >= t.human_request:
        reasons.append(Reason.ASKED_FOR_HUMAN)
    if len(text) > config.max_answerable_chars and not reasons:
        reasons.append(Reason.COMPLEX_TOPIC)
    if reasons:
        return result("escalate", answer_response, confidence)

    # 5. Outside what the FAQ covers: the classifier read it as out of scope, or the FAQ's
    #    boundary (bot.nlu.boundary) found it outside what that FAQ's examples and answer cover.
    if intent == OUT_OF_SCOPE or _outside_boundary(parse, faq_key):
        reasons.append(Reason.OUT_OF_SCOPE)
        return result("escalate", answer_response, confidence)

    # 6. Confidence: answer only when both the intent and the chosen answer are sure enough,
    #    and no other candidate comes close (both reasons can apply at once).
    #    An FAQ the boundary gate vouched for needs less (boundary_confidence).
    inside = _inside_boundary(parse, faq_key)
    need_intent = t.boundary_confidence if inside else t.intent_confidence
    need_answer = t.boundary_confidence if inside else t.answer_confidence
    if answer_response is None:
        reasons.append(Reason.LOW_CONFIDENCE)  # an intent with no vetted answer (or no intent)
    elif intent_conf < need_intent or (faq_key and faq_conf < need_answer):
        reasons.append(Reason.LOW_CONFIDENCE)
    top = sorted((float(r.get("confidence", 0)) for r in ranking), reverse=True)
    if len(top) >= 2 and top[0] - top[1] < t.ambiguity_margin:
        reasons.append(Reason.AMBIGUOUS)
    if reasons:
        return result("escalate", answer_response, confidence)
    return result("answer", answer_response, confidence)
