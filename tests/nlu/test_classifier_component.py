"""LinearIntentClassifier as Rasa runs it: train → persist → load → process, with calibration and
dense sentence features (a tiny random BERT stands in for all-MiniLM-L6-v2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.classifier import LinearIntentClassifier
from bot.nlu.encoder.minilm import EncoderUnavailable
from tests.nlu.test_sentence_encoder import tiny_bert

EXAMPLES = {
    "faq/shipping_time": ["how long does shipping take", "when will my parcel arrive",
                          "delivery time", "how many days for delivery", "is shipping slow",
                          "when does my order come"],
    "faq/refund": ["where is my refund", "when do i get my money back", "refund status",
                   "money back for my return", "how long do refunds take", "refund not received"],
    "greet": ["hello", "hi there", "hey", "good morning", "hiya", "hello there"],
}


@pytest.fixture(autouse=True)
def _embedding_cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training with a sentence encoder caches embeddings under $CAREBOT_VAR_DIR/cache."""
    monkeypatch.setenv("CAREBOT_VAR_DIR", str(tmp_path / "var"))


def _training_data() -> TrainingData:
    messages = []
    for label, texts in EXAMPLES.items():
        base = label.split("/")[0]
        for text in texts:
            data: dict[str, Any] = {TEXT: text, INTENT: base}
            if "/" in label:
                data[INTENT_RESPONSE_KEY] = label
            messages.append(Message(data=data))
    return TrainingData(training_examples=messages)


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


PROBES = ["when will my order arrive", "i want my money back", "hello!"]


def parse_both(trained: LinearIntentClassifier, loaded: LinearIntentClassifier) -> list[Message]:
    """The probes through the trained and the re-loaded component: same intents and confidences
    (the model survived persist → load); returns the re-loaded component's messages."""
    before = trained.process([Message(data={TEXT: t}) for t in PROBES])
    after = loaded.process([Message(data={TEXT: t}) for t in PROBES])
    for a, b in zip(before, after, strict=True):
        assert a.get(INTENT)["name"] == b.get(INTENT)["name"]
        assert a.get(INTENT)["confidence"] == pytest.approx(b.get(INTENT)["confidence"], rel=1e-5)
    return after


def test_train_persist_load_and_process_with_calibration_and_embeddings(tmp_path: Path) -> None:
    encoder_dir = tiny_bert(tmp_path / "bert")
    config = {"C": 20.0, "calibration_folds": 3, "sentence_encoder": str(encoder_dir),
              "embedding_weight": 2.0}
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    resource = Resource("clf")
    trained = LinearIntentClassifier.create(config, storage, resource, _context())
    trained.train(_training_data())

    loaded = LinearIntentClassifier.load(
        {**LinearIntentClassifier.get_default_config(), **config}, storage, resource, _context()
    )
    after = parse_both(trained, loaded)
    names = [m.get(INTENT)["name"] for m in after]
    assert names == ["faq", "faq", "greet"]
    keys = [m.get("response_selector")["faq"]["response"]["intent_response_key"] for m in after]
    assert keys[:2] == ["faq/shipping_time", "faq/refund"]


def test_a_configured_encoder_that_is_missing_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    config = {"sentence_encoder": str(tmp_path / "nowhere")}
    component = LinearIntentClassifier.create(config, storage, Resource("clf"), _context())
    with pytest.raises(EncoderUnavailable):
        component.train(_training_data())
    with pytest.raises(EncoderUnavailable):
        LinearIntentClassifier.load(
            {**LinearIntentClassifier.get_default_config(), **config},
            storage, Resource("clf"), _context(),
        )
