"""Confidence calibration: one softmax temperature fitted on out-of-fold predictions.

A linear model's raw probabilities mean different things on different data: on the shipped FAQ
set (a few dozen labels, ~30 examples each) a right answer often scores 0.5-0.8, on BANKING77
(77 labels, ~100 examples each) the same share of right answers scores above 0.9. The answer
thresholds in ``config/escalation.yml`` can only mean "this sure" on both if the probabilities
are calibrated. Temperature scaling (Guo et al. 2017) keeps the ranking of labels for every
message and fixes the scale: ``softmax(scores / T)``, with ``T`` minimising the log-loss of
predictions the model made on examples it did not train on (k-fold cross-validation).
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Sequence

import numpy as np
from scipy.optimize import minimize_scalar

MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 20.0


def stratified_folds(labels: Sequence[str], folds: int, seed: int = 0) -> list[int]:
    """A fold number in ``range(folds)`` per example, each label spread evenly over the folds."""
    if folds < 2:
        raise ValueError("need at least two folds")
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    rng = random.Random(seed)
    out = [0] * len(labels)
    offset = 0
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            out[index] = (position + offset) % folds
        offset += len(indices)  # small labels do not all start in fold 0
    return out


def log_softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    return np.asarray(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))


def fit_temperature(scores: np.ndarray, truth: Sequence[int]) -> float:
    """The temperature ``T`` minimising the mean log-loss of ``softmax(scores / T)``.

    ``scores`` are the model's raw (pre-softmax) scores on examples it was not trained on, one
    row per example; ``truth`` the column of each example's true label (-1: a label the fold's
    model never saw, skipped)."""
    rows = [i for i, t in enumerate(truth) if t >= 0]
    if not rows:
        return 1.0
    s = np.asarray(scores, dtype=np.float64)[rows]
    y = np.asarray([truth[i] for i in rows])

    def loss(log_t: float) -> float:
        logp = log_softmax(s / np.exp(log_t))
        return float(-logp[np.arange(len(y)), y].mean())

    result = minimize_scalar(
        loss, bounds=(np.log(MIN_TEMPERATURE), np.log(MAX_TEMPERATURE)), method="bounded"
    )
    return float(np.exp(result.x))
