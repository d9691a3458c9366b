"""The fine-tuned tone encoder: the NumPy runtime computes what PyTorch computed, the file is
checked before use, and the tone model adds its log-odds, explains them and saves them.

The reference (``tests/nlu/data/tone_finetuned_reference.json``) was computed once by
``bench/tone_finetune_reference.py`` in the PyTorch training venv, from the shipped weights file;
these tests run the same file through ``bot.nlu.tone.finetuned`` and compare.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from bot.nlu.encoder.minilm import DEFAULT_PACKAGE, EncoderUnavailable
from bot.nlu.encoder.provenance import SHA256, sha256_of
from bot.nlu.tone.finetuned import FORMAT, FineTunedTone
from bot.nlu.tone.model import FINETUNED_FILE, ToneModel

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "bot" / "nlu" / "tone" / "weights" / "tone-minilm-l1.safetensors"
REFERENCE = Path(__file__).parent / "data" / "tone_finetuned_reference.json"
TOLERANCE = 1e-3  # log-odds; float32 in both, different summation order

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


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def model() -> FineTunedTone:
    return FineTunedTone(WEIGHTS, DEFAULT_PACKAGE)


def test_the_reference_was_computed_from_the_shipped_file(reference: dict[str, Any]) -> None:
    assert reference["weights_sha256"] == sha256_of(WEIGHTS)
    assert len(reference["sentences"]) >= 15
    lengths = [len(s["token_ids"]) for s in reference["sentences"]]
    assert min(lengths) == 2 and max(lengths) == int(reference["metadata"]["max_length"])


def test_the_file_says_what_it_is(model: FineTunedTone) -> None:
    meta = model.metadata
    assert meta["format"] == FORMAT
    assert model.layers == int(meta["layers"]) >= 1
    assert meta["base_model_sha256"] == SHA256["model.safetensors"]  # the pinned upstream file
    assert meta["holdout_fold"].isdigit()  # validated on care.yml rows it never saw
    assert WEIGHTS.stat().st_size < 10_000_000


def test_numpy_logits_and_token_ids_equal_pytorch(
    model: FineTunedTone, reference: dict[str, Any]
) -> None:
    texts = [s["text"] for s in reference["sentences"]]
    assert [model.tokenizer.encode(t) for t in texts] == [
        s["token_ids"] for s in reference["sentences"]]
    want = np.array([[s["negative"], s["sarcasm"]] for s in reference["sentences"]])
    batched = np.stack(model.logits(texts), 1)
    one_by_one = np.array([[float(z[0]) for z in model.logits([t])] for t in texts])
    assert np.abs(batched - want).max() < TOLERANCE
    assert np.abs(one_by_one - want).max() < TOLERANCE
    assert want[:, 0].std() > 0.5  # the heads say different things about different texts


def test_the_heads_read_tone(model: FineTunedTone) -> None:
    negative, sarcasm = model.logits([
        "still nothing after 3 weeks, third time asking, this is a joke",
        "thanks, the replacement arrived today and works perfectly",
        "oh wonderful, my 'next day' parcel is on day nine 🙄",
    ])
    assert negative[0] > 0 > negative[1]
    assert sarcasm[2] > sarcasm[1]


def _rewrite(tmp_path: Path, **metadata: str) -> Path:
    tensors = load_file(str(WEIGHTS))
    from safetensors import safe_open

    handle: Any = safe_open(str(WEIGHTS), framework="numpy")
    with handle:
        meta = dict(handle.metadata())
    path = tmp_path / "tone.safetensors"
    save_file(tensors, str(path), metadata={**meta, **metadata})
    return path


def test_a_file_for_another_base_model_or_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailable, match="another base model"):
        FineTunedTone(_rewrite(tmp_path, base_model_sha256="0" * 64), DEFAULT_PACKAGE)
    with pytest.raises(EncoderUnavailable, match="not a carebot-tone"):
        FineTunedTone(_rewrite(tmp_path, format="something-else"), DEFAULT_PACKAGE)
    (tmp_path / "junk.safetensors").write_bytes(b"not weights")
    with pytest.raises(EncoderUnavailable, match="unreadable"):
        FineTunedTone(tmp_path / "junk.safetensors", DEFAULT_PACKAGE)


def test_a_file_missing_a_head_is_refused(tmp_path: Path) -> None:
    tensors = {k: v for k, v in load_file(str(WEIGHTS)).items() if not k.startswith("tone.sar")}
    path = tmp_path / "no-head.safetensors"
    from safetensors import safe_open

    handle: Any = safe_open(str(WEIGHTS), framework="numpy")
    with handle:
        meta = dict(handle.metadata())
    save_file(tensors, str(path), metadata=meta)
    with pytest.raises(EncoderUnavailable, match="tone.sarcasm"):
        FineTunedTone(path, DEFAULT_PACKAGE)


def test_the_tone_model_adds_the_fine_tuned_log_odds_explains_and_saves_them(
    tmp_path: Path, model: FineTunedTone
) -> None:
    plain = ToneModel().fit(TINY, c=1.0, vader_weight=0)  # no VADER: the sum is exact
    tuned = ToneModel().fit(TINY, c=1.0, vader_weight=0, finetuned_weights=WEIGHTS)
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
    assert (tmp_path / FINETUNED_FILE).read_bytes() == WEIGHTS.read_bytes()
    assert json.loads((tmp_path / "tone.json").read_text())["finetuned_source"] == DEFAULT_PACKAGE
    texts = [text, "do you ship to canada", "", "🙄"]
    assert ToneModel.load(tmp_path).score_many(texts) == tuned.score_many(texts)
