"""The training embedding cache: only new texts are encoded; the file holds the last set first,
then earlier ones up to ``max_rows``."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pytest

from bot.nlu.encoder.cache import EmbeddingCache, default_directory


class Encoder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.array([[len(t), t.count("a")] for t in texts], dtype=np.float32)


def test_only_texts_not_seen_last_time_are_encoded(tmp_path: Path) -> None:
    encoder = Encoder()
    cache = EmbeddingCache("minilm", encoder, tmp_path)
    first = cache.encode(["alpha", "beta", "alpha"])
    assert encoder.calls == [["alpha", "beta"]]
    assert first.tolist() == [[5, 2], [4, 1], [5, 2]]
    again = EmbeddingCache("minilm", encoder, tmp_path).encode(["beta", "gamma"])
    assert encoder.calls[-1] == ["gamma"]
    assert again.tolist() == [[4, 1], [5, 2]]
    # earlier trainings' texts stay (up to max_rows): "alpha" is not encoded again
    EmbeddingCache("minilm", encoder, tmp_path).encode(["alpha"])
    assert encoder.calls[-1] == ["gamma"]


def test_the_file_keeps_this_training_first_then_the_most_recent_others(tmp_path: Path) -> None:
    encoder = Encoder()
    EmbeddingCache("minilm", encoder, tmp_path, max_rows=3).encode(["a", "b"])
    EmbeddingCache("minilm", encoder, tmp_path, max_rows=3).encode(["c", "d"])
    # holds c, d (this training) + a (the most recent other that fits); b was dropped
    EmbeddingCache("minilm", encoder, tmp_path, max_rows=3).encode(["a", "b", "c"])
    assert encoder.calls == [["a", "b"], ["c", "d"], ["b"]]
    # a training larger than max_rows is kept whole
    big = [f"t{i}" for i in range(5)]
    EmbeddingCache("minilm", encoder, tmp_path, max_rows=3).encode(big)
    calls = len(encoder.calls)
    EmbeddingCache("minilm", encoder, tmp_path, max_rows=3).encode(big)
    assert len(encoder.calls) == calls  # nothing encoded again


def test_an_unreadable_cache_file_is_ignored_and_replaced(tmp_path: Path) -> None:
    encoder = Encoder()
    cache = EmbeddingCache("minilm", encoder, tmp_path)
    cache.path.parent.mkdir(parents=True, exist_ok=True)
    cache.path.write_bytes(b"not a numpy file")
    assert cache.encode(["abc"]).tolist() == [[3, 1]]
    assert encoder.calls == [["abc"]]
    cache.encode(["abc"])
    assert encoder.calls == [["abc"]]


def test_the_cache_lives_under_the_var_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAREBOT_VAR_DIR", str(tmp_path / "v"))
    assert default_directory() == tmp_path / "v" / "cache"
    monkeypatch.delenv("CAREBOT_VAR_DIR")
    monkeypatch.setenv("CAREBOT_HOME", str(tmp_path / "home"))
    assert default_directory() == tmp_path / "home" / "var" / "cache"
    name = EmbeddingCache("/some/dir/bert", Encoder()).path.name
    assert name == "embeddings-_some_dir_bert.npz"
