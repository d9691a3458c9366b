"""An agent's reply, within the platform's rules: reply windows, templates, images, refusals.

``POST /api/tickets/{id}/reply`` (``bot.workspace.api.reply``) comes here:

1. The conversation's reply window (``bot.channels.windows``), counted from the follower's last
   message (the ticket's transcript; the follower profile when the transcript has none):
   Messenger / Instagram between 24 hours and 7 days → the reply carries the ``HUMAN_AGENT``
   tag; after 7 days → 409 ``reply_window_closed``; WhatsApp after 24 hours → 409
   ``reply_window_closed`` unless the agent picked an approved template (``template``:
   ``{"name", "language"?, "params": [...]}``, from ``CAREBOT_WHATSAPP_TEMPLATES``), which is
   sent instead (``bot.channels.templates``).
2. ``bot.conversation.deliver_reply``: on the ticket, then through Rasa to the channel, with the
   tag / template in the event's ``carebot`` metadata and an optional ``image_url`` (an https
   URL the platform fetches) sent after the text.
3. Rasa sends before it answers, and a send the platform refuses is recorded on the ticket
   (``AgentQueue.record_delivery_failure``) before that. So the reply's fate is known here: a
   refusal for the reply window is a 409 ``reply_window_closed`` naming the platform's rule, any
   other refusal a 502 ``delivery_failed`` with the platform's reason; the reply stays on the
   ticket either way, next to the system message saying why it did not go out.
"""

from __future__ import annotations

import re
import time
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import reply_images
from bot.channels import templates as wa_templates
from bot.channels.windows import (
    CLOSED,
    HUMAN_AGENT,
    TEMPLATES_ONLY,
    WINDOW_CLOSED,
    ReplyWindow,
    refusal_message,
    reply_window,
)
from bot.conversation import deliver_reply
from bot.followers.book import BadConversation, Conversation
from bot.queue import AgentQueue, NotHolder, Ticket
from bot.workspace.auth import principal, workspace
from bot.workspace.errors import ApiError, invalid
from bot.workspace.presence import explain, extras
from bot.workspace.service import Workspace

IMAGE_URL = re.compile(r"^https://[^\s/?#]+[^\s]*$")
IMAGE_URL_MAX = 2048


def last_inbound(ticket: Ticket) -> float | None:
    """When the follower last wrote, as the ticket's transcript knows it."""
    for message in reversed(ticket.transcript):
        if message.get("role") == "follower" and message.get("ts"):
            return float(message["ts"])
    return None


def window_of(ticket: Ticket, now: float, last_seen: float | None = None) -> ReplyWindow:
    """The ticket's reply window (``last_seen``: the follower profile's, when known)."""
    known = [t for t in (last_inbound(ticket), last_seen) if t]
    return reply_window(ticket.channel, max(known) if known else None, now)


def templates_of(ws: Workspace) -> list[wa_templates.Template]:
    """The approved WhatsApp templates (read once per process; ``TemplateError`` if broken)."""
    found: list[wa_templates.Template] | None = getattr(ws, "wa_templates", None)
    if found is None:
        found = wa_templates.load(ws.settings.whatsapp_templates)
        ws.wa_templates = found  # type: ignore[attr-defined]
    return found


def _profile_last_seen(ws: Workspace, ticket: Ticket) -> float | None:
    try:
        conv = Conversation.parse(ticket.channel, ticket.sender)
    except BadConversation:
        return None
    value = extras(ws).book.profile(conv).get("last_seen")
    return float(value) if value else None


def find_failure(queue: AgentQueue, ticket_id: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The system message recording that ``entry`` (an agent reply) was not delivered."""
    ticket = queue.get(ticket_id)
    for message in reversed(ticket.transcript):
        if (message.get("role") == "agent" and message.get("ts") == entry["ts"]
                and message.get("text") == entry["text"]):
            return None  # reached the reply itself: nothing after it said it failed
        if (message.get("role") == "system" and message.get("error")
                and message.get("reply") in (entry["text"], entry.get("image"))
                and float(message.get("ts") or 0) >= float(entry["ts"])):
            return message
    return None


def _image(data: dict[str, Any]) -> str | None:
    value = data.get("image_url")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > IMAGE_URL_MAX or not IMAGE_URL.match(value):
        raise invalid("'image_url' must be an https URL the platform can fetch.")
    return value


def _upload(ws: Workspace, ticket: Ticket, data: dict[str, Any]) -> str | None:
    """The ``carebot-image:`` reference of the uploaded image the reply carries (``image_id``,
    from ``POST /api/tickets/{id}/images``), checked: this ticket's, not expired, and a channel
    that takes images."""
    value = data.get("image_id")
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid("'image_id' must be the id of an uploaded image.")
    refusal = reply_images.channel_refusal(ticket.channel)
    if refusal:
        raise ApiError(422, "image_not_supported", refusal)
    from bot.workspace.reply_images_routes import store

    found = store(ws).get(value)
    if found is None or found.ticket != ticket.id:
        raise invalid("'image_id' is not an image uploaded for this conversation (uploads are "
                      "kept 24 hours): attach it again.")
    return reply_images.ref(found.id)


def _template(ws: Workspace, ticket: Ticket, spec: Any) -> tuple[str, dict[str, Any]]:
    """(transcript text, channel options) for the template the agent chose."""
    if ticket.channel != "whatsapp":
        raise invalid("Templates are sent on WhatsApp only.")
    if not isinstance(spec, dict):
        raise invalid("'template' must be an object: {\"name\", \"language\"?, \"params\"}.")
    try:
        template = wa_templates.find(templates_of(ws), spec.get("name"), spec.get("language"))
        params = template.check_params(spec.get("params", []))
    except wa_templates.TemplateError as exc:
        raise invalid(str(exc)) from None
    return template.render(params), {"template": template.payload(params)}


async def send(request: Request, tid: str, data: dict[str, Any], text: str | None) -> HTTPResponse:
    """The reply route's work (see the module docstring); ``text`` None: a template reply."""
    from bot.workspace.api import ok

    ws, who = workspace(request), principal(request)
    ticket = await ws.call(ws.queue.get, tid)
    last_seen = await ws.call(_profile_last_seen, ws, ticket)
    window = window_of(ticket, time.time(), last_seen)
    image = _image(data)
    if data.get("image_id") is not None:
        if image:
            raise invalid("Send either 'image_url' or 'image_id', not both.")
        image = await ws.call(_upload, ws, ticket, data)
    options: dict[str, Any] = {}
    if data.get("template") is not None:
        if image:
            raise invalid("A template cannot carry an image.")
        text, options = _template(ws, ticket, data["template"])
    elif text is None:
        raise invalid("'text' must be a non-empty string.")
    elif window.state in (CLOSED, TEMPLATES_ONLY):
        raise ApiError(409, WINDOW_CLOSED, window.to_dict()["message"], window=window.to_dict())
    elif window.state == HUMAN_AGENT and window.tag:
        options = {"tag": window.tag}
    try:
        entry = await ws.call(deliver_reply, ws.queue, tid, who.name, text, rasa=ws.rasa(),
                              options=options or None, image=image)
    except NotHolder as exc:
        raise await explain(ws, exc) from None
    await ws.call(extras(ws).presence.release_draft, tid, who.name)
    failure = await ws.call(find_failure, ws.queue, tid, entry)
    if failure is not None:
        if failure.get("reason") == WINDOW_CLOSED:
            raise ApiError(409, WINDOW_CLOSED, refusal_message(ticket.channel) +
                           " The reply is kept on the ticket.", window=window.to_dict())
        raise ApiError(502, "delivery_failed", f"The platform did not take the reply: "
                       f"{failure.get('error')}. It is kept on the ticket.")
    return ok({"id": tid, "message": entry, "window": window.to_dict()})
