"""``config/escalation.yml``, read and checked once; a bad value fails loudly with its path."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from bot.escalation.reasons import Reason

DEFAULT_HANDOFF = "default"


class EscalationConfigError(ValueError):
    """``config/escalation.yml`` holds something carebot cannot use."""


def _reason(code: object, where: str) -> Reason:
    try:
        return Reason(str(code))
    except ValueError:
        raise EscalationConfigError(f"{where}.{code}: unknown reason") from None


def _prob(section: Mapping[str, Any], key: str, where: str) -> float:
    if key not in section:
        raise EscalationConfigError(f"{where}.{key} is missing")
    try:
        value = float(section[key])
    except (TypeError, ValueError):
        raise EscalationConfigError(f"{where}.{key}={section[key]!r}: expected a number") from None
    if not 0.0 <= value <= 1.0:
        raise EscalationConfigError(f"{where}.{key}={value}: expected 0..1")
    return value


@dataclass(frozen=True)
class Thresholds:
    intent_confidence: float
    answer_confidence: float
    ambiguity_margin: float
    negative_tone: float
    sarcasm: float
    sarcasm_negative: float
    human_request: float
    complex_topic: float
    other_language: float
    boundary_confidence: float
    """An FAQ the boundary gate found the message inside (``bot.nlu.boundary``) is answered at
    this intent and answer confidence instead of ``intent_confidence`` / ``answer_confidence``:
    two independent checks (the calibrated classifier, the kNN boundary) stand for one stricter
    one. Without a verdict (no gate, a stock pipeline) the stricter pair applies."""


@dataclass(frozen=True)
class EscalationConfig:
    thresholds: Thresholds
    complex_topics: tuple[str, ...]
    smalltalk: dict[str, str]
    max_answerable_chars: int
    reason_priority: dict[Reason, int]
    urgent_topics: tuple[str, ...]
    very_negative: float
    handoff_responses: dict[Reason, str]
    default_handoff: str
    default_wait_minutes: float
    drafts: dict[Reason, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = "escalation.yml") -> EscalationConfig:
        if not isinstance(raw, Mapping):
            raise EscalationConfigError(f"{where}: expected a mapping at the top level")
        t = raw.get("thresholds") or {}
        thresholds = Thresholds(
            **{name: _prob(t, name, f"{where}: thresholds") for name in Thresholds.__annotations__}
        )
        priority = raw.get("priority") or {}
        reason_priority = {
            _reason(k, f"{where}: priority.reasons"): int(v)
            for k, v in (priority.get("reasons") or {}).items()
        }
        for reason, level in reason_priority.items():
            if not 1 <= level <= 4:
                raise EscalationConfigError(f"{where}: priority.reasons.{reason}={level}: 1..4")
        missing = [r.value for r in Reason if r not in reason_priority]
        if missing:
            raise EscalationConfigError(f"{where}: priority.reasons lacks {', '.join(missing)}")
        handoff_raw = {str(k): str(v) for k, v in (raw.get("handoff_responses") or {}).items()}
        default_handoff = handoff_raw.pop(DEFAULT_HANDOFF, None)
        if default_handoff is None:
            raise EscalationConfigError(f"{where}: handoff_responses.default is missing")
        handoff = {_reason(k, f"{where}: handoff_responses"): v for k, v in handoff_raw.items()}
        drafts = {
            _reason(k, f"{where}: drafts"): str(v) for k, v in (raw.get("drafts") or {}).items()
        }
        max_chars = int(raw.get("max_answerable_chars", 1200))
        if max_chars < 20:
            raise EscalationConfigError(f"{where}: max_answerable_chars={max_chars}: too small")
        return cls(
            thresholds=thresholds,
            complex_topics=tuple(str(x) for x in raw.get("complex_topics") or ()),
            smalltalk={str(k): str(v) for k, v in (raw.get("smalltalk") or {}).items()},
            max_answerable_chars=max_chars,
            reason_priority=reason_priority,
            urgent_topics=tuple(str(x) for x in priority.get("urgent_topics") or ()),
            very_negative=_prob(priority, "very_negative", f"{where}: priority"),
            handoff_responses=handoff,
            default_handoff=default_handoff,
            default_wait_minutes=float(raw.get("default_wait_minutes", 15)),
            drafts=drafts,
        )

    @classmethod
    def load(cls, path: Path) -> EscalationConfig:
        if not path.exists():
            raise EscalationConfigError(f"{path}: file not found")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise EscalationConfigError(f"{path}: not valid YAML: {error}") from None
        return cls.from_dict(raw or {}, where=str(path))


@lru_cache(maxsize=4)
def load_escalation_config(path: Path) -> EscalationConfig:
    """Cached loader (one parse per process and path)."""
    return EscalationConfig.load(path)
