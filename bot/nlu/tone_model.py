"""Tone and sarcasm scoring: lexicon cues + two linear text models trained on carebot's own corpus.

``ToneModel.score(text)`` returns ``{"negative": p, "sarcasm": p, "label": ..., "signals": [...]}``:
``negative`` is the probability that the message is angry, frustrated or threatening (sarcastic
complaints count as negative), ``sarcasm`` the probability that a positive surface hides a
complaint, ``signals`` the human-readable cues behind the scores (shown to the agent).

Training data: ``data/tone/*.yml`` (``tone: [{text, label, sarcasm}]``), written by the project.
Lexicons: ``bot/nlu/lexicons/*.txt``, written by the project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import yaml

from bot.nlu.text_model import LinearTextModel

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
_WORD = re.compile(r"[a-z0-9*'/]+")
_ELONGATED = re.compile(r"([a-z])\1{2,}", re.IGNORECASE)


def _read_list(path: Path) -> list[str]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line.lower())
    return entries


@dataclass(frozen=True)
class Lexicon:
    """The cue lists in ``bot/nlu/lexicons``."""

    negative: tuple[str, ...]
    positive: tuple[str, ...]
    sarcasm: tuple[str, ...]
    emoji: dict[str, str]

    @classmethod
    def load(cls, directory: Path = LEXICON_DIR) -> Lexicon:
        emoji: dict[str, str] = {}
        for entry in _read_list(directory / "emoji.txt"):
            symbol, _, kind = entry.partition(" ")
            emoji[symbol] = kind.strip()
        return cls(
            negative=tuple(_read_list(directory / "negative.txt")),
            positive=tuple(_read_list(directory / "positive.txt")),
            sarcasm=tuple(_read_list(directory / "sarcasm.txt")),
            emoji=emoji,
        )

    @staticmethod
    def _hits(text: str, tokens: set[str], phrases: Iterable[str]) -> list[str]:
        found = []
        for phrase in phrases:
            if " " in phrase or not phrase.isalnum():
                if phrase in text:
                    found.append(phrase)
            elif phrase in tokens:
                found.append(phrase)
        return found

    def cues(self, raw: str) -> dict[str, Any]:
        """Every cue found in ``raw`` (counts and the matched entries); memoised, since the
        polarity model, the sarcasm model and the signals all ask for the same message."""
        cache: dict[str, dict[str, Any]] = self.__dict__.setdefault("_cache", {})
        found = cache.get(raw)
        if found is None:
            if len(cache) > 512:
                cache.clear()
            found = cache[raw] = self._cues(raw)
        return found

    def _cues(self, raw: str) -> dict[str, Any]:
        text = " ".join(raw.lower().split())
        tokens = set(_WORD.findall(text))
        letters = [c for c in raw if c.isalpha()]
        upper = sum(1 for c in letters if c.isupper())
        emoji_kinds = {"negative": [], "sarcasm": [], "positive": []}  # type: dict[str, list[str]]
        for symbol, kind in self.emoji.items():
            if symbol in raw:
                emoji_kinds.setdefault(kind, []).append(symbol)
        return {
            "negative": self._hits(text, tokens, self.negative),
            "positive": self._hits(text, tokens, self.positive),
            "sarcasm": self._hits(text, tokens, self.sarcasm),
            "emoji": emoji_kinds,
            "caps_ratio": upper / len(letters) if len(letters) >= 8 else 0.0,
            "exclamations": raw.count("!"),
            "questions": raw.count("?"),
            "elongated": len(_ELONGATED.findall(raw)),
        }

    def features(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for raw in texts:
            c = self.cues(raw)
            neg, pos, sar = len(c["negative"]), len(c["positive"]), len(c["sarcasm"])
            emo = c["emoji"]
            rows.append(
                [
                    min(neg, 4) / 2,
                    min(pos, 4) / 2,
                    min(sar, 3) / 1.5,
                    min(len(emo["negative"]), 2),
                    min(len(emo["sarcasm"]), 2),
                    min(len(emo["positive"]), 2),
                    1.0 if (pos or emo["positive"]) and (neg or emo["negative"]) else 0.0,
                    c["caps_ratio"] if c["caps_ratio"] > 0.6 else 0.0,
                    min(c["exclamations"], 4) / 4,
                    min(c["questions"], 4) / 4,
                    min(c["elongated"], 2) / 2,
                ]
            )
        return np.asarray(rows, dtype=np.float64)

    def signals(self, raw: str) -> list[str]:
        """Readable reasons for an agent: which cues fired."""
        c = self.cues(raw)
        out = [f"negative word: {w}" for w in c["negative"][:4]]
        out += [f"sarcasm marker: {w}" for w in c["sarcasm"][:3]]
        out += [
            f"{kind} emoji: {''.join(symbols)}" for kind, symbols in c["emoji"].items() if symbols
        ]
        if c["positive"] and (c["negative"] or c["emoji"]["negative"] or c["emoji"]["sarcasm"]):
            out.append("positive words next to a complaint")
        if c["caps_ratio"] > 0.6:
            out.append("shouting (ALL CAPS)")
        if c["exclamations"] >= 3:
            out.append("many exclamation marks")
        return out


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.load()


def load_corpus(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Read ``tone:`` rows from YAML files or directories of them; fail loudly on bad rows."""
    rows: list[dict[str, Any]] = []
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yml")) if path.is_dir() else [path])
    for file in files:
        document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for i, row in enumerate(document.get("tone", []) or []):
            if not isinstance(row, dict) or not str(row.get("text", "")).strip():
                raise ValueError(f"{file}: tone row {i} has no text")
            label = str(row.get("label", "")).lower()
            if label not in ("negative", "neutral", "positive"):
                raise ValueError(f"{file}: tone row {i} has label {label!r}")
            rows.append(
                {"text": str(row["text"]), "label": label, "sarcasm": bool(row.get("sarcasm"))}
            )
    return rows


@dataclass
class ToneModel:
    """Polarity (negative/neutral/positive) and sarcasm, each a linear model over text + cues."""

    lexicon: Lexicon = field(default_factory=default_lexicon)
    polarity: LinearTextModel | None = None
    sarcasm: LinearTextModel | None = None

    def fit(self, rows: Sequence[dict[str, Any]], c: float = 4.0) -> ToneModel:
        texts = [r["text"] for r in rows]
        self.polarity = LinearTextModel(c=c, extra=self.lexicon.features).fit(
            texts, [r["label"] for r in rows]
        )
        sarcastic = ["yes" if r["sarcasm"] else "no" for r in rows]
        if len(set(sarcastic)) == 2:
            self.sarcasm = LinearTextModel(c=c, extra=self.lexicon.features).fit(texts, sarcastic)
        return self

    def score_many(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        if self.polarity is None:
            raise RuntimeError("tone model is not trained")
        safe = [t or "" for t in texts]
        pol = self.polarity.predict_proba(safe)
        labels = self.polarity.labels
        neg_i = labels.index("negative")
        sar = self.sarcasm.predict_proba(safe) if self.sarcasm is not None else None
        yes_i = self.sarcasm.labels.index("yes") if self.sarcasm is not None else 0
        out = []
        for i, text in enumerate(safe):
            negative = float(pol[i, neg_i])
            sarcasm = float(sar[i, yes_i]) if sar is not None else 0.0
            out.append(
                {
                    "negative": round(negative, 4),
                    "sarcasm": round(sarcasm, 4),
                    "label": labels[int(np.argmax(pol[i]))],
                    "signals": self.lexicon.signals(text),
                }
            )
        return out

    def score(self, text: str) -> dict[str, Any]:
        return self.score_many([text])[0]

    def save(self, directory: Path) -> None:
        if self.polarity is None:
            raise RuntimeError("tone model is not trained")
        self.polarity.save(directory / "polarity")
        if self.sarcasm is not None:
            self.sarcasm.save(directory / "sarcasm")

    @classmethod
    def load(cls, directory: Path) -> ToneModel:
        lexicon = default_lexicon()
        model = cls(lexicon=lexicon)
        model.polarity = LinearTextModel.load(directory / "polarity", extra=lexicon.features)
        if (directory / "sarcasm").exists():
            model.sarcasm = LinearTextModel.load(directory / "sarcasm", extra=lexicon.features)
        return model
