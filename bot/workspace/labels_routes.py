"""Labels in the workspace API: the label list with colours, a ticket's labels, the list filter.

Wiring: ``app.blueprint(labels_routes.bp)`` in :func:`bot.workspace.app.create_app`,
``openapi.PATHS.update(labels_routes.OPENAPI_PATHS)``; ``GET /api/tickets?label=`` is
``bot.workspace.label_filter``.

Permissions: ``read`` lists labels, ``label`` (every role) adds and removes them on tickets,
``manage_labels`` (supervisors, admins) sets colours. Every change goes through
:class:`bot.queue.labels.Labels` (one Lua script: the ticket, the index, the registry, the
figures and the audit event).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.queue.labels import PALETTE, LabelError, Labels, normalise
from bot.workspace.api import ok, payload
from bot.workspace.auth import principal, requires, workspace
from bot.workspace.errors import ApiError, invalid
from bot.workspace.service import Workspace
from bot.workspace.tools_doc import TICKET_ID, doc, path_param

bp = Blueprint("labels", url_prefix="/api")

TICKET_RE = re.compile(r"^T-\d{6,12}$")


def labels_of(ws: Workspace) -> Labels:
    labels = getattr(ws, "labels", None)
    if labels is None:
        labels = Labels(ws.queue)
        ws.labels = labels  # type: ignore[attr-defined]
    return labels


def _label(value: Any) -> str:
    try:
        return normalise(value)
    except LabelError as error:
        raise invalid(str(error)) from None


def _tid(value: str) -> str:
    if not TICKET_RE.match(value):
        raise ApiError(404, "not_found", "No such ticket.")
    return value


async def _change(request: Request, tid: str, op: str, name: Any) -> HTTPResponse:
    ws = workspace(request)
    labels = labels_of(ws)
    fn = labels.add if op == "add" else labels.remove
    try:
        now = await ws.call(fn, _tid(tid), principal(request).name, _label(name))
    except LabelError as error:
        raise invalid(str(error)) from None
    return ok({"id": tid, "labels": now})


@bp.get("/labels")
@requires("read")
async def list_labels(request: Request) -> HTTPResponse:
    """Every label with its colour and how many tickets carry it now."""
    ws = workspace(request)
    registry = await ws.call(labels_of(ws).registry)
    return ok({"labels": [{"name": n, **v} for n, v in registry.items()],
               "palette": list(PALETTE)})


@bp.put("/labels/<name:str>")
@requires("manage_labels")
async def set_colour(request: Request, name: str) -> HTTPResponse:
    ws = workspace(request)
    colour = payload(request).get("colour")
    try:
        return ok(await ws.call(labels_of(ws).set_colour, _label(unquote(name)), colour))
    except LabelError as error:
        raise invalid(str(error)) from None


@bp.post("/tickets/<tid:str>/labels")
@requires("label")
async def add_label(request: Request, tid: str) -> HTTPResponse:
    """Add a label to a ticket (any status)."""
    return await _change(request, tid, "add", payload(request).get("label"))


@bp.delete("/tickets/<tid:str>/labels/<name:str>")
@requires("label")
async def remove_label(request: Request, tid: str, name: str) -> HTTPResponse:
    return await _change(request, tid, "remove", unquote(name))


_LABEL = {"type": "object", "properties": {
    "name": {"type": "string"}, "colour": {"type": "string", "pattern": "^#[0-9a-f]{6}$"},
    "tickets": {"type": "integer", "description": "tickets carrying it now"}}}
_TICKET_LABELS = {"type": "object", "properties": {
    "id": {"type": "string"}, "labels": {"type": "array", "items": {"type": "string"}}}}
_NAME = path_param("name", "Label name (URL-encoded; normalised: lower case, 1-32 of a-z 0-9 "
                   "- _ and space).")

OPENAPI_PATHS: dict[str, Any] = {
    "/api/labels": {"get": doc(
        "Labels: colour and how many tickets carry each", "read",
        {"type": "object", "properties": {"labels": {"type": "array", "items": _LABEL},
                                          "palette": {"type": "array",
                                                      "items": {"type": "string"}}}})},
    "/api/labels/{name}": {"put": doc(
        "Set a label's colour (registers the label)", "manage_labels", _LABEL,
        params=[_NAME], codes=("422",),
        body={"type": "object", "required": ["colour"], "properties": {
            "colour": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}}})},
    "/api/tickets/{tid}/labels": {"post": doc(
        "Add a label to a ticket", "label", _TICKET_LABELS, params=[TICKET_ID],
        codes=("404", "422"),
        description="Free-form: a new name joins the label list with a palette colour. At most "
                    "20 per ticket. Recorded in the ticket's history and the audit stream "
                    "(`label_added`) and counted in the supervisor figures.",
        body={"type": "object", "required": ["label"], "properties": {
            "label": {"type": "string", "maxLength": 64}}})},
    "/api/tickets/{tid}/labels/{name}": {"delete": doc(
        "Remove a label from a ticket", "label", _TICKET_LABELS, params=[TICKET_ID, _NAME],
        codes=("404", "422"))},
}
