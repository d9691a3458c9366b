"""Hand-written tone cues and a lexicon sentiment score, as dense features for the tone model.

``Lexicon.cues(text)`` finds every cue in one message (the project's own word lists in
``bot/nlu/lexicons/*.txt``, negation, intensifiers, contrast, durations, shouting, emoji,
hashtags) plus VADER's sentiment scores; ``Lexicon.features(texts)`` turns them into the dense
columns the linear models use next to their n-grams; ``Lexicon.signals(text)`` lists the cues
that fired in words an agent can read.

VADER: ``vadersentiment==3.3.2`` from PyPI (C.J. Hutto, MIT licence). Its lexicon
(``vader_lexicon.txt``, ``emoji_utf8_lexicon.txt``) ships inside the wheel; nothing is
downloaded at run time. It is a general-purpose social-media sentiment lexicon, not trained on
any of the evaluation sets this project measures on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

LEXICON_DIR = Path(__file__).resolve().parent.parent / "lexicons"
_WORD = re.compile(r"[a-z0-9*'/]+")
_ELONGATED = re.compile(r"([a-z])\1{2,}", re.IGNORECASE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_CLAUSE = re.compile(r"[,.;:!?()\n]+|\s-\s|\bbut\b")
_HASHTAG = re.compile(r"#\w+")
_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
# "3 hours", "45 mins", "two days", "2hrs": how long someone waited is a complaint by itself.
_DURATION = re.compile(
    r"\b(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|several|many|few)\s*"
    r"(\+\s*)?(hours?|hrs?|h|minutes?|mins?|days?|weeks?|wks?|months?)\b",
    re.IGNORECASE,
)
NEGATORS = frozenset(
    "not no never nobody nothing none nowhere neither nor cannot cant can't dont don't doesnt "
    "doesn't didnt didn't isnt isn't wasnt wasn't arent aren't werent weren't wont won't "
    "wouldnt wouldn't couldnt couldn't shouldnt shouldn't havent haven't hasnt hasn't hadnt "
    "hadn't without".split()
)
INTENSIFIERS = frozenset(
    "so very really too absolutely totally completely extremely seriously literally utterly "
    "incredibly ridiculously insanely super such".split()
)
CONTRAST = frozenset("but however though although yet except".split())
# Per-emoji polarity the lexicon kinds blur: the eye-roll and the clown mock (the corpus never
# uses them calmly), while 😂 🤣 💀 👏, also "sarcasm" emoji, are as often friendly.
MOCKERY = ("🙄", "🤡")
# The number of dense columns ``Lexicon.features`` returns (checked by the tests).
N_FEATURES = 29
# What each column means, in words an agent can read (the ticket's top contributing cues).
FEATURE_NAMES = (
    "complaint words", "praise words", "sarcasm markers", "angry emoji", "eye-roll/clown emoji",
    "happy emoji", "praise next to complaint words", "shouting", "exclamation marks",
    "question marks", "elongated words", "negative wording (VADER)", "positive wording (VADER)",
    "negative share (VADER)", "positive share (VADER)", "negative overall (VADER)", "negations",
    "negated praise", "denied complaint", "intensifiers", "contrast words", "problem situations",
    "durations", "positive surface + complaint", "hashtags", "capitalised words",
    "handles or links", "length", "eye-roll or clown emoji",
)


def _read_list(path: Path) -> list[str]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line.lower())
    return entries


@lru_cache(maxsize=1)
def vader() -> SentimentIntensityAnalyzer:
    """VADER's analyser (reads its lexicon from the installed wheel once per process)."""
    return SentimentIntensityAnalyzer()


def _vader_text(raw: str) -> str:
    """VADER reads hashtags as words (``#fail`` → ``fail``) and ignores handles and links."""
    text = _URL.sub(" ", raw)
    text = _MENTION.sub(" ", text)
    return text.replace("#", " ")


@dataclass(frozen=True)
class Lexicon:
    """The cue lists in ``bot/nlu/lexicons``."""

    negative: tuple[str, ...]
    positive: tuple[str, ...]
    sarcasm: tuple[str, ...]
    problem: tuple[str, ...]
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
            problem=tuple(_read_list(directory / "problem.txt")),
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

    def _negated_positive(self, words: list[str]) -> list[str]:
        """Positive words with a negator up to three words before them ("not happy",
        "didn't really help")."""
        positive = set(self.positive)
        found = []
        for i, word in enumerate(words):
            if word in positive:
                negators = [w for w in words[max(0, i - 3) : i] if w in NEGATORS]
                if negators:
                    found.append(f"{negators[-1]} … {word}")
        return found

    def _negated_negative(self, words: list[str]) -> list[str]:
        """Complaint words right after a negator ("not angry", "no complaints")."""
        negative = {w for w in self.negative if " " not in w}
        return [
            f"{words[i - 1]} {w}"
            for i, w in enumerate(words)
            if i > 0 and w in negative and words[i - 1] in NEGATORS
        ]

    def _cues(self, raw: str) -> dict[str, Any]:
        raw = raw.translate(_APOSTROPHES)  # phones type "don’t": the cues and VADER expect "don't"
        text = " ".join(raw.lower().split())
        words = _WORD.findall(text)
        clauses = _CLAUSE.split(text)
        tokens = set(words)
        letters = [c for c in raw if c.isalpha()]
        upper = sum(1 for c in letters if c.isupper())
        emoji_kinds = {"negative": [], "sarcasm": [], "positive": []}  # type: dict[str, list[str]]
        for symbol, kind in self.emoji.items():
            if symbol in raw:
                emoji_kinds.setdefault(kind, []).append(symbol)
        sentiment = vader().polarity_scores(_vader_text(raw))
        return {
            "negative": self._hits(text, tokens, self.negative),
            "positive": self._hits(text, tokens, self.positive),
            "sarcasm": self._hits(text, tokens, self.sarcasm),
            "problem": self._hits(text, tokens, self.problem),
            # negation reaches to the end of its clause: "hasn't moved, love that" is not negated
            "negated_positive": [
                hit for clause in clauses for hit in self._negated_positive(_WORD.findall(clause))
            ],
            "negated_negative": [
                hit for clause in clauses for hit in self._negated_negative(_WORD.findall(clause))
            ],
            "negations": sum(1 for w in words if w in NEGATORS),
            "intensifiers": sum(1 for w in words if w in INTENSIFIERS),
            "contrast": sum(1 for w in words if w in CONTRAST),
            "durations": [m.group(0) for m in _DURATION.finditer(raw)],
            "emoji": emoji_kinds,
            "caps_ratio": upper / len(letters) if len(letters) >= 8 else 0.0,
            "caps_words": len(_CAPS_WORD.findall(raw)),
            "exclamations": raw.count("!"),
            "questions": raw.count("?"),
            "elongated": len(_ELONGATED.findall(raw)),
            "hashtags": len(_HASHTAG.findall(raw)),
            "mentions": len(_MENTION.findall(raw)),
            "urls": len(_URL.findall(raw)),
            "words": len(words),
            "vader": sentiment,
        }

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """``N_FEATURES`` dense columns per text, each roughly in 0..1."""
        rows = []
        for raw in texts:
            c = self.cues(raw)
            neg = max(0, len(c["negative"]) - len(c["negated_negative"]))  # "not angry"
            pos = max(0, len(c["positive"]) - len(c["negated_positive"]))  # "not happy"
            sar = len(c["sarcasm"])
            prob = len(c["problem"]) + len(c["durations"])
            emo = c["emoji"]
            v = c["vader"]
            compound = float(v["compound"])
            positive_surface = bool(pos or emo["positive"] or compound > 0.3)
            complaint = bool(neg or prob or emo["negative"] or c["negated_positive"])
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
                    max(0.0, -compound),
                    max(0.0, compound),
                    float(v["neg"]),
                    float(v["pos"]),
                    1.0 if compound <= -0.05 else 0.0,
                    min(c["negations"], 3) / 3,
                    min(len(c["negated_positive"]), 2) / 2,
                    min(len(c["negated_negative"]), 2) / 2,
                    min(c["intensifiers"], 3) / 3,
                    min(c["contrast"], 2) / 2,
                    min(len(c["problem"]), 4) / 2,
                    min(len(c["durations"]), 2) / 2,
                    1.0 if positive_surface and complaint else 0.0,
                    min(c["hashtags"], 3) / 3,
                    min(c["caps_words"], 3) / 3,
                    1.0 if c["mentions"] or c["urls"] else 0.0,
                    min(math.log1p(c["words"]) / 4.0, 1.0),
                    min(sum(raw.count(e) for e in MOCKERY), 2) / 1.0,
                ]
            )
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), N_FEATURES)

    def signals(self, raw: str) -> list[str]:
        """Readable reasons for an agent: which cues fired."""
        c = self.cues(raw)
        out = [f"negative word: {w}" for w in c["negative"][:4]]
        out += [f"negated praise: {w}" for w in c["negated_positive"][:2]]
        out += [f"sarcasm marker: {w}" for w in c["sarcasm"][:3]]
        out += [f"problem: {w}" for w in (c["problem"] + c["durations"])[:3]]
        out += [
            f"{kind} emoji: {''.join(symbols)}" for kind, symbols in c["emoji"].items() if symbols
        ]
        praise = len(c["positive"]) > len(c["negated_positive"])
        if praise and (
            c["negative"] or c["problem"] or c["emoji"]["negative"] or c["emoji"]["sarcasm"]
        ):
            out.append("positive words next to a complaint")
        if c["caps_ratio"] > 0.6 or c["caps_words"] >= 2:
            out.append("shouting (ALL CAPS)")
        if c["exclamations"] >= 3:
            out.append("many exclamation marks")
        compound = float(c["vader"]["compound"])
        if compound <= -0.5:
            out.append(f"strongly negative wording (VADER {compound:+.2f})")
        return out


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.load()
