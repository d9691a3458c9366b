"""CascadeTextModel and the classifier's ``cascade_below``: the n-gram stage answers what it is
sure of, the embedding stage re-scores only the rest, and a cascade survives persist → load."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT

from bot.nlu.cascade import CascadeTextModel, check_below
from bot.nlu.classifier import LinearIntentClassifier
from bot.nlu.text_model import LinearTextModel
from tests.nlu.test_classifier_component import EXAMPLES, _context, _training_data, parse_both
from tests.nlu.test_sentence_encoder import tiny_bert

TEXTS = [t for texts in EXAMPLES.values() for t in texts]
LABELS = [label for label, texts in EXAMPLES.items() for _ in texts]


@pytest.fixture(autouse=True)
def _embedding_cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training with a sentence encoder caches embeddings under $CAREBOT_VAR_DIR/cache."""
    monkeypatch.setenv("CAREBOT_VAR_DIR", str(tmp_path / "var"))


class CountingFeatures:
    """Dense features that record which texts the full stage was asked to encode."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.array([[len(t) / 40.0, t.count(" ") / 8.0] for t in texts])


def _cascade(below: float, features: CountingFeatures) -> CascadeTextModel:
    return CascadeTextModel(
        fast=LinearTextModel(c=20.0), full=LinearTextModel(c=20.0, extra=features), below=below
    ).fit(TEXTS, LABELS)


def test_only_unsure_messages_reach_the_full_stage() -> None:
    features = CountingFeatures()
    model = _cascade(0.6, features)
    probes = ["how long does shipping take", "hello", "zzz qqq"]
    fast = model.fast.predict_proba(probes)
    unsure = {probes[i] for i in range(len(probes)) if fast[i].max() < 0.6}
    assert unsure, "the probe set must contain a message the n-grams are unsure of"
    assert len(unsure) < len(probes), "and one they are sure of"
    features.seen.clear()
    out = model.predict_proba(probes)
    assert set(features.seen) == unsure
    for i, text in enumerate(probes):
        expected = model.full if text in unsure else model.fast
        assert out[i] == pytest.approx(expected.predict_proba([text])[0])
    assert out.sum(axis=1) == pytest.approx(np.ones(len(probes)))


def test_below_zero_is_the_fast_model_and_one_is_the_full_model() -> None:
    features = CountingFeatures()
    probes = ["when will my parcel arrive", "refund please", "hey"]
    never = _cascade(0.0, features)
    features.seen.clear()
    scored = never.predict_proba(probes)
    assert features.seen == []
    assert scored == pytest.approx(never.fast.predict_proba(probes))
    always = _cascade(1.0, features)
    features.seen.clear()
    scored = always.predict_proba(probes)
    assert sorted(features.seen) == sorted(probes)
    assert scored == pytest.approx(always.full.predict_proba(probes))


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_below_outside_zero_one_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="cascade_below"):
        check_below(bad)


def test_classifier_cascade_persists_loads_and_routes(tmp_path: Path) -> None:
    encoder_dir = tiny_bert(tmp_path / "bert")
    config = {"C": 20.0, "sentence_encoder": str(encoder_dir), "cascade_below": 0.7}
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    resource = Resource("clf")
    trained = LinearIntentClassifier.create(config, storage, resource, _context())
    trained.train(_training_data())
    with storage.read_from(resource) as directory:
        assert CascadeTextModel.stored_in(Path(directory))
        assert (Path(directory) / "fast" / "model.json").is_file()
        assert (Path(directory) / "full" / "model.json").is_file()

    loaded = LinearIntentClassifier.load(
        {**LinearIntentClassifier.get_default_config(), **config}, storage, resource, _context()
    )
    assert isinstance(loaded._model, CascadeTextModel)
    assert loaded._model.below == 0.7
    after = parse_both(trained, loaded)
    assert [m.get(INTENT)["name"] for m in after] == ["faq", "faq", "greet"]


def test_without_an_encoder_cascade_below_trains_the_plain_model(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    config = {"C": 20.0, "cascade_below": 0.9}
    component = LinearIntentClassifier.create(config, storage, Resource("clf"), _context())
    component.train(_training_data())
    assert isinstance(component._model, LinearTextModel)


def test_a_bad_cascade_below_fails_at_training_and_at_load(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    config = {"sentence_encoder": str(tiny_bert(tmp_path / "bert")), "cascade_below": 2}
    component = LinearIntentClassifier.create(config, storage, Resource("clf"), _context())
    with pytest.raises(ValueError, match="cascade_below"):
        component.train(_training_data())
    with pytest.raises(ValueError, match="cascade_below"):
        LinearIntentClassifier.load(
            {**LinearIntentClassifier.get_default_config(), **config},
            storage, Resource("clf"), _context(),
        )
