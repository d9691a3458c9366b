"""``Event.resolve_by_type``: event classes cached by type name.

Rasa walks every ``Event`` subclass (``all_subclasses`` + ``inspect.isabstract``) for *each*
event of a tracker it deserialises, and a tracker is loaded from the store once per message.
Cached by type name: the same (first matching) class; unknown names still go Rasa's way
(``ValueError``, or the default, which is never cached).

Measured (``bench/rasa_patches_bench.py``, ``bench/reports/rasa-patches-six.md``): 10.5 lookups
per message on the load bench's mix (one per event of the stored tracker, so more in longer
conversations), 36.9 µs each in Rasa against 0.09 µs cached: 0.39 ms of CPU per message, 2.9 %
of the 13.5 ms the server spends per message (3.8 %, 3.2 % and, with the four kept patches,
3.5 % in ``bench/reports/rasa-patches.md``). Kept: at the threshold of 3 % under which a patch is
dropped, and growing with the length of a conversation.
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
