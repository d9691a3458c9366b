"""The fine-tuned tone encoder's NumPy runtime (``bot.nlu.tone.finetuned``): it computes what the
PyTorch training code computes, checks a weights file before use, and the tone model adds its
log-odds, explains them and saves them.

No trained weights file is committed (the fine-tuned encoder was measured and not shipped:
bench/README.md, "Tone: a fine-tuned encoder"). The reference
(``tests/nlu/data/tone_finetuned_reference.json``) was computed by PyTorch with
``bench/tone_finetune_reference.py --synthetic 14 --layers 1``: MiniLM's own first layer with
seeded heads, the same computation as trained weights with other values. These tests rebuild
that file from the encoder package and compare.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from bot.nlu.encoder.minilm import (
    DEFAULT_PACKAGE,
    EncoderUnavailable,
    SentenceEncoder,
    locate_model,
)
from bot.nlu.encoder.provenance import SHA256
from bot.nlu.tone.component import ToneScorer
from bot.nlu.tone.finetuned import FORMAT, FineTunedTone
from bot.nlu.tone.model import FINETUNED_FILE, ToneModel

REFERENCE = Path(__file__).parent / "data" / "tone_finetuned_reference.json"
TOLERANCE = 1e-4  # log-odds; float32 in both, different summation order

TINY = [
    {"text": "where is my parcel, 3 weeks late", "label": "negative", "sarcasm": False},
    {"text": "this is useless", "label": "negative", "sarcasm": False},
    {"text": "oh great, delayed again 🙄", "label": "negative", "sarcasm": True},
    {"text": "love waiting on hold for an hour", "label": "negative", "sarcasm": True},
    {"text": "do you ship to canada", "label": "neutral", "sarcasm": False},
    {"text": "what are your opening hours", "label": "neutral", "sarcasm": False},
    {"text": "thanks so much, it arrived", "label": "positive", "sarcasm": False},
    {"text": "great service, very happy", "label": "positive", "sarcasm": False},
]


def synthetic_heads(seed: int, dimension: int = 384) -> dict[str, np.ndarray]:
    """As ``bench/tone_finetune_reference.py`` makes them."""
    rng = np.random.default_rng(seed)
    return {"tone.negative.weight": rng.normal(0, 0.1, dimension).astype(np.float32),
            "tone.negative.bias": np.array([0.25], dtype=np.float32),
            "tone.sarcasm.weight": rng.normal(0, 0.1, dimension).astype(np.float32),
            "tone.sarcasm.bias": np.array([-0.5], dtype=np.float32)}


def write_file(path: Path, layers: int = 1, seed: int = 14, drop: str = "",
               metadata: dict[str, str] | None = None) -> Path:
    """A tone-encoder file: MiniLM's own first ``layers`` + seeded heads."""
    base = load_file(str(locate_model(DEFAULT_PACKAGE) / "model.safetensors"))
    base = {k[5:] if k.startswith("bert.") else k: v for k, v in base.items()}
    tensors = {k: v for k, v in base.items()
               if k.startswith("encoder.layer.") and int(k.split(".")[2]) < layers}
    tensors.update(synthetic_heads(seed))
    tensors = {k: v for k, v in tensors.items() if not (drop and k.startswith(drop))}
    meta = {"format": FORMAT, "layers": str(layers), "heads": "12", "max_length": "64",
            "base_model_sha256": SHA256["model.safetensors"], "holdout_fold": "0",
            **(metadata or {})}
    save_file(tensors, str(path), metadata=meta)
    return path


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_file(tmp_path_factory.mktemp("tone") / "tone-minilm-l1.safetensors")


@pytest.fixture(scope="module")
def model(weights: Path) -> FineTunedTone:
    return FineTunedTone(weights, DEFAULT_PACKAGE)


def test_numpy_logits_and_token_ids_equal_pytorch(model: FineTunedTone) -> None:
    reference: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert reference["metadata"] == {"layers": "1", "heads": "12", "max_length": "64",
                                     "synthetic_seed": "14"}
    sentences = reference["sentences"]
    assert len(sentences) >= 15
    assert max(len(s["token_ids"]) for s in sentences) == 64  # one text is cut
    texts = [s["text"] for s in sentences]
    assert [model.tokenizer.encode(t) for t in texts] == [s["token_ids"] for s in sentences]
    want = np.array([[s["negative"], s["sarcasm"]] for s in sentences])
    batched = np.stack(model.logits(texts), 1)
    one_by_one = np.array([[float(z[0]) for z in model.logits([t])] for t in texts])
    assert np.abs(batched - want).max() < TOLERANCE
    assert np.abs(one_by_one - want).max() < TOLERANCE
    assert want[:, 0].std() > 0.05  # different texts, different log-odds


def test_all_six_layers_give_the_sentence_encoders_vector(tmp_path: Path) -> None:
    """The runtime is the sentence encoder's forward pass, cut after ``layers``."""
    full = FineTunedTone(write_file(tmp_path / "six.safetensors", layers=6), DEFAULT_PACKAGE)
    encoder = SentenceEncoder(locate_model(DEFAULT_PACKAGE))
    texts = ["where is my refund", "oh great, delayed again 🙄", "hi"]
    pooled = full.pooled(texts)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    assert (pooled * encoder.encode(texts)).sum(1).min() > 0.99999


def test_a_file_for_another_base_model_or_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailable, match="another base model"):
        FineTunedTone(write_file(tmp_path / "a.safetensors",
                                 metadata={"base_model_sha256": "0" * 64}),
                      DEFAULT_PACKAGE)
    with pytest.raises(EncoderUnavailable, match="not a carebot-tone"):
        FineTunedTone(write_file(tmp_path / "b.safetensors", metadata={"format": "x"}),
                      DEFAULT_PACKAGE)
    with pytest.raises(EncoderUnavailable, match="tone.sarcasm"):
        FineTunedTone(write_file(tmp_path / "c.safetensors", drop="tone.sarcasm"),
                      DEFAULT_PACKAGE)
    with pytest.raises(EncoderUnavailable, match="encoder.layer.1"):
        FineTunedTone(write_file(tmp_path / "d.safetensors", metadata={"layers": "2"}),
                      DEFAULT_PACKAGE)
    (tmp_path / "junk.safetensors").write_bytes(b"not weights")
    with pytest.raises(EncoderUnavailable, match="unreadable"):
        FineTunedTone(tmp_path / "junk.safetensors", DEFAULT_PACKAGE)


def test_the_tone_model_adds_the_fine_tuned_log_odds_explains_and_saves_them(
    tmp_path: Path, weights: Path, model: FineTunedTone
) -> None:
    plain = ToneModel().fit(TINY, c=1.0, vader_weight=0)  # no VADER: the sum is exact
    tuned = ToneModel().fit(TINY, c=1.0, vader_weight=0, finetuned_weights=weights)
    text = "oh lovely, still waiting on my refund 🙄"
    scored, before = tuned.score(text), plain.score(text)
    neg, sar = model.logits([text])

    def plus(p: float, z: float) -> float:
        return float(1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + z))))

    assert scored["negative"] == pytest.approx(plus(before["negative"], neg[0]), abs=2e-4)
    assert scored["sarcasm"] == pytest.approx(plus(before["sarcasm"], sar[0]), abs=2e-4)
    tuned_line = [s for s in scored["signals"] if s.startswith("fine-tuned model: ")]
    assert tuned_line == [f"fine-tuned model: {1 / (1 + np.exp(-neg[0])):.2f} negative, "
                          f"{1 / (1 + np.exp(-sar[0])):.2f} sarcastic"]
    assert not any(s.startswith("fine-tuned model: ") for s in before["signals"])
    tuned.save(tmp_path)
    assert (tmp_path / FINETUNED_FILE).read_bytes() == weights.read_bytes()
    assert json.loads((tmp_path / "tone.json").read_text())["finetuned_source"] == DEFAULT_PACKAGE
    texts = [text, "do you ship to canada", "", "🙄"]
    assert ToneModel.load(tmp_path).score_many(texts) == tuned.score_many(texts)
    plain.save(tmp_path / "plain")
    assert ToneModel.load(tmp_path / "plain").finetuned is None


def test_the_component_is_off_by_default_and_a_configured_file_must_exist(
    tmp_path: Path,
) -> None:
    assert ToneScorer.get_default_config()["finetuned_encoder"] is None
    config = {**ToneScorer.get_default_config(),
              "finetuned_encoder": str(tmp_path / "missing.safetensors")}
    scorer = ToneScorer(config, None, None)  # type: ignore[arg-type]  # only _config is used
    with pytest.raises(FileNotFoundError, match="fine-tuned tone encoder not found"):
        scorer._finetuned_path()
