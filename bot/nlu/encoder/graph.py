"""MiniLM's forward pass as one TensorFlow graph: the same arithmetic as
:func:`bot.nlu.encoder.minilm.mean_pooled`, run on TensorFlow's oneDNN kernels.

Why: the encoder is the slowest step of a parse (the cascade re-scores uncertain messages with
it, the FAQ boundary gate reads its vector) and of a training (every example is encoded once).
NumPy's OpenBLAS 0.3.20 runs its AVX2 kernel on these AVX-512 machines; TensorFlow, installed
with Rasa 3.6 anyway, multiplies with oneDNN. Measured on BANKING77 texts, one thread, the same
weights (bench/README.md, "Encoder runtime"): one message 14.5 → 8.0 ms CPU (p50), batches of
64 14.4 → 7.6 ms a text; largest difference in a vector component 1.6e-7 (float32 rounding).

Nothing here changes TensorFlow's process-wide settings: how many threads its kernels use is
Rasa's own ``TF_INTRA_OP_PARALLELISM_THREADS`` / ``TF_INTER_OP_PARALLELISM_THREADS``, which
the serving entry point (``bot.rasa_ext.serve``) sets to 1 (a live message is small: a second
thread buys little and costs a lot when the other core is busy).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from typing import Any, Mapping, Sequence

import numpy as np

RUNTIMES = ("auto", "tensorflow", "numpy")
"""``CAREBOT_ENCODER_RUNTIME``: ``auto`` = TensorFlow where it is already loaded (every Rasa
process: the server, a training, the benchmarks: Rasa's component registry imports it), else
NumPy (a ``carebot faq check`` does not pay TensorFlow's ~430 MB and seconds of start-up for a
few thousand cached vectors); ``numpy`` = the reference implementation in
``bot.nlu.encoder.minilm``; ``tensorflow`` = always the graph."""


def tensorflow_loaded() -> bool:
    """Whether this process has imported TensorFlow (and it can be used)."""
    return "tensorflow" in sys.modules and importlib.util.find_spec("tensorflow") is not None


class GraphForward:
    """``mean_pooled`` (embeddings, ``layers`` BERT layers, mean over each text's tokens, not
    normalised) as one traced ``tf.function`` over padded ids and a mask: one graph for every
    batch size and length. ``weights`` as :func:`bot.nlu.encoder.minilm.transposed` gives
    them."""

    def __init__(self, weights: Mapping[str, np.ndarray], layers: int, heads: int) -> None:
        import tensorflow as tf

        self._tf = tf
        w = {k: tf.constant(np.asarray(v, dtype=np.float32)) for k, v in weights.items()}
        dimension = int(weights["embeddings.word_embeddings.weight"].shape[1])
        size = dimension // heads
        scale = 1.0 / math.sqrt(size)

        def norm(x: Any, name: str) -> Any:
            mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
            return (x - mean) * tf.math.rsqrt(variance + 1e-12) * w[name + ".weight"] + \
                w[name + ".bias"]

        def dense(x: Any, name: str) -> Any:
            return tf.matmul(x, w[name + ".weight"]) + w[name + ".bias"]

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32),
                                      tf.TensorSpec([None, None], tf.float32)])
        def forward(ids: Any, mask: Any) -> Any:
            n, length = tf.shape(ids)[0], tf.shape(ids)[1]

            def split_heads(x: Any) -> Any:
                return tf.transpose(tf.reshape(x, [n, length, heads, size]), [0, 2, 1, 3])

            x = (tf.gather(w["embeddings.word_embeddings.weight"], ids)
                 + w["embeddings.position_embeddings.weight"][:length][None]
                 + w["embeddings.token_type_embeddings.weight"][0])
            x = norm(x, "embeddings.LayerNorm")
            blocked = ((1.0 - mask) * -1e9)[:, None, None, :]
            for layer in range(layers):
                p = f"encoder.layer.{layer}."
                q = split_heads(dense(x, p + "attention.self.query"))
                k = split_heads(dense(x, p + "attention.self.key"))
                v = split_heads(dense(x, p + "attention.self.value"))
                attention = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) * scale + blocked)
                context = tf.reshape(tf.transpose(tf.matmul(attention, v), [0, 2, 1, 3]),
                                     [n, length, dimension])
                x = norm(dense(context, p + "attention.output.dense") + x,
                         p + "attention.output.LayerNorm")
                hidden = tf.nn.gelu(dense(x, p + "intermediate.dense"), approximate=False)
                x = norm(dense(hidden, p + "output.dense") + x, p + "output.LayerNorm")
            return tf.reduce_sum(x * mask[..., None], 1) / tf.reduce_sum(mask, 1, keepdims=True)

        self._forward = forward

    def __call__(self, batch: Sequence[list[int]]) -> np.ndarray:
        ids, mask = padded(batch)
        return np.asarray(self._forward(self._tf.constant(ids), self._tf.constant(mask)))


def padded(batch: Sequence[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids padded with 0 to the longest text (int32) and the mask of real tokens
    (float32): what both forward passes read."""
    n, length = len(batch), max(len(ids) for ids in batch)
    ids = np.zeros((n, length), dtype=np.int32)
    mask = np.zeros((n, length), dtype=np.float32)
    for row, token_ids in enumerate(batch):
        ids[row, : len(token_ids)] = token_ids
        mask[row, : len(token_ids)] = 1.0
    return ids, mask
