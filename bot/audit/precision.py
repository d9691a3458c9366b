"""Production precision from the supervisors' verdicts: right / (right + wrong), with a Wilson
score interval (95%: z = 1.96), which stays inside [0, 1] and behaves with few verdicts or a
precision near 100% (where the normal approximation would claim certainty).

The estimate uses the rate-sampled answers only (a uniform sample of the bot's FAQ answers);
the low-confidence extras are reported apart (see :mod:`bot.audit`).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

Z95 = 1.959963984540054


def wilson(right: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``right`` out of ``total`` (None when ``total`` is 0)."""
    if total <= 0:
        return None
    if not 0 <= right <= total:
        raise ValueError(f"{right} right out of {total}")
    p = right / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z / (1 + z2 / total) * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    return max(0.0, round(centre - half, 12)), min(1.0, round(centre + half, 12))


def estimate(right: int, wrong: int) -> dict[str, Any]:
    """``{"right", "wrong", "verdicts", "precision", "low", "high"}`` (None without verdicts)."""
    total = right + wrong
    interval = wilson(right, total)
    return {
        "right": right,
        "wrong": wrong,
        "verdicts": total,
        "precision": round(right / total, 4) if total else None,
        "low": round(interval[0], 4) if interval else None,
        "high": round(interval[1], 4) if interval else None,
    }


def _n(tally: Mapping[str, Any], name: str) -> int:
    return int(tally.get(name) or 0)


def report(tally: Mapping[str, Any], pending: int, days: int) -> dict[str, Any]:
    """What ``carebot stats``, the overview and ``GET /api/audit/precision`` show, from the
    summed day tallies (fields of ``{p}:audit:day:*``)."""
    return {
        "days": days,
        "sampled": _n(tally, "sampled"),
        "low_confidence": _n(tally, "low"),
        "pending": pending,
        "precision": estimate(_n(tally, "sample:right"), _n(tally, "sample:wrong")),
        "low_confidence_precision": estimate(_n(tally, "low:right"), _n(tally, "low:wrong")),
        "method": "right/(right+wrong) over the rate-sampled answers, Wilson 95% interval; "
                  "low-confidence extras reported apart",
    }


def describe(report_: Mapping[str, Any]) -> str:
    """One line for a terminal."""
    p = report_["precision"]
    lc = report_["low_confidence_precision"]
    if p["verdicts"]:
        head = (f"answer audit, last {report_['days']} days: production precision "
                f"{p['precision']:.1%} (95% CI {p['low']:.1%}–{p['high']:.1%}, "
                f"{p['right']} right / {p['verdicts']} checked)")
    else:
        head = f"answer audit, last {report_['days']} days: no sampled answer checked yet"
    if lc["verdicts"]:
        head += (f"; low-confidence answers {lc['precision']:.1%} "
                 f"({lc['right']}/{lc['verdicts']})")
    return head + f"; {report_['pending']} waiting for a verdict"
