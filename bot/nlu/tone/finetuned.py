"""A small encoder fine-tuned on the tone corpus: MiniLM's first layers + two heads, in NumPy.

``bench/tone_finetune.py`` (a separate PyTorch venv, not a dependency of the bot) fine-tunes the
first ``layers`` transformer layers of all-MiniLM-L6-v2 with two outputs, negative and sarcastic,
on ``data/tone`` + the calm NLU examples, and exports them to one safetensors file: the trained
layers under MiniLM's own tensor names (``encoder.layer.{i}.…``) and the heads
(``tone.negative.weight``/``.bias``, ``tone.sarcasm.…``), with metadata (``format``, ``layers``,
``max_length``, ``heads``, ``base_model_sha256``). The word-piece, position and token-type
embeddings were frozen in training, so they are not in the file: they are read from the
sentence encoder package (provenance-checked, :func:`bot.nlu.encoder.minilm.locate_model`), and
the file says which base file it was trained on (its SHA-256 must match).

The forward pass is the sentence encoder's own (:func:`bot.nlu.encoder.minilm.mean_pooled`) with
fewer layers; the message's mean-pooled vector times each head gives the two log-odds the tone
model adds to its word model's. Texts are cut at ``max_length`` word pieces (64). Cost: ~1/3 of
the full encoder (bench/README.md, "Tone (issue 14): fine-tuned encoder").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from safetensors import safe_open

from bot.nlu.encoder.minilm import (
    EncoderUnavailable,
    WordPieceTokenizer,
    locate_model,
    mean_pooled,
    pin_blas_to_one_thread,
    transposed,
)
from bot.nlu.encoder.provenance import sha256_of

FORMAT = "carebot-tone-minilm-1"
EMBEDDINGS = (
    "embeddings.word_embeddings.weight",
    "embeddings.position_embeddings.weight",
    "embeddings.token_type_embeddings.weight",
    "embeddings.LayerNorm.weight",
    "embeddings.LayerNorm.bias",
)
HEADS = ("tone.negative.weight", "tone.negative.bias", "tone.sarcasm.weight", "tone.sarcasm.bias")
_BASE_DIGESTS: dict[Path, str] = {}


def _read(path: Path, names: Sequence[str] | None = None) -> tuple[dict[str, np.ndarray],
                                                                    dict[str, str]]:
    """Tensors of a safetensors file as float32 (``names``: only those, by suffix-free name or
    with a ``bert.`` prefix), and its metadata."""
    try:
        handle: Any = safe_open(str(path), framework="numpy")
        with handle:
            keys = list(handle.keys())
            metadata = dict(handle.metadata() or {})
            wanted = keys if names is None else [
                k for k in keys if k in names or (k.startswith("bert.") and k[5:] in names)]
            tensors = {k[5:] if k.startswith("bert.") else k:
                       np.asarray(handle.get_tensor(k), dtype=np.float32) for k in wanted}
    except Exception as error:  # noqa: BLE001 - safetensors raises its own error types
        raise EncoderUnavailable(f"{path}: unreadable weights ({error})") from error
    return tensors, metadata


class FineTunedTone:
    """``logits(texts)`` → (log-odds negative, log-odds sarcastic), one per text."""

    def __init__(self, weights: Path, source: str) -> None:
        tuned, metadata = _read(weights)
        if metadata.get("format") != FORMAT:
            raise EncoderUnavailable(f"{weights}: not a {FORMAT} file")
        self.path = weights
        self.layers = int(metadata["layers"])
        self.heads = int(metadata["heads"])
        self.max_length = int(metadata["max_length"])
        self.metadata = metadata
        directory = locate_model(source)
        base = directory / "model.safetensors"
        digest = _BASE_DIGESTS.get(base) or _BASE_DIGESTS.setdefault(base, sha256_of(base))
        if digest != metadata.get("base_model_sha256"):
            raise EncoderUnavailable(
                f"{weights}: trained on another base model ({metadata.get('base_model_sha256')},"
                f" {base} is {digest})")
        embeddings, _ = _read(base, EMBEDDINGS)
        missing = [n for n in (*EMBEDDINGS, *HEADS) if n not in {**embeddings, **tuned}]
        missing += [f"encoder.layer.{i}" for i in range(self.layers)
                    if f"encoder.layer.{i}.output.dense.weight" not in tuned]
        if missing:
            raise EncoderUnavailable(f"{weights}: missing tensors {', '.join(missing)}")
        layer_tensors = {k: v for k, v in tuned.items() if k.startswith("encoder.layer.")}
        self._w = transposed({**embeddings, **layer_tensors})
        self._head_w = np.stack([tuned["tone.negative.weight"], tuned["tone.sarcasm.weight"]], 1)
        self._head_b = np.array([tuned["tone.negative.bias"][0], tuned["tone.sarcasm.bias"][0]],
                                dtype=np.float32)
        self.tokenizer = WordPieceTokenizer.from_file(directory / "tokenizer.json",
                                                      self.max_length)

    def pooled(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """The mean-pooled vectors after the fine-tuned layers (what the heads read)."""
        ids = [self.tokenizer.encode(text) for text in texts]
        out = np.zeros((len(ids), self._head_w.shape[0]), dtype=np.float32)
        if len(ids) <= 16:
            pin_blas_to_one_thread()  # a live message: see minilm.SINGLE_THREAD_BELOW
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = mean_pooled(self._w, [ids[i] for i in chunk], self.layers, self.heads)
        return out

    def logits(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        if not texts:
            return np.zeros(0), np.zeros(0)
        z = self.pooled(texts) @ self._head_w + self._head_b
        return np.asarray(z[:, 0], dtype=np.float64), np.asarray(z[:, 1], dtype=np.float64)


_SHARED: dict[tuple[Path, str], FineTunedTone] = {}


def shared_finetuned(weights: Path, source: str) -> FineTunedTone:
    """One model per file per process (the embeddings table is ~47 MB)."""
    key = (weights.resolve(), source)
    found = _SHARED.get(key)
    if found is None:
        found = _SHARED[key] = FineTunedTone(weights, source)
    return found
