"""The contact panel: the follower behind a ticket, their earlier tickets, the bot's answers in
between, and linking one person's conversations across channels.

Routes (``/api``), wired in ``bot.workspace.app.create_app``:

* ``GET /api/tickets/{id}/contact`` and ``GET /api/followers/{channel}/{sender}`` (``read``): the
  panel. The follower's name / handle where the platform gave it, channel, first and last seen
  (``bot.followers.book``); the conversations linked to the same person; every ticket of those
  conversations (newest first, at most 50) with status, outcome, reasons, notes and the last
  agent reply; and the bot's side from each conversation's Rasa tracker
  (``RasaClient.tracker``), summarised: the last turns, each marked with the ticket it belongs
  to, if any, so the console can show what the bot answered between tickets. Rasa being down
  costs only that part (``bot.available: false``).
* ``POST /api/followers/link`` ``{"a": {"channel", "sender"}, "b": {…}}`` (``work``): the two
  conversations are one person (their contacts merge if both had one).
* ``POST /api/followers/unlink`` ``{"channel", "sender"}`` (``work``).
* ``GET /api/templates`` (``read``): the approved WhatsApp templates (``bot.channels.templates``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.templates import TemplateError
from bot.followers.book import (
    BadConversation,
    Conversation,
    FollowerBook,
    FollowerError,
    UnknownConversation,
)
from bot.rasa_ext.client import RasaClient, RasaUnavailable
from bot.workspace.api import ok, payload, ticket_id
from bot.workspace.auth import principal, requires, workspace
from bot.workspace.errors import ApiError, invalid
from bot.workspace.presence import extras
from bot.workspace.replies import templates_of
from bot.workspace.service import Workspace

log = logging.getLogger(__name__)

bp = Blueprint("followers", url_prefix="/api")

TURNS = 40
TURN_CHARS = 300
ESCALATION_LAG = 5.0
"""A follower message this long before a ticket opened is the one that opened it."""
MAX_LINKED = 5
"""Trackers read per panel (the person's conversations beyond these are listed, not read)."""


def tracker_id(conv: Conversation) -> str:
    """The conversation's id in Rasa: ``<channel>:<sender>`` once conversation ids carry their
    channel (``bot.channels.ids``), the bare sender id before."""
    try:
        from bot.channels import ids  # type: ignore[attr-defined]
    except ImportError:
        return conv.sender
    return str(ids.conversation_id(conv.channel, conv.sender))


def bot_turns(rasa: RasaClient, conv: Conversation) -> list[dict[str, Any]]:
    """The follower's, the bot's and agents' turns in the conversation's tracker."""
    tracker = rasa.tracker(tracker_id(conv))
    turns = []
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind not in ("user", "bot") or not isinstance(event.get("timestamp"), (int, float)):
            continue
        metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
        agent = (metadata.get("carebot") or {}).get("agent") if kind == "bot" else None
        role = "follower" if kind == "user" else ("agent" if agent else "bot")
        turn: dict[str, Any] = {"ts": float(event["timestamp"]), "role": role,
                                "channel": conv.channel,
                                "text": str(event.get("text") or "")[:TURN_CHARS]}
        if agent:
            turn["agent"] = str(agent)
        if role == "bot" and isinstance(metadata.get("utter_action"), str):
            turn["response"] = metadata["utter_action"]
        if role == "follower":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            if isinstance(intent.get("name"), str):
                turn["intent"] = intent["name"]
        turns.append(turn)
    return turns


def panel(book: FollowerBook, rasa: RasaClient, conv: Conversation) -> dict[str, Any]:
    """The contact panel of ``conv`` (blocking: Redis and Rasa)."""
    book.sync_index()
    contact, convs = book.members(conv)
    followers = [{**book.profile(c), **c.to_dict()} for c in convs]
    tickets = book.ticket_summaries(book.ticket_ids(convs))
    seen = [f["first_seen"] for f in followers if f.get("first_seen")]
    seen += [t["created_at"] for t in tickets if t.get("created_at")]
    turns: list[dict[str, Any]] = []
    available, error = True, None
    for c in convs[:MAX_LINKED]:
        try:
            turns += bot_turns(rasa, c)
        except RasaUnavailable as exc:
            available, error = False, "The bot server could not be reached; its answers are " \
                                      "not shown."
            log.warning("contact panel: tracker of %s:%s not read (%s)", c.channel, c.sender,
                        exc)
            break
    turns.sort(key=lambda t: t["ts"])
    for turn in turns:
        for ticket in tickets:
            end = ticket.get("resolved_at") or float("inf")
            if (ticket["channel"] == turn["channel"] and ticket.get("created_at")
                    and ticket["created_at"] - ESCALATION_LAG <= turn["ts"] <= end):
                turn["ticket"] = ticket["id"]
                break
    answered = sum(1 for t in turns if t["role"] == "bot" and "ticket" not in t)
    return {
        "conversation": conv.to_dict(),
        "follower": followers[0],
        "contact": {"id": contact, "conversations": followers},
        "first_seen": min(seen) if seen else None,
        "tickets": tickets,
        "bot": {"available": available, "error": error, "answered_by_bot": answered,
                "follower_messages": sum(1 for t in turns if t["role"] == "follower"),
                "turns": turns[-TURNS:], "turns_total": len(turns)},
    }


def _book(ws: Workspace) -> FollowerBook:
    return extras(ws).book


def _rasa(ws: Workspace) -> RasaClient:
    return RasaClient(url=ws.settings.rasa_url, token=ws.settings.rasa_api_token(), timeout=3.0)


def _conversation(data: Any, what: str) -> Conversation:
    if not isinstance(data, dict):
        raise invalid(f"'{what}' must be an object: {{\"channel\", \"sender\"}}.")
    try:
        return Conversation.parse(data.get("channel"), data.get("sender"))
    except BadConversation as exc:
        raise invalid(f"{what}: {exc}") from None


async def _panel(ws: Workspace, conv: Conversation) -> HTTPResponse:
    data = await ws.call(panel, _book(ws), _rasa(ws), conv)
    return ok({"now": time.time(), **data})


@bp.get("/tickets/<tid:str>/contact")
@requires("read")
async def ticket_contact(request: Request, tid: str) -> HTTPResponse:
    """The contact panel of the ticket's follower."""
    ws = workspace(request)
    ticket = await ws.call(ws.queue.get, ticket_id(tid))
    try:
        conv = Conversation.parse(ticket.channel, ticket.sender)
    except BadConversation:
        raise ApiError(422, "invalid", "This conversation's id cannot be looked up.") from None
    return await _panel(ws, conv)


@bp.get("/followers/<channel:str>/<sender:str>")
@requires("read")
async def follower(request: Request, channel: str, sender: str) -> HTTPResponse:
    """The contact panel of one conversation."""
    ws = workspace(request)
    conv = _conversation({"channel": channel, "sender": sender}, "conversation")
    if not await ws.call(_book(ws).known, conv):
        raise ApiError(404, "not_found", f"No follower {sender} on {channel} is known.")
    return await _panel(ws, conv)


@bp.post("/followers/link")
@requires("work")
async def link(request: Request) -> HTTPResponse:
    """Link conversation ``b`` to ``a``: the same person (contacts merge)."""
    ws, data = workspace(request), payload(request)
    a, b = _conversation(data.get("a"), "a"), _conversation(data.get("b"), "b")
    try:
        await ws.call(_book(ws).link, a, b, principal(request).name)
    except UnknownConversation as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except FollowerError as exc:
        raise invalid(str(exc)) from None
    return await _panel(ws, a)


@bp.post("/followers/unlink")
@requires("work")
async def unlink(request: Request) -> HTTPResponse:
    """Take a conversation out of the person it was linked to."""
    ws = workspace(request)
    conv = _conversation(payload(request), "conversation")
    left = await ws.call(_book(ws).unlink, conv)
    if left is None:
        raise ApiError(409, "not_linked", f"{conv.sender} on {conv.channel} is not linked to "
                       "anyone.")
    return await _panel(ws, conv)


@bp.get("/templates")
@requires("read")
async def templates(request: Request) -> HTTPResponse:
    """The approved WhatsApp templates agents can send after the 24-hour window."""
    ws = workspace(request)
    try:
        found = await ws.call(templates_of, ws)
    except TemplateError as exc:
        log.error("WhatsApp templates unusable: %s", exc)
        raise ApiError(503, "templates_unavailable", "The approved WhatsApp templates could not "
                       "be read; ask an admin to check CAREBOT_WHATSAPP_TEMPLATES.") from None
    return ok({"templates": [t.to_dict() for t in found]})
