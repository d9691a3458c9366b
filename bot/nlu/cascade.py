"""Two-stage intent model: n-grams first, sentence embeddings only where the n-grams are unsure.

The n-gram model (``LinearTextModel`` without dense features) answers in well under a
millisecond; the model with sentence embeddings appended (``bot.nlu.encoder.minilm``) is
more accurate but costs ~10 ms of CPU per message. ``CascadeTextModel`` scores every message
with the first, and re-scores with the second only the messages whose top calibrated
probability is below ``below``: where the n-grams are confident they are right about as often
as the embedding model (measured in bench/README.md), so the encoder runs for the uncertain
share only.

Both stages are trained on the same examples and labels (same label order), each with its own
calibration, so a message's probabilities always come from one calibrated model.

On disk: ``cascade.json`` (``{"below": ...}``) + ``fast/`` and ``full/`` (``LinearTextModel``
directories).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bot.nlu.text_model import LinearTextModel

MARKER = "cascade.json"


def check_below(value: float) -> float:
    """``below`` must be a probability (0: the fast model alone; 1: the full model always)."""
    below = float(value)
    if not 0.0 <= below <= 1.0:
        raise ValueError(f"cascade_below must be between 0 and 1, got {value!r}")
    return below


@dataclass
class CascadeTextModel:
    """``fast`` scores everything; ``full`` re-scores the rows whose top probability < ``below``."""

    fast: LinearTextModel
    full: LinearTextModel
    below: float

    def __post_init__(self) -> None:
        self.below = check_below(self.below)
        if self.fast.trained and self.full.trained and self.fast.labels != self.full.labels:
            raise ValueError("cascade stages were trained on different labels")

    @property
    def labels(self) -> list[str]:
        return self.full.labels

    @property
    def trained(self) -> bool:
        return self.fast.trained and self.full.trained

    def fit(self, texts: Sequence[str], labels: Sequence[str],
            previous: CascadeTextModel | None = None) -> CascadeTextModel:
        """The n-gram stage while the sentence embeddings are computed (two threads: the
        encoder and the solver spend most of their time in NumPy/SciPy code that releases the
        GIL), then the embedding stage, starting from the n-gram stage's weights (its
        calibration fold model from the n-gram stage's fold model, its final fit from the
        n-gram stage's final fit, both at once): the same optimum, fewer L-BFGS iterations
        (bench/README.md, "Training cost").

        ``previous``: the model of an earlier training (``bot.nlu.fit_memory``); each stage then
        starts from that stage's weights (a few new examples move the optimum little)."""
        extra = self.full.extra
        encode = getattr(extra, "for_training", extra)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="cascade-fit") as pool:
            dense = None if encode is None else pool.submit(encode, texts)
            fast = pool.submit(self.fast.fit, texts, labels,
                               start=None if previous is None else previous.fast)
            vectors = None if dense is None else np.asarray(dense.result(), dtype=np.float64)
            fast.result()
        self.full.fit(texts, labels, dense=vectors,
                      start=self.fast if previous is None else previous.full)
        self.__post_init__()
        return self

    def unsure(self, probabilities: np.ndarray) -> np.ndarray:
        """Indices of the rows the full model re-scores."""
        if not len(probabilities):
            return np.zeros(0, dtype=np.int64)
        return np.nonzero(probabilities.max(axis=1) < self.below)[0]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self.below >= 1.0:
            return self.full.predict_proba(texts)
        probabilities = self.fast.predict_proba(texts)
        rows = self.unsure(probabilities)
        if len(rows):
            probabilities[rows] = self.full.predict_proba([texts[i] for i in rows])
        return probabilities

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.fast.save(directory / "fast")
        self.full.save(directory / "full")
        (directory / MARKER).write_text(json.dumps({"below": self.below}))

    @staticmethod
    def stored_in(directory: Path) -> bool:
        return (directory / MARKER).is_file()

    @classmethod
    def load(
        cls, directory: Path, extra: Callable[[Sequence[str]], np.ndarray] | None
    ) -> CascadeTextModel:
        if extra is None:
            raise ValueError(
                f"{directory}: a cascade model needs its sentence encoder (set sentence_encoder)"
            )
        meta = json.loads((directory / MARKER).read_text())
        return cls(
            fast=LinearTextModel.load(directory / "fast"),
            full=LinearTextModel.load(directory / "full", extra=extra),
            below=float(meta["below"]),
        )
