"""Patches bench, each patch's target function timed directly (``bench/rasa_patches_bench.py``).

First one pass of the workload counts how often each patched function is called per message and
keeps what it was called with. Then, per patch, Rasa's function and the replacement run on those
same inputs, and the CPU time per call (``time.process_time``, best of ``repeat``) gives the
saving per message = (Rasa's − ours) per call × calls per message:

- ``Event.resolve_by_type``: the type names looked up, in the order seen;
- ``RemoteAction._validate_action_result``: the action server's responses;
- ``DaskGraphRunner.run``: the scheduling alone: the run's time minus the time inside its nodes
  (the nodes, carebot's NLU and Rasa's policies, are the same calls either way);
- ``EndpointConfig.session``: a request with a recorded action-call body to a trivial HTTP server
  in a child process (CPU per call of this process and of the server: a new session and
  connection, and ``json.dumps``, against the kept session and ujson).

Two patches were measured this way and dropped (``bench/README.md``, "Patches of Rasa
internals"): ``Domain.is_empty`` and ``RemoteAction._action_call_format``.
"""

from __future__ import annotations

import asyncio
import copy
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.rasa_patches_stack import process_cpu_seconds
from bot.rasa_ext import patches
from bot.rasa_ext.fast_json import dumps

KEEP = 80
"""Inputs kept per patch for the timing (the counts cover every call)."""


@dataclass
class Recorded:
    """Calls per patch during one pass of the workload, and a sample of their inputs."""

    messages: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    type_names: list[str] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    graph_calls: list[tuple[Any, dict[str, Any], list[str] | None]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    """Action-call bodies as Rasa sent them."""

    def per_message(self, name: str) -> float:
        return self.calls[name] / self.messages if self.messages else 0.0


@contextmanager
def recording(rec: Recorded) -> Iterator[None]:
    """Wrap every applied patch with a counter that also keeps a sample of its inputs."""

    def keep(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        n = rec.calls[name]
        rec.calls[name] += 1
        if name == "Event.resolve_by_type":
            rec.type_names.append(args[0])
        elif n >= KEEP:
            return
        elif name == "RemoteAction._validate_action_result":
            rec.results.append(copy.deepcopy(args[1]))
        elif name == "DaskGraphRunner.run":
            inputs = kwargs.get("inputs", args[1] if len(args) > 1 else None) or {}
            targets = kwargs.get("targets", args[2] if len(args) > 2 else None)
            rec.graph_calls.append((args[0], copy.deepcopy(inputs), targets))

    from rasa.core.actions.action import RemoteAction

    build_body = RemoteAction._action_call_format

    def body_kept(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
        body: dict[str, Any] = build_body(self, tracker, domain)
        if len(rec.bodies) < KEEP:
            rec.bodies.append(copy.deepcopy(body))
        return body

    RemoteAction._action_call_format = body_kept  # type: ignore[method-assign]
    for name, entry in patches.APPLIED.items():
        inner = getattr(entry.owner, entry.attr)

        def counted(*args: Any, _inner: Any = inner, _name: str = name, **kwargs: Any) -> Any:
            keep(_name, args, kwargs)
            return _inner(*args, **kwargs)

        wrapped = staticmethod(counted) if isinstance(entry.patched, staticmethod) else counted
        setattr(entry.owner, entry.attr, wrapped)
    try:
        yield
    finally:
        RemoteAction._action_call_format = build_body  # type: ignore[method-assign]
        for entry in patches.APPLIED.values():
            setattr(entry.owner, entry.attr, entry.patched)


def cpu_per_call(run: Callable[[], int], repeat: int = 5) -> float:
    """Best of ``repeat`` runs of ``run`` (which returns how many calls it made): CPU s/call."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        calls = run()
        best = min(best, (time.process_time() - start) / max(calls, 1))
    return best


def _pair(name: str, rasa: float, ours: float, calls: float, **extra: Any) -> dict[str, Any]:
    return {"calls_per_msg": round(calls, 3), "rasa_us_per_call": round(rasa * 1e6, 2),
            "ours_us_per_call": round(ours * 1e6, 2),
            "saved_ms_per_msg": round((rasa - ours) * calls * 1e3, 4), **extra}


def calls_of(fn: Callable[..., Any], inputs: list[tuple[Any, ...]]) -> Callable[[], int]:
    """A run for :func:`cpu_per_call`: ``fn(*args)`` for every ``args`` of ``inputs``."""

    def run() -> int:
        for args in inputs:
            fn(*args)
        return len(inputs)

    return run


def time_event_types(rec: Recorded) -> dict[str, Any]:
    name = "Event.resolve_by_type"
    from rasa.shared.core.events import Event

    names = [(t,) for t in rec.type_names or ["user"]]
    rasa = cpu_per_call(calls_of(patches.ORIGINALS[name], names))
    ours = cpu_per_call(calls_of(Event.resolve_by_type, names))
    return _pair(name, rasa, ours, rec.per_message(name))


def time_action_result(rec: Recorded) -> dict[str, Any]:
    name = "RemoteAction._validate_action_result"
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_respond", None)
    inputs = [(action, r) for r in rec.results or [{}]]
    rasa = cpu_per_call(calls_of(patches.ORIGINALS[name], inputs), repeat=3)
    ours = cpu_per_call(calls_of(RemoteAction._validate_action_result, inputs))
    return _pair(name, rasa, ours, rec.per_message(name), responses_timed=len(inputs))


def _timed_nodes(nodes: dict[str, Any], inside: list[float]) -> dict[str, Any]:
    """``nodes`` wrapped so that the CPU time spent inside them adds up in ``inside[0]``."""

    def timed(node: Any) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            start = time.process_time()
            try:
                return node(*args)
            finally:
                inside[0] += time.process_time() - start

        return call

    return {name: timed(node) for name, node in nodes.items()}


def _graph_overhead(run: Callable[..., Any], calls: list[tuple[Any, dict[str, Any],
                    list[str] | None]]) -> float:
    """CPU s per call of ``run`` outside the graph's nodes, best of 3 passes over ``calls``."""
    best = float("inf")
    for _ in range(3):
        overhead = 0.0
        for runner, inputs, targets in calls:
            inside = [0.0]
            nodes = runner._instantiated_nodes
            runner._instantiated_nodes = _timed_nodes(nodes, inside)
            fresh = copy.deepcopy(inputs)
            try:
                start = time.process_time()
                run(runner, inputs=fresh, targets=targets)
                overhead += time.process_time() - start - inside[0]
            finally:
                runner._instantiated_nodes = nodes
        best = min(best, overhead / max(len(calls), 1))
    return best


def time_graph_runner(rec: Recorded) -> dict[str, Any]:
    name = "DaskGraphRunner.run"
    from rasa.engine.runner.dask import DaskGraphRunner

    calls = rec.graph_calls
    rasa = _graph_overhead(patches.ORIGINALS[name], calls)
    ours = _graph_overhead(DaskGraphRunner.run, calls)
    return _pair(name, rasa, ours, rec.per_message(name), runs_timed=len(calls),
                 note="scheduling only (run time minus time inside the nodes)")


TRIVIAL_SERVER = """
import sys
from aiohttp import web
async def webhook(request):
    await request.read()
    return web.json_response({"events": [], "responses": []})
app = web.Application(client_max_size=2**24)
app.router.add_post("/webhook", webhook)
app.router.add_get("/health", lambda request: web.json_response({}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def time_action_sessions(rec: Recorded, port: int, calls: int = 200, passes: int = 5
                         ) -> dict[str, Any]:
    """CPU per action request (a recorded body), Rasa's session per call against the kept one,
    to a trivial server in a child process: this process's and the server's (a new connection
    costs both ends)."""
    name = "EndpointConfig.session"
    from rasa.utils.endpoints import EndpointConfig

    body = rec.bodies[0] if rec.bodies else {"next_action": "action_respond"}
    server = subprocess.Popen([sys.executable, "-c", TRIVIAL_SERVER, str(port)])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                    break
            except requests.RequestException:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
            time.sleep(0.2)

        async def requests_cpu(endpoint: Any) -> tuple[float, float]:
            """CPU s per request: this process's, the server's."""
            start, served = time.process_time(), process_cpu_seconds(server.pid)
            for _ in range(calls):
                await endpoint.request(json=body, method="post")
            return ((time.process_time() - start) / calls,
                    (process_cpu_seconds(server.pid) - served) / calls)

        async def both() -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
            """Alternating passes (ours, Rasa's, ...)."""
            from bot.rasa_ext.patches.action_sessions import close_sessions

            endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
            ours, rasa = [], []
            try:
                for _ in range(20):  # warm up (and open the kept session)
                    await endpoint.request(json=body, method="post")
                for _ in range(passes):
                    ours.append(await requests_cpu(endpoint))
                    with patches.disabled(name):
                        rasa.append(await requests_cpu(endpoint))
                return rasa, ours
            finally:
                await close_sessions()

        rasa, ours = asyncio.run(both())
    finally:
        server.terminate()
        server.wait(timeout=10)
    per_msg = rec.per_message(name)
    client = _pair(name, min(r[0] for r in rasa), min(o[0] for o in ours), per_msg)
    served = _pair(name, statistics.median(r[1] for r in rasa),
                   statistics.median(o[1] for o in ours), per_msg)
    return {**client, "server": served, "body_bytes": len(dumps(body)),
            "saved_ms_per_msg": round(client["saved_ms_per_msg"] + served["saved_ms_per_msg"], 4),
            "note": "one request to a trivial local server: this process (best of the passes) "
                    "+ the server (median; 10 ms clock ticks)"}
