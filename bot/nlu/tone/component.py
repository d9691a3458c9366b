"""Rasa NLU component that scores tone and sarcasm; the score travels with the message.

Adds ``tone = {"negative", "sarcasm", "label", "signals"}`` to every parsed message (and so to
``tracker.latest_message`` in the action server). Trained on the project's own tone corpus
(``data/tone/*.yml``, see ``bot.nlu.tone.model``), not on the NLU intents; the cues, including
VADER's lexicon scores (``vadersentiment``, MIT, lexicon inside the wheel), are in
``bot.nlu.tone.features``; with ``sentence_encoder`` set, MiniLM's word-piece embeddings feed a
second model (``bot.nlu.tone.embedding``); with ``finetuned_encoder`` set, MiniLM's first layer(s)
fine-tuned on the tone corpus add a third (``bot.nlu.tone.finetuned``).

Rasa caches trained components by their config and NLU data; the tone corpus is neither, so
``carebot train`` forces a retrain when the corpus or the lexicons change.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.fit_memory import FitMemory
from bot.nlu.stored import StoredComponent
from bot.nlu.text_model import LinearTextModel
from bot.nlu.threads import one_blas_thread
from bot.nlu.tone.model import Fits, ToneModel, load_corpus

logger = logging.getLogger(__name__)

TONE_KEY = "tone"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class ToneScorer(StoredComponent[ToneModel]):
    """Scores negative tone and sarcasm of each message."""

    missing_model_warning = "ToneScorer: no trained model found; tone will not be scored."

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "corpus": ["data/tone"],
            # Measured on the dev splits (bench/README.md, "Tone"): C = 1 ranks unseen text
            # better than 4; the VADER blend weight 4 is the best of 0..8 on airline tweets.
            "C": 1.0,
            "feature_scale": 1.0,
            "vader_weight": 4.0,
            "calm_intents": ["faq", "greet", "goodbye", "bot_challenge"],
            "positive_intents": ["thanks"],
            # A sentence encoder (installed package or model directory) whose word-piece
            # embeddings feed a second, small tone model (bot/nlu/tone/embedding.py: a table
            # look-up, not the encoder); None: the n-gram model alone.
            "sentence_encoder": None,
            "embedding_C": 0.3,
            # A safetensors file of MiniLM layers fine-tuned on the tone corpus
            # (bench/tone_finetune.py, run in NumPy by bot/nlu/tone/finetuned.py) whose
            # log-odds are added as well; None: not used.
            "finetuned_encoder": None,
            # Start the polarity and sarcasm fits from the last training's (bot/nlu/fit_memory.py,
            # under CAREBOT_VAR_DIR): the corpus is the same from one training to the next.
            "warm_start": True,
        }

    def train(self, training_data: TrainingData) -> Resource:
        corpus = self._config["corpus"]
        paths = [Path(p) for p in ([corpus] if isinstance(corpus, str) else corpus)]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise FileNotFoundError(f"ToneScorer: tone corpus not found: {', '.join(missing)}")
        rows = load_corpus(paths)
        if not rows:
            raise ValueError(f"ToneScorer: the tone corpus in {paths} is empty")
        rows += self._calm_examples(training_data)
        memory = FitMemory("tone") if self._config.get("warm_start") else None
        previous = None if memory is None else memory.recall(TONE_FITS, _read_fits)
        with one_blas_thread():
            self._model = self._fit(rows, previous)
        if memory is not None:
            model = self._model
            memory.remember(TONE_FITS, lambda directory: _write_fits(model, directory))
        self.persist()
        logger.info(f"ToneScorer trained on {len(rows)} tone examples.")
        return self._resource

    def _fit(self, rows: List[Dict[str, Any]], previous: Fits | None = None) -> ToneModel:
        return ToneModel().fit(
            rows,
            c=float(self._config["C"]),
            feature_scale=float(self._config["feature_scale"]),
            vader_weight=float(self._config["vader_weight"]),
            embedding_source=self._config.get("sentence_encoder") or None,
            embedding_c=float(self._config.get("embedding_C") or 0.3),
            finetuned_weights=self._finetuned_path(),
            previous=previous,
        )

    def _finetuned_path(self) -> Path | None:
        configured = self._config.get("finetuned_encoder")
        if not configured:
            return None
        path = Path(str(configured))
        if not path.is_file():
            raise FileNotFoundError(f"ToneScorer: fine-tuned tone encoder not found: {path}")
        return path

    def _calm_examples(self, training_data: TrainingData) -> List[Dict[str, Any]]:
        """The NLU examples of FAQ questions and small talk are, by construction, calm: they
        teach the tone model that an ordinary question is not a complaint."""
        calm = {str(i) for i in self._config["calm_intents"]}
        positive = {str(i) for i in self._config["positive_intents"]}
        rows: List[Dict[str, Any]] = []
        for example in training_data.intent_examples:
            intent = str(example.get("intent") or "")
            text = example.get(TEXT)
            if text and intent in calm:
                rows.append({"text": text, "label": "neutral", "sarcasm": False})
            elif text and intent in positive:
                rows.append({"text": text, "label": "positive", "sarcasm": False})
        return rows

    def _save_model(self, model: ToneModel, directory: Path) -> None:
        model.save(directory)

    @classmethod
    def _model_reader(cls, config: Dict[str, Any]) -> Callable[[Path], ToneModel]:
        return ToneModel.load

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None:
            return messages
        scores = self._model.score_many([m.get(TEXT) or "" for m in messages])
        for message, tone in zip(messages, scores, strict=False):
            message.set(TONE_KEY, tone, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


TONE_FITS = ["polarity", "sarcasm"]
"""What the tone fit memory is keyed by (the same two models every training)."""


def _write_fits(model: ToneModel, directory: Path) -> None:
    """The tone model's two n-gram models (the rest is not fitted by L-BFGS or is fixed)."""
    if model.polarity is not None:
        model.polarity.save(directory / "polarity")
    if model.sarcasm is not None:
        model.sarcasm.save(directory / "sarcasm")


def _read_fits(directory: Path) -> Fits:
    def one(name: str) -> LinearTextModel | None:
        path = directory / name
        return LinearTextModel.load(path) if (path / "model.json").is_file() else None

    return one("polarity"), one("sarcasm")
