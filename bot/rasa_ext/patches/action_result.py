"""``RemoteAction._validate_action_result``: the action server's response validated with a
validator built once, and valid responses recognised without jsonschema's ``oneOf``.

Rasa calls ``jsonschema.validate`` on every action call: it checks the schema itself against its
meta-schema each time, then tries all 23 event schemas of a ``oneOf`` for every event returned
(building an error for each of the 22 that do not match). :class:`ActionResultValidator` does the
same validation without those two costs; an invalid response gets jsonschema's own error
(``best_match``, as ``validate`` raises it, with Rasa's suffix).

Measured (``bench/rasa_patches_bench.py``, ``bench/reports/rasa-patches-six.md``): 23.9 ms per
action call in Rasa (mostly the meta-schema check) against 50 µs, one call per message: 23.2 ms
of CPU per message saved, more than all the rest of the message costs with the patches (13.5 ms).
"""

from __future__ import annotations

from typing import Any, Callable

NAME = "RemoteAction._validate_action_result"


def target() -> tuple[type, str]:
    from rasa.core.actions.action import RemoteAction

    return RemoteAction, "_validate_action_result"


def replacement(original: Callable[..., Any]) -> Callable[..., Any]:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    built: list[ActionResultValidator] = []

    def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        if not built:
            built.append(ActionResultValidator(RemoteAction.action_response_format_spec()))
        error = built[0].first_error(result)
        if error is not None:
            error.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    return validate_action_result


class SchemaChanged(RuntimeError):
    """Rasa's action response schema is not shaped as this validator expects."""


class ActionResultValidator:
    """``jsonschema.validate`` of an action server response, minus its two costs: the schema
    is checked against its meta-schema once (not per call), and valid responses skip the
    ``oneOf`` over Rasa's 23 event schemas. Exact because the event schemas differ by
    ``"event": {"const": ...}`` and the outer schema requires ``event`` to be a string: an event
    is valid iff it is valid against the outer schema without ``oneOf`` *and* against the one
    branch its ``event`` names. A response that fails that fast check is validated in full, so
    errors are jsonschema's own (``best_match``).
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        from jsonschema import validators as jsonschema_validators

        if set(schema["properties"]) != {"events", "responses"}:
            raise SchemaChanged(f"response properties: {sorted(schema['properties'])}")
        cls = jsonschema_validators.validator_for(schema)
        cls.check_schema(schema)
        self.full = cls(schema)
        event_schema = schema["properties"]["events"]["items"]
        outer = {k: v for k, v in event_schema.items() if k != "oneOf"}
        self.by_event: dict[str, Any] = {}
        for branch in event_schema["oneOf"]:
            name = branch["properties"]["event"]["const"]
            if name in self.by_event:
                raise SchemaChanged(f"two event schemas for {name!r}")
            self.by_event[name] = cls({"allOf": [outer, branch]})
        self.responses = cls(schema["properties"]["responses"])

    def valid_fast(self, result: Any) -> bool:
        if not isinstance(result, dict):
            return False
        if "responses" in result and not self.responses.is_valid(result["responses"]):
            return False
        events = result.get("events", [])
        if not isinstance(events, list):
            return False
        for event in events:
            name = event.get("event") if isinstance(event, dict) else None
            validator = self.by_event.get(name) if isinstance(name, str) else None
            if validator is None or not validator.is_valid(event):
                return False
        return True

    def first_error(self, result: Any) -> Any:
        """``None`` when valid, else the error ``jsonschema.validate`` would raise."""
        from jsonschema import exceptions

        if self.valid_fast(result):
            return None
        return exceptions.best_match(self.full.iter_errors(result))
