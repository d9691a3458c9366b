"""carebot's patches of Rasa's internals: one module per patch, applied in one place.

:func:`apply` replaces, in the Rasa server process only, the functions below. It is called at
start-up by ``bot.rasa_ext.serve`` (``python -m bot.rasa_ext.serve run …``: what ``carebot run``
and the container start), and by the tests and benchmarks that compare a patch with Rasa's own
code. Importing this package, or any other carebot module, patches nothing.

Each patch was written for one Rasa version, :data:`RASA_VERSION`: :func:`apply` refuses any
other (:class:`RasaVersionMismatch`, whose message says what to do). Each module's docstring says
what Rasa does and why the replacement keeps its behaviour; ``tests/rasa_ext/`` checks each
against Rasa's own function, and ``bench/rasa_patches_bench.py`` measures each one's gain
(``bench/README.md``, "Patches of Rasa internals").

The patches, and what each saves per message (CPU, both processes):

- :mod:`.action_result` (``RemoteAction._validate_action_result``): 23.2 ms;
- :mod:`.action_sessions` (``EndpointConfig.session``): 1.16 ms (8.6 %);
- :mod:`.graph_runner` (``DaskGraphRunner.run``): 0.89 ms (6.6 %);
- :mod:`.event_types` (``Event.resolve_by_type``): 0.39 ms (2.9 %; 3.8 %, 3.2 % and 3.5 % in
  three other runs: kept, at the threshold, and growing with the length of a conversation).

Measured by ``bench/rasa_patches_bench.py`` (``bench/reports/rasa-patches-six.md``): Rasa's
function and the replacement timed on the inputs recorded from 151 messages of the load bench's
mix, × calls per message; percentages of the server CPU per message (Rasa + action server) with
every patch on, 13.5 ms (load average 7–11). Every patch off: 50.9 ms. With the four kept
(``bench/reports/rasa-patches.md``): 11.4 ms per message, every patch off 44.0 ms.

Dropped in issue 13, their gain no longer mattering (< 0.1 ms and < 3 %): ``Domain.is_empty``
compared with one empty domain (0.05 ms), and the older ``parse_data`` left out of the action
call (0.06 ms on both sides together; the body was only 13 % smaller, most of it being the
domain, as social DMs are short).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bot.rasa_ext.patches import action_result, action_sessions, event_types, graph_runner
from bot.rasa_ext.version import RASA_VERSION, RasaVersionMismatch, require_rasa_version

__all__ = ["APPLIED", "ORIGINALS", "PATCHES", "RASA_VERSION", "RasaVersionMismatch", "apply",
           "disabled"]

PATCHES: tuple[ModuleType, ...] = (event_types, action_result, graph_runner, action_sessions)
"""Every patch module: ``NAME`` (``"Class.attribute"``), ``target()`` -> (class, attribute),
``replacement(original)`` -> the new function."""


@dataclass(frozen=True)
class Applied:
    owner: type
    attr: str
    original: Any
    """The class attribute as Rasa defines it (a ``staticmethod`` stays one)."""
    patched: Any


APPLIED: dict[str, Applied] = {}
"""The patches applied in this process, by name."""
ORIGINALS: dict[str, Callable[..., Any]] = {}
"""Rasa's own functions, by patch name, once applied (what the tests compare with)."""


def apply() -> None:
    """Apply every patch once (later calls do nothing); :class:`RasaVersionMismatch` on any Rasa
    but :data:`RASA_VERSION`, before anything is patched."""
    require_rasa_version("carebot's patches of Rasa internals (bot/rasa_ext/patches)")
    for module in PATCHES:
        name = module.NAME
        if name in APPLIED:
            continue
        owner, attr = module.target()
        raw = owner.__dict__[attr]
        original = getattr(owner, attr)
        new = module.replacement(original)
        patched = staticmethod(new) if isinstance(raw, staticmethod) else new
        setattr(owner, attr, patched)
        APPLIED[name] = Applied(owner, attr, raw, patched)
        ORIGINALS[name] = original


@contextmanager
def disabled(*names: str) -> Iterator[None]:
    """Rasa's own code for the named (applied) patches inside the block: for benchmarks and
    tests that compare a patch with what it replaces."""
    unknown = [name for name in names if name not in APPLIED]
    if unknown:
        raise KeyError(f"not applied: {unknown} (applied: {sorted(APPLIED)})")
    for name in names:
        entry = APPLIED[name]
        setattr(entry.owner, entry.attr, entry.original)
    try:
        yield
    finally:
        for name in names:
            entry = APPLIED[name]
            setattr(entry.owner, entry.attr, entry.patched)
