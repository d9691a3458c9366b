"""``Event.resolve_by_type``: event classes cached by type name.

Rasa walks every ``Event`` subclass (``all_subclasses`` + ``inspect.isabstract``) for *each*
event of a tracker it deserialises, and a tracker is loaded from the store once per message.
Cached by type name: the same (first matching) class; unknown names still go Rasa's way
(``ValueError``, or the default, which is never cached).

Measured gain: see ``bench/README.md``, "Patches of Rasa internals".
"""

from __future__ import annotations

from typing import Any, Callable

NAME = "Event.resolve_by_type"


def target() -> tuple[type, str]:
    from rasa.shared.core.events import Event

    return Event, "resolve_by_type"


def replacement(original: Callable[..., Any]) -> Callable[..., Any]:
    known: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = known.get(type_name)
        if found is None:
            found = original(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    return resolve_by_type
