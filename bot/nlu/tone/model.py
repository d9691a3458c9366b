"""Tone and sarcasm scoring: lexicon cues + two linear text models trained on carebot's own corpus.

``ToneModel.score(text)`` returns ``{"negative": p, "sarcasm": p, "label": ..., "signals": [...]}``:
``negative`` is the probability that the message is angry, frustrated or threatening (sarcastic
complaints count as negative), ``sarcasm`` the probability that a positive surface hides a
complaint, ``signals`` the human-readable cues behind the scores (shown to the agent).

Training data: ``data/tone/*.yml`` (``tone: [{text, label, sarcasm}]``), written by the project.
Cues and features: ``bot.nlu.tone.features`` (the project's lexicons in
``bot/nlu/lexicons/*.txt`` + VADER's sentiment scores).

With ``embedding_source`` (the ToneScorer's ``sentence_encoder``), a second, small model reads
the message through all-MiniLM-L6-v2's word-piece embeddings (``bot.nlu.tone.embedding``: a
table look-up, not the encoder) and its log-odds are added to the n-gram model's:
``negative = sigmoid(logit(n-gram model + VADER blend) + embedding log-odds)``, the same for
``sarcasm``. The signals then end with both models' own scores and the words and cues that
pushed the message towards its tone.

With ``finetuned_weights`` (the ToneScorer's ``finetuned_encoder``), a third model adds its
log-odds the same way: MiniLM's first layers fine-tuned on this corpus with a negative and a
sarcastic head (``bot.nlu.tone.finetuned``; trained by ``bench/tone_finetune.py`` in a separate
PyTorch venv, run here in NumPy). The weights file is copied into the saved model.
"""

from __future__ import annotations

import json
import math
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import yaml

from bot.nlu.encoder.minilm import DEFAULT_PACKAGE
from bot.nlu.text_model import LinearTextModel
from bot.nlu.tone.embedding import EmbeddingHead, TokenEmbeddings, shared_token_embeddings
from bot.nlu.tone.features import FEATURE_NAMES, N_FEATURES, Lexicon, default_lexicon
from bot.nlu.tone.finetuned import FineTunedTone, shared_finetuned

__all__ = ["Lexicon", "ToneModel", "default_lexicon", "load_corpus"]

FINETUNED_FILE = "finetuned.safetensors"


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


Fits = tuple["LinearTextModel | None", "LinearTextModel | None"]
"""The polarity and the sarcasm model of a training (either may be missing)."""


@dataclass
class ToneModel:
    """Polarity (negative/neutral/positive) and sarcasm, each a linear model over text + cues."""

    lexicon: Lexicon = field(default_factory=default_lexicon)
    polarity: LinearTextModel | None = None
    sarcasm: LinearTextModel | None = None
    feature_scale: float = 1.0
    """Multiplies the dense cue columns: larger = less regularised = cues weigh more than the
    n-grams (which only know the corpus' wording)."""
    vader_weight: float = 4.0
    """``negative`` = sigmoid(logit(polarity model's P(negative)) - vader_weight * VADER compound).
    The linear model learns from our corpus, where its own n-grams separate the labels, so it
    leans on VADER less than unfamiliar text needs; this blend keeps a fixed share of the
    general-purpose lexicon score in the result (0 = the linear model alone)."""
    sarcasm_discount: bool = True
    """VADER cannot read sarcasm: its *praise* counts in the blend only as much as the message
    is not sarcastic (``compound × (1 − sarcasm)`` when compound > 0), so "your 'free returns'
    cost me £8, cheers" is not made calm by "free" and "cheers" (bench/README.md, issue 14)."""
    embedding_source: str | None = None
    """The sentence encoder whose word-piece table feeds ``head`` (None: n-grams only)."""
    head: EmbeddingHead | None = None
    embeddings: TokenEmbeddings | None = field(default=None, repr=False)
    finetuned: FineTunedTone | None = field(default=None, repr=False)
    """The fine-tuned encoder whose log-odds are added too (None: not used)."""
    finetuned_source: str | None = None
    """The sentence encoder package/directory the fine-tuned layers read embeddings from."""

    def _dense(self, texts: Sequence[str]) -> np.ndarray:
        return self.lexicon.features(texts) * self.feature_scale

    def fit(
        self,
        rows: Sequence[dict[str, Any]],
        c: float = 4.0,
        feature_scale: float | None = None,
        char_min_df: int = 1,
        vader_weight: float | None = None,
        embedding_source: str | None = None,
        embedding_c: float = 0.3,
        finetuned_weights: str | Path | None = None,
        previous: Fits | None = None,
    ) -> ToneModel:
        """``previous``: the polarity and sarcasm models of an earlier training, where their
        fits start (``bot.nlu.fit_memory``): the same optimum, fewer iterations."""
        if vader_weight is not None:
            if not 0 <= vader_weight <= 20:
                raise ValueError(f"vader_weight={vader_weight}: expected 0..20")
            self.vader_weight = float(vader_weight)
        if feature_scale is not None:
            if feature_scale <= 0:
                raise ValueError(f"feature_scale={feature_scale}: expected > 0")
            self.feature_scale = float(feature_scale)
        texts = [r["text"] for r in rows]
        cues = self._dense(texts)  # VADER and the cue lists: once for both models
        sarcastic = ["yes" if r["sarcasm"] else "no" for r in rows]
        self.embedding_source = embedding_source or None
        self.head = None
        if self.embedding_source:
            self.embeddings = shared_token_embeddings(self.embedding_source)  # fails loudly

        def polarity() -> LinearTextModel:
            return LinearTextModel(c=c, char_min_df=char_min_df, extra=self._dense).fit(
                texts, [r["label"] for r in rows], dense=cues,
                start=None if previous is None else previous[0])

        def sarcasm_and_head() -> tuple[LinearTextModel | None, EmbeddingHead | None]:
            model = None
            if len(set(sarcastic)) == 2:
                model = LinearTextModel(c=c, char_min_df=char_min_df, extra=self._dense).fit(
                    texts, sarcastic, dense=cues,
                    start=None if previous is None else previous[1])
            head = None
            if self.embeddings is not None and self.embedding_source:
                head = EmbeddingHead.fit(
                    self.embeddings, texts, [r["label"] == "negative" for r in rows],
                    [bool(r["sarcasm"]) for r in rows], c=embedding_c)
            return model, head

        # Two threads: the solvers spend their time in SciPy/NumPy code that releases the GIL.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tone-fit") as pool:
            first = pool.submit(polarity)
            second = pool.submit(sarcasm_and_head)
            self.polarity = first.result()
            self.sarcasm, self.head = second.result()
        self.finetuned = None
        self.finetuned_source = None
        if finetuned_weights:  # trained elsewhere (bench/tone_finetune.py): loaded, not fitted
            self.finetuned_source = self.embedding_source or DEFAULT_PACKAGE
            self.finetuned = shared_finetuned(Path(finetuned_weights), self.finetuned_source)
        return self

    def score_many(self, texts: Sequence[str], explain: bool = True) -> list[dict[str, Any]]:
        """``{"negative", "sarcasm", "label", "signals"}`` per text; ``explain=False`` leaves the
        model-level signals out (benchmarks scoring thousands of rows)."""
        if self.polarity is None:
            raise RuntimeError("tone model is not trained")
        safe = [t or "" for t in texts]
        pol = self.polarity.predict_proba(safe)
        labels = self.polarity.labels
        neg_i = labels.index("negative")
        sar = self.sarcasm.predict_proba(safe) if self.sarcasm is not None else None
        yes_i = self.sarcasm.labels.index("yes") if self.sarcasm is not None else 0
        head_neg = head_sar = None
        if self.head is not None and self.embeddings is not None:
            head_neg, head_sar = self.head.logits(self.embeddings.vectors(safe, self.head.idf))
        tuned_neg = tuned_sar = None
        if self.finetuned is not None:
            tuned_neg, tuned_sar = self.finetuned.logits(safe)
        out = []
        for i, text in enumerate(safe):
            lexical_sar = float(sar[i, yes_i]) if sar is not None else 0.0
            sarcasm = lexical_sar
            extra_sar = (0.0 if head_sar is None else float(head_sar[i])) + (
                0.0 if tuned_sar is None else float(tuned_sar[i]))
            if (head_sar is not None or tuned_sar is not None) and sar is not None:
                sarcasm = _sigmoid(_logit(lexical_sar) + extra_sar)
            lexical_neg = self._blend(float(pol[i, neg_i]), text,
                                      sarcasm if self.sarcasm_discount else 0.0)
            negative = lexical_neg
            if head_neg is not None or tuned_neg is not None:
                negative = _sigmoid(_logit(lexical_neg)
                                    + (0.0 if head_neg is None else float(head_neg[i]))
                                    + (0.0 if tuned_neg is None else float(tuned_neg[i])))
            calm = [j for j, name in enumerate(labels) if name != "negative"]
            label = "negative" if negative >= 0.5 else labels[max(calm, key=lambda j: pol[i, j])]
            signals = self.lexicon.signals(text)
            if explain:
                signals += self._explain(text, negative, sarcasm, lexical_neg, lexical_sar,
                                         None if head_neg is None else float(head_neg[i]),
                                         None if head_sar is None else float(head_sar[i]))
                if tuned_neg is not None and tuned_sar is not None:
                    signals.append(f"fine-tuned model: {_sigmoid(float(tuned_neg[i])):.2f} "
                                   f"negative, {_sigmoid(float(tuned_sar[i])):.2f} sarcastic")
            out.append(
                {
                    "negative": round(negative, 4),
                    "sarcasm": round(sarcasm, 4),
                    "label": label,
                    "signals": signals,
                }
            )
        return out

    def _explain(self, text: str, negative: float, sarcasm: float, lexical_neg: float,
                 lexical_sar: float, head_neg: float | None, head_sar: float | None) -> list[str]:
        """The model's side of the story: what pushed the message towards its tone, and each
        model's own score (an agent reads these on the ticket)."""
        out = []
        for name, model, label, score in (("negative", self.polarity, "negative", negative),
                                          ("sarcastic", self.sarcasm, "yes", sarcasm)):
            if model is None or score < 0.5:
                continue
            top = model.contributions(text, label, FEATURE_NAMES)[:3]
            if top:
                out.append(f"towards {name}: " + ", ".join(k for k, _ in top))
        out.append(f"word model: {lexical_neg:.2f} negative, {lexical_sar:.2f} sarcastic")
        if head_neg is not None and head_sar is not None:
            out.append(f"embedding model: {_sigmoid(head_neg):.2f} negative, "
                       f"{_sigmoid(head_sar):.2f} sarcastic")
        return out

    def _blend(self, p_negative: float, text: str, sarcasm: float = 0.0) -> float:
        if not self.vader_weight:
            return p_negative
        p = min(max(p_negative, 1e-6), 1 - 1e-6)
        compound = float(self.lexicon.cues(text)["vader"]["compound"])
        if compound > 0:
            compound *= 1.0 - sarcasm
        logit = math.log(p / (1 - p)) - self.vader_weight * compound
        return 1.0 / (1.0 + math.exp(-logit))

    def score(self, text: str, explain: bool = True) -> dict[str, Any]:
        return self.score_many([text], explain=explain)[0]

    def save(self, directory: Path) -> None:
        if self.polarity is None:
            raise RuntimeError("tone model is not trained")
        self.polarity.save(directory / "polarity")
        meta = {
            "feature_scale": self.feature_scale,
            "vader_weight": self.vader_weight,
            "features": N_FEATURES,
            "embedding_source": self.embedding_source if self.head is not None else None,
            "sarcasm_discount": self.sarcasm_discount,
            "finetuned_source": self.finetuned_source if self.finetuned is not None else None,
        }
        (directory / "tone.json").write_text(json.dumps(meta))
        if self.sarcasm is not None:
            self.sarcasm.save(directory / "sarcasm")
        if self.head is not None:
            self.head.save(directory / "head.npz")
        if self.finetuned is not None:
            shutil.copyfile(self.finetuned.path, directory / FINETUNED_FILE)

    @classmethod
    def load(cls, directory: Path) -> ToneModel:
        meta_path = directory / "tone.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"{meta_path}: tone model from an older carebot; retrain")
        meta = json.loads(meta_path.read_text())
        if int(meta.get("features", -1)) != N_FEATURES:
            raise ValueError(f"{meta_path}: model built for other tone features; retrain")
        model = cls(
            lexicon=default_lexicon(),
            feature_scale=float(meta["feature_scale"]),
            vader_weight=float(meta["vader_weight"]),
        )
        model.polarity = LinearTextModel.load(directory / "polarity", extra=model._dense)
        if (directory / "sarcasm").exists():
            model.sarcasm = LinearTextModel.load(directory / "sarcasm", extra=model._dense)
        model.sarcasm_discount = bool(meta.get("sarcasm_discount", False))
        source = meta.get("embedding_source")
        if source:
            model.embedding_source = str(source)
            model.embeddings = shared_token_embeddings(str(source))  # fails loudly if missing
            model.head = EmbeddingHead.load(directory / "head.npz")
        tuned_source = meta.get("finetuned_source")
        if tuned_source:
            model.finetuned_source = str(tuned_source)
            model.finetuned = FineTunedTone(directory / FINETUNED_FILE, str(tuned_source))
        return model


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
