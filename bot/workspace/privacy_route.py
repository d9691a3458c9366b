"""``GET /api/followers/{fid}/export``: everything held about one follower, for admins.

The same document as ``carebot privacy export`` (``bot.privacy``): conversations, tickets with
transcript, notes and history, inbox, audit entries, review mentions, spooled escalations.
``fid`` is ``<channel>:<sender>`` (``whatsapp:15550001``); a malformed id is a 422. Erasure stays
on the command line (``carebot privacy erase``), where it asks for ``--yes``.

Wiring: ``app.blueprint(privacy_route.bp)`` in :func:`bot.workspace.app.create_app`, and
``openapi.PATHS.update(privacy_route.OPENAPI_PATHS)``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.privacy import Follower, FollowerIdError, Privacy
from bot.workspace.auth import requires, workspace
from bot.workspace.errors import invalid

bp = Blueprint("privacy", url_prefix="/api")


@bp.get("/followers/<fid:str>/export")
@requires("privacy")
async def export(request: Request, fid: str) -> HTTPResponse:
    ws = workspace(request)
    try:
        who = Follower.parse(unquote(fid))
    except FollowerIdError as error:
        raise invalid(str(error)) from None
    privacy = Privacy(ws.redis, ws.settings.queue_prefix, ws.settings.spool_dir)
    document = await ws.call(privacy.export, who)
    filename = "follower-export.json"
    return response.json(document, headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{filename}"',
    })


OPENAPI_PATHS: dict[str, Any] = {
    "/api/followers/{fid}/export": {
        "get": {
            "summary": "Everything held about one follower, as JSON (data subject access)",
            "x-permission": "privacy",
            "description": "Conversations (Rasa trackers), tickets with transcript, notes and "
            "history, the REST inbox, audit entries, FAQ review mentions and spooled "
            "escalations. Erase with `carebot privacy erase`.\n\nPermission: `privacy` "
            "(admins).",
            "parameters": [{
                "name": "fid", "in": "path", "required": True,
                "description": "`<channel>:<sender>`, e.g. `whatsapp:15550001`.",
                "schema": {"type": "string", "minLength": 3, "maxLength": 512},
            }],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "format": {"type": "string"}, "follower": {"type": "string"},
                        "conversations": {"type": "array", "items": {"type": "object"}},
                        "tickets": {"type": "array", "items": {"type": "object"}},
                        "inbox": {"type": "array", "items": {"type": "object"}},
                        "audit": {"type": "array", "items": {"type": "object"}},
                        "review_mentions": {"type": "array", "items": {"type": "object"}},
                        "spooled_escalations": {"type": "array", "items": {"type": "object"}},
                    }}}}},
                "401": {"$ref": "#/components/responses/Error"},
                "403": {"$ref": "#/components/responses/Error"},
                "422": {"$ref": "#/components/responses/Error"},
            },
        }
    }
}
