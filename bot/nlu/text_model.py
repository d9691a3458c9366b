"""A small, fast linear text classifier: TF-IDF word and character n-grams + logistic regression.

Used by the intent classifier and the tone scorer. It trains in seconds on a few thousand
examples on two cores, predicts in well under a millisecond, and persists as plain JSON +
NumPy arrays (no pickle: a model directory is safe to load).
"""

from __future__ import annotations

import json
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.calibration import fit_temperature, log_softmax, stratified_folds
from bot.nlu.logistic import balanced_weights, fit_logistic

_SPACES = re.compile(r"\s+")
_REPEAT = re.compile(r"(.)\1{2,}")
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_NUMBER = re.compile(r"\d+")


def normalise(text: str) -> str:
    """Lower-case, fold accents, squash repeated letters, URLs, @mentions and numbers.

    ``"SOOOO where is my order #12345 @brand"`` becomes ``"soo where is my order #0 @user"``.
    Emoji are kept: they carry meaning (tone, and sometimes the question).
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.lower()
    text = _URL.sub(" url ", text)
    text = _MENTION.sub(" @user ", text)
    text = _NUMBER.sub("0", text)
    text = _REPEAT.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def _vectorizer_params(kind: str, ngram_max: int, min_df: int) -> dict[str, Any]:
    if kind == "word":
        return {
            "analyzer": "word",
            "ngram_range": (1, 2),
            "token_pattern": r"(?u)\b\w+\b|[^\w\s]",
            "min_df": 1,
            "sublinear_tf": True,
            "lowercase": False,
        }
    return {
        "analyzer": "char_wb",
        "ngram_range": (2, ngram_max),
        "min_df": min_df,
        "sublinear_tf": True,
        "lowercase": False,
    }


@dataclass
class LinearTextModel:
    """TF-IDF (words 1-2 + chars 2-``char_ngram_max``) → multinomial logistic regression."""

    c: float = 10.0
    char_ngram_max: int = 5
    char_min_df: int = 1
    max_iter: int = 300
    class_weight: str | None = "balanced"
    calibration_folds: int = 0
    """``k`` ≥ 2: fit a softmax temperature on out-of-fold scores of a k-fold split."""
    calibration_rounds: int = 0
    """How many of the k folds to hold out in turn (0: all k, each costs one more fit; 1: one
    fit on (k-1)/k of the data scores the remaining 1/k)."""
    temperature: float = 1.0
    labels: list[str] = field(default_factory=list)
    extra: Callable[[Sequence[str]], np.ndarray] | None = field(default=None, repr=False)
    """Optional dense features from the raw texts (not persisted: the owner re-attaches)."""
    _vectorizers: list[TfidfVectorizer] = field(default_factory=list, repr=False)
    _coef: np.ndarray | None = field(default=None, repr=False)
    _intercept: np.ndarray | None = field(default=None, repr=False)
    _fold: LinearTextModel | None = field(default=None, repr=False)
    """The first calibration fold's model (memory only): where a related fit can start."""
    iterations: int = field(default=0, repr=False)
    """L-BFGS iterations of the last final fit (for the training-cost benchmark)."""

    @property
    def trained(self) -> bool:
        return self._coef is not None

    def _make_vectorizers(self) -> list[TfidfVectorizer]:
        return [
            TfidfVectorizer(**_vectorizer_params("word", 0, 1)),
            TfidfVectorizer(**_vectorizer_params("char", self.char_ngram_max, self.char_min_df)),
        ]

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        normalised = [normalise(t) for t in texts]
        blocks = [v.transform(normalised) for v in self._vectorizers]
        if self.extra is not None:
            blocks.append(sp.csr_matrix(self.extra(texts)))
        return sp.hstack(blocks, format="csr")

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        dense: np.ndarray | None = None,
        start: LinearTextModel | None = None,
    ) -> LinearTextModel:
        """Train on ``texts``/``labels``.

        ``dense``: the dense features of ``texts`` when the caller already has them (else
        computed through ``extra``). ``start``: a trained model over the same kind of n-grams
        whose weights the fits start from (its calibration fold model for this one's, itself
        for the final fit); without it the final fit starts from this model's own calibration
        fold model. Starting points change how long L-BFGS runs, not where it stops
        (``bot.nlu.logistic``)."""
        if len(texts) != len(labels) or not texts:
            raise ValueError("need the same, non-zero number of texts and labels")
        distinct = sorted(set(labels))
        if len(distinct) < 2:
            raise ValueError("need at least two distinct labels to train")
        if dense is None:
            # Training may read dense features through a cache (``DenseFeatures.for_training``).
            extra = getattr(self.extra, "for_training", self.extra)
            dense = None if extra is None else np.asarray(extra(texts), dtype=np.float64)
        self._fold = None
        calibrate = self.calibration_folds >= 2
        if calibrate and start is not None:
            # The final fit starts from ``start``, not from the fold model: both run at once.
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="text-model") as pool:
                temperature = pool.submit(self._calibrate, texts, labels, dense, start)
                self._fit_final(texts, labels, distinct, dense, start)
                self.temperature = temperature.result()
            return self
        if calibrate:
            self.temperature = self._calibrate(texts, labels, dense, None)
        self._fit_final(texts, labels, distinct, dense, start or self._fold)
        return self

    def _fit_final(self, texts: Sequence[str], labels: Sequence[str], classes: list[str],
                   dense: np.ndarray | None, start: LinearTextModel | None) -> None:
        normalised = [normalise(t) for t in texts]
        vectorizers = self._make_vectorizers()
        sparse = sp.hstack([v.fit_transform(normalised) for v in vectorizers], format="csr")
        index = {label: i for i, label in enumerate(classes)}
        y = np.fromiter((index[label] for label in labels), dtype=np.int64, count=len(labels))
        n_dense = 0 if dense is None else int(dense.shape[1])
        fit = fit_logistic(
            sparse, dense, y, len(classes), self.c,
            sample_weight=balanced_weights(y, len(classes))
            if self.class_weight == "balanced" else None,
            max_iter=self.max_iter,
            init=None if start is None else start.weights_for(vectorizers, classes, n_dense),
        )
        self._vectorizers = vectorizers
        self.labels = list(classes)
        self._coef = np.asarray(fit.coef, dtype=np.float32)
        self._intercept = np.asarray(fit.intercept, dtype=np.float32)
        self.iterations = fit.iterations

    def weights_for(
        self, vectorizers: Sequence[TfidfVectorizer], classes: Sequence[str], n_dense: int
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """This model's weights laid out for another model's columns (its fitted
        ``vectorizers`` + ``n_dense`` dense columns) and ``classes``: the same n-gram or the
        same dense column gets this model's weight, anything this model lacks 0."""
        if self._coef is None or self._intercept is None:
            return None
        width = sum(len(v.vocabulary_) for v in vectorizers)
        coef = np.zeros((len(classes), width + n_dense))
        intercept = np.zeros(len(classes))
        mine = {label: i for i, label in enumerate(self.labels)}
        rows = [(i, mine[c]) for i, c in enumerate(classes) if c in mine]
        if not rows:
            return None
        to_rows, from_rows = (np.array(r) for r in zip(*rows, strict=True))
        to_cols: list[int] = []
        from_cols: list[int] = []
        new_offset = old_offset = 0
        for new, old in zip(vectorizers, self._vectorizers, strict=False):
            known = getattr(old, "vocabulary_", None) or old.vocabulary  # fitted or loaded
            for gram, j in new.vocabulary_.items():
                i = known.get(gram)
                if i is not None:
                    to_cols.append(new_offset + j)
                    from_cols.append(old_offset + i)
            new_offset += len(new.vocabulary_)
            old_offset += len(known)
        if n_dense and self._coef.shape[1] - old_offset == n_dense:
            to_cols.extend(range(width, width + n_dense))
            from_cols.extend(range(old_offset, old_offset + n_dense))
        coef[np.ix_(to_rows, np.array(to_cols, dtype=np.int64))] = \
            self._coef[np.ix_(from_rows, np.array(from_cols, dtype=np.int64))]
        intercept[to_rows] = self._intercept[from_rows]
        return coef, intercept

    def _calibrate(
        self, texts: Sequence[str], labels: Sequence[str], dense: np.ndarray | None,
        start: LinearTextModel | None = None,
    ) -> float:
        """The temperature that makes out-of-fold probabilities honest (see ``calibration``).
        The first held-out fold's model is kept (``_fold``, not saved) as a starting point."""
        folds = stratified_folds(labels, self.calibration_folds)
        all_labels = sorted(set(labels))
        oof = np.zeros((len(texts), len(all_labels)))
        truth = [-1] * len(texts)
        rounds = self.calibration_rounds or self.calibration_folds
        for fold in range(min(rounds, self.calibration_folds)):
            train = [i for i, f in enumerate(folds) if f != fold]
            held = [i for i, f in enumerate(folds) if f == fold]
            if not held or len({labels[i] for i in train}) < 2:
                continue
            part = LinearTextModel(
                c=self.c,
                char_ngram_max=self.char_ngram_max,
                char_min_df=self.char_min_df,
                max_iter=self.max_iter,
                class_weight=self.class_weight,
            ).fit([texts[i] for i in train], [labels[i] for i in train],
                  dense=None if dense is None else dense[train],
                  start=None if start is None else (start._fold or start))
            if fold == 0:
                self._fold = part
            held_texts = [texts[i] for i in held]
            raw = np.asarray(part.features(held_texts) @ part._coef_sparse().T, dtype=np.float64)
            if dense is not None:
                raw += dense[held] @ np.asarray(part._coef_dense(), dtype=np.float64).T
            raw += np.asarray(part._intercept, dtype=np.float64)
            column = {label: j for j, label in enumerate(part.labels)}
            fill = raw.min(axis=1, keepdims=True) - 10.0  # labels the part never saw: unlikely
            for out_row, i in enumerate(held):
                row = np.repeat(fill[out_row], len(all_labels))
                for j, label in enumerate(all_labels):
                    if label in column:
                        row[j] = raw[out_row, column[label]]
                oof[i] = row
                truth[i] = all_labels.index(labels[i]) if labels[i] in column else -1
        return fit_temperature(oof, truth)

    def _sparse_width(self) -> int:
        return sum(len(v.vocabulary_) for v in self._vectorizers)

    def _coef_sparse(self) -> np.ndarray:
        assert self._coef is not None
        return self._coef[:, : self._sparse_width()]

    def _coef_dense(self) -> np.ndarray:
        assert self._coef is not None
        return self._coef[:, self._sparse_width() :]

    def _prepare_fast_path(self) -> None:
        """Analyzers, vocabularies and transposed weights for per-message scoring."""
        assert self._coef is not None
        self._analyzers = [v.build_analyzer() for v in self._vectorizers]
        self._idfs = [np.asarray(v.idf_, dtype=np.float64) for v in self._vectorizers]
        offsets, total = [], 0
        for v in self._vectorizers:
            offsets.append(total)
            total += len(v.vocabulary_)
        self._offsets = offsets
        self._coef_t = np.ascontiguousarray(self._coef.T, dtype=np.float64)
        self._deltas: dict[int, np.ndarray] = {}

    def _scores_one(self, text: str) -> np.ndarray:
        """The same arithmetic as ``features(...) @ coef.T`` for one text, without building
        sparse matrices (about 20x faster for a single message)."""
        if not hasattr(self, "_coef_t"):
            self._prepare_fast_path()
        assert self._intercept is not None
        normalised = normalise(text)
        scores = np.array(self._intercept, dtype=np.float64)
        for vec, analyzer, idf, offset in zip(
            self._vectorizers, self._analyzers, self._idfs, self._offsets, strict=False
        ):
            counts: dict[int, int] = {}
            vocabulary = vec.vocabulary_
            for gram in analyzer(normalised):
                index = vocabulary.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * idf[indices]
            values /= np.sqrt(np.dot(values, values))
            scores += values @ self._coef_t[indices + offset]
        if self.extra is not None:
            dense = np.asarray(self.extra([text]), dtype=np.float64)[0]
            start = self._offsets[-1] + len(self._vectorizers[-1].vocabulary_)
            scores += dense @ self._coef_t[start : start + len(dense)]
        return scores

    def contributions(
        self, text: str, label: str, dense_names: Sequence[str] = ()
    ) -> list[tuple[str, float]]:
        """What pushed ``text`` towards ``label``: each word n-gram's (and each named dense
        column's) part of ``score(label) - mean score``, largest first, positive only.
        Character n-grams are left out: they carry weight but read as noise to a person."""
        if not hasattr(self, "_coef_t"):
            self._prepare_fast_path()
        column = self.labels.index(label)
        delta = self._deltas.get(column)
        if delta is None:  # once per label: a mean over every feature's weights (~1 ms)
            delta = self._deltas[column] = self._coef_t[:, column] - self._coef_t.mean(axis=1)
        found: dict[str, float] = {}
        vec, analyzer, idf = self._vectorizers[0], self._analyzers[0], self._idfs[0]
        counts: dict[str, int] = {}
        for gram in analyzer(normalise(text)):
            if gram in vec.vocabulary_:
                counts[gram] = counts.get(gram, 0) + 1
        if counts:
            grams = list(counts)
            indices = np.array([vec.vocabulary_[g] for g in grams], dtype=np.int64)
            values = (1.0 + np.log(np.array([counts[g] for g in grams], dtype=np.float64)))
            values *= idf[indices]
            values /= np.sqrt(np.dot(values, values))
            for gram, part in zip(grams, values * delta[indices + self._offsets[0]], strict=True):
                found[f'"{gram}"'] = float(part)
        if self.extra is not None and dense_names:
            dense = np.asarray(self.extra([text]), dtype=np.float64)[0]
            start = self._offsets[-1] + len(self._vectorizers[-1].vocabulary_)
            for name, part in zip(dense_names, dense * delta[start : start + len(dense)],
                                  strict=False):
                found[name] = found.get(name, 0.0) + float(part)
        return sorted(((k, v) for k, v in found.items() if v > 0), key=lambda kv: -kv[1])

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Raw linear scores (before temperature and softmax), one row per text."""
        if self._coef is None or self._intercept is None:
            raise RuntimeError("model is not trained")
        if len(texts) <= 16:
            out = (
                np.vstack([self._scores_one(t) for t in texts])
                if texts
                else np.zeros((0, len(self.labels)))
            )
        else:
            out = np.asarray(
                self.features(texts) @ self._coef.T + self._intercept, dtype=np.float64
            )
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities: ``softmax(scores / temperature)``."""
        return np.exp(log_softmax(self.scores(texts) / self.temperature))

    # -- persistence: JSON + .npy, no pickle -------------------------------------------------
    def save(self, directory: Path) -> None:
        if self._coef is None or self._intercept is None:
            raise RuntimeError("model is not trained")
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "c": self.c,
            "char_ngram_max": self.char_ngram_max,
            "char_min_df": self.char_min_df,
            "temperature": self.temperature,
            "labels": self.labels,
            "vocabularies": [
                {k: int(v) for k, v in vec.vocabulary_.items()} for vec in self._vectorizers
            ],
        }
        (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False))
        np.save(directory / "coef.npy", self._coef)
        np.save(directory / "intercept.npy", self._intercept)
        for i, vec in enumerate(self._vectorizers):
            np.save(directory / f"idf{i}.npy", vec.idf_)

    @classmethod
    def load(
        cls,
        directory: Path,
        extra: Callable[[Sequence[str]], np.ndarray] | None = None,
    ) -> LinearTextModel:
        meta = json.loads((directory / "model.json").read_text())
        model = cls(
            c=meta["c"],
            char_ngram_max=meta["char_ngram_max"],
            char_min_df=meta["char_min_df"],
            extra=extra,
            temperature=float(meta.get("temperature", 1.0)),
        )
        model.labels = list(meta["labels"])
        kinds = ("word", "char")
        vectorizers = []
        for i, (kind, vocabulary) in enumerate(zip(kinds, meta["vocabularies"], strict=False)):
            params = _vectorizer_params(kind, model.char_ngram_max, model.char_min_df)
            params["min_df"] = 1
            vec = TfidfVectorizer(vocabulary=vocabulary, **params)
            vec.idf_ = np.load(directory / f"idf{i}.npy")
            vectorizers.append(vec)
        model._vectorizers = vectorizers
        model._coef = np.load(directory / "coef.npy")
        model._intercept = np.load(directory / "intercept.npy")
        return model
