"""The shipped sentence encoder's files are the upstream model's, byte for byte, or refused."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from bot.nlu.encoder import minilm as sentence_encoder
from bot.nlu.encoder.minilm import DEFAULT_PACKAGE, EncoderUnavailable, locate_model
from bot.nlu.encoder.provenance import SHA256, ProvenanceError, sha256_of, verify


def test_the_installed_package_is_the_upstream_model() -> None:
    directory = locate_model(DEFAULT_PACKAGE)  # make install puts it there
    for name, digest in SHA256.items():
        assert sha256_of(directory / name) == digest


def test_a_file_with_another_digest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    good = {"model.safetensors": hashlib.sha256(b"weights").hexdigest()}
    verify(tmp_path, good)
    (tmp_path / "model.safetensors").write_bytes(b"tampered")
    with pytest.raises(ProvenanceError, match="refusing to load"):
        verify(tmp_path, good)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(ProvenanceError, match="missing"):
        verify(tmp_path, good)


def test_a_tampered_package_fails_to_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = locate_model(DEFAULT_PACKAGE)
    fake_package = tmp_path / "fake_pkg"
    (fake_package / "model").mkdir(parents=True)
    (fake_package / "__init__.py").write_text("")
    shutil.copy(real / "tokenizer.json", fake_package / "model" / "tokenizer.json")
    shutil.copy(real / "config.json", fake_package / "model" / "config.json")
    (fake_package / "model" / "model.safetensors").write_bytes(b"not the model")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sentence_encoder, "DEFAULT_PACKAGE", "fake_pkg")
    with pytest.raises(EncoderUnavailable, match="SHA-256"):
        locate_model("fake_pkg")
