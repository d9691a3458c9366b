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
from typing import Any, Callable, Dict, Iterable, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.stored import StoredComponent

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
class LanguageGuard(StoredComponent[set[str]]):
    """Flags messages the bot cannot read (other languages or scripts)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"min_words": 3}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: set[str] | None = None,
    ) -> None:
        super().__init__(config, model_storage, resource, model or _read_common())

    def train(self, training_data: TrainingData) -> Resource:
        vocabulary = _read_common()
        for example in training_data.training_examples:
            vocabulary.update(_words(example.get(TEXT) or ""))
        self._model = vocabulary
        self.persist()
        return self._resource

    def _save_model(self, model: set[str], directory: Path) -> None:
        (directory / "vocabulary.json").write_text(json.dumps(sorted(model)))

    @classmethod
    def _model_reader(cls, config: Dict[str, Any]) -> Callable[[Path], set[str]]:
        return lambda directory: set(json.loads((directory / "vocabulary.json").read_text()))

    def process(self, messages: List[Message]) -> List[Message]:
        vocabulary = self._model or set()  # never empty: __init__ falls back to common words
        for message in messages:
            verdict = assess(message.get(TEXT) or "", vocabulary, int(self._config["min_words"]))
            message.set(LANGUAGE_KEY, verdict, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
