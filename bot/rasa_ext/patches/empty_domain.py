"""``Domain.is_empty``: compared with one empty domain, built once.

Rasa builds an empty ``Domain`` (and its dict) to compare with on every call, and calls it for
every message.

Measured gain: see ``bench/README.md``, "Patches of Rasa internals".
"""

from __future__ import annotations

from typing import Any, Callable

NAME = "Domain.is_empty"


def target() -> tuple[type, str]:
    from rasa.shared.core.domain import Domain

    return Domain, "is_empty"


def replacement(original: Callable[..., Any]) -> Callable[..., Any]:
    from rasa.shared.core.domain import Domain

    empty: list[dict[str, Any]] = []

    def is_empty(self: Domain) -> bool:
        if not empty:
            empty.append(Domain.empty().as_dict())
        return bool(self.as_dict() == empty[0])

    return is_empty
