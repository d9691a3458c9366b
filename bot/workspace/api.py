"""The workspace HTTP API (``/api``): every queue operation, the bot's decision, sign-in.

Each handler checks the caller's permission (:func:`bot.workspace.auth.requires`), runs the
synchronous queue call in the thread pool, and answers JSON. The OpenAPI document
(:mod:`bot.workspace.openapi`) describes each route; a test keeps the two in step.
"""

from __future__ import annotations

import re
import time
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.conversation import close_ticket, deliver_reply
from bot.queue import Ticket
from bot.rasa_ext.client import RasaUnavailable
from bot.workspace import views
from bot.workspace.accounts import PERMISSIONS, check_name
from bot.workspace.auth import (
    SESSION_COOKIE,
    authenticate,
    bearer_token,
    over_tls,
    principal,
    requires,
    workspace,
)
from bot.workspace.decide import ModelUnavailable
from bot.workspace.errors import ApiError, forbidden, invalid, unauthorized

bp = Blueprint("api", url_prefix="/api")

TICKET_ID = re.compile(r"^T-\d{6,12}$")
MAX_TEXT = 5000
STATUSES = {"open": None, "queued": "queued", "claimed": "claimed", "resolved": "resolved"}
NO_STORE = {"Cache-Control": "no-store"}


def ok(data: Any, status: int = 200) -> HTTPResponse:
    return response.json(data, status=status, headers=NO_STORE)


def payload(request: Request) -> dict[str, Any]:
    """The JSON object body (an empty body is ``{}``); 400 for anything else."""
    if not request.body:
        return {}
    data = request.json
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "Send a JSON object.")
    return data


def text_field(data: dict[str, Any], name: str = "text") -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"'{name}' must be a non-empty string.")
    if len(value) > MAX_TEXT:
        raise invalid(f"'{name}' is longer than {MAX_TEXT} characters.")
    return value.strip()


def force_flag(request: Request, data: dict[str, Any]) -> bool:
    force = data.get("force", False)
    if not isinstance(force, bool):
        raise invalid("'force' must be true or false.")
    if force and not principal(request).can("reassign"):
        raise forbidden()
    return force


def ticket_id(value: str) -> str:
    if not TICKET_ID.match(value):
        raise ApiError(404, "not_found", "No such ticket.")
    return value


def ticket_view(ticket: Ticket) -> dict[str, Any]:
    return views.detail(ticket, time.time())


# -- sign-in -----------------------------------------------------------------------------------


@bp.post("/session")
async def sign_in(request: Request) -> HTTPResponse:
    """Exchange a token for the console's session cookie."""
    ws = workspace(request)
    token = bearer_token(request) or payload(request).get("token")
    who = await ws.call(ws.accounts.authenticate, token) if isinstance(token, str) else None
    if who is None:
        raise unauthorized()
    session = await ws.call(ws.accounts.open_session, who)
    res = ok({"name": who.name, "role": who.role})
    set_session_cookie(request, res, session, ws.settings.session_hours * 3600)
    return res


def set_session_cookie(request: Request, res: HTTPResponse, value: str, max_age: int) -> None:
    res.cookies[SESSION_COOKIE] = value
    cookie = res.cookies[SESSION_COOKIE]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    cookie["max-age"] = max_age
    if over_tls(request):
        cookie["secure"] = True


@bp.delete("/session")
async def sign_out(request: Request) -> HTTPResponse:
    """End the console session (idempotent)."""
    ws = workspace(request)
    if await authenticate(request) is None:
        raise unauthorized()
    await ws.call(ws.accounts.close_session, request.cookies.get(SESSION_COOKIE))
    res = response.empty(status=204, headers=NO_STORE)
    set_session_cookie(request, res, "", 0)
    return res


@bp.get("/me")
@requires("read")
async def me(request: Request) -> HTTPResponse:
    ws = workspace(request)
    who = principal(request)
    held = await ws.call(ws.queue.agent_tickets, who.name)
    return ok({**who.to_dict(), "held": held, "lease_seconds": ws.settings.lease_seconds,
               "roles": {role: sorted(perms) for role, perms in PERMISSIONS.items()}})


@bp.get("/agents")
@requires("read")
async def agents(request: Request) -> HTTPResponse:
    """Accounts (name and role): whom a ticket can be transferred to."""
    ws = workspace(request)
    people = await ws.call(ws.accounts.list)
    return ok({"agents": [{"name": p.name, "role": p.role} for p in people]})


# -- the queue ---------------------------------------------------------------------------------


@bp.get("/tickets")
@requires("read")
async def list_tickets(request: Request) -> HTTPResponse:
    ws = workspace(request)
    status_arg = request.args.get("status", "open")
    if status_arg not in STATUSES:
        raise invalid(f"'status' must be one of {', '.join(STATUSES)}.")
    try:
        limit = int(request.args.get("limit", "200"))
    except ValueError:
        raise invalid("'limit' must be an integer.") from None
    limit = max(1, min(limit, 1000))
    tickets = await ws.call(ws.queue.summaries, STATUSES[status_arg], limit)
    now = time.time()
    return ok({"now": now, "tickets": [views.summary(t, now) for t in tickets]})


@bp.get("/stats")
@requires("read")
async def stats(request: Request) -> HTTPResponse:
    ws = workspace(request)
    q = ws.queue
    depth = await ws.call(q.depth_by_priority)
    return ok({
        "now": time.time(),
        "waiting": sum(depth.values()),
        "depth_by_priority": {str(p): n for p, n in depth.items()},
        "oldest_waiting_seconds": await ws.call(q.oldest_waiting_seconds),
        "typical_wait_seconds": await ws.call(q.typical_wait_seconds),
    })


@bp.post("/tickets/claim-next")
@requires("work")
async def claim_next(request: Request) -> HTTPResponse:
    ws = workspace(request)
    ticket = await ws.call(ws.queue.claim_next, principal(request).name)
    if ticket is None:
        return response.empty(status=204, headers=NO_STORE)
    return ok(ticket_view(ticket))


@bp.get("/tickets/<tid:str>")
@requires("read")
async def view(request: Request, tid: str) -> HTTPResponse:
    ws = workspace(request)
    return ok(ticket_view(await ws.call(ws.queue.get, ticket_id(tid))))


@bp.post("/tickets/<tid:str>/claim")
@requires("work")
async def claim(request: Request, tid: str) -> HTTPResponse:
    ws = workspace(request)
    ticket = await ws.call(ws.queue.claim, ticket_id(tid), principal(request).name)
    return ok(ticket_view(ticket))


@bp.post("/tickets/<tid:str>/heartbeat")
@requires("work")
async def heartbeat(request: Request, tid: str) -> HTTPResponse:
    ws = workspace(request)
    lease_until = await ws.call(ws.queue.heartbeat, ticket_id(tid), principal(request).name)
    return ok({"id": tid, "lease_until": lease_until})


@bp.post("/tickets/<tid:str>/reply")
@requires("work")
async def reply(request: Request, tid: str) -> HTTPResponse:
    """Send a reply to the follower (their channel) and record it on the ticket and tracker."""
    ws = workspace(request)
    text = text_field(payload(request))
    entry = await ws.call(deliver_reply, ws.queue, ticket_id(tid), principal(request).name,
                          text, rasa=ws.rasa())
    return ok({"id": tid, "message": entry})


@bp.post("/tickets/<tid:str>/notes")
@requires("note")
async def note(request: Request, tid: str) -> HTTPResponse:
    ws = workspace(request)
    text = text_field(payload(request))
    entry = await ws.call(ws.queue.add_note, ticket_id(tid), principal(request).name, text)
    return ok({"id": tid, "note": entry})


@bp.post("/tickets/<tid:str>/release")
@requires("work")
async def release(request: Request, tid: str) -> HTTPResponse:
    ws = workspace(request)
    await ws.call(ws.queue.release, ticket_id(tid), principal(request).name)
    return ok({"id": tid, "status": "queued"})


@bp.post("/tickets/<tid:str>/transfer")
@requires("work")
async def transfer(request: Request, tid: str) -> HTTPResponse:
    """Hand the ticket to another agent; supervisors reassign any ticket with ``force``."""
    ws = workspace(request)
    data = payload(request)
    force = force_flag(request, data)
    target = data.get("to")
    if not isinstance(target, str):
        raise invalid("'to' must be an agent name.")
    try:
        check_name(target)
    except ValueError:
        raise invalid("'to' must be an agent name.") from None
    account = await ws.call(ws.accounts.get, target)
    if account is None or not account.can("work"):
        raise invalid(f"{target} is not an account that can work tickets.")
    await ws.call(ws.queue.transfer, ticket_id(tid), principal(request).name, target, force)
    return ok({"id": tid, "claimed_by": target})


async def _close(request: Request, tid: str, outcome: str) -> HTTPResponse:
    ws = workspace(request)
    force = force_flag(request, payload(request))
    try:
        ticket = await ws.call(close_ticket, ws.queue, ticket_id(tid), principal(request).name,
                               outcome=outcome, force=force, rasa=ws.rasa())
    except RasaUnavailable:
        raise ApiError(502, "resume_failed", f"{tid} is closed, but the bot server could not be "
                       "reached to resume the conversation; it answers again once it is back."
                       ) from None
    return ok(ticket_view(ticket))


@bp.post("/tickets/<tid:str>/resolve")
@requires("work")
async def resolve(request: Request, tid: str) -> HTTPResponse:
    """Close the ticket as solved; the bot answers this follower again."""
    return await _close(request, tid, "resolved")


@bp.post("/tickets/<tid:str>/handback")
@requires("work")
async def handback(request: Request, tid: str) -> HTTPResponse:
    """Give the conversation back to the bot without marking it solved."""
    return await _close(request, tid, "handed_back")


# -- the bot's decision ------------------------------------------------------------------------


@bp.post("/decide")
@requires("decide")
async def decide(request: Request) -> HTTPResponse:
    ws = workspace(request)
    data = payload(request)
    text = data.get("text")
    if not isinstance(text, str) or len(text) > 20_000:
        raise invalid("'text' must be a string (at most 20000 characters).")
    metadata = data.get("metadata")
    metadata = {} if metadata is None else metadata
    failures = data.get("previous_failures", 0)
    if not isinstance(metadata, dict):
        raise invalid("'metadata' must be an object.")
    if not isinstance(failures, int) or isinstance(failures, bool) or failures < 0:
        raise invalid("'previous_failures' must be a non-negative integer.")
    try:
        result = await ws.decider.decide(text, metadata, failures)
    except ModelUnavailable:
        raise ApiError(503, "no_model", "No trained model yet: run 'carebot train'.") from None
    return ok(result)
