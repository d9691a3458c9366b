"""``bot.nlu.logistic``: the same model as scikit-learn's L-BFGS logistic regression, with the
dense block kept dense, and a warm start that changes the iterations, not the optimum."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from bot.nlu.logistic import balanced_weights, fit_logistic


def _problem(classes: int, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, sparse_width, dense_width = 240, 60, 7
    y = rng.integers(0, classes, size=n)
    y[:classes] = np.arange(classes)  # every class present
    sparse = sp.random(n, sparse_width, density=0.08, random_state=seed, format="csr")
    sparse = sparse + sp.csr_matrix((np.ones(n), (np.arange(n), y * 3 % sparse_width)),
                                    shape=(n, sparse_width))  # a weakly informative column
    dense = rng.normal(size=(n, dense_width)) + 0.4 * y[:, None]
    return sp.csr_matrix(sparse), dense, y


@pytest.mark.parametrize("classes", [2, 4])
def test_same_model_as_scikit_learn(classes: int) -> None:
    sparse, dense, y = _problem(classes)
    reference = LogisticRegression(C=5.0, max_iter=500, class_weight="balanced",
                                   solver="lbfgs", tol=1e-8)
    reference.fit(sp.hstack([sparse, sp.csr_matrix(dense)], format="csr"), y)
    ours = fit_logistic(sparse, dense, y, classes, 5.0, balanced_weights(y, classes),
                        max_iter=500, tol=1e-8)
    coef, intercept = reference.coef_, reference.intercept_
    if classes == 2:  # scikit-learn keeps one row for two classes; we keep [-w/2, w/2]
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    np.testing.assert_allclose(ours.coef, coef, atol=1e-4)
    np.testing.assert_allclose(ours.intercept, intercept, atol=1e-4)
    assert ours.iterations > 0


def test_balanced_weights_are_scikit_learns() -> None:
    y = np.array([0, 0, 0, 1, 2, 2])
    np.testing.assert_allclose(balanced_weights(y, 3), [6 / 9] * 3 + [2.0] + [1.0] * 2)


@pytest.mark.parametrize("classes", [2, 5])
def test_a_warm_start_reaches_the_same_optimum_in_fewer_iterations(classes: int) -> None:
    sparse, dense, y = _problem(classes, seed=3)
    weights = balanced_weights(y, classes)
    cold = fit_logistic(sparse, dense, y, classes, 5.0, weights, max_iter=500, tol=1e-7)
    nudged = (cold.coef * 0.9, cold.intercept * 0.9)
    warm = fit_logistic(sparse, dense, y, classes, 5.0, weights, max_iter=500, tol=1e-7,
                        init=nudged)
    np.testing.assert_allclose(warm.coef, cold.coef, atol=1e-3)
    assert warm.iterations < cold.iterations


def test_sparse_only_and_bad_init_shape() -> None:
    sparse, _, y = _problem(3)
    fit = fit_logistic(sparse, None, y, 3, 1.0)
    assert fit.coef.shape == (3, sparse.shape[1])
    with pytest.raises(ValueError, match="init has shape"):
        fit_logistic(sparse, None, y, 3, 1.0, init=(np.zeros((3, 2)), np.zeros(3)))
    with pytest.raises(ValueError, match="two classes"):
        fit_logistic(sparse, None, np.zeros(len(y), dtype=int), 1, 1.0)


def test_a_text_model_starts_from_another_with_the_same_grams_and_labels() -> None:
    from bot.nlu.text_model import LinearTextModel

    texts = ["where is my parcel", "parcel not here yet", "refund my money please",
             "i want a refund", "hello there", "hi friend"] * 3
    labels = ["track", "track", "refund", "refund", "greet", "greet"] * 3
    source = LinearTextModel(c=10.0).fit(texts, labels)
    target = LinearTextModel(c=10.0).fit(texts[:4] + texts[6:], labels[:4] + labels[6:])
    found = source.weights_for(target._vectorizers, ["greet", "refund", "track", "new"], 2)
    assert found is not None
    coef, intercept = found
    width = sum(len(v.vocabulary_) for v in target._vectorizers)
    assert coef.shape == (4, width + 2)
    assert not coef[3].any() and intercept[3] == 0.0  # a label the source never saw
    assert not coef[:, width:].any()  # dense columns the source did not have
    gram = target._vectorizers[0].vocabulary_["refund"]
    own = source._vectorizers[0].vocabulary_["refund"]
    assert source._coef is not None
    assert coef[1, gram] == pytest.approx(source._coef[source.labels.index("refund"), own])
    # the final fit starting from it stops at the same model as a cold fit
    warm = LinearTextModel(c=10.0).fit(texts, labels, start=source)
    np.testing.assert_allclose(warm.predict_proba(["refund pls", "parcel?"]),
                               source.predict_proba(["refund pls", "parcel?"]), atol=1e-3)
