"""bot.nlu.pii.component.SensitiveDetails: trained (its spaCy pipeline saved into Rasa's model
storage), loaded back, and run on Rasa ``Message``s; and in the trained model's pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bench.pii_gen import generate
from bot.nlu.pii import detect
from bot.nlu.pii.component import PII_KEY, SensitiveDetails, build_pipeline, findings

ROOT = Path(__file__).resolve().parents[2]


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def test_trained_saved_loaded_and_processing(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    resource = Resource("pii")
    trained = SensitiveDetails.create({}, storage, resource, _context())
    trained.train(TrainingData())
    with storage.read_from(resource) as directory:
        assert (Path(directory) / "config.cfg").is_file()  # a spaCy pipeline on disk
        assert (Path(directory) / "entity_ruler").is_dir()
    loaded = SensitiveDetails.load({}, storage, resource, _context())
    assert loaded._model is not None  # read from the storage, not built anew
    assert "entity_ruler" in loaded.nlp.pipe_names

    text = "charged twice on 4242-4242-4242-4242 for order RL-123456, ups 1Z999AA10123456784"
    [message] = loaded.process([Message(data={TEXT: text})])
    assert message.get(TEXT) == ("charged twice on •••• •••• •••• 4242 for order RL-123456, "
                                 "ups 1Z999AA10123456784")
    entities = message.get(ENTITIES)
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("order_number", "RL-123456"), ("tracking_number", "1Z999AA10123456784")]
    assert entities[1]["role"] == "ups" and entities[0]["extractor"] == "SensitiveDetails"
    assert message.get(PII_KEY) == {"card_number": 1}
    assert message.as_dict(only_output_properties=True)[PII_KEY] == {"card_number": 1}

    # a card masked at ingress is still flagged; a plain message gets empty counts
    [masked, plain] = loaded.process([Message(data={TEXT: "•••• •••• •••• 4242 was charged"}),
                                      Message(data={TEXT: "where is my parcel"})])
    assert masked.get(PII_KEY) == {"card_number": 1} and masked.get(ENTITIES) is None
    assert plain.get(PII_KEY) == {} and plain.get(TEXT) == "where is my parcel"


def test_a_model_without_the_pipeline_builds_it(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    loaded = SensitiveDetails.load({}, storage, Resource("missing"), _context())
    [message] = loaded.process([Message(data={TEXT: "card 5555555555554444"})])
    assert message.get(TEXT) == "card •••• •••• •••• 4444"


def test_the_ruler_points_at_everything_the_detector_finds() -> None:
    nlp = build_pipeline()
    for item in generate(seed=3, cards=300, orders=150, tracking=150, mixed=80):
        expected = [(f.kind, f.start, f.end) for f in detect.find(item.text)]
        assert [(f.kind, f.start, f.end) for f in findings(nlp, item.text)] == expected, item.text


def test_the_trained_model_masks_and_extracts() -> None:
    if not sorted((ROOT / "models").glob("*.tar.gz")):
        pytest.skip("no trained model (carebot train)")
    from bot.escalation.config import load_escalation_config
    from bot.model.interpreter import Interpreter

    interpreter = Interpreter.from_models_dir(
        ROOT / "models", load_escalation_config(ROOT / "config" / "escalation.yml"))
    parse = interpreter.parse("my card 4242 4242 4242 4242 was charged for order #123456")
    assert "4242 4242 4242 4242" not in parse["text"]
    assert ("order_number", "123456") in {(e["entity"], e["value"]) for e in parse["entities"]}
    assert parse[PII_KEY] == {"card_number": 1}
