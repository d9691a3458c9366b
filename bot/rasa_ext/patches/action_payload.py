"""``RemoteAction._action_call_format``: older follower messages sent without their parse.

Rasa sends the whole tracker with every action call, with each follower message's
``parse_data`` (rankings, tone, response selector: about half of the JSON) again and again. The
action server reads the parse of the latest message from ``tracker.latest_message``, so the
older user events go without theirs (:func:`slim_events`); everything else is sent as Rasa
sends it.

Measured gain: see ``bench/README.md``, "Patches of Rasa internals".
"""

from __future__ import annotations

from typing import Any, Callable

NAME = "RemoteAction._action_call_format"


def target() -> tuple[type, str]:
    from rasa.core.actions.action import RemoteAction

    return RemoteAction, "_action_call_format"


def replacement(original: Callable[..., Any]) -> Callable[..., Any]:
    def _action_call_format(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
        result: dict[str, Any] = original(self, tracker, domain)
        state = result.get("tracker") or {}
        if state.get("events"):
            state["events"] = slim_events(state["events"])
        return result

    return _action_call_format


def slim_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``events`` with ``parse_data`` left out of every user event but the last one."""
    last = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return [
        {k: v for k, v in e.items() if k != "parse_data"}
        if i < last and e.get("event") == "user"
        else e
        for i, e in enumerate(events)
    ]
