"""Per-message costs of Rasa 3.6 removed, found by profiling (``bench/README.md``, "Load").

:func:`apply` patches, in the Rasa server process only (``bot.rasa_ext.serve`` calls it at
start-up, before Rasa handles any message):

- ``Event.resolve_by_type`` walks every ``Event`` subclass (``all_subclasses`` +
  ``inspect.isabstract``) for *each* event of a tracker it deserialises; a tracker is loaded
  twice per message. Cached by type name: the same (first matching) class; unknown names still
  go the original way (``ValueError`` or the default).
- ``Domain.is_empty`` (called for every message) builds an empty ``Domain`` to compare with:
  built once.
- ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which checks the
  schema itself against its meta-schema on every action call, and then tries all 23 event
  schemas of a ``oneOf`` for every event returned. The validator is built once, and a valid
  response is recognised without the ``oneOf`` (:class:`ActionResultValidator`); an invalid one
  gets jsonschema's own error (``best_match``, as ``validate`` does, with Rasa's suffix).
- ``DaskGraphRunner.run`` schedules the NLU graph and the policy graph of every message through
  ``dask.get``: the same nodes get the same inputs, evaluated depth-first in this thread (what
  dask's synchronous scheduler does, minus its bookkeeping); the minimal schema per target list
  is computed once per runner.
- ``EndpointConfig.session`` opens a new aiohttp session (a new TCP connection) for every action
  call: one session per endpoint and event loop is kept instead (keep-alive), and it writes
  request bodies with :func:`dumps` (ujson, already installed with Rasa: 3x faster than
  ``json.dumps`` on a tracker; ``json.dumps`` for anything ujson refuses).
- ``RemoteAction._action_call_format`` sends the whole tracker with every action call, and
  each follower message's ``parse_data`` (rankings, tone, response selector: about half of
  the JSON) again and again. The action server reads the parse of the latest message from
  ``tracker.latest_message``, so the older user events go without theirs
  (:func:`slim_events`); everything else is sent as Rasa sends it.

Each patch is idempotent and has a test that it keeps Rasa's behaviour
(``tests/rasa_ext/test_rasa_speedups.py``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import ujson

APPLIED = "_carebot_speedups"
ORIGINALS: dict[str, Any] = {}
"""Rasa's own functions, by patched attribute (``"DaskGraphRunner.run"``...), once applied."""
ACTION_KEEPALIVE_S = 2.0
"""Idle keep-alive of connections to the action server: shorter than Sanic's 5 s, so the bot
never reuses a connection the action server is closing (that failed 2 of 1,000 calls at 5 s)."""


def apply() -> None:
    """Apply every patch once (later calls do nothing)."""
    from rasa.shared.core import events as rasa_events

    if getattr(rasa_events.Event, APPLIED, False):
        return
    cache_event_types()
    compare_with_one_empty_domain()
    prebuild_action_result_validator()
    run_graphs_without_dask()
    reuse_http_sessions()
    slim_action_payload()
    setattr(rasa_events.Event, APPLIED, True)


def cache_event_types() -> None:
    from rasa.shared.core import events as rasa_events

    original = rasa_events.Event.resolve_by_type
    ORIGINALS["Event.resolve_by_type"] = original
    known: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = known.get(type_name)
        if found is None:
            found = original(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    rasa_events.Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def compare_with_one_empty_domain() -> None:
    from rasa.shared.core.domain import Domain

    ORIGINALS["Domain.is_empty"] = Domain.is_empty
    empty: list[dict[str, Any]] = []

    def is_empty(self: Domain) -> bool:
        if not empty:
            empty.append(Domain.empty().as_dict())
        return bool(self.as_dict() == empty[0])

    Domain.is_empty = is_empty  # type: ignore[method-assign]


def prebuild_action_result_validator() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    ORIGINALS["RemoteAction._validate_action_result"] = RemoteAction._validate_action_result
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

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


class ActionResultValidator:
    """``jsonschema.validate`` of an action server response, minus its two costs: the schema
    is checked against its meta-schema once (not per call), and valid responses skip the
    ``oneOf`` over Rasa's 23 event schemas, which builds an error for each of the 22 that do not
    match. Exact because the event schemas differ by ``"event": {"const": ...}`` and the outer
    schema requires ``event`` to be a string: an event is valid iff it is valid against the outer
    schema without ``oneOf`` *and* against the one branch its ``event`` names. A response that
    fails that fast check is validated in full, so errors are jsonschema's own (``best_match``).
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        from jsonschema import validators as jsonschema_validators

        cls = jsonschema_validators.validator_for(schema)
        cls.check_schema(schema)
        self.full = cls(schema)
        event_schema = schema["properties"]["events"]["items"]
        outer = {k: v for k, v in event_schema.items() if k != "oneOf"}
        self.by_event: dict[str, Any] = {}
        for branch in event_schema["oneOf"]:
            name = branch["properties"]["event"]["const"]
            assert name not in self.by_event, f"two event schemas for {name!r}"
            self.by_event[name] = cls({"allOf": [outer, branch]})
        self.responses = cls(schema["properties"]["responses"])
        assert set(schema["properties"]) == {"events", "responses"}, "schema changed"

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


def run_graphs_without_dask() -> None:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    ORIGINALS["DaskGraphRunner.run"] = DaskGraphRunner.run

    def run(
        self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        run_targets = list(targets if targets else self._graph_schema.target_names)
        schemas = self.__dict__.setdefault("_carebot_schemas", {})
        schema = schemas.get(tuple(run_targets))
        if schema is None:
            schema = schemas[tuple(run_targets)] = self._graph_schema.minimal_graph_schema(
                run_targets
            )
        results: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            results[name] = (name, value)

        def compute(name: str) -> Any:
            if name not in results:
                needs = schema.nodes[name].needs.values()
                results[name] = self._instantiated_nodes[name](*[compute(n) for n in needs])
            return results[name]

        try:
            return dict(compute(target) for target in run_targets)
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e

    DaskGraphRunner.run = run  # type: ignore[method-assign]


class _Borrowed:
    """``async with`` over a shared session that leaves it open on exit."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        return None


def reuse_http_sessions() -> None:
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    ORIGINALS["EndpointConfig.session"] = EndpointConfig.session

    def new_session(self: Any) -> aiohttp.ClientSession:
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        return aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=ACTION_KEEPALIVE_S),
            json_serialize=dumps,
        )

    def session(self: Any) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop: a one-off session, as Rasa does
            return new_session(self)
        cached = self.__dict__.get("_carebot_session")
        if cached is None or cached[0] is not loop or cached[1].closed:
            cached = (loop, new_session(self))
            self.__dict__["_carebot_session"] = cached
        return _Borrowed(cached[1])

    EndpointConfig.session = session  # type: ignore[method-assign]


def dumps(value: Any) -> str:
    """``json.dumps(value)`` in meaning (the same value when parsed back), written by ujson:
    UTF-8 text rather than ``\\u`` escapes, ``/`` unescaped. Whatever ujson refuses (an object
    it cannot serialise) goes to ``json.dumps``, which raises the error Rasa would see."""
    try:
        return str(ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False))
    except (TypeError, OverflowError, ValueError):
        return json.dumps(value)


def slim_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``events`` with ``parse_data`` left out of every user event but the last one."""
    last = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return [
        {k: v for k, v in e.items() if k != "parse_data"}
        if i < last and e.get("event") == "user"
        else e
        for i, e in enumerate(events)
    ]


def slim_action_payload() -> None:
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._action_call_format
    ORIGINALS["RemoteAction._action_call_format"] = original

    def _action_call_format(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
        result: dict[str, Any] = original(self, tracker, domain)
        state = result.get("tracker") or {}
        if state.get("events"):
            state["events"] = slim_events(state["events"])
        return result

    RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]
