"""Warm starts across trainings (``bot.nlu.fit_memory``): a training stores its intent model,
the next one with mostly the same labels starts its fits from it and reaches the same model
in fewer iterations; another data set's model, or a broken one, is not used."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.cascade import CascadeTextModel
from bot.nlu.classifier import LinearIntentClassifier
from bot.nlu.fit_memory import FitMemory, overlap
from tests.nlu.test_classifier_component import EXAMPLES, _context
from tests.nlu.test_sentence_encoder import tiny_bert

MORE = ["how soon will it ship", "delivery takes how long?"]  # a trainer adds two phrasings


@pytest.fixture(autouse=True)
def _var_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREBOT_VAR_DIR", str(tmp_path / "var"))


def _data(examples: dict[str, list[str]]) -> TrainingData:
    messages = []
    for label, texts in examples.items():
        for text in texts:
            data: dict[str, Any] = {TEXT: text, INTENT: label.split("/")[0]}
            if "/" in label:
                data[INTENT_RESPONSE_KEY] = label
            messages.append(Message(data=data))
    return TrainingData(training_examples=messages)


def _train(tmp_path: Path, name: str, examples: dict[str, list[str]],
           **config: Any) -> LinearIntentClassifier:
    storage_dir = tmp_path / f"storage-{name}"
    storage_dir.mkdir()
    full = {**LinearIntentClassifier.get_default_config(), "C": 20.0, "calibration_folds": 3,
            "calibration_rounds": 1, "sentence_encoder": str(tiny_bert(tmp_path / "bert")),
            "cascade_below": 0.9, **config}
    component = LinearIntentClassifier.create(full, LocalModelStorage(storage_dir),
                                              Resource("clf"), _context())
    component.train(_data(examples))
    return component


def test_overlap_is_jaccard() -> None:
    assert overlap(["a", "b"], ["b", "c"]) == pytest.approx(1 / 3)
    assert overlap([], []) == 0.0


def test_a_second_training_starts_from_the_first(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    first = _train(tmp_path, "one", EXAMPLES)
    assert len(list((tmp_path / "var" / "cache" / "fits-intent").iterdir())) == 1
    caplog.set_level(logging.INFO, logger="bot.nlu.fit_memory")
    grown = {**EXAMPLES, "faq/shipping_time": EXAMPLES["faq/shipping_time"] + MORE}
    warm = _train(tmp_path, "warm", grown)
    assert "start from the model of an earlier training" in caplog.text
    cold = _train(tmp_path, "cold", grown, warm_start=False)
    assert isinstance(warm._model, CascadeTextModel) and isinstance(cold._model, CascadeTextModel)
    assert isinstance(first._model, CascadeTextModel)
    assert warm._model.labels == cold._model.labels
    probes = ["how soon does it ship", "where is my refund", "hello", "delivery time?"]
    np.testing.assert_allclose(warm._model.predict_proba(probes),
                               cold._model.predict_proba(probes), atol=0.02)
    # Fewer iterations from a nearby optimum: tests/nlu/test_logistic.py (on these 20 rows
    # every fit converges in ~14 iterations either way; on the bot's data 96 -> 63).
    slots = list((tmp_path / "var" / "cache" / "fits-intent").iterdir())
    assert len(slots) == 2  # keep=2: the oldest of three trainings is gone


def test_another_data_sets_model_or_a_broken_one_is_not_used(tmp_path: Path) -> None:
    memory = FitMemory("intent", tmp_path / "cache")
    def write(directory: Path) -> None:
        directory.mkdir()
        (directory / "x").write_text("1")

    memory.remember(["a", "b", "c"], write)
    assert memory.recall(["x", "y", "z", "a"], lambda d: "model") is None  # overlap 1/6
    assert memory.recall(["a", "b", "c", "d"], lambda d: (d / "x").read_text()) == "1"

    def broken(directory: Path) -> str:
        raise ValueError("truncated")

    assert memory.recall(["a", "b", "c"], broken) is None
    read_only = FitMemory("intent", tmp_path / "file")
    (tmp_path / "file").write_text("not a directory")
    read_only.remember(["a"], lambda d: None)  # logged, training goes on
    assert read_only.recall(["a"], lambda d: "model") is None


def test_the_tone_fits_restart_from_the_stored_ones(tmp_path: Path) -> None:
    """ToneScorer stores its polarity and sarcasm models; the next training starts there
    (same corpus: next to no iterations) and scores as a cold fit does."""
    from bot.nlu.tone.component import TONE_FITS, _read_fits, _write_fits
    from bot.nlu.tone.model import ToneModel
    from tests.nlu.test_tone import TINY

    cold = ToneModel().fit(TINY, c=1.0)
    memory = FitMemory("tone", tmp_path / "cache")
    memory.remember(TONE_FITS, lambda directory: _write_fits(cold, directory))
    previous = memory.recall(TONE_FITS, _read_fits)
    assert previous is not None and previous[0] is not None and previous[1] is not None
    warm = ToneModel().fit(TINY, c=1.0, previous=previous)
    assert cold.polarity is not None and warm.polarity is not None
    assert warm.polarity.iterations < cold.polarity.iterations
    for text in ["this is awful", "great, another delay, love it", "thanks, all sorted"]:
        a, b = cold.score(text, explain=False), warm.score(text, explain=False)
        assert abs(a["negative"] - b["negative"]) < 0.01
        assert abs(a["sarcasm"] - b["sarcasm"]) < 0.01
