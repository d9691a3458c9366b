"""``GET /api/search``: find tickets by words of the transcript, follower, channel, label,
reason, agent, status and date range (:mod:`bot.queue.search`).

Wiring: ``app.blueprint(search_routes.bp)`` in :func:`bot.workspace.app.create_app`,
``openapi.PATHS.update(search_routes.OPENAPI_PATHS)``. Permission ``read``.
"""

from __future__ import annotations

import re
import time
from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.queue.labels import LabelError, normalise
from bot.queue.search import (
    MAX_LIMIT,
    MAX_QUERY_CHARS,
    STATUSES,
    Query,
    SearchError,
    SearchIndex,
    engine,
    parse_time,
)
from bot.workspace.accounts import NAME_RE
from bot.workspace.api import ok
from bot.workspace.auth import requires, workspace
from bot.workspace.errors import invalid
from bot.workspace.service import Workspace
from bot.workspace.tools_doc import doc, query_param

bp = Blueprint("search", url_prefix="/api")

WORD_RE = re.compile(r"^[a-z0-9_-]{1,40}$")
"""A channel or reason code."""


def index_of(ws: Workspace) -> SearchIndex:
    index = getattr(ws, "search_index", None)
    if index is None:
        index = SearchIndex(ws.redis, prefix=ws.settings.queue_prefix)
        ws.search_index = index  # type: ignore[attr-defined]
        ws.search_engine = engine(ws.redis)  # type: ignore[attr-defined]
    return index


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"'{name}' must be an integer.") from None
    if not low <= value <= high:
        raise invalid(f"'{name}' must be between {low} and {high}.")
    return value


def query_from(request: Request) -> Query:
    """The query of ``request.args``; 422 naming the bad argument."""
    args = request.args
    arg = lambda name: (args.get(name) or "").strip() or None  # noqa: E731
    text = args.get("q") or ""
    if len(text) > MAX_QUERY_CHARS:
        raise invalid(f"'q' is longer than {MAX_QUERY_CHARS} characters.")
    channel, reason, agent, status = arg("channel"), arg("reason"), arg("agent"), arg("status")
    for name, value in (("channel", channel), ("reason", reason)):
        if value is not None and not WORD_RE.match(value):
            raise invalid(f"'{name}' must be a code such as whatsapp or negative_tone.")
    if agent is not None and not NAME_RE.match(agent):
        raise invalid("'agent' must be an account name.")
    if status is not None and status not in STATUSES:
        raise invalid(f"'status' must be one of {', '.join(STATUSES)}.")
    label = arg("label")
    if label is not None:
        try:
            label = normalise(label)
        except LabelError as error:
            raise invalid(str(error)) from None
    try:
        start = parse_time(args["from"][0], "from") if arg("from") else None
        end = parse_time(args["to"][0], "to", end_of_day=True) if arg("to") else None
        return Query(text=text, channel=channel, label=label, reason=reason, agent=agent,
                     status=status, start=start, end=end,
                     limit=_int(request, "limit", 50, 1, MAX_LIMIT),
                     offset=_int(request, "offset", 0, 0, 10_000))
    except SearchError as error:
        raise invalid(f"Bad search: {error}.") from None


@bp.get("/search")
@requires("read")
async def search(request: Request) -> HTTPResponse:
    """Tickets matching every given condition, newest first."""
    ws = workspace(request)
    query = query_from(request)
    index = index_of(ws)
    result = await ws.call(index.search, query)
    return ok({"now": time.time(), "engine": getattr(ws, "search_engine", "index"),
               **result.to_dict()})


_HIT = {"type": "object", "properties": {
    "id": {"type": "string"}, "status": {"type": "string"},
    "outcome": {"type": "string", "nullable": True}, "channel": {"type": "string"},
    "sender": {"type": "string"}, "priority": {"type": "integer"},
    "reasons": {"type": "array", "items": {"type": "string"}},
    "labels": {"type": "array", "items": {"type": "string"}},
    "created_at": {"type": "number"}, "updated_at": {"type": "number"},
    "resolved_at": {"type": "number", "nullable": True},
    "claimed_by": {"type": "string", "nullable": True},
    "resolved_by": {"type": "string", "nullable": True},
    "snippet": {"type": "string", "description": "the newest message with a query word, "
                "around it (else the newest follower message)"}}}
_TEXT_Q = {"type": "string"}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/search": {"get": doc(
        "Search tickets: transcript words, follower, channel, label, reason, agent, status, "
        "dates", "read",
        {"type": "object", "properties": {
            "tickets": {"type": "array", "items": _HIT},
            "total": {"type": "integer", "nullable": True,
                      "description": "how many match, when counted (null: more than read)"},
            "more": {"type": "boolean"},
            "words": {"type": "array", "items": {"type": "string"},
                      "description": "the query words searched"},
            "ignored": {"type": "array", "items": {"type": "string"},
                        "description": "query words too common or too short to search"},
            "strategy": {"type": "string"}, "engine": {"type": "string"},
            "now": {"type": "number"}}},
        codes=("422",),
        description="Every given condition must hold. `q`: words of the follower's and agents' "
                    "messages and of the follower's id or name (lower case, accents kept; the "
                    "last word also matches words it starts, 3 letters or more; common words "
                    "are ignored). Newest tickets first (by creation); `from`/`to` bound the "
                    "creation time.",
        params=[
            query_param("q", "words to find", {"type": "string",
                                               "maxLength": MAX_QUERY_CHARS}),
            query_param("channel", "e.g. whatsapp", _TEXT_Q),
            query_param("label", "a label", _TEXT_Q),
            query_param("reason", "an escalation reason code", _TEXT_Q),
            query_param("agent", "an agent who held or closed the ticket", _TEXT_Q),
            query_param("status", "`open` = queued or claimed",
                        {"type": "string", "enum": list(STATUSES)}),
            query_param("from", "created at or after: 2024-05-01 (UTC), an ISO date-time or "
                        "unix seconds", _TEXT_Q),
            query_param("to", "created at or before (a date: that whole day)", _TEXT_Q),
            query_param("limit", "rows (default 50)",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
            query_param("offset", "rows to skip", {"type": "integer", "minimum": 0,
                                                    "maximum": 10000}),
        ])},
}
