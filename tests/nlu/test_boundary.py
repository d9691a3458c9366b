"""bot.nlu.boundary.model: the kNN-margin boundary around each FAQ, on synthetic vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.nlu.boundary.model import OUT_OF_SCOPE, FaqBoundary


def cluster(rng: np.random.Generator, centre: np.ndarray, n: int, spread: float) -> np.ndarray:
    return centre + spread * rng.standard_normal((n, len(centre)))


@pytest.fixture()
def data() -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    dim = 16
    centres = {name: rng.standard_normal(dim) for name in ("shipping", "returns", "oos")}
    vectors = np.vstack([
        cluster(rng, centres["shipping"], 30, 0.3),
        cluster(rng, centres["returns"], 30, 0.3),
        cluster(rng, centres["oos"], 60, 0.3),
    ])  # fmt: skip
    labels = ["shipping"] * 30 + ["returns"] * 30 + [OUT_OF_SCOPE] * 60
    return vectors, labels, centres


def test_inside_near_the_faq_outside_near_out_of_scope(data) -> None:  # type: ignore[no-untyped-def]
    vectors, labels, centres = data
    boundary = FaqBoundary(k=2, alpha=0.05).fit(vectors, labels)
    near_faq = boundary.score(centres["shipping"] + 0.05, "shipping")
    near_oos = boundary.score(centres["oos"] + 0.05, "shipping")
    assert near_faq is not None and near_faq.inside
    assert near_faq.p_value > 0.05
    assert near_oos is not None and not near_oos.inside
    assert near_oos.margin < near_oos.threshold
    # Between the FAQ and what is out of scope, the side that is nearer wins.
    towards_oos = boundary.score(0.2 * centres["shipping"] + 0.8 * centres["oos"], "shipping")
    assert towards_oos is not None and not towards_oos.inside


def test_an_faq_the_boundary_does_not_know_gets_no_verdict(data) -> None:  # type: ignore[no-untyped-def]
    vectors, labels, centres = data
    boundary = FaqBoundary().fit(vectors, labels)
    assert boundary.score(centres["shipping"], "gift_cards") is None


def test_threshold_keeps_about_1_minus_alpha_of_held_out_examples(data) -> None:  # type: ignore[no-untyped-def]
    vectors, labels, _ = data
    boundary = FaqBoundary(k=2, alpha=0.1, slack=1.0).fit(vectors, labels)
    for key in ("shipping", "returns"):
        held = np.asarray(boundary.calibration[key])
        assert len(held) == 30
        inside = float(np.mean(held >= boundary.thresholds[key]))
        assert 0.85 <= inside <= 0.95


def test_held_out_scores_never_see_the_example_itself() -> None:
    # Two identical FAQ examples and one far away: leave-one-out keeps each from matching
    # itself (similarity 1), but the twin still matches.
    oos = np.array([[0.0, 1.0, 0.0]])
    faq = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    boundary = FaqBoundary(k=1, alpha=0.5).fit(np.vstack([faq, oos]), ["a", "a", "a", OUT_OF_SCOPE])
    held = boundary.calibration["a"]
    assert held[0] == pytest.approx(1.0)  # its twin: similarity 1, out-of-scope: 0
    assert held[2] == pytest.approx(0.0)  # nearest other example: 0, out-of-scope: 0


def test_needs_out_of_scope_and_faq_examples() -> None:
    with pytest.raises(ValueError, match="out_of_scope"):
        FaqBoundary().fit(np.eye(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match="FAQ"):
        FaqBoundary().fit(np.eye(2), [OUT_OF_SCOPE, OUT_OF_SCOPE])
    with pytest.raises(ValueError, match="alpha"):
        FaqBoundary(alpha=0.0).fit(np.eye(2), ["a", OUT_OF_SCOPE])


def test_save_and_load_give_the_same_verdicts(tmp_path: Path, data) -> None:  # type: ignore[no-untyped-def]
    vectors, labels, centres = data
    boundary = FaqBoundary(k=2, alpha=0.05).fit(vectors, labels)
    boundary.save(tmp_path / "b")
    loaded = FaqBoundary.load(tmp_path / "b")
    assert loaded.thresholds == pytest.approx(boundary.thresholds)
    for probe in (centres["shipping"], centres["oos"], (centres["returns"] + centres["oos"]) / 2):
        a, b = boundary.score(probe, "returns"), loaded.score(probe, "returns")
        assert a is not None and b is not None
        assert a.inside == b.inside
        assert a.margin == pytest.approx(b.margin, abs=2e-3)  # vectors stored as float16
