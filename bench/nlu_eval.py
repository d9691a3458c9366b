"""NLU benchmark, scoring and metrics (``bench/nlu_bench.py``): a trained model parses each
test row, the real ``bot.escalation.decision.decide`` decides on it, and the records become the
numbers of bench/README.md (accuracy, out-of-scope recall, answered share and precision,
risk–coverage, most confused pairs), plus ``decide()`` re-run with other thresholds (``--sweep``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from bench.common import (
    Row,
    accuracy,
    confused_pairs,
    coverage_at_precision,
    macro_f1,
    percentile,
    risk_coverage,
    rnd,
)
from bench.nlu_train import FALLBACK, NOT_ANSWERS, OOS, OOS_INTENT

TARGET_PRECISION = 0.99


def quiet_rasa() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from bot.model.interpreter import quiet_rasa_logging

    quiet_rasa_logging()
    for name in ("rasa", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


def decision_config(escalation: Path, label_mode: str, labels: Sequence[str]) -> Any:
    """``config/escalation.yml``; in ``intent`` mode every in-scope label gets a vetted response
    (``decide()`` answers a non-FAQ intent only through its ``smalltalk`` map)."""
    from bot.escalation.config import EscalationConfig

    config = EscalationConfig.load(escalation)
    if label_mode == "intent":
        extra = {label: f"utter_{label}" for label in labels if label not in NOT_ANSWERS}
        config = dataclasses.replace(config, smalltalk={**extra, **config.smalltalk})
    return config


def top_label(parse: dict[str, Any]) -> tuple[str, float]:
    """The classifier's own best guess (fine-grained), ignoring Rasa's ``nlu_fallback``."""
    ranking = parse.get("carebot_ranking")
    if ranking:
        label, conf = str(ranking[0]["label"]), float(ranking[0]["confidence"])
    else:
        items = [i for i in parse.get("intent_ranking") or [] if i.get("name") != FALLBACK]
        if not items:
            return OOS, 0.0
        label, conf = str(items[0]["name"]), float(items[0].get("confidence") or 0.0)
        if label == "faq":  # stock pipeline: the response selector picks the answer
            selector = (parse.get("response_selector") or {}).get("faq") or {}
            response = selector.get("response") or {}
            key = str(response.get("intent_response_key") or "")
            if key:
                label = key
                conf *= float(response.get("confidence") or 0.0)
    return plain_label(label), conf


def plain_label(label: str | None) -> str:
    if not label:
        return OOS
    label = str(label)
    if label in (OOS_INTENT, FALLBACK):
        return OOS
    return label.split("/", 1)[1] if label.startswith("faq/") else label


def answered_label(decision: Any) -> str | None:
    """The in-scope label the bot answered with, or None when it escalated."""
    if decision.decision != "answer":
        return None
    if decision.faq:
        return str(decision.faq)
    label = plain_label(decision.intent)
    return None if label == OOS else label


class Evaluator:
    """A loaded Rasa model: parse + ``decide()`` per message, timed."""

    def __init__(self, model: Path) -> None:
        quiet_rasa()
        from rasa.core.agent import Agent

        self.agent = Agent.load(str(model))
        self._loop = asyncio.new_event_loop()

    def parse(self, text: str) -> dict[str, Any]:
        return dict(self._loop.run_until_complete(self.agent.parse_message(text)))

    def run(self, rows: Sequence[Row], config: Any) -> list[dict[str, Any]]:
        from bot.escalation.decision import decide

        for warm in ("hello", "what is this"):  # first parse builds caches: not a message cost
            decide(self.parse(warm), config)
        out = []
        for row in rows:
            start = time.perf_counter()
            parse = self.parse(row.text)
            decision = decide(parse, config)
            ms = (time.perf_counter() - start) * 1000.0
            label, conf = top_label(parse)
            out.append(
                {
                    "label": row.label,
                    "top1": label,
                    "top1_confidence": conf,
                    "decision": decision.decision,
                    "reasons": decision.reasons,
                    "answered": answered_label(decision),
                    "confidence": float(decision.confidence),
                    "ms": ms,
                    "parse": parse,
                }
            )
        return out

    def close(self) -> None:
        self._loop.close()


def nlu_metrics(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Every number of one system on one test set (definitions in bench/README.md)."""
    y_true = [r["label"] for r in records]
    y_top = [r["top1"] for r in records]
    # the bot's view: what it answered, or "oos" (a person takes it)
    y_bot = [r["answered"] if r["answered"] is not None else OOS for r in records]
    in_scope = [i for i, t in enumerate(y_true) if t != OOS]
    oos = [i for i, t in enumerate(y_true) if t == OOS]
    answered = [i for i, r in enumerate(records) if r["answered"] is not None]
    answered_right = [i for i in answered if y_bot[i] == y_true[i]]
    labels = sorted(set(y_true) | {t for t in y_top if t != OOS})
    n = len(records)
    ms = [r["ms"] for r in records]
    reasons = Counter(reason for r in records for reason in r["reasons"])
    # risk–coverage of the classifier's own confidence (best guess "out of scope": never answered)
    conf = [None if r["top1"] == OOS else r["top1_confidence"] for r in records]
    correct = [r["top1"] == r["label"] and r["label"] != OOS for r in records]
    curve = risk_coverage(conf, correct)
    at99 = coverage_at_precision(curve, TARGET_PRECISION)
    return {
        "test_rows": n,
        "accuracy": rnd(accuracy(y_true, y_top)),
        "macro_f1": rnd(macro_f1(y_true, y_top, labels)),
        "in_scope_accuracy": rnd(
            sum(1 for i in in_scope if y_bot[i] == y_true[i]) / len(in_scope) if in_scope else None
        ),
        "in_scope_top1_accuracy": rnd(
            sum(1 for i in in_scope if y_top[i] == y_true[i]) / len(in_scope) if in_scope else None
        ),
        "oos_rows": len(oos),
        "oos_recall": rnd(sum(1 for i in oos if y_bot[i] == OOS) / len(oos) if oos else None),
        "oos_top1_recall": rnd(sum(1 for i in oos if y_top[i] == OOS) / len(oos) if oos else None),
        "answered_share": rnd(len(answered) / n if n else None),
        "answered_precision": rnd(len(answered_right) / len(answered) if answered else None),
        "system_accuracy": rnd(accuracy(y_true, y_bot)),
        "coverage_at_99_precision": rnd(at99.coverage if at99 else 0.0),
        "threshold_at_99_precision": rnd(at99.threshold if at99 else None),
        "escalation_reasons": dict(reasons.most_common()),
        "decide_ms_p50": rnd(percentile(ms, 50), 3),
        "decide_ms_p95": rnd(percentile(ms, 95), 3),
        "_curve": curve,
        "_pairs": confused_pairs(y_true, y_top, 15),
    }


def threshold_sweep(
    records: Sequence[dict[str, Any]], config: Any, grid: Sequence[float]
) -> list[dict[str, Any]]:
    """``decide()`` again on the stored parses with ``intent_confidence`` = ``answer_confidence``
    = t (everything else as configured): answered share and precision per t."""
    from bot.escalation.decision import decide

    out = []
    for t in grid:
        thresholds = dataclasses.replace(
            config.thresholds, intent_confidence=t, answer_confidence=t
        )
        swept = dataclasses.replace(config, thresholds=thresholds)
        answered = right = 0
        in_scope_right = in_scope = oos_escalated = oos = 0
        for r in records:
            label = answered_label(decide(r["parse"], swept))
            if label is not None:
                answered += 1
                right += label == r["label"]
            if r["label"] == OOS:
                oos += 1
                oos_escalated += label is None
            else:
                in_scope += 1
                in_scope_right += label == r["label"]
        out.append(
            {
                "threshold": t,
                "answered_share": rnd(answered / len(records)),
                "answered_precision": rnd(right / answered if answered else None),
                "in_scope_accuracy": rnd(in_scope_right / in_scope if in_scope else None),
                "oos_recall": rnd(oos_escalated / oos if oos else None),
            }
        )
    return out


SWEEP_GRID = (
    0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98,
)
