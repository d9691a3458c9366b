"""The Rasa version carebot's extensions of Rasa's internals were written and measured for.

The patches (:mod:`bot.rasa_ext.patches`) replace private Rasa functions, and the stores
(:mod:`bot.rasa_ext.tracker_store`, :mod:`bot.rasa_ext.lock_store`) override private methods
or rely on Rasa's key and JSON layout. On any other Rasa version they may silently do the wrong
thing, so they refuse to run: :func:`require_rasa_version` raises :class:`RasaVersionMismatch`.
"""

from __future__ import annotations

RASA_VERSION = "3.6.21"


class RasaVersionMismatch(RuntimeError):
    """The installed Rasa is not the version carebot's extensions of it were written for."""

    def __init__(self, found: str, what: str) -> None:
        self.found = found
        self.expected = RASA_VERSION
        super().__init__(
            f"{what} was written and measured for Rasa {RASA_VERSION}, but Rasa {found} is "
            f"installed. Install rasa=={RASA_VERSION} (pinned in pyproject.toml and "
            f"requirements.lock: `make install`), or port carebot's extensions to Rasa {found}: "
            f"check each against the new Rasa (tests/rasa_ext/), measure them again "
            f"(bench/rasa_patches_bench.py), then set RASA_VERSION in bot/rasa_ext/version.py."
        )


def installed_rasa_version() -> str:
    import rasa

    return str(rasa.__version__)


def require_rasa_version(what: str) -> None:
    """Raise :class:`RasaVersionMismatch` unless the installed Rasa is :data:`RASA_VERSION`;
    ``what`` names the extension in the message."""
    found = installed_rasa_version()
    if found != RASA_VERSION:
        raise RasaVersionMismatch(found, what)
