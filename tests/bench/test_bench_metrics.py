"""The quality benchmarks' metrics, checked on small hand-computed examples (no Rasa, no model)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from bench import common
from bench.common import Row
from bench.nlu_eval import nlu_metrics
from bench.nlu_train import clean_example, write_training_data
from bench.tone_score import irony_metrics, sentiment_metrics


def test_accuracy_precision_recall_f1_macro_f1() -> None:
    y_true = ["a", "b", "a", "c"]
    y_pred = ["a", "a", "a", "c"]
    assert common.accuracy(y_true, y_pred) == pytest.approx(0.75)
    p, r, f1 = common.precision_recall_f1(y_true, y_pred, "a")
    assert (p, r, f1) == (pytest.approx(2 / 3), pytest.approx(1.0), pytest.approx(0.8))
    # b is never predicted: precision undefined, recall 0, F1 0
    assert common.precision_recall_f1(y_true, y_pred, "b") == (None, 0.0, 0.0)
    assert common.macro_f1(y_true, y_pred) == pytest.approx((0.8 + 0.0 + 1.0) / 3)
    assert common.macro_recall(y_true, y_pred) == pytest.approx((1.0 + 0.0 + 1.0) / 3)


def test_binary_prf_and_percentile() -> None:
    m = common.binary_prf([True, True, False, False], [True, False, True, False])
    assert m == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert common.binary_prf([False], [False])["precision"] is None
    assert common.percentile([4.0, 1.0, 3.0, 2.0], 50) == pytest.approx(2.5)
    assert common.percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    assert common.percentile([], 50) is None


def test_risk_coverage_ties_and_never_answered_rows() -> None:
    conf = [0.9, 0.8, 0.8, 0.5, None]
    correct = [True, False, True, True, False]
    points = common.risk_coverage(conf, correct)
    assert [(p.threshold, p.coverage, round(p.precision, 4)) for p in points] == [
        (0.9, 0.2, 1.0),
        (0.8, 0.6, 0.6667),  # both 0.8 rows answered together
        (0.5, 0.8, 0.75),  # the None row is never answered but counts in the coverage
    ]
    best = common.coverage_at_precision(points, 0.99)
    assert best is not None and best.coverage == pytest.approx(0.2) and best.threshold == 0.9
    best = common.coverage_at_precision(points, 0.7)
    assert best is not None and best.coverage == pytest.approx(0.8)
    assert common.coverage_at_precision(common.risk_coverage([0.5], [False]), 0.99) is None


def test_confused_pairs_most_frequent_first() -> None:
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["b", "b", "a", "a", "c", "a"]
    assert common.confused_pairs(y_true, y_pred) == [
        ("a", "b", 2), ("b", "a", 1), ("b", "c", 1), ("c", "a", 1)
    ]  # fmt: skip


def test_stratified_split_is_seeded_and_stratified() -> None:
    rows = [Row(f"t{i}", "x" if i < 10 else "y") for i in range(15)]
    train, dev = common.stratified_split(rows, 0.2, seed=1)
    assert sorted(r.label for r in dev) == ["x", "x", "y"]
    assert len(train) == 12 and not {r.text for r in train} & {r.text for r in dev}
    assert common.stratified_split(rows, 0.2, seed=1) == (train, dev)
    assert common.stratified_split(rows, 0.2, seed=2) != (train, dev)


def test_read_labelled_csv(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('text,label\n"hello,  there",greet\n,empty\nbye,goodbye\n', encoding="utf-8")
    assert common.read_labelled_csv(path) == [Row("hello, there", "greet"), Row("bye", "goodbye")]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        common.read_labelled_csv(bad)


def _record(label: str, top1: str, answered: str | None, conf: float) -> dict:
    return {
        "label": label, "top1": top1, "top1_confidence": conf, "answered": answered,
        "reasons": [] if answered else ["low_confidence"], "ms": 2.0, "confidence": conf,
        "decision": "answer" if answered else "escalate",
    }  # fmt: skip


def test_nlu_metrics_hand_computed() -> None:
    records = [
        _record("a", "a", "a", 0.9),
        _record("a", "b", None, 0.4),
        _record("b", "b", "b", 0.8),
        _record("oos", "a", "a", 0.7),  # out of scope, answered: wrong
        _record("oos", "oos", None, 0.6),  # out of scope, escalated: right
    ]
    m = nlu_metrics(records)
    assert m["accuracy"] == pytest.approx(0.6)
    assert m["macro_f1"] == pytest.approx(round((0.5 + 2 / 3 + 2 / 3) / 3, 4))
    assert m["in_scope_accuracy"] == pytest.approx(round(2 / 3, 4))
    assert m["in_scope_top1_accuracy"] == pytest.approx(round(2 / 3, 4))
    assert m["oos_recall"] == pytest.approx(0.5)
    assert m["oos_top1_recall"] == pytest.approx(0.5)
    assert m["answered_share"] == pytest.approx(0.6)
    assert m["answered_precision"] == pytest.approx(round(2 / 3, 4))
    assert m["system_accuracy"] == pytest.approx(0.6)
    # classifier confidence: 0.9 right, 0.8 right, 0.7 wrong (oos), 0.4 wrong; oos guess never
    assert m["coverage_at_99_precision"] == pytest.approx(0.4)
    assert m["threshold_at_99_precision"] == pytest.approx(0.8)
    assert m["decide_ms_p50"] == 2.0 and m["decide_ms_p95"] == 2.0
    assert m["escalation_reasons"] == {"low_confidence": 2}


def test_training_data_labels_oos_and_entity_markup(tmp_path: Path) -> None:
    rows = [
        Row("where is my card", "card_arrival"),
        Row("is [this](thing) ok", "card_arrival"),
        Row("what's the weather", "oos"),
        Row("top up failed", "top_up_failed"),
    ]
    info = write_training_data(rows, tmp_path / "intent", "intent", "intent")
    nlu = yaml.safe_load((tmp_path / "intent" / "nlu.yml").read_text())
    intents = {item["intent"]: item["examples"] for item in nlu["nlu"]}
    assert set(intents) == {"card_arrival", "out_of_scope", "top_up_failed"}
    assert "- is (this)(thing) ok\n" in intents["card_arrival"]
    assert info == {"intents": 3, "examples": 4, "oos_rows_dropped": 0}
    info = write_training_data(rows, tmp_path / "faq", "faq", "drop")
    nlu = yaml.safe_load((tmp_path / "faq" / "nlu.yml").read_text())
    assert {item["intent"] for item in nlu["nlu"]} == {"faq/card_arrival", "faq/top_up_failed"}
    domain = yaml.safe_load((tmp_path / "faq" / "domain.yml").read_text())
    assert domain["intents"] == ["faq"] and "utter_faq/card_arrival" in domain["responses"]
    assert info["oos_rows_dropped"] == 1
    assert clean_example("plain [text] stays") == "plain [text] stays"


THRESHOLDS = SimpleNamespace(negative_tone=0.5, sarcasm=0.6, sarcasm_negative=0.25)


def _tone(neg: float, sar: float, reasons: list[str], polarity: str) -> dict:
    return {"negative": neg, "sarcasm": sar, "reasons": reasons, "escalated": bool(reasons),
            "polarity": polarity, "ms": 1.0}  # fmt: skip


def test_sentiment_metrics_hand_computed() -> None:
    labels = ["negative", "negative", "negative", "neutral", "positive"]
    scored = [
        _tone(0.9, 0.0, ["negative_tone"], "negative"),
        _tone(0.3, 0.7, ["sarcasm"], "neutral"),
        _tone(0.1, 0.1, [], "neutral"),
        _tone(0.6, 0.0, ["negative_tone"], "negative"),
        _tone(0.0, 0.0, [], "positive"),
    ]
    m = sentiment_metrics(labels, scored, THRESHOLDS, ["late", "late", "rude", "", ""])
    assert m["negative_recall"] == pytest.approx(round(2 / 3, 4))
    assert m["negative_precision"] == pytest.approx(round(2 / 3, 4))
    assert m["false_escalation_rate"] == pytest.approx(0.5)
    assert m["irony_f1"] is None
    assert m["polarity_accuracy"] == pytest.approx(0.4)  # rows 1 and 5
    assert m["negative_recall_by_reason"] == {"late": 1.0, "rude": 0.0}


def test_irony_metrics_hand_computed() -> None:
    labels = ["ironic", "ironic", "not_ironic", "not_ironic"]
    scored = [
        _tone(0.3, 0.8, ["sarcasm"], "neutral"),
        _tone(0.9, 0.1, ["negative_tone"], "negative"),
        _tone(0.1, 0.9, [], "positive"),  # sarcastic score but not negative: no escalation
        _tone(0.0, 0.0, [], "neutral"),
    ]
    m = irony_metrics(labels, scored, THRESHOLDS)
    assert m["irony_f1"] == pytest.approx(round(2 / 3, 4))  # tp 1, fn 1, fp 0
    assert m["irony_f1_any_tone_escalation"] == pytest.approx(1.0)
    assert m["irony_f1_sarcasm_score_only"] == pytest.approx(0.5)  # tp 1, fp 1, fn 1
    assert m["not_ironic_escalation_rate"] == 0.0
    assert m["negative_recall"] is None and m["false_escalation_rate"] is None


def test_recall_at_precision_of_a_score_alone() -> None:
    from bench.tone_score import recall_at_precision

    # ranked: T T F T F; precision >= 0.9 holds down to the 2nd row: recall 2/3
    scores = [0.9, 0.8, 0.7, 0.6, 0.1]
    truth = [True, True, False, True, False]
    assert recall_at_precision(scores, truth) == {"recall": pytest.approx(round(2 / 3, 4)),
                                                  "threshold": 0.8}
    assert recall_at_precision(scores, truth, target=0.75)["recall"] == 1.0  # 3 of 4 above 0.6
    assert recall_at_precision([0.9], [False]) == {"recall": None, "threshold": None}


def test_tone_category_folds_are_stratified_and_seeded() -> None:
    from bench.tone_categories import group_of, stratified_folds

    categories = ["sarc_clown"] * 10 + ["calm_faq"] * 7 + ["neg_plain"] * 3
    folds = stratified_folds(categories, 5, seed=14)
    assert folds == stratified_folds(categories, 5, seed=14)
    assert folds != stratified_folds(categories, 5, seed=15)
    for fold in range(5):
        members = [c for c, f in zip(categories, folds, strict=True) if f == fold]
        assert members.count("sarc_clown") == 2  # 10 over 5 folds
        assert members.count("calm_faq") in (1, 2)
    assert sorted(folds).count(0) >= 3 and len(set(folds)) == 5
    assert group_of("sarc_clown") == "sarcasm" and group_of("calm_faq") == "calm look-alikes"
    with pytest.raises(ValueError):
        stratified_folds(categories, 1, seed=1)
