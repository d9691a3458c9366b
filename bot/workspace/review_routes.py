"""The trainers' review page and API in the workspace (``/review``, ``/api/review…``).

Wire it in ``bot.workspace.app.create_app``: ``app.blueprint(review_routes.bp)``; document it
with ``openapi.PATHS.update(review_routes.OPENAPI_PATHS)`` (and list ``/review`` and
``/review/{name}`` among the undocumented pages).

Permissions (:data:`bot.workspace.accounts.PERMISSIONS`): reviewing (list, show, edit, accept,
reject, suggest, train) needs ``train``: the ``trainer`` and ``admin`` roles. Flagging a
conversation's follower message (the console's "Flag for FAQ", and "Tone wrong": a ``tone``
proposal, ``POST /api/review/tone-flag``) needs ``note``: every role
(agent, supervisor, trainer, admin); so does the FAQ list it picks from (``read``). The page
and its assets are files in ``bot/workspace/console/`` (``review.html``, ``.js``, ``.css``).
Accepting writes the
project's ``data/`` and ``config/domain/faq.yml`` (:class:`bot.faq.store.FaqStore`) after the
safety checks; training and loading the model stay a trainer's explicit step
(``carebot train --reload``, or ``POST /api/review/train``).
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.faq.flag import flag as flag_message
from bot.faq.proposal import TONE_LABELS
from bot.faq.review import ReviewError, ReviewStore
from bot.faq.store import faq_store
from bot.faq.tone_flag import flag_tone
from bot.workspace.api import ok, payload
from bot.workspace.auth import principal, requires, workspace
from bot.workspace.errors import ApiError, invalid
from bot.workspace.pages import side_asset, side_page

bp = Blueprint("review", url_prefix="")

MAX_TEXT = 5000
TICKET_ID = re.compile(r"^T-\d{6,12}$")
requires_train = requires("train")
"""401 without credentials, 403 unless the caller may review FAQ proposals (``train``)."""


def _review(request: Request) -> ReviewStore:
    ws = workspace(request)
    store = getattr(ws, "review_store", None)
    if store is None:
        store = ReviewStore(ws.redis, prefix=ws.settings.queue_prefix)
        ws.review_store = store  # type: ignore[attr-defined]
    return store


def _error(error: ReviewError) -> ApiError:
    codes = {404: "not_found", 409: "conflict"}
    status = error.code if error.code in (404, 409) else 422
    return ApiError(status, codes.get(status, "invalid"), str(error))


async def _call(request: Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return await workspace(request).call(fn, *args, **kwargs)
    except ReviewError as error:
        raise _error(error) from None


def _text(value: Any, name: str, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid(f"'{name}' must be a non-empty string.")
    if len(value) > MAX_TEXT:
        raise invalid(f"'{name}' is longer than {MAX_TEXT} characters.")
    return value


def _texts(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) \
            or len(value) > 500:
        raise invalid(f"'{name}' must be a list of strings (at most 500).")
    return [_text(v, name, True) or "" for v in value]


def _pid(value: str) -> str:
    if not value.startswith("R-") or not value[2:].isdigit() or len(value) > 16:
        raise ApiError(404, "not_found", "No such proposal.")
    return value


# -- the API -----------------------------------------------------------------------------------


@bp.get("/api/review")
@requires_train
async def list_proposals(request: Request) -> HTTPResponse:
    status = request.args.get("status", "pending")
    if status not in ("pending", "accepted", "rejected", "decided", "all"):
        raise invalid("'status' must be pending, accepted, rejected, decided or all.")
    try:
        limit = max(1, min(int(request.args.get("limit", "100")), 1000))
    except ValueError:
        raise invalid("'limit' must be an integer.") from None
    items = await _call(request, _review(request).list, status, limit)
    return ok({"now": time.time(), "proposals": items})


@bp.get("/api/review/faqs")
@requires("read")
async def list_faqs(request: Request) -> HTTPResponse:
    """FAQ keys and descriptions (what an agent can flag a message as)."""
    store = faq_store(workspace(request).settings)
    faqs = await workspace(request).call(store.faqs)
    return ok({"faqs": [{"key": f.key, "description": f.description,
                         "answer": f.answer} for f in faqs.values()]})


@bp.post("/api/review/suggest")
@requires_train
async def run_suggest(request: Request) -> HTTPResponse:
    """Cluster unreviewed escalations into new pending proposals."""
    from bot.faq.suggest import suggest

    ws = workspace(request)
    data = payload(request)
    days = data.get("since_days")
    if days is not None and (not isinstance(days, (int, float)) or days <= 0):
        raise invalid("'since_days' must be a positive number.")
    since = time.time() - float(days) * 86400 if days else None
    created = await _call(request, suggest, ws.queue, _review(request), faq_store(ws.settings),
                          since=since, actor=principal(request).name)
    return ok({"proposals": created})


@bp.post("/api/review/flag")
@requires("note")
async def flag(request: Request) -> HTTPResponse:
    """An agent: this conversation's message "should have been FAQ X" (``faq``) or "new FAQ"
    (``faq`` null, optional suggested ``key``); ``note`` for the trainer; ``use_reply`` (default
    true): propose the agent's reply to that message as the new FAQ's answer."""
    ws = workspace(request)
    data = payload(request)
    ticket = _text(data.get("ticket"), "ticket", True) or ""
    if not TICKET_ID.match(ticket):
        raise ApiError(404, "not_found", "No such ticket.")
    text = _text(data.get("text"), "text", True) or ""
    faq = data.get("faq")
    if faq is not None and (not isinstance(faq, str) or not faq.strip()):
        raise invalid("'faq' must be an FAQ key, or null for a new FAQ.")
    key = data.get("key")
    if key is not None and not isinstance(key, str):
        raise invalid("'key' must be a string (the suggested key of a new FAQ).")
    note = _text(data.get("note"), "note") or ""
    use_reply = data.get("use_reply", True)
    if not isinstance(use_reply, bool):
        raise invalid("'use_reply' must be true or false.")
    item = await _call(request, flag_message, _review(request), ws.queue, ticket, text,
                       principal(request).name, faq=faq or None, store=faq_store(ws.settings),
                       key=(key or "").strip() or None, note=note, use_reply=use_reply)
    return ok(item, status=201)


@bp.post("/api/review/tone-flag")
@requires("note")
async def tone_flag(request: Request) -> HTTPResponse:
    """An agent: the bot's tone call on this ticket's follower message was wrong; ``label``:
    what it should have been (``calm``, ``positive``, ``negative`` or ``sarcastic``); ``note``
    for the trainer. Any ticket status: the tone call is on the ticket from the start."""
    ws = workspace(request)
    data = payload(request)
    ticket = _text(data.get("ticket"), "ticket", True) or ""
    if not TICKET_ID.match(ticket):
        raise ApiError(404, "not_found", "No such ticket.")
    text = _text(data.get("text"), "text", True) or ""
    label = data.get("label")
    if label not in TONE_LABELS:
        raise invalid("'label' must be one of " + ", ".join(TONE_LABELS) + ".")
    note = _text(data.get("note"), "note") or ""
    item = await _call(request, flag_tone, _review(request), ws.queue, ticket, text,
                       principal(request).name, label, note=note)
    return ok(item, status=201)


@bp.get("/api/review/<pid:str>")
@requires_train
async def show(request: Request, pid: str) -> HTTPResponse:
    return ok(await _call(request, _review(request).get, _pid(pid)))


def _edits(data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("kind")
    if kind is not None and kind not in ("examples", "new_faq", "negative"):
        raise invalid("'kind' must be 'examples', 'new_faq' or 'negative'.")
    label = data.get("label")
    if label is not None and label not in TONE_LABELS:
        raise invalid("'label' must be one of " + ", ".join(TONE_LABELS) + ".")
    return {
        "label": label,
        "kind": kind,
        "key": _text(data.get("key"), "key"),
        "answer": _text(data.get("answer"), "answer"),
        "examples": _texts(data.get("examples"), "examples"),
        "add_examples": _texts(data.get("add_examples"), "add_examples") or [],
        "remove_examples": _texts(data.get("remove_examples"), "remove_examples") or [],
        "topic": _text(data.get("topic"), "topic"),
    }


@bp.post("/api/review/<pid:str>/edit")
@requires_train
async def edit(request: Request, pid: str) -> HTTPResponse:
    edits = _edits(payload(request))
    item = await _call(request, _review(request).edit, _pid(pid), principal(request).name,
                       **edits)
    return ok(item)


@bp.post("/api/review/<pid:str>/accept")
@requires_train
async def accept(request: Request, pid: str) -> HTTPResponse:
    """Write it to data/ (after the same checks as ``carebot faq add``; a ``tone`` proposal:
    appended to data/tone/reviewed.yml with its label); optional edits first."""
    ws = workspace(request)
    edits = _edits(payload(request))
    review = _review(request)
    who = principal(request).name
    if any(edits[k] for k in ("kind", "add_examples", "remove_examples")):
        await _call(request, review.edit, _pid(pid), who, kind=edits["kind"],
                    add_examples=edits["add_examples"], remove_examples=edits["remove_examples"])
    item = await _call(request, review.accept, _pid(pid), who, faq_store(ws.settings),
                       key=edits["key"], answer=edits["answer"], examples=edits["examples"],
                       topic=edits["topic"], label=edits["label"])
    return ok(item)


@bp.post("/api/review/<pid:str>/reject")
@requires_train
async def reject(request: Request, pid: str) -> HTTPResponse:
    reason = _text(payload(request).get("reason"), "reason") or ""
    return ok(await _call(request, _review(request).reject, _pid(pid), principal(request).name,
                          reason))


@bp.post("/api/review/train")
@requires_train
async def train_and_reload(request: Request) -> HTTPResponse:
    """Train what changed and load the model into the running bot (one at a time)."""
    from bot.model.rollout import roll_out
    from bot.model.training import ReloadFailed, train

    ws = workspace(request)
    s = ws.settings
    training = _review(request).keys.training
    lock = await ws.call(ws.redis.set, training, principal(request).name, nx=True, ex=900)
    if not lock:
        raise ApiError(409, "conflict", "A training is already running.")
    started = time.monotonic()
    try:
        model = await ws.call(train, s.home, s.models_dir, quiet=True)
        if model is None:
            raise ApiError(500, "internal", "Training produced no model.")
        try:
            await ws.call(roll_out, model, s)
        except ReloadFailed:
            raise ApiError(502, "reload_failed", "Trained, but the bot could not load the "
                           "model; run 'carebot train --reload'.") from None
    except SystemExit:
        raise ApiError(500, "train_failed", "Training failed; run 'carebot train' to see "
                       "why.") from None
    finally:
        await ws.call(ws.redis.delete, training)
    return ok({"model": model.name, "seconds": round(time.monotonic() - started, 1)})


# -- the page ----------------------------------------------------------------------------------

PAGE_FILES = {"review.js": "text/javascript; charset=utf-8",
              "review.css": "text/css; charset=utf-8"}


@bp.get("/review")
async def page(request: Request) -> HTTPResponse:
    return await side_page(request, "review.html", "train",
                           "<p>FAQ review is for trainers.</p>")


@bp.get("/review/<name:str>")
async def asset(request: Request, name: str) -> HTTPResponse:
    return side_asset(PAGE_FILES, name)


# -- OpenAPI (merge into bot.workspace.openapi.PATHS) ------------------------------------------

_ERR = {"$ref": "#/components/responses/Error"}
_PROPOSAL = {"type": "object", "description": "A review proposal (see bot/faq/review.py).",
             "properties": {
                 "id": {"type": "string", "example": "R-000001"},
                 "kind": {"type": "string", "enum": ["examples", "new_faq", "tone", "negative"]},
                 "status": {"type": "string", "enum": ["pending", "accepted", "rejected"]},
                 "key": {"type": "string"}, "answer": {"type": "string"},
                 "label": {"type": "string", "enum": ["", *TONE_LABELS],
                           "description": "tone proposals: what the message should be"},
                 "topic": {"type": "string"},
                 "examples": {"type": "array", "items": {"type": "string"}},
                 "messages": {"type": "array", "items": {"type": "object"}},
                 "alternatives": {"type": "array", "items": {"type": "object"}},
                 "needs_examples": {"type": "integer"},
                 "result": {"type": "object"}}}
_EDITS = {"type": "object", "properties": {
    "kind": {"type": "string", "enum": ["examples", "new_faq", "negative"]},
    "label": {"type": "string", "enum": list(TONE_LABELS),
              "description": "a tone proposal's label (what accepting writes)"},
    "key": {"type": "string"}, "answer": {"type": "string"}, "topic": {"type": "string"},
    "examples": {"type": "array", "items": {"type": "string"}},
    "add_examples": {"type": "array", "items": {"type": "string"}},
    "remove_examples": {"type": "array", "items": {"type": "string"}}}}
_PID = {"name": "pid", "in": "path", "required": True, "description": "Proposal id (R-000001).",
        "schema": {"type": "string", "pattern": "^R-[0-9]{6,14}$"}}


def _doc(summary: str, permission: str, schema: dict[str, Any], *, body: dict[str, Any] | None
         = None, pid: bool = False, codes: tuple[str, ...] = ()) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "description": f"Permission: `{permission}`.",
        "x-permission": permission,
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": schema}}}, "401": _ERR, "403": _ERR, **{c: _ERR for c in codes}},
    }
    if pid:
        op["parameters"] = [_PID]
    if body is not None:
        op["requestBody"] = {"required": False, "content": {"application/json": {
            "schema": body}}}
    return op


_LIST = {"type": "object", "properties": {"proposals": {"type": "array", "items": _PROPOSAL}}}
OPENAPI_PATHS: dict[str, Any] = {
    "/api/review": {"get": _doc("Review proposals (status=pending|decided|…)", "train", _LIST,
                                codes=("422",))},
    "/api/review/faqs": {"get": _doc("FAQ keys an agent can flag a message as", "read",
                                     {"type": "object"})},
    "/api/review/suggest": {"post": _doc(
        "Cluster unreviewed escalations into proposals", "train", _LIST,
        body={"type": "object", "properties": {"since_days": {"type": "number"}}},
        codes=("422",))},
    "/api/review/flag": {"post": _doc(
        "Flag a claimed or resolved conversation's follower message as 'should have been FAQ "
        "X' (faq) or 'new FAQ' (faq: null)", "note", _PROPOSAL,
        body={"type": "object", "required": ["ticket", "text"], "properties": {
            "ticket": {"type": "string", "example": "T-000042"},
            "text": {"type": "string", "description": "the follower message, as in the ticket"},
            "faq": {"type": "string", "nullable": True,
                    "description": "the FAQ key it should have been; null: a new FAQ"},
            "key": {"type": "string", "description": "new FAQ: a suggested key"},
            "note": {"type": "string", "description": "for the trainer"},
            "use_reply": {"type": "boolean", "default": True,
                          "description": "new FAQ: propose the agent's reply to the message "
                                         "as the answer"}}},
        codes=("404", "409", "422"))},
    "/api/review/tone-flag": {"post": _doc(
        "Mark the bot's tone call on a ticket's follower message wrong: a 'tone' proposal for "
        "the trainers (accepting appends the message, so labelled, to data/tone/reviewed.yml)",
        "note", _PROPOSAL,
        body={"type": "object", "required": ["ticket", "text", "label"], "properties": {
            "ticket": {"type": "string", "example": "T-000042"},
            "text": {"type": "string", "description": "the follower message, as in the ticket"},
            "label": {"type": "string", "enum": list(TONE_LABELS),
                      "description": "what the tone should have been"},
            "note": {"type": "string", "description": "for the trainer"}}},
        codes=("404", "409", "422"))},
    "/api/review/train": {"post": _doc(
        "Train what changed and load the model into the running bot", "train",
        {"type": "object", "properties": {"model": {"type": "string"},
                                          "seconds": {"type": "number"}}},
        codes=("409", "500", "502"))},
    "/api/review/{pid}": {"get": _doc("One proposal", "train", _PROPOSAL, pid=True,
                                      codes=("404",))},
    "/api/review/{pid}/edit": {"post": _doc("Edit a pending proposal", "train", _PROPOSAL,
                                            body=_EDITS, pid=True,
                                            codes=("404", "409", "422"))},
    "/api/review/{pid}/accept": {"post": _doc(
        "Accept (optionally edited): written to data/ after the safety checks", "train",
        _PROPOSAL, body=_EDITS, pid=True, codes=("404", "409", "422"))},
    "/api/review/{pid}/reject": {"post": _doc(
        "Reject", "train", _PROPOSAL, pid=True, codes=("404", "409"),
        body={"type": "object", "properties": {"reason": {"type": "string"}}})},
}
UNDOCUMENTED_PAGES = ("/review", "/review/{name}")
