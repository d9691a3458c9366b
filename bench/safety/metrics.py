"""Answer-safety metrics over ``(acceptable_keys, predicted_action)`` pairs. Pure functions.

``acceptable_keys`` is the tuple of FAQ keys whose vetted answer is right for the message (empty:
no FAQ covers it, the bot must not answer with one). ``predicted_action`` is what the bot did:

- ``("answer", key)``: it sent the vetted answer of FAQ ``key``;
- ``("escalate", reason)``: it handed the message to a person;
- ``("reply", response)``: a canned non-FAQ reply (small talk, acknowledgement): neither an FAQ
  answer nor an escalation. It is never counted as an answer, and not as escalated either.

A metric whose denominator is zero is ``None`` (undefined), never 0 or 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

FaqKeys = tuple[str, ...]
Action = tuple[str, str]
Outcome = tuple[FaqKeys, Action]

ANSWER = "answer"
ESCALATE = "escalate"
REPLY = "reply"


def _div(num: int, den: int) -> float | None:
    return num / den if den else None


def is_answer(action: Action) -> bool:
    return action[0] == ANSWER


def is_correct(acceptable: FaqKeys, action: Action) -> bool:
    """An FAQ answer whose key is one of the acceptable keys."""
    return is_answer(action) and action[1] in acceptable


def answered_precision(outcomes: Iterable[Outcome]) -> float | None:
    """FAQ answers whose key is acceptable / all FAQ answers."""
    answered = correct = 0
    for acceptable, action in outcomes:
        if is_answer(action):
            answered += 1
            correct += action[1] in acceptable
    return _div(correct, answered)


def faq_coverage(outcomes: Iterable[Outcome]) -> float | None:
    """Messages answered with an acceptable key / messages that have an acceptable key."""
    covered = correct = 0
    for acceptable, action in outcomes:
        if acceptable:
            covered += 1
            correct += is_correct(acceptable, action)
    return _div(correct, covered)


def off_faq_answered(outcomes: Iterable[Outcome]) -> float | None:
    """Messages answered with any FAQ / messages that no FAQ covers (every such answer is wrong)."""
    off = answered = 0
    for acceptable, action in outcomes:
        if not acceptable:
            off += 1
            answered += is_answer(action)
    return _div(answered, off)


def oos_recall(outcomes: Iterable[Outcome]) -> float | None:
    """Escalated / out-of-scope messages (those with no acceptable key). Apply it to out-of-scope
    traffic (CLINC150); a small-talk ``reply`` is not an escalation."""
    off = escalated = 0
    for acceptable, action in outcomes:
        if not acceptable:
            off += 1
            escalated += action[0] == ESCALATE
    return _div(escalated, off)


def summary(outcomes: Sequence[Outcome]) -> dict[str, float | int | None]:
    """The four metrics and the counts behind them."""
    answers = [a for _, a in outcomes if is_answer(a)]
    return {
        "answered_precision": answered_precision(outcomes),
        "faq_coverage": faq_coverage(outcomes),
        "off_faq_answered": off_faq_answered(outcomes),
        "oos_recall": oos_recall(outcomes),
        "n": len(outcomes),
        "n_in_faq": sum(1 for k, _ in outcomes if k),
        "n_off_faq": sum(1 for k, _ in outcomes if not k),
        "answered": len(answers),
        "answered_wrong": sum(1 for k, a in outcomes if is_answer(a) and a[1] not in k),
        "escalated": sum(1 for _, a in outcomes if a[0] == ESCALATE),
        "replied": sum(1 for _, a in outcomes if a[0] == REPLY),
    }


# -- risk–coverage ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskPoint:
    """Answer every message whose best FAQ's confidence is at least ``threshold``."""

    threshold: float
    coverage: float  # messages answered / all messages
    risk: float  # wrong answers / answers (1 - answered precision)
    answered: int
    faq_coverage: float | None  # right answers / messages with an acceptable key
    off_faq_answered: float | None  # answers / messages with no acceptable key


def risk_coverage(scored: Sequence[tuple[FaqKeys, str | None, float]]) -> list[RiskPoint]:
    """Sweep a confidence threshold over ``(acceptable_keys, best_faq_key, confidence)`` rows,
    from the highest confidence to the lowest: one point per distinct confidence (ties are
    answered together, as a threshold would). A row whose best key is ``None`` (the classifier's
    top intent is not an FAQ) is never answered but counts in every denominator."""
    n = len(scored)
    if n == 0:
        return []
    n_in = sum(1 for keys, _, _ in scored if keys)
    n_off = n - n_in
    order = sorted((row for row in scored if row[1] is not None), key=lambda row: -row[2])
    points: list[RiskPoint] = []
    answered = wrong = right = off_answered = 0
    for i, (keys, key, confidence) in enumerate(order):
        answered += 1
        if key in keys:
            right += 1
        else:
            wrong += 1
        if not keys:
            off_answered += 1
        if i + 1 == len(order) or order[i + 1][2] != confidence:
            points.append(
                RiskPoint(
                    threshold=float(confidence),
                    coverage=answered / n,
                    risk=wrong / answered,
                    answered=answered,
                    faq_coverage=_div(right, n_in),
                    off_faq_answered=_div(off_answered, n_off),
                )
            )
    return points


def best_at_risk(points: Sequence[RiskPoint], max_risk: float) -> RiskPoint | None:
    """The point with the largest coverage whose risk is at most ``max_risk``."""
    ok = [p for p in points if p.risk <= max_risk + 1e-12]
    return max(ok, key=lambda p: p.coverage) if ok else None


def operating_point(outcomes: Sequence[Outcome]) -> tuple[float, float] | None:
    """``(coverage, risk)`` of what the bot actually did (``None`` if it answered nothing)."""
    if not outcomes:
        return None
    answered = [(k, a) for k, a in outcomes if is_answer(a)]
    if not answered:
        return None
    wrong = sum(1 for k, a in answered if a[1] not in k)
    return len(answered) / len(outcomes), wrong / len(answered)
