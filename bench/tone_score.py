"""Tone benchmark, scoring and metrics (``bench/tone_bench.py``): the tone model and
``decide()`` on every message, then the numbers of bench/README.md for sentiment labels
(negative recall and precision, false escalations, a ``negative_tone`` sweep) and irony labels
(``irony_f1`` and its references, sweeps of the scores alone).
"""

from __future__ import annotations

import time
from typing import Any, Sequence

from bench.common import binary_prf, macro_recall, rnd
from bot.escalation.reasons import Reason

SENTIMENT = {"negative", "neutral", "positive"}
IRONY = {"ironic", "not_ironic"}
TONE_REASONS = (Reason.NEGATIVE_TONE, Reason.SARCASM)
TARGET = 0.90


def score_rows(model: Any, texts: Sequence[str], config: Any) -> list[dict[str, Any]]:
    """Tone + ``decide()`` per message, one at a time (as the bot does), timed."""
    from bot.escalation.decision import decide

    model.score("warm up")
    out = []
    for text in texts:
        start, cpu = time.perf_counter(), time.thread_time()
        tone = model.score(text)
        decision = decide({"text": text, "tone": tone}, config)
        ms = (time.perf_counter() - start) * 1000.0
        cpu_ms = (time.thread_time() - cpu) * 1000.0
        tone_reasons = [r.value for r in decision.reasons if r in TONE_REASONS]
        out.append(
            {
                "negative": float(tone["negative"]),
                "sarcasm": float(tone["sarcasm"]),
                "polarity": tone["label"],
                "reasons": tone_reasons,
                "escalated": bool(tone_reasons),
                "ms": ms,
                "cpu_ms": cpu_ms,
            }
        )
    return out


def gate(scored: dict[str, Any], t: Any, negative: float | None = None) -> bool:
    """``decide()``'s tone gates from the scores, with another negative threshold (sweeps)."""
    neg_t = t.negative_tone if negative is None else negative
    return scored["negative"] >= neg_t or (
        scored["sarcasm"] >= t.sarcasm and scored["negative"] >= t.sarcasm_negative
    )


GRID = [round(0.05 * i, 2) for i in range(1, 20)]


def recall_at_precision(
    scores: Sequence[float], truth: Sequence[bool], target: float = TARGET
) -> dict[str, float | None]:
    """Ranking quality of a score alone (no gates): the highest recall of ``score >= t`` over
    every cut-off t whose precision is >= ``target``, and that t. Reported, never shipped."""
    from bench.common import risk_coverage

    positives = sum(1 for t in truth if t)
    points = risk_coverage(list(scores), list(truth))
    ok = [p for p in points if p.precision >= target - 1e-12]
    if not ok or not positives:
        return {"recall": None, "threshold": None}
    best = max(ok, key=lambda p: p.coverage)
    return {"recall": rnd(best.coverage * len(truth) * best.precision / positives),
            "threshold": rnd(best.threshold)}


def sentiment_metrics(
    labels: Sequence[str], scored: Sequence[dict[str, Any]], t: Any, reasons_col: Sequence[str]
) -> dict[str, Any]:
    negative = [label == "negative" for label in labels]
    escalated = [s["escalated"] for s in scored]
    prf = binary_prf(negative, escalated)
    non_negative = [i for i, n in enumerate(negative) if not n]
    false_esc = sum(1 for i in non_negative if escalated[i])
    sweep = []
    for thr in GRID:
        p = binary_prf(negative, [gate(s, t, thr) for s in scored])
        sweep.append({"negative_tone": thr, "recall": rnd(p["recall"]),
                      "precision": rnd(p["precision"])})  # fmt: skip
    ok = [s for s in sweep if (s["precision"] or 0) >= TARGET]
    best = max(ok, key=lambda s: s["recall"] or 0) if ok else None
    by_reason: dict[str, list[bool]] = {}
    for reason, neg, esc in zip(reasons_col, negative, escalated, strict=False):
        if neg and reason:
            by_reason.setdefault(reason, []).append(esc)
    return {
        "negative_recall": rnd(prf["recall"]),
        "negative_precision": rnd(prf["precision"]),
        "negative_f1": rnd(prf["f1"]),
        "false_escalation_rate": rnd(false_esc / len(non_negative) if non_negative else None),
        "irony_f1": None,
        # the trivial reference: escalating everything has this precision
        "negative_base_rate": rnd(sum(negative) / len(negative)),
        "escalated_share": rnd(sum(escalated) / len(escalated)),
        "escalated_by_reason": {
            r.value: sum(1 for s in scored if r in s["reasons"]) for r in TONE_REASONS
        },
        "polarity_accuracy": rnd(
            sum(1 for lab, s in zip(labels, scored, strict=False) if s["polarity"] == lab)
            / len(labels)
        ),
        "polarity_macro_recall": rnd(macro_recall(labels, [s["polarity"] for s in scored])),
        "best_negative_threshold_at_90_precision": best,
        "negative_score_recall_at_90_precision": recall_at_precision(
            [s["negative"] for s in scored], negative),
        "negative_recall_by_reason": {
            r: rnd(sum(v) / len(v)) for r, v in sorted(by_reason.items(), key=lambda x: -len(x[1]))
        },
        "_sweep": sweep,
    }


def irony_metrics(
    labels: Sequence[str], scored: Sequence[dict[str, Any]], t: Any
) -> dict[str, Any]:
    ironic = [label == "ironic" for label in labels]
    by_decide = binary_prf(ironic, [Reason.SARCASM in s["reasons"] for s in scored])
    any_tone = binary_prf(ironic, [s["escalated"] for s in scored])
    score_only = binary_prf(ironic, [s["sarcasm"] >= t.sarcasm for s in scored])
    sweep = []
    for thr in GRID:
        p_s = binary_prf(ironic, [s["sarcasm"] >= thr for s in scored])
        p_n = binary_prf(ironic, [s["negative"] >= thr for s in scored])
        sweep.append({"threshold": thr, "f1_sarcasm_score": rnd(p_s["f1"]),
                      "f1_negative_score": rnd(p_n["f1"])})  # fmt: skip
    not_ironic = [i for i, x in enumerate(ironic) if not x]
    return {
        "negative_recall": None,
        "negative_precision": None,
        "false_escalation_rate": None,
        "irony_f1": rnd(by_decide["f1"] or 0.0),
        "irony_precision": rnd(by_decide["precision"]),
        "irony_recall": rnd(by_decide["recall"]),
        "irony_f1_any_tone_escalation": rnd(any_tone["f1"] or 0.0),
        "irony_f1_sarcasm_score_only": rnd(score_only["f1"] or 0.0),
        # the trivial reference: call every message ironic
        "irony_f1_flag_everything": rnd(binary_prf(ironic, [True] * len(ironic))["f1"] or 0.0),
        "not_ironic_escalation_rate": rnd(
            sum(1 for i in not_ironic if scored[i]["escalated"]) / len(not_ironic)
            if not_ironic
            else None
        ),
        "escalated_share": rnd(sum(s["escalated"] for s in scored) / len(scored)),
        "_sweep": sweep,
    }
