"""``bot.rasa_ext.patches.apply``: every patch applied once, only on the Rasa version they were
written for, and only when called: importing carebot's modules patches nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import rasa

from bot.rasa_ext import patches
from bot.rasa_ext.patches import RASA_VERSION, RasaVersionMismatch

ROOT = Path(__file__).resolve().parents[3]
NAMES = {"Event.resolve_by_type", "RemoteAction._validate_action_result", "DaskGraphRunner.run",
         "EndpointConfig.session"}


def _current() -> dict[str, object]:
    return {m.NAME: getattr(*m.target()) for m in patches.PATCHES}


def test_every_patch_applied_once() -> None:
    assert {m.NAME for m in patches.PATCHES} == set(patches.APPLIED) == NAMES
    patched = _current()
    for name, function in patched.items():
        assert function is not patches.ORIGINALS[name], name
        assert getattr(function, "__module__", "").startswith("bot.rasa_ext.patches."), name
        assert patches.ORIGINALS[name].__module__.startswith("rasa."), name
    patches.apply()  # a second call changes nothing
    assert _current() == patched


def test_disabled_gives_rasas_own_code_back_inside_the_block_only() -> None:
    patched = _current()
    with patches.disabled("DaskGraphRunner.run", "Event.resolve_by_type"):
        now = _current()
        assert now["DaskGraphRunner.run"] is patches.ORIGINALS["DaskGraphRunner.run"]
        assert now["Event.resolve_by_type"] is patches.ORIGINALS["Event.resolve_by_type"]
        assert now["EndpointConfig.session"] is patched["EndpointConfig.session"]
    assert _current() == patched
    with pytest.raises(KeyError, match="not applied"):
        with patches.disabled("Domain.no_such_patch"):
            pass


def test_another_rasa_version_is_refused_before_anything_is_patched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.7.4")
    applied = dict(patches.APPLIED)
    patches.APPLIED.clear()  # as in a fresh process: nothing applied yet
    try:
        before = _current()
        with pytest.raises(RasaVersionMismatch) as refused:
            patches.apply()
        assert _current() == before
        assert not patches.APPLIED
    finally:
        patches.APPLIED.update(applied)
    message = str(refused.value)
    assert refused.value.found == "3.7.4" and refused.value.expected == RASA_VERSION == "3.6.21"
    assert "Rasa 3.7.4 is installed" in message
    assert "written and measured for Rasa 3.6.21" in message
    assert "rasa==3.6.21" in message and "bench/rasa_patches_bench.py" in message


IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import actions, bot

def where():
    from bot.rasa_ext import patches
    return {m.NAME: getattr(*m.target()).__module__ for m in patches.PATCHES}

names = [m.name for pkg in (bot, actions)
         for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")
         if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
after_imports = where()
stores = ("bot.rasa_ext.tracker_store", "bot.rasa_ext.lock_store", "bot.rasa_ext.serve")
stores_imported = all(name in sys.modules for name in stores)

import rasa
from bot.rasa_ext import patches
rasa.__version__, real = "3.7.4", rasa.__version__
try:
    patches.apply()
    refused = None
except patches.RasaVersionMismatch as error:
    refused = str(error)
after_refusal = where()
rasa.__version__ = real
patches.apply()
print(json.dumps({"modules": len(names), "stores_imported": stores_imported,
                  "after_imports": after_imports,
                  "refused": refused, "after_refusal": after_refusal, "applied": where()}))
"""


def test_importing_any_bot_module_patches_nothing() -> None:
    """A fresh interpreter imports every module of ``bot`` and ``actions`` (the stores too):
    Rasa's functions are still Rasa's; on another Rasa version ``apply`` refuses and still
    nothing is patched; on the right one, all are."""
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["modules"] > 50
    assert seen["stores_imported"]
    for name in NAMES:
        assert seen["after_imports"][name].startswith("rasa."), (name, seen)
        assert seen["after_refusal"][name].startswith("rasa."), (name, seen)
        assert seen["applied"][name].startswith("bot.rasa_ext.patches."), (name, seen)
    assert "3.7.4" in seen["refused"]
