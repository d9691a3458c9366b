"""Secrets carebot generates for itself, kept in files only their owner can read.

``read_or_create(path)``: the secret in ``path``; on first use a new random one is written there
(mode 0600, directory 0700) atomically, so processes starting together agree on one value. The
value is never logged or printed; a file others can read is tightened to 0600.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


class SecretFileError(OSError):
    """A secret file exists but holds nothing usable."""


def read_or_create(path: Path, nbytes: int = 32) -> str:
    """The secret stored in ``path``, created (``nbytes`` random bytes, URL-safe text) if absent."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(nbytes) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)  # atomic: fails if another process created it first
        except FileExistsError:
            pass
    finally:
        temp.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(0o600)
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise SecretFileError(f"{path} is empty; delete it to generate a new secret")
    return value
