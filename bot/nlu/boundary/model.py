"""The boundary around each FAQ: is a message inside what that FAQ's examples cover?

The intent classifier is closed-set: a message near an FAQ in wording is read as that FAQ, with
high confidence, even when it asks something the answer does not cover ("set up a new address"
→ the change-address answer). ``FaqBoundary`` looks at the message's MiniLM sentence vector
(``bot.nlu.encoder.minilm``, L2-normalised) and compares two similarities:

- ``inside``: the mean cosine similarity of its ``k`` nearest examples *of the chosen FAQ*;
- ``outside``: the same over the nearest examples that no FAQ answers (``out_of_scope`` rows
  written by the project, ``data/nlu/out_of_scope_*.yml``).

``margin = inside - outside`` is the message's score; it is inside the FAQ's boundary when the
margin reaches the FAQ's threshold. Each threshold is split-conformal, fitted at training on
held-out scores of the FAQ's *own* examples (each scored by a boundary built without it, so
it never sees itself): the threshold is the ``alpha`` quantile of those scores, so about
``1 - alpha`` of new in-FAQ messages like the examples stay inside (the guarantee is for
messages exchangeable with the examples; real traffic is measured in ``bench safety``). An
FAQ's threshold is never stricter than the same quantile over every FAQ's scores pooled
together (an FAQ with tightly alike examples would otherwise refuse its own paraphrases), nor
laxer than that pooled quantile minus ``slack``, nor below ``floor``.

Pure NumPy: no Rasa, no encoder. ``bot.nlu.boundary.component`` wires it into the pipeline.
On disk: ``boundary.npz`` (vectors as float16, labels, thresholds) + ``boundary.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

OUT_OF_SCOPE = "out_of_scope"
FILE_ARRAYS = "boundary.npz"
FILE_META = "boundary.json"


@dataclass(frozen=True)
class BoundaryScore:
    """The gate's verdict for one message and one FAQ key (``as_json`` goes into the parse)."""

    faq: str
    inside: bool
    margin: float
    threshold: float
    p_value: float  # share of the FAQ's held-out example scores at or below this margin
    similarity: float  # mean similarity of the k nearest examples of the FAQ
    outside_similarity: float  # ... of the k nearest out-of-scope examples

    def as_json(self) -> dict[str, Any]:
        return {
            "faq": self.faq,
            "inside": self.inside,
            "margin": round(self.margin, 4),
            "threshold": round(self.threshold, 4),
            "p_value": round(self.p_value, 4),
            "similarity": round(self.similarity, 4),
            "outside_similarity": round(self.outside_similarity, 4),
        }


def _top_mean(similarities: np.ndarray, k: int) -> np.ndarray:
    """Mean of the ``k`` largest values of each row (``k`` capped at the row length)."""
    if similarities.shape[1] == 0:
        return np.full(similarities.shape[0], -1.0)
    k = max(1, min(k, similarities.shape[1]))
    part = np.partition(similarities, similarities.shape[1] - k, axis=1)[:, -k:]
    return np.asarray(part.mean(axis=1), dtype=np.float64)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@dataclass
class FaqBoundary:
    """Per-FAQ kNN margin against out-of-scope examples, with conformal thresholds."""

    k: int = 2
    alpha: float = 0.1
    slack: float = 1.0
    floor: float = -1.0
    keys: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)
    calibration: dict[str, list[float]] = field(default_factory=dict)
    _faq_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    _faq_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    _out_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))

    @property
    def trained(self) -> bool:
        return bool(self.keys) and len(self._out_vectors) > 0

    # -- training ----------------------------------------------------------------------------

    def fit(self, vectors: np.ndarray, labels: Sequence[str]) -> FaqBoundary:
        """``labels``: the FAQ key of each row, or ``OUT_OF_SCOPE``; other rows are ignored by
        the caller (small talk and complex topics are the classifier's business)."""
        if len(vectors) != len(labels):
            raise ValueError("need one label per vector")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha!r}")
        vectors = _normalised(vectors)
        labels = [str(label) for label in labels]
        out = np.array([label == OUT_OF_SCOPE for label in labels])
        if not out.any():
            raise ValueError(f"the boundary needs {OUT_OF_SCOPE!r} examples")
        self.keys = sorted({label for label in labels if label != OUT_OF_SCOPE})
        if not self.keys:
            raise ValueError("the boundary needs FAQ examples")
        index = {key: i for i, key in enumerate(self.keys)}
        self._faq_vectors = vectors[~out]
        self._faq_labels = np.array([index[lb] for lb in labels if lb != OUT_OF_SCOPE], np.int32)
        self._out_vectors = vectors[out]
        self.calibration = self._held_out_scores()
        pooled = np.concatenate([np.asarray(v) for v in self.calibration.values()])
        q = self.alpha
        pooled_q = float(np.quantile(pooled, q))
        self.thresholds = {
            key: max(self.floor, pooled_q - self.slack, min(float(np.quantile(s, q)), pooled_q))
            for key, s in self.calibration.items()
        }
        return self

    def _held_out_scores(self) -> dict[str, list[float]]:
        """Each FAQ example's margin against a boundary without that example (leave-one-out:
        its own similarity is masked), grouped by FAQ."""
        sims_in = self._faq_vectors @ self._faq_vectors.T
        np.fill_diagonal(sims_in, -np.inf)
        outside = _top_mean(self._faq_vectors @ self._out_vectors.T, self.k)
        scores: dict[str, list[float]] = {}
        for i, key in enumerate(self.keys):
            rows = np.nonzero(self._faq_labels == i)[0]
            own = sims_in[np.ix_(rows, rows)]
            inside = _top_mean(np.where(np.isinf(own), -1.0, own), self.k)
            scores[key] = [float(v) for v in inside - outside[rows]]
        return scores

    # -- scoring -----------------------------------------------------------------------------

    def score(self, vector: np.ndarray, faq: str) -> BoundaryScore | None:
        """The verdict for one message vector and the FAQ the classifier chose (None: an FAQ
        the boundary does not know, e.g. added after this model was trained)."""
        if faq not in self.thresholds:
            return None
        v = _normalised(np.asarray(vector, dtype=np.float32).reshape(1, -1))
        rows = self._faq_labels == self.keys.index(faq)
        inside = float(_top_mean(v @ self._faq_vectors[rows].T, self.k)[0])
        outside = float(_top_mean(v @ self._out_vectors.T, self.k)[0])
        margin = inside - outside
        threshold = self.thresholds[faq]
        held = np.asarray(self.calibration[faq])
        p_value = float((1 + np.sum(held <= margin)) / (len(held) + 1))
        return BoundaryScore(faq, margin >= threshold, margin, threshold, p_value, inside, outside)

    def example_scores(self) -> dict[str, list[float]]:
        """The held-out margin of every FAQ example (``carebot faq check`` reports the ones
        below their FAQ's threshold)."""
        return {key: list(v) for key, v in self.calibration.items()}

    # -- storage -----------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(
            directory / FILE_ARRAYS,
            faq_vectors=self._faq_vectors.astype(np.float16),
            faq_labels=self._faq_labels,
            out_vectors=self._out_vectors.astype(np.float16),
        )
        meta = {
            "k": self.k, "alpha": self.alpha, "slack": self.slack, "floor": self.floor,
            "keys": self.keys, "thresholds": self.thresholds, "calibration": self.calibration,
        }  # fmt: skip
        (directory / FILE_META).write_text(json.dumps(meta))

    @classmethod
    def load(cls, directory: Path) -> FaqBoundary:
        meta: Mapping[str, Any] = json.loads((directory / FILE_META).read_text())
        with np.load(directory / FILE_ARRAYS) as arrays:
            faq_vectors = _normalised(arrays["faq_vectors"])
            faq_labels = np.asarray(arrays["faq_labels"], dtype=np.int32)
            out_vectors = _normalised(arrays["out_vectors"])
        return cls(
            k=int(meta["k"]),
            alpha=float(meta["alpha"]),
            slack=float(meta["slack"]),
            floor=float(meta["floor"]),
            keys=[str(k) for k in meta["keys"]],
            thresholds={str(k): float(v) for k, v in meta["thresholds"].items()},
            calibration={str(k): [float(x) for x in v] for k, v in meta["calibration"].items()},
            _faq_vectors=faq_vectors,
            _faq_labels=faq_labels,
            _out_vectors=out_vectors,
        )
