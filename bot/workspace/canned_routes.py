"""Canned responses in the workspace API (:mod:`bot.workspace.canned`).

Wiring: ``app.blueprint(canned_routes.bp)`` in :func:`bot.workspace.app.create_app`,
``openapi.PATHS.update(canned_routes.OPENAPI_PATHS)``.

Permissions: ``read`` lists them (team responses and the bot's FAQ answers, ``faq/<key>``);
``work`` renders one for a ticket (counted as a use); ``canned`` (supervisors, trainers, admins)
creates, edits and deletes the team's.
"""

from __future__ import annotations

import re
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.faq.store import faq_store
from bot.workspace.api import NO_STORE, ok, payload
from bot.workspace.auth import principal, requires, workspace
from bot.workspace.canned import (
    FAQ_PREFIX,
    MAX_CANNED,
    VARIABLES,
    CannedError,
    CannedStore,
    render,
    ticket_values,
)
from bot.workspace.errors import ApiError
from bot.workspace.service import Workspace
from bot.workspace.tools_doc import TICKET_ID, doc, path_param, query_param

bp = Blueprint("canned", url_prefix="/api")

TICKET_RE = re.compile(r"^T-\d{6,12}$")
CODES = {403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid"}


def store_of(ws: Workspace) -> CannedStore:
    store = getattr(ws, "canned", None)
    if store is None:
        faqs = faq_store(ws.settings)
        store = CannedStore(ws.redis, prefix=ws.settings.queue_prefix, faqs=faqs.faqs)
        ws.canned = store  # type: ignore[attr-defined]
    return store


async def _call(request: Request, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await workspace(request).call(fn, *args, **kwargs)
    except CannedError as error:
        raise ApiError(error.status, CODES.get(error.status, "invalid"), str(error)) from None


@bp.get("/canned")
@requires("read")
async def list_canned(request: Request) -> HTTPResponse:
    """Team canned responses and FAQ answers; ``q`` narrows (key, title, text)."""
    q = request.args.get("q") or ""
    if len(q) > 200:
        raise ApiError(422, "invalid", "'q' is longer than 200 characters.")
    store = store_of(workspace(request))
    items = await _call(request, store.list, q)
    return ok({"canned": [c.to_dict() for c in items], "variables": list(VARIABLES),
               "can_edit": principal(request).can("canned")})


@bp.post("/canned")
@requires("canned")
async def create_canned(request: Request) -> HTTPResponse:
    data = payload(request)
    store = store_of(workspace(request))
    item = await _call(request, store.create, data.get("key"), data.get("title"),
                       data.get("text"), principal(request).name)
    return ok(item.to_dict(), status=201)


@bp.put("/canned/<key:str>")
@requires("canned")
async def edit_canned(request: Request, key: str) -> HTTPResponse:
    data = payload(request)
    store = store_of(workspace(request))
    item = await _call(request, store.update, key, principal(request).name,
                       data.get("title"), data.get("text"))
    return ok(item.to_dict())


@bp.delete("/canned/<key:str>")
@requires("canned")
async def delete_canned(request: Request, key: str) -> HTTPResponse:
    await _call(request, store_of(workspace(request)).delete, key)
    return response.empty(status=204, headers=NO_STORE)


async def _render(request: Request, tid: str, key: str) -> HTTPResponse:
    ws = workspace(request)
    if not TICKET_RE.match(tid):
        raise ApiError(404, "not_found", "No such ticket.")
    store = store_of(ws)
    item = await _call(request, store.get, key)
    ticket = await ws.call(ws.queue.get, tid)
    rendered = render(item.text, ticket_values(ticket, principal(request).name))
    await _call(request, store.use, item.key)
    return ok({"key": item.key, "title": item.title, **rendered.to_dict()})


@bp.post("/tickets/<tid:str>/canned/<key:str>/render")
@requires("work")
async def render_canned(request: Request, tid: str, key: str) -> HTTPResponse:
    """A canned response with the ticket's variables filled in (counted as a use)."""
    return await _render(request, tid, key)


@bp.post("/tickets/<tid:str>/canned/faq/<key:str>/render")
@requires("work")
async def render_faq(request: Request, tid: str, key: str) -> HTTPResponse:
    """The bot's FAQ answer ``faq/<key>`` as a canned response for the ticket."""
    return await _render(request, tid, FAQ_PREFIX + key)


_CANNED = {"type": "object", "properties": {
    "key": {"type": "string", "description": "shortcut; FAQ answers are `faq/<key>`"},
    "title": {"type": "string"}, "text": {"type": "string"},
    "source": {"type": "string", "enum": ["team", "faq"]},
    "editable": {"type": "boolean"},
    "variables": {"type": "array", "items": {"type": "string"}},
    "created_by": {"type": "string", "nullable": True},
    "created_at": {"type": "number", "nullable": True},
    "updated_by": {"type": "string", "nullable": True},
    "updated_at": {"type": "number", "nullable": True},
    "uses": {"type": "integer"}, "last_used_at": {"type": "number", "nullable": True}}}
_RENDERED = {"type": "object", "properties": {
    "key": {"type": "string"}, "title": {"type": "string"},
    "text": {"type": "string", "description": "variables filled; unknown ones as blanks "
             "such as ⟦first name⟧ that the agent must fill (a reply holding one is refused)"},
    "missing": {"type": "array", "items": {"type": "string", "enum": list(VARIABLES)}},
    "values": {"type": "object"}}}
_KEY = path_param("key", "A team canned response's key.", "^[a-z0-9][a-z0-9_-]{0,39}$")
_FAQ_KEY = path_param("key", "An FAQ key (the canned response `faq/<key>`).")
_WRITE_PROPS = {
    "title": {"type": "string", "maxLength": 80},
    "text": {"type": "string", "maxLength": 2000, "description": "may use "
             + ", ".join("{{" + v + "}}" for v in VARIABLES)}}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/canned": {
        "get": doc("Canned responses: the team's and the bot's FAQ answers", "read",
                   {"type": "object", "properties": {
                       "canned": {"type": "array", "items": _CANNED},
                       "variables": {"type": "array", "items": {"type": "string"}},
                       "can_edit": {"type": "boolean"}}},
                   params=[query_param("q", "words of the key, title or text",
                                       {"type": "string", "maxLength": 200})], codes=("422",)),
        "post": doc("Create a team canned response", "canned", _CANNED, status="201",
                    codes=("409", "422"),
                    description=f"At most {MAX_CANNED}; unknown variables are refused.",
                    body={"type": "object", "required": ["key", "title", "text"],
                          "properties": {"key": {"type": "string",
                                                 "pattern": "^[a-z0-9][a-z0-9_-]{0,39}$"},
                                         **_WRITE_PROPS}}),
    },
    "/api/canned/{key}": {
        "put": doc("Edit a team canned response", "canned", _CANNED, params=[_KEY],
                   codes=("404", "422"),
                   body={"type": "object", "properties": _WRITE_PROPS}),
        "delete": {**doc("Delete a team canned response", "canned", {"type": "object"},
                         params=[_KEY], codes=("404",)),
                   "responses": {"204": {"description": "Deleted"},
                                 "401": {"$ref": "#/components/responses/Error"},
                                 "403": {"$ref": "#/components/responses/Error"},
                                 "404": {"$ref": "#/components/responses/Error"}}},
    },
    "/api/tickets/{tid}/canned/{key}/render": {"post": doc(
        "Render a canned response for a ticket (counted as a use)", "work", _RENDERED,
        params=[TICKET_ID, _KEY], codes=("404",),
        description="first_name: the follower's name when the channel gave one; "
                    "order_number / tracking_number: the ticket's NLU entities; agent_name: "
                    "you.")},
    "/api/tickets/{tid}/canned/faq/{key}/render": {"post": doc(
        "Render the bot's FAQ answer faq/<key> for a ticket (counted as a use)", "work",
        _RENDERED, params=[TICKET_ID, _FAQ_KEY], codes=("404",))},
}
