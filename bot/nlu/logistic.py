"""L2-regularised logistic regression fitted with L-BFGS, for sparse n-grams plus dense columns.

The same model scikit-learn's ``LogisticRegression(solver="lbfgs")`` fits (multinomial for three
or more classes, binomial for two; same objective: the sample-weighted log-loss summed over the
examples plus ``‖W‖² / 2C``, intercept not penalised; same optimiser and stopping rule:
L-BFGS with ``gtol = tol``, ``maxiter = max_iter``, as SciPy's L-BFGS-B stops: here
``bot.nlu.lbfgs``, which does L-BFGS-B's iteration without its overhead), computed differently
where the intent classifier spends its training time:

- the dense block (sentence embeddings: 384 columns, every one non-zero) stays a dense matrix
  multiplied with BLAS, instead of 384 stored entries per row of the sparse matrix (which made
  the embedding stage ~3x slower per iteration than the n-gram stage);
- the sparse block's transpose is built once, not per gradient;
- a fit can start from another fit's weights (``init``): the final model from the calibration
  fold's model, the embedding stage from the n-gram stage. The problem is convex (strictly, with
  the L2 term), so the start changes how many iterations L-BFGS needs, not where it stops:
  both runs stop at the same tolerance around the same optimum.

Measured in bench/README.md ("Training cost").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from bot.nlu.lbfgs import minimize


@dataclass
class LogisticFit:
    """Weights ``coef`` (classes × features, sparse columns first, then dense), ``intercept``
    (classes), and how many L-BFGS iterations the fit took."""

    coef: np.ndarray
    intercept: np.ndarray
    iterations: int


def balanced_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """scikit-learn's ``class_weight="balanced"``: ``n / (classes * count(class))`` per example."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    per_class = len(y) / (n_classes * np.maximum(counts, 1.0))
    return np.asarray(per_class[y], dtype=np.float64)


class _Problem:
    """Loss and gradient of one fit; parameters are ``[W_sparse.T, W_dense.T, b]`` flattened
    (features × classes, C order), so ``X @ W.T`` is a sparse-times-dense product as stored."""

    def __init__(self, sparse: sp.csr_matrix, dense: np.ndarray | None, y: np.ndarray,
                 weights: np.ndarray, classes: int, c: float) -> None:
        self.x = sp.csr_matrix(sparse, dtype=np.float64)
        self.xt = self.x.T.tocsr()
        self.dense = None if dense is None else np.ascontiguousarray(dense, dtype=np.float64)
        self.y = y
        self.weights = weights
        self.k = classes
        self.alpha = 1.0 / c
        self.n_sparse = self.x.shape[1]
        self.n_dense = 0 if self.dense is None else self.dense.shape[1]
        self.rows = np.arange(len(y))

    @property
    def n_weights(self) -> int:
        return (self.n_sparse + self.n_dense) * self.k

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k, s, d = self.k, self.n_sparse, self.n_dense
        return (theta[: s * k].reshape(s, k), theta[s * k : (s + d) * k].reshape(d, k),
                theta[(s + d) * k :])

    def scores(self, theta: np.ndarray) -> np.ndarray:
        w_sparse, w_dense, b = self.split(theta)
        z = np.asarray(self.x @ w_sparse)
        if self.dense is not None:
            z += self.dense @ w_dense
        z += b
        return z

    def multinomial(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        w_sparse, w_dense, _ = self.split(theta)
        z = self.scores(theta)
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        total = z.sum(axis=1)
        true = z[self.rows, self.y]
        loss = float(self.weights @ (np.log(total) - np.log(true)))
        z /= total[:, None]  # probabilities
        z[self.rows, self.y] -= 1.0
        z *= self.weights[:, None]  # per-example gradient of the log-loss
        weights = theta[: self.n_weights]
        loss += 0.5 * self.alpha * float(weights @ weights)
        grad = np.empty_like(theta)
        k, s, d = self.k, self.n_sparse, self.n_dense
        grad[: s * k] = (np.asarray(self.xt @ z) + self.alpha * w_sparse).ravel()
        if self.dense is not None:
            grad[s * k : (s + d) * k] = (self.dense.T @ z + self.alpha * w_dense).ravel()
        grad[(s + d) * k :] = z.sum(axis=0)
        return loss, grad

    def binomial(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        w_sparse, w_dense, _ = self.split(theta)
        z = self.scores(theta)[:, 0]
        y = (self.y == 1).astype(np.float64)
        # log(1 + exp(z)) - y z, computed stably
        loss = float(self.weights @ (np.logaddexp(0.0, z) - y * z))
        g = self.weights * (_expit(z) - y)
        weights = theta[: self.n_weights]
        loss += 0.5 * self.alpha * float(weights @ weights)
        grad = np.empty_like(theta)
        s, d = self.n_sparse, self.n_dense
        grad[:s] = np.asarray(self.xt @ g).ravel() + self.alpha * w_sparse[:, 0]
        if self.dense is not None:
            grad[s : s + d] = self.dense.T @ g + self.alpha * w_dense[:, 0]
        grad[s + d :] = g.sum()
        return loss, grad


def _expit(z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1.0 + e)
    return out


def fit_logistic(
    sparse: sp.spmatrix,
    dense: np.ndarray | None,
    y: np.ndarray,
    n_classes: int,
    c: float,
    sample_weight: np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-4,
    init: tuple[np.ndarray, np.ndarray] | None = None,
) -> LogisticFit:
    """Fit on ``[sparse | dense]`` with labels ``y`` (0..n_classes-1).

    ``init``: ``(coef, intercept)`` to start from (``coef`` classes × features in the same
    column order; for two classes as returned here, i.e. two rows ``[-w/2, w/2]``)."""
    if n_classes < 2:
        raise ValueError("need at least two classes")
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    binary = n_classes == 2
    problem = _Problem(sp.csr_matrix(sparse), dense, np.asarray(y, dtype=np.int64), weights,
                       1 if binary else n_classes, c)
    theta0 = np.zeros(problem.n_weights + problem.k)
    if init is not None:
        coef, intercept = init
        if binary:  # two rows [-w/2, w/2] -> w
            coef, intercept = (coef[1] - coef[0])[None, :], (intercept[1:] - intercept[:1])
        features = problem.n_sparse + problem.n_dense
        if coef.shape != (problem.k, features):
            raise ValueError(f"init has shape {coef.shape}, expected {(problem.k, features)}")
        theta0[: problem.n_weights] = np.asarray(coef, dtype=np.float64).T.ravel()
        theta0[problem.n_weights :] = intercept
    result = minimize(problem.binomial if binary else problem.multinomial, theta0,
                      gtol=tol, maxiter=max_iter)
    w_sparse, w_dense, b = problem.split(result.x)
    coef = np.hstack([w_sparse.T, w_dense.T]) if problem.n_dense else w_sparse.T.copy()
    intercept = np.array(b, dtype=np.float64)
    if binary:  # the softmax form the text model keeps: [-w/2, w/2]
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return LogisticFit(coef=coef, intercept=intercept, iterations=int(result.nit))
