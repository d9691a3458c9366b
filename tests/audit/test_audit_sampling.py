"""bot.audit.sampling and bot.audit.precision: pure functions."""

from __future__ import annotations

import math

import pytest

from bot.audit.precision import describe, estimate, report, wilson
from bot.audit.sampling import choose, draw, low_confidence


def test_draw_is_fixed_by_the_key_and_uniform() -> None:
    assert draw("rest:a\x00m1") == draw("rest:a\x00m1")
    values = [draw(f"rest:x\x00{i}") for i in range(20_000)]
    assert all(0.0 <= v < 1.0 for v in values)
    # uniform: each tenth holds about a tenth (binomial sd ~ 42 of 2000)
    for tenth in range(10):
        share = sum(1 for v in values if tenth / 10 <= v < (tenth + 1) / 10)
        assert abs(share - 2000) < 250, (tenth, share)
    # a 5% rate draws about 5%
    assert abs(sum(v < 0.05 for v in values) / len(values) - 0.05) < 0.006


def test_choose_by_rate_and_low_confidence() -> None:
    key = next(f"k{i}" for i in range(1000) if draw(f"k{i}") < 0.05)
    other = next(f"k{i}" for i in range(1000) if draw(f"k{i}") >= 0.05)
    assert choose(key, 0.05, False).reasons == ["sample"]
    assert not choose(other, 0.05, False).audited
    assert choose(other, 0.05, True).reasons == ["low_confidence"]
    assert choose(key, 0.05, True).reasons == ["sample", "low_confidence"]
    assert not choose(key, 0.0, False).audited  # rate 0: never
    assert choose(other, 1.0, False).sampled  # rate 1: always


def test_low_confidence_is_a_margin_above_either_threshold() -> None:
    assert low_confidence(0.92, 0.99, 0.9, 0.9, 0.05)  # intent within the margin
    assert low_confidence(0.99, 0.94, 0.9, 0.9, 0.05)  # the FAQ answer's own
    assert not low_confidence(0.95, 0.95, 0.9, 0.9, 0.05)  # at the margin: not low
    assert not low_confidence(0.91, None, 0.9, 0.9, 0.0)  # margin 0: off
    assert not low_confidence(0.99, None, 0.9, 0.9, 0.05)  # not an FAQ answer


def test_wilson_interval_known_values() -> None:
    low, high = wilson(95, 100) or (0, 0)
    # reference: Wilson 95% for 95/100 = [0.8882, 0.9785]
    assert math.isclose(low, 0.8882, abs_tol=5e-4) and math.isclose(high, 0.9785, abs_tol=5e-4)
    low, high = wilson(10, 10) or (0, 0)
    assert high == 1.0 and math.isclose(low, 0.7225, abs_tol=5e-4)  # never "certain"
    low, high = wilson(0, 4) or (0, 0)
    assert low == 0.0 and math.isclose(high, 0.4899, abs_tol=5e-4)
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(5, 4)


def test_report_uses_the_rate_sample_and_keeps_low_confidence_apart() -> None:
    tally = {"sampled": 40, "low": 12, "sample:right": 38, "sample:wrong": 2,
             "low:right": 6, "low:wrong": 6}
    data = report(tally, pending=3, days=30)
    assert data["precision"] == estimate(38, 2)
    assert data["precision"]["precision"] == 0.95
    assert data["low_confidence_precision"]["precision"] == 0.5
    assert (data["sampled"], data["low_confidence"], data["pending"]) == (40, 12, 3)
    line = describe(data)
    assert "95.0%" in line and "38 right / 40 checked" in line and "50.0% (6/12)" in line
    assert "no sampled answer" in describe(report({}, 0, 7))
    assert estimate(0, 0) == {"right": 0, "wrong": 0, "verdicts": 0, "precision": None,
                              "low": None, "high": None}
