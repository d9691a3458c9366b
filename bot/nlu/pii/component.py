"""Rasa NLU component: sensitive details in the message (``bot.nlu.pii.detect``), first in the
pipeline.

- The text every later component sees, and the parse's ``text``, has its card numbers masked
  (``•••• •••• •••• 4242``; they are masked at ingress already, ``bot.nlu.pii.ingress``: this
  covers text that reaches NLU another way, e.g. ``carebot decide``).
- Order and tracking numbers are added to ``entities`` (``order_number``, ``tracking_number``
  with the carrier as ``role``), as Rasa's entity extractors do.
- ``pii = {"card_number": n, "security_code": n, "email": n, "phone_number": n}`` counts what
  was found (masked cards included), so rules and the agent can see a card was pasted.

The candidates come from a blank spaCy ``en`` pipeline (tokenizer only, nothing downloaded) with
an ``EntityRuler`` whose token patterns (:data:`PATTERNS`) mark digit runs, ``#``/prefixed ids,
UPS and postal ids, masked cards and emails; each candidate is then checked by the detector
(Luhn, card prefix, length, the words before it). The pipeline is built at training time and
saved with the model (``nlp.to_disk`` into the component's resource), and loaded from it; a model
without it (or an unreadable one) builds the same pipeline in memory.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Dict, List

import spacy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.language import Language

from bot.nlu.pii import detect
from bot.nlu.stored import StoredComponent

logger = logging.getLogger(__name__)

PII_KEY = "pii"
EXTRACTOR = "SensitiveDetails"
CANDIDATE = "PII_CANDIDATE"
_DIGITISH = r"^(?:[+(]?\d[\d.\-()]*|[-.()+])$"

PATTERNS: list[dict[str, Any]] = [
    # digit runs with separators: cards, phone numbers, USPS/FedEx/DHL, order digits, 3-7-7
    {"label": CANDIDATE, "pattern": [{"TEXT": {"REGEX": _DIGITISH}, "OP": "+"}]},
    # #123456, RL-123456, 1Z999AA10123456784 (spaced or not), EA123456789US, JD0123…
    {"label": CANDIDATE, "pattern": [{"TEXT": "#"}, {"TEXT": {"REGEX": r"^\d{4,12}$"}}]},
    {"label": CANDIDATE, "pattern": [{"TEXT": {"REGEX": r"^#?[A-Za-z]{1,4}-?\d{4,}$"}}]},
    {"label": CANDIDATE, "pattern": [{"TEXT": {"REGEX": r"(?i)^1z[0-9a-z]*$"}},
                                     {"TEXT": {"REGEX": r"^[0-9A-Za-z]{1,16}$"}, "OP": "*"}]},
    {"label": CANDIDATE, "pattern": [{"TEXT": {"REGEX": r"^[A-Z]{2}\d{9}[A-Z]{2}$"}}]},
    {"label": CANDIDATE, "pattern": [{"TEXT": {"REGEX": r"^[A-Z]{2}\d*$"}},
                                     {"TEXT": {"REGEX": r"^\d+[A-Z]{0,2}$"}, "OP": "*"}]},
    # a card masked at ingress, and security codes after their label
    {"label": CANDIDATE, "pattern": [{"TEXT": {"REGEX": rf"^[{detect.BULLET}\-]+$"}, "OP": "+"},
                                     {"TEXT": {"REGEX": r"^\d{4}$"}}]},
    {"label": CANDIDATE, "pattern": [{"LIKE_EMAIL": True}]},
]


def build_pipeline() -> Language:
    """A blank English pipeline with the entity ruler of :data:`PATTERNS`."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(PATTERNS)  # type: ignore[attr-defined]
    return nlp


def findings(nlp: Language, text: str) -> list[detect.Finding]:
    """The detector's findings that the pipeline's candidates point at (the same as
    ``detect.find(text)`` whenever the patterns cover every format; tests check they do)."""
    if not text:
        return []
    doc = nlp(text)
    spans = [(e.start_char, e.end_char) for e in doc.ents if e.label_ == CANDIDATE]
    if not spans:
        return []
    return [f for f in detect.find(text) if any(f.start < e and s < f.end for s, e in spans)]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SensitiveDetails(StoredComponent[Language]):
    """Masks card numbers, adds order / tracking number entities and the ``pii`` counts."""

    missing_model_warning = (
        "SensitiveDetails: no stored spaCy pipeline in the model; building it in memory."
    )

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    def train(self, training_data: TrainingData) -> Resource:
        self._model = build_pipeline()
        self.persist()
        return self._resource

    def _save_model(self, model: Language, directory: Path) -> None:
        model.to_disk(directory)

    @classmethod
    def _model_reader(cls, config: Dict[str, Any]) -> Callable[[Path], Language]:
        def read(directory: Path) -> Language:
            if not (directory / "config.cfg").is_file():
                raise FileNotFoundError(directory / "config.cfg")
            return spacy.load(directory)

        return read

    @property
    def nlp(self) -> Language:
        if self._model is None:
            self._model = build_pipeline()
        return self._model

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = findings(self.nlp, text)
            counts: dict[str, int] = {}
            for f in found:
                counts[f.kind] = counts.get(f.kind, 0) + 1
            masked = detect.mask(text)
            if masked != text:
                message.set(TEXT, masked)
            entities = [f.entity(EXTRACTOR) for f in found if f.kind in detect.ENTITY_KINDS]
            if entities:
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), *entities],
                            add_to_output=True)
            message.set(PII_KEY, {k: counts[k] for k in sorted(counts)
                                  if k not in detect.ENTITY_KINDS}, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
