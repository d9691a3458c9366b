"""The Rasa version guard of carebot's extensions of Rasa: the stores, which override private
methods of Rasa's (``bot.rasa_ext.tracker_store``, ``bot.rasa_ext.lock_store``), refuse to be
built on another Rasa; ``bot.rasa_ext.serve`` refuses to start it."""

from __future__ import annotations

from pathlib import Path

import pytest
import rasa
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext import serve
from bot.rasa_ext.lock_store import FailSafeRedisLockStore
from bot.rasa_ext.tracker_store import CarebotTrackerStore
from bot.rasa_ext.version import RASA_VERSION, RasaVersionMismatch, require_rasa_version

ROOT = Path(__file__).resolve().parents[2]


def test_the_pinned_rasa_is_the_one_they_were_written_for() -> None:
    assert rasa.__version__ == RASA_VERSION
    require_rasa_version("anything")  # no error
    pinned = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"rasa=={RASA_VERSION}"' in pinned


def test_the_stores_are_built_on_the_right_rasa(redis_url: str) -> None:
    CarebotTrackerStore(Domain.empty(), host=redis_url)
    FailSafeRedisLockStore(EndpointConfig(url=redis_url))


def test_the_stores_refuse_another_rasa(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    with pytest.raises(RasaVersionMismatch, match="CarebotTrackerStore .*_retrieve") as tracker:
        CarebotTrackerStore(Domain.empty(), host=redis_url)
    with pytest.raises(RasaVersionMismatch, match="FailSafeRedisLockStore") as lock:
        FailSafeRedisLockStore(EndpointConfig(url=redis_url))
    for refused in (tracker.value, lock.value):
        assert "Rasa 3.6.22 is installed" in str(refused)
        assert f"rasa=={RASA_VERSION}" in str(refused)


def test_serve_refuses_to_start_another_rasa(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    monkeypatch.setattr("sys.argv", ["serve", "run", "--port", "1"])
    with pytest.raises(SystemExit) as exited:
        serve.main()
    assert exited.value.code == serve.EXIT_WRONG_RASA == 2
    err = capsys.readouterr().err
    assert err.startswith("carebot: refusing to start Rasa: ")
    assert "Rasa 3.7.0 is installed" in err and f"rasa=={RASA_VERSION}" in err
