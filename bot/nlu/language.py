"""Rasa NLU component that tells whether a message is in a language the bot can answer.

The bot only speaks English. Messages mostly in another script (Cyrillic, Arabic, CJK …) or whose
words are mostly unknown (not in the NLU training data nor in a common-English list) are flagged,
so the escalation rules hand them to a person (``unsupported_message``) instead of guessing.

Adds ``language = {"code": "en"|"other"|"unknown", "known_ratio": float, "words": int}``.
``unknown`` means too few words to tell (the intent confidence decides then).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, Iterable, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

LANGUAGE_KEY = "language"
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
COMMON_WORDS = Path(__file__).resolve().parent / "lexicons" / "english.txt"


def _words(text: str) -> List[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _read_common() -> set[str]:
    words: set[str] = set()
    for line in COMMON_WORDS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(line.lower().split())
    return words


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0
    latin = sum(1 for c in letters if "LATIN" in unicodedata.name(c, ""))
    return latin / len(letters)


def assess(text: str, vocabulary: Iterable[str] | set[str], min_words: int = 3) -> Dict[str, Any]:
    """Language verdict for ``text`` given the words the bot knows."""
    vocab = vocabulary if isinstance(vocabulary, set) else set(vocabulary)
    if _latin_share(text) < 0.5:
        return {"code": "other", "known_ratio": 0.0, "words": len(_words(text))}
    words = _words(text)
    if not words:
        return {"code": "unknown", "known_ratio": 1.0, "words": 0}
    known = sum(1 for w in words if w in vocab or len(w) <= 1)
    ratio = known / len(words)
    code = "unknown" if len(words) < min_words else ("en" if ratio >= 0.5 else "other")
    return {"code": code, "known_ratio": round(ratio, 3), "words": len(words)}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class LanguageGuard(GraphComponent):
    """Flags messages the bot cannot read (other languages or scripts)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"min_words": 3}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: set[str] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary or _read_common()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageGuard:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        vocabulary = _read_common()
        for example in training_data.training_examples:
            vocabulary.update(_words(example.get(TEXT) or ""))
        self._vocabulary = vocabulary
        with self._model_storage.write_to(self._resource) as directory:
            (Path(directory) / "vocabulary.json").write_text(json.dumps(sorted(vocabulary)))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageGuard:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((Path(directory) / "vocabulary.json").read_text())
                vocabulary: set[str] | None = set(words)
        except (ValueError, FileNotFoundError):
            vocabulary = None
        return cls(config, model_storage, resource, vocabulary=vocabulary)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            verdict = assess(
                message.get(TEXT) or "", self._vocabulary, int(self._config["min_words"])
            )
            message.set(LANGUAGE_KEY, verdict, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
