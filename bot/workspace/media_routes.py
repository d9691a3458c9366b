"""Follower media in the console: ``GET /api/tickets/{id}/media/{m}/{a}`` (``read``) gives the
bytes of attachment ``a`` of transcript message ``m`` (a follower's), fetched by the workspace
with the platform's credentials (``bot.channels.media``), so no token reaches the browser.

Answers: 200 with the attachment's content type (images, video, audio, PDF, plain text: the
allow-list of ``bot.channels.media.CONTENT_TYPES``), ``Cache-Control: private``, and a
``Content-Security-Policy: default-src 'none'; sandbox`` of its own; 404 no such attachment (or
not one a platform serves: a REST follower's link is never fetched); 413 over 10 MB; 415 a type
not shown; 502 the platform refused or is not configured here.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.media import Media, MediaError, MediaFetcher
from bot.queue import Ticket
from bot.workspace.auth import requires, workspace
from bot.workspace.errors import ApiError
from bot.workspace.service import Workspace

bp = Blueprint("media", url_prefix="/api")

MEDIA_KINDS = frozenset({"image", "video", "audio", "file", "sticker", "story_mention"})


def fetcher(ws: Workspace) -> MediaFetcher:
    found: MediaFetcher | None = getattr(ws, "media_fetcher", None)
    if found is None:
        found = MediaFetcher()
        ws.media_fetcher = found  # type: ignore[attr-defined]
    return found


def attachment_of(ticket: Ticket, m: int, a: int) -> dict[str, Any]:
    """Attachment ``a`` of follower message ``m`` (404 otherwise)."""
    missing = ApiError(404, "not_found", "No such attachment on this ticket.")
    if not 0 <= m < len(ticket.transcript):
        raise missing
    message = ticket.transcript[m]
    attachments = message.get("attachments")
    if message.get("role") != "follower" or not isinstance(attachments, list):
        raise missing
    if not 0 <= a < len(attachments) or not isinstance(attachments[a], dict):
        raise missing
    attachment: dict[str, Any] = attachments[a]
    if attachment.get("type") not in MEDIA_KINDS:
        raise missing
    return attachment


def _index(value: str) -> int:
    if not value.isdigit() or len(value) > 4:
        raise ApiError(404, "not_found", "No such attachment on this ticket.")
    return int(value)


@bp.get("/tickets/<tid:str>/media/<m:str>/<a:str>")
@requires("read")
async def media(request: Request, tid: str, m: str, a: str) -> HTTPResponse:
    """An attachment a follower sent, fetched through the workspace."""
    from bot.workspace.api import ticket_id

    ws = workspace(request)
    ticket = await ws.call(ws.queue.get, ticket_id(tid))
    attachment = attachment_of(ticket, _index(m), _index(a))
    try:
        found: Media = await ws.call(fetcher(ws).fetch, ticket.channel, attachment)
    except MediaError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    inline = found.content_type.split("/")[0] in ("image", "video", "audio")
    return response.raw(found.body, content_type=found.content_type, headers={
        "Cache-Control": "private, max-age=300",
        "Content-Disposition": "inline" if inline else f'attachment; filename="{tid}-{m}-{a}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })
