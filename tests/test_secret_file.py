"""bot/secret_file.py: a generated secret, private to its owner, the same for every process."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.secret_file import SecretFileError, read_or_create


def test_created_once_and_agreed_on_by_racing_callers(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "token"
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = set(pool.map(lambda _: read_or_create(path), range(32)))
    assert len(values) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["token"]  # no temporary files left


def test_a_readable_file_is_tightened_and_an_empty_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("kept\n")
    path.chmod(0o644)
    assert read_or_create(path) == "kept"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("\n")
    with pytest.raises(SecretFileError):
        read_or_create(path)
