"""Which bot answers go to the audit: a uniform sample by rate, plus every low-confidence one.

Pure functions (no Redis, no Rasa). The draw is a hash of a key the caller gives (the message
id), not a random generator: the same message is always drawn or not, on any instance, and a
test picks keys that fall either side of the rate. SHA-256 spreads keys uniformly over [0, 1),
independently of what the message says, so the rate-sampled answers are a uniform sample.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

SAMPLE = "sample"
LOW_CONFIDENCE = "low_confidence"


def draw(key: str) -> float:
    """A number in [0, 1) fixed by ``key`` (the first 52 bits of its SHA-256)."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return (int.from_bytes(digest[:8], "big") >> 12) / float(1 << 52)


def low_confidence(
    intent_confidence: float,
    answer_confidence: float | None,
    intent_threshold: float,
    answer_threshold: float,
    margin: float,
) -> bool:
    """Whether an answer was given close to its thresholds: its intent confidence, or the FAQ
    answer's own (``None``: not an FAQ), less than ``margin`` above the threshold."""
    if margin <= 0:
        return False
    # rounded: 0.9 + 0.05 is 0.9500000000000001 in floating point
    if intent_confidence < round(intent_threshold + margin, 9):
        return True
    return answer_confidence is not None and \
        answer_confidence < round(answer_threshold + margin, 9)


@dataclass(frozen=True)
class Choice:
    """Why an answer is audited: drawn by the rate (``sampled``), close to the threshold
    (``low``), both, or neither (not audited)."""

    sampled: bool
    low: bool

    @property
    def audited(self) -> bool:
        return self.sampled or self.low

    @property
    def reasons(self) -> list[str]:
        return [r for r, on in ((SAMPLE, self.sampled), (LOW_CONFIDENCE, self.low)) if on]


def choose(key: str, rate: float, low: bool) -> Choice:
    """Audit this answer? ``rate``: the share drawn (0..1); ``low``: see :func:`low_confidence`."""
    return Choice(sampled=rate > 0 and draw(key) < rate, low=low)
