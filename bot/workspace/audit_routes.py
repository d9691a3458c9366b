"""The supervisors' answer audit in the workspace (``/audit``, ``/api/audit…``; :mod:`bot.audit`).

Wiring: ``app.blueprint(audit_routes.bp)`` in :func:`bot.workspace.app.create_app`;
``openapi.PATHS.update(audit_routes.OPENAPI_PATHS)`` (``/audit`` and ``/audit/{name}`` are
pages, not API).

Permissions (:data:`bot.workspace.accounts.PERMISSIONS`): reading the audit (the sampled answers,
their verdicts, the precision) needs ``audit_read`` (supervisor, trainer, admin); marking an
answer right or wrong needs ``audit`` (supervisor, admin). Agents see neither. A wrong verdict
becomes a proposal on the trainers' review list (:func:`bot.audit.verdict.judge`).
"""

from __future__ import annotations

from typing import Any, Callable

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.audit.store import (
    AUDIT_ID,
    MAX_NOTE,
    STATUSES,
    VERDICTS,
    AuditError,
    AuditStore,
    audit_store,
)
from bot.audit.verdict import NEGATIVE, NEW_FAQ, judge
from bot.faq.review import ReviewError, ReviewStore
from bot.faq.store import faq_store
from bot.workspace.api import ok, payload
from bot.workspace.auth import principal, requires, workspace
from bot.workspace.errors import ApiError, invalid
from bot.workspace.pages import side_asset, side_page

bp = Blueprint("audit", url_prefix="")

MAX_DAYS = 365
MAX_KEY = 60


def _audit(request: Request) -> AuditStore:
    ws = workspace(request)
    store = getattr(ws, "audit_store", None)
    if store is None:
        store = audit_store(ws.settings, ws.redis)
        ws.audit_store = store  # type: ignore[attr-defined]
    return store


def _review(request: Request) -> ReviewStore:
    ws = workspace(request)
    return ReviewStore(ws.redis, prefix=ws.settings.queue_prefix)


async def _call(request: Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return await workspace(request).call(fn, *args, **kwargs)
    except (AuditError, ReviewError) as error:
        codes = {404: "not_found", 409: "conflict"}
        status = error.code if error.code in (404, 409) else 422
        raise ApiError(status, codes.get(status, "invalid"), str(error)) from None


def _aid(value: str) -> str:
    if not AUDIT_ID.match(value):
        raise ApiError(404, "not_found", "No such audit item.")
    return value


def _int_arg(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"'{name}' must be an integer.") from None
    if not lo <= value <= hi:
        raise invalid(f"'{name}' must be between {lo} and {hi}.")
    return value


def days_arg(request: Request, name: str = "days") -> int:
    return _int_arg(request, name, 30, 1, MAX_DAYS)


@bp.get("/api/audit")
@requires("audit_read")
async def list_items(request: Request) -> HTTPResponse:
    """Audited answers: ``pending`` (oldest first) or ``right`` / ``wrong`` / ``decided``."""
    status = request.args.get("status", "pending")
    if status not in STATUSES:
        raise invalid("'status' must be one of " + ", ".join(STATUSES) + ".")
    limit = _int_arg(request, "limit", 50, 1, 500)
    store = _audit(request)
    items = await _call(request, store.list, status, limit)
    pending = await _call(request, store.pending_count)
    return ok({"items": items, "pending": pending})


@bp.get("/api/audit/precision")
@requires("audit_read")
async def precision(request: Request) -> HTTPResponse:
    """Production precision (rate-sampled answers, Wilson 95%) over the last ``days`` days."""
    days = days_arg(request)
    return ok(await _call(request, _audit(request).report, days))


@bp.get("/api/audit/<aid:str>")
@requires("audit_read")
async def show(request: Request, aid: str) -> HTTPResponse:
    return ok(await _call(request, _audit(request).get, _aid(aid)))


def _optional(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(f"'{name}' must be a string.")
    if len(value) > limit:
        raise invalid(f"'{name}' is longer than {limit} characters.")
    return value


@bp.post("/api/audit/<aid:str>/mark")
@requires("audit")
async def mark(request: Request, aid: str) -> HTTPResponse:
    """``verdict`` right | wrong; ``note``; for wrong, ``correct``: an FAQ key, ``new_faq`` (with
    an optional suggested ``key``) or ``negative`` (no FAQ covers it)."""
    aid = _aid(aid)
    data = payload(request)
    verdict = data.get("verdict")
    if verdict not in VERDICTS:
        raise invalid("'verdict' must be 'right' or 'wrong'.")
    note = _optional(data, "note", MAX_NOTE)
    correct = _optional(data, "correct", MAX_KEY)
    key = _optional(data, "key", MAX_KEY)
    ws = workspace(request)
    item = await _call(request, judge, _audit(request), _review(request), aid, verdict,
                       principal(request).name, note=note, correct=correct or None,
                       key=key or None, store=faq_store(ws.settings))
    return ok(item)


# -- the page ----------------------------------------------------------------------------------

PAGE_FILES = {"audit.js": "text/javascript; charset=utf-8",
              "audit.css": "text/css; charset=utf-8"}


@bp.get("/audit")
async def page(request: Request) -> HTTPResponse:
    return await side_page(request, "audit.html", "audit_read",
                           "<p>The answer audit is for supervisors and trainers.</p>")


@bp.get("/audit/<name:str>")
async def asset(request: Request, name: str) -> HTTPResponse:
    return side_asset(PAGE_FILES, name)


# -- OpenAPI (merged into bot.workspace.openapi.PATHS) -----------------------------------------

_ERR = {"$ref": "#/components/responses/Error"}
_ESTIMATE = {"type": "object", "properties": {
    "right": {"type": "integer"}, "wrong": {"type": "integer"}, "verdicts": {"type": "integer"},
    "precision": {"type": "number", "nullable": True},
    "low": {"type": "number", "nullable": True, "description": "Wilson 95% lower bound"},
    "high": {"type": "number", "nullable": True, "description": "Wilson 95% upper bound"}}}
PRECISION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Production precision of the bot's FAQ answers: right/(right+wrong) over "
                   "the rate-sampled answers (a uniform sample), Wilson 95% interval; the "
                   "low-confidence extras apart (not a uniform sample).",
    "properties": {
        "days": {"type": "integer"}, "sampled": {"type": "integer"},
        "low_confidence": {"type": "integer"}, "pending": {"type": "integer"},
        "precision": _ESTIMATE, "low_confidence_precision": _ESTIMATE,
        "method": {"type": "string"}}}
_ITEM = {"type": "object", "description": "One audited bot answer (bot/audit/store.py).",
         "properties": {
             "id": {"type": "string", "example": "A-000001"},
             "status": {"type": "string", "enum": ["pending", *VERDICTS]},
             "verdict": {"type": "string", "enum": ["", *VERDICTS]},
             "text": {"type": "string"}, "conversation": {"type": "string"},
             "channel": {"type": "string"}, "faq": {"type": "string"},
             "response": {"type": "string"}, "answer": {"type": "string"},
             "confidence": {"type": "number", "nullable": True},
             "intent_confidence": {"type": "number", "nullable": True},
             "answer_confidence": {"type": "number", "nullable": True},
             "model_id": {"type": "string"}, "answered_at": {"type": "number"},
             "sampled": {"type": "boolean", "description": "drawn by CAREBOT_AUDIT_RATE"},
             "low_confidence": {"type": "boolean",
                                "description": "within CAREBOT_AUDIT_MARGIN of a threshold"},
             "ranking": {"type": "array", "items": {"type": "object"}},
             "decided_by": {"type": "string"}, "note": {"type": "string"},
             "correct": {"type": "string"},
             "proposal": {"type": "string", "description": "the review proposal it became"}}}
_AID = {"name": "aid", "in": "path", "required": True, "description": "Audit id (A-000001).",
        "schema": {"type": "string", "pattern": "^A-[0-9]{6,12}$"}}


def _op(summary: str, permission: str, schema: dict[str, Any], codes: tuple[str, ...],
        **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "description": f"Permission: `{permission}`.",
            "x-permission": permission,
            "responses": {"200": {"description": "OK", "content": {"application/json": {
                "schema": schema}}}, "401": _ERR, "403": _ERR, **{c: _ERR for c in codes}},
            **extra}


OPENAPI_PATHS: dict[str, Any] = {
    "/api/audit": {"get": _op(
        "Audited bot answers: pending (oldest first), right, wrong or decided (newest first)",
        "audit_read",
        {"type": "object", "properties": {"items": {"type": "array", "items": _ITEM},
                                          "pending": {"type": "integer"}}},
        ("422",),
        parameters=[
            {"name": "status", "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(STATUSES), "default": "pending"}},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}])},
    "/api/audit/precision": {"get": _op(
        "Production precision of the bot's answers with its 95% interval", "audit_read",
        PRECISION_SCHEMA, ("422",),
        parameters=[{"name": "days", "in": "query", "required": False,
                     "description": "Answers of the last N days (1..365, default 30).",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS}}])},
    "/api/audit/{aid}": {"get": _op("One audited answer", "audit_read", _ITEM, ("404",),
                                    parameters=[_AID])},
    "/api/audit/{aid}/mark": {"post": _op(
        "Mark an audited answer right or wrong; a wrong one becomes a trainer proposal",
        "audit", _ITEM, ("400", "404", "409", "422"), parameters=[_AID],
        requestBody={"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["verdict"], "properties": {
                "verdict": {"type": "string", "enum": list(VERDICTS)},
                "note": {"type": "string", "maxLength": MAX_NOTE},
                "correct": {"type": "string", "maxLength": MAX_KEY,
                            "description": f"wrong only: the FAQ key it should have been, "
                                           f"'{NEW_FAQ}' or '{NEGATIVE}' (no FAQ covers it)"},
                "key": {"type": "string", "maxLength": MAX_KEY,
                        "description": f"'{NEW_FAQ}': a suggested key"}}}}}})},
}
UNDOCUMENTED_PAGES = ("/audit", "/audit/{name}")
