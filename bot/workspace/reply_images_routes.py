"""Images attached to agent replies (issue 18 item 5): upload, then send with the reply.

``POST /api/tickets/{id}/images`` (``work``; the agent must hold the conversation) takes the
image's bytes as the request body (any Content-Type: the type is decided by the bytes,
``bot.channels.reply_images.check_upload``) and keeps it in Redis for 24 hours; the answer's
``image.id`` then goes with the reply, ``POST /api/tickets/{id}/reply`` ``{"text", "image_id"}``
(``bot.workspace.replies``). Refusals, each with a message an agent can act on: 401/403 no
session or a role that cannot reply, 404 no such ticket, 409 ``not_holder`` the caller does not
hold the conversation, 413 ``too_large`` over ``CAREBOT_REPLY_IMAGE_MAX_KB``, 415
``unsupported_image`` not a PNG/JPEG/GIF/WebP (SVG, HTML, a polyglot) or a type the channel does
not take, 422 ``image_not_supported`` a channel that takes no images (REST), ``invalid`` an empty
body. The body is streamed and never buffered past the cap.

``GET /api/reply-images`` (``read``): the cap and the types each channel takes, so the console
can refuse before uploading.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import redis as bot_redis
from bot.channels.reply_images import (
    CHANNEL_TYPES,
    TTL_SECONDS,
    ImageRefused,
    ReplyImages,
    channel_refusal,
    check_upload,
)
from bot.queue.keys import Keys
from bot.workspace.auth import principal, requires, workspace
from bot.workspace.errors import ApiError
from bot.workspace.service import Workspace

bp = Blueprint("reply_images", url_prefix="/api")

_IMAGE = {"type": "object", "properties": {
    "id": {"type": "string", "description": "Send it as the reply's `image_id`."},
    "content_type": {"type": "string", "enum": ["image/png", "image/jpeg", "image/gif",
                                                "image/webp"]},
    "bytes": {"type": "integer"}, "ticket": {"type": "string"},
    "expires_at": {"type": "number", "description": "Unix time the upload is dropped."}}}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/api/tickets/{tid}/images": {"post": {
        "summary": "Upload an image to attach to a reply on a conversation you hold",
        "description": "The body is the image's bytes (any Content-Type: PNG, JPEG, GIF and WebP "
                       "are recognised by their content). Kept 24 hours; send its `id` as the "
                       "reply's `image_id`. 409 `not_holder`: claim it first. 413 `too_large`: "
                       "over `CAREBOT_REPLY_IMAGE_MAX_KB`. 415 `unsupported_image`: not a PNG, "
                       "JPEG, GIF or WebP (SVG, HTML, a polyglot), or a type the channel does not "
                       "take. 422 `image_not_supported`: the channel takes no images (REST); "
                       "`invalid`: empty.\n\nPermission: `work`.",
        "x-permission": "work",
        "parameters": [{"name": "tid", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": "^T-[0-9]{6,12}$"}}],
        "requestBody": {"required": True, "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {
            "201": {"description": "Kept", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"image": _IMAGE}}}}},
            **{code: {"description": text, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Error"}}}} for code, text in (
                ("401", "No valid credentials"), ("403", "The role cannot reply"),
                ("404", "No such ticket"), ("409", "You do not hold the conversation"),
                ("413", "Over the size cap"), ("415", "Not an image this channel takes"),
                ("422", "The channel takes no images, or the body is empty"))}}}},
    "/api/reply-images": {"get": {
        "summary": "What images can be attached: the size cap, the types per channel",
        "description": "Channels missing from `channels` take no images.\n\n"
                       "Permission: `read`.",
        "x-permission": "read",
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "max_bytes": {"type": "integer"}, "ttl_seconds": {"type": "integer"},
                    "channels": {"type": "object", "additionalProperties": {
                        "type": "array", "items": {"type": "string"}}}}}}}},
            **{code: {"description": text, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Error"}}}} for code, text in (
                ("401", "No valid credentials"), ("403", "Forbidden"))}}}},
}

DRAIN_FACTOR = 4
"""An upload refused early is still read (and dropped) up to this many times the cap, so the
client gets the refusal rather than a reset connection; beyond that the connection is closed."""


def store(ws: Workspace) -> ReplyImages:
    """The image store (a bytes Redis client of its own; built once per workspace)."""
    found: ReplyImages | None = getattr(ws, "reply_images", None)
    if found is None:
        client = bot_redis.client(ws.settings.redis_url, timeout=5, decode=False)
        found = ReplyImages(client, Keys(ws.settings.queue_prefix))
        ws.reply_images = found  # type: ignore[attr-defined]
    return found


def max_bytes(ws: Workspace) -> int:
    return ws.settings.reply_image_max_kb * 1024


async def read_capped(request: Request, limit: int) -> bytes:
    """The body, up to ``limit`` bytes (413 beyond, without keeping what is over)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ImageRefused(413, "too_large", f"The image is {int(declared) / 1_048_576:.1f} MB;"
                                             f" at most {limit // 1024} KB can be attached.")
    if request.stream is None:
        return bytes(request.body or b"")
    chunks: list[bytes] = []
    size = 0
    while (chunk := await request.stream.read()) is not None:
        size += len(chunk)
        if size > limit:
            raise ImageRefused(413, "too_large", f"The image is over {limit // 1024} KB, the "
                                                 "most that can be attached.")
        chunks.append(chunk)
    return b"".join(chunks)


async def drain(request: Request, limit: int) -> None:
    """Read and drop what is left of a refused upload (up to ``limit`` bytes)."""
    if request.stream is None:
        return
    size = 0
    try:
        while size <= limit and (chunk := await request.stream.read()) is not None:
            size += len(chunk)
    except Exception:  # noqa: BLE001 - the client went away: nothing to answer then
        return


@bp.get("/reply-images")
@requires("read")
async def policy(request: Request) -> HTTPResponse:
    """What can be attached where."""
    from bot.workspace.api import ok

    ws = workspace(request)
    return ok({"max_bytes": max_bytes(ws), "ttl_seconds": TTL_SECONDS,
               "channels": {name: list(types) for name, types in CHANNEL_TYPES.items()}})


@bp.post("/tickets/<tid:str>/images", stream=True)
@requires("work")
async def upload(request: Request, tid: str) -> HTTPResponse:
    """Keep an image for a reply on a conversation the caller holds."""
    from bot.workspace.api import ok, ticket_id

    ws, who = workspace(request), principal(request)
    limit = max_bytes(ws)
    try:
        ticket = await ws.call(ws.queue.get, ticket_id(tid))
        if ticket.status != "claimed" or ticket.claimed_by != who.name:
            holder = f" {ticket.claimed_by} holds it." if ticket.claimed_by else ""
            raise ApiError(409, "not_holder", f"Claim {ticket.id} before attaching an image: "
                           f"only the agent who holds a conversation sends in it.{holder}")
        refusal = channel_refusal(ticket.channel)
        if refusal:
            raise ImageRefused(422, "image_not_supported", refusal)
        data = await read_capped(request, limit)
        kind = check_upload(ticket.channel, data, limit)
    except ImageRefused as exc:
        await drain(request, DRAIN_FACTOR * limit)
        raise ApiError(exc.status, exc.code, exc.message) from None
    except Exception:
        await drain(request, DRAIN_FACTOR * limit)
        raise
    image = await ws.call(store(ws).put, ticket.id, who.name, kind, data)
    body: dict[str, Any] = {"image": image.describe()}
    return ok(body, status=201)
