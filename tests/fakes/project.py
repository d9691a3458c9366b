"""A temporary copy of the project (config/, data/, endpoints.yml) as ``CAREBOT_HOME``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from bot.settings import reset_settings

ROOT = Path(__file__).resolve().parent.parent.parent


def copy_project(dest: Path) -> Path:
    for name in ("config", "data"):
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / "endpoints.yml", dest / "endpoints.yml")
    return dest


def project_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str | None = None
) -> Iterator[Path]:
    """For a ``home`` fixture (``yield from``): a copy of the project in ``tmp_path`` as
    CAREBOT_HOME, CAREBOT_VAR_DIR in ``tmp_path``, fresh settings before and after. With
    ``redis_url``: REDIS_URL too, and no CAREBOT_AGENT_TOKEN."""
    project = copy_project(tmp_path / "project")
    monkeypatch.setenv("CAREBOT_HOME", str(project))
    monkeypatch.setenv("CAREBOT_VAR_DIR", str(tmp_path / "var"))
    if redis_url is not None:
        monkeypatch.setenv("REDIS_URL", redis_url)
        monkeypatch.delenv("CAREBOT_AGENT_TOKEN", raising=False)
    reset_settings()
    yield project
    reset_settings()
