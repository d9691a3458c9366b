"""bot/workspace/openapi.py: the served OpenAPI document matches the app's routes exactly."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import pytest
from sanic import Sanic

from bot.settings import Settings
from bot.workspace.app import create_app
from bot.workspace.openapi import PATHS, document

UNDOCUMENTED = {  # pages, files, ops
    "/",
    "/login",
    "/healthz",
    "/static/{name}",
    "/metrics",
    "/review",
    "/review/{name}",
    "/audit",
    "/audit/{name}",
}  # pages, files, ops


@pytest.fixture
def app() -> Iterator[Sanic]:
    app = create_app(Settings.from_env({}))
    yield app
    app.ctx.workspace.close()


def routes(app: Sanic) -> dict[tuple[str, str], Any]:
    out = {}
    for route in app.router.routes:
        path = "/" + re.sub(r"<(\w+):\w+>", r"{\1}", route.path)
        for method in route.methods:
            out[(path, method.lower())] = route.handler
    return out


def test_every_route_is_documented_and_every_documented_route_exists(app: Sanic) -> None:
    served = {key for key in routes(app) if key[0] not in UNDOCUMENTED}
    documented = {(path, method) for path, ops in PATHS.items() for method in ops}
    assert served == documented


def test_documented_permissions_are_the_enforced_ones(app: Sanic) -> None:
    for (path, method), handler in routes(app).items():
        if path in UNDOCUMENTED or (path, method) == ("/api/session", "post"):
            continue
        enforced = getattr(handler, "carebot_permission", "any")
        assert PATHS[path][method]["x-permission"] == enforced, (path, method)


def test_document_shape() -> None:
    doc = document()
    json.dumps(doc)  # serialisable
    assert doc["openapi"] == "3.0.3" and doc["info"]["title"]
    refs = set(re.findall(r'"#/components/(\w+)/(\w+)"', json.dumps(doc)))
    for kind, name in refs:
        assert name in doc["components"][kind], (kind, name)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and op["responses"], (path, method)
            if "{tid}" in path:
                assert op["parameters"][0]["name"] == "tid"
    queue_ops = [
        "claim-next",
        "claim",
        "heartbeat",
        "reply",
        "notes",
        "release",
        "transfer",
        "resolve",
        "handback",
    ]
    for op in queue_ops:
        assert any(p.endswith("/" + op) for p in doc["paths"]), op
    assert "/api/decide" in doc["paths"] and "/api/events" in doc["paths"]
