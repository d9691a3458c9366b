"""Temperature calibration of the intent classifier's probabilities."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.nlu.calibration import fit_temperature, log_softmax, stratified_folds
from bot.nlu.text_model import LinearTextModel


def test_fit_temperature_recovers_the_temperature_that_generated_the_labels() -> None:
    rng = np.random.default_rng(3)
    scores = rng.normal(scale=4.0, size=(4000, 6))
    for true_t in (0.5, 2.5):
        probs = np.exp(log_softmax(scores / true_t))
        truth = [int(rng.choice(6, p=row)) for row in probs]
        assert abs(fit_temperature(scores, truth) - true_t) / true_t < 0.15


def test_fit_temperature_ignores_examples_of_unseen_labels() -> None:
    scores = np.array([[5.0, 0.0], [0.0, 5.0]])
    assert fit_temperature(scores, [-1, -1]) == 1.0
    assert fit_temperature(scores, [0, -1]) < 1.0  # always right: sharpen


def test_stratified_folds_spread_every_label_over_the_folds() -> None:
    labels = ["a"] * 9 + ["b"] * 6 + ["c"] * 2
    folds = stratified_folds(labels, 3)
    for label in "ab":
        counts = Counter(f for f, lab in zip(folds, labels, strict=True) if lab == label)
        assert sorted(counts.values()) == [len([x for x in labels if x == label]) // 3] * 3
    assert set(folds) == {0, 1, 2}


TEXTS = {
    "shipping": ["how long does shipping take", "when will my parcel arrive", "delivery time",
                 "how many days for delivery", "is shipping slow", "when does my order come",
                 "shipping takes how long", "arrival date of my package"],
    "refund": ["where is my refund", "when do i get my money back", "refund status",
               "money back for my return", "how long do refunds take", "refund not received",
               "i want my money back", "did you refund me yet"],
    "sizes": ["what size should i get", "do the boots run small", "size chart please",
              "is a medium too big", "sizing for the jacket", "which size fits me",
              "do you have a size guide", "is this true to size"],
}


def _data() -> tuple[list[str], list[str]]:
    texts = [t for items in TEXTS.values() for t in items]
    labels = [label for label, items in TEXTS.items() for _ in items]
    return texts, labels


def test_calibrated_model_keeps_its_ranking_and_persists_the_temperature(tmp_path: Path) -> None:
    texts, labels = _data()
    plain = LinearTextModel(c=50.0).fit(texts, labels)
    calibrated = LinearTextModel(c=50.0, calibration_folds=4).fit(texts, labels)
    assert plain.temperature == 1.0
    assert calibrated.temperature != 1.0
    probe = ["where is my money", "does it run small", "parcel arrival", "hello"]
    p_plain = plain.predict_proba(probe)
    p_cal = calibrated.predict_proba(probe)
    np.testing.assert_array_equal(p_plain.argmax(axis=1), p_cal.argmax(axis=1))
    np.testing.assert_allclose(
        p_cal, np.exp(log_softmax(calibrated.scores(probe) / calibrated.temperature))
    )
    calibrated.save(tmp_path / "m")
    loaded = LinearTextModel.load(tmp_path / "m")
    assert loaded.temperature == calibrated.temperature
    np.testing.assert_allclose(loaded.predict_proba(probe), p_cal, rtol=1e-6)
    # Many texts take the batched path: same numbers.
    np.testing.assert_allclose(loaded.predict_proba(probe * 5)[:4], p_cal, rtol=1e-6)


def test_calibration_rounds_limit_the_extra_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    texts, labels = _data()
    calls: list[int] = []
    original = LinearTextModel.fit

    def counting_fit(
        self: LinearTextModel, t: Sequence[str], lab: Sequence[str], **kwargs: Any
    ) -> LinearTextModel:
        calls.append(len(t))
        return original(self, t, lab, **kwargs)

    monkeypatch.setattr(LinearTextModel, "fit", counting_fit)
    LinearTextModel(c=50.0, calibration_folds=4, calibration_rounds=1).fit(texts, labels)
    assert calls == [24, 18]  # the model itself, then one fold model on 3/4 of the data
    calls.clear()
    LinearTextModel(c=50.0, calibration_folds=4).fit(texts, labels)
    assert calls == [24, 18, 18, 18, 18]
