"""The OpenAPI 3 document of the workspace API, served at ``GET /openapi.json``.

Written by hand, next to the routes it describes; ``tests/workspace/test_workspace_openapi.py``
checks that every route of the app is documented here and every documented route exists.
"""

from __future__ import annotations

from typing import Any

VERSION = "1.0.0"

_ERROR = {"$ref": "#/components/responses/Error"}
_TICKET_ID = {
    "name": "tid",
    "in": "path",
    "required": True,
    "description": "Ticket id, e.g. `T-000042`.",
    "schema": {"type": "string", "pattern": "^T-[0-9]{6,12}$"},
}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, permission: str, responses: dict[str, Any], *, ticket: bool = False,
        body: dict[str, Any] | None = None, description: str = "",
        errors: tuple[str, ...] = ()) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "description": (description + f"\n\nPermission: `{permission}`.").strip(),
        "x-permission": permission,
        "responses": {**responses, "401": _ERROR, "403": _ERROR,
                      **{code: _ERROR for code in errors}},
    }
    if ticket:
        op["parameters"] = [_TICKET_ID]
    if body is not None:
        op["requestBody"] = body
    return op


_FORCE_PROPS: dict[str, Any] = {"force": {
    "type": "boolean", "default": False,
    "description": "Supervisors and admins: act on a ticket someone else holds (or nobody)."}}
_FORCE: dict[str, Any] = {"type": "object", "properties": _FORCE_PROPS}
_TEXT = {"type": "object", "required": ["text"], "properties": {
    "text": {"type": "string", "minLength": 1, "maxLength": 5000}}}

_REPLY = {"type": "object", "required": ["text"], "properties": {
    "text": {"type": "string", "minLength": 1, "maxLength": 5000},
    "image_id": {"type": "string", "description": "An image uploaded for this ticket."},
    "image_url": {"type": "string", "maxLength": 2048, "description": "An https image URL."}}}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string", "description": "Stable code: unauthorized, forbidden, csrf, "
                  "not_found, already_claimed, not_holder, closed, invalid, delivery_failed, "
                  "resume_failed, no_model, unavailable, internal, …"},
        "message": {"type": "string", "description": "A sentence to show the agent."},
        "holder": {"type": "string", "description": "Who holds the ticket (409s)."}}},
    "Principal": {"type": "object", "properties": {
        "name": {"type": "string"}, "role": {"type": "string",
                                             "enum": ["agent", "supervisor", "trainer", "admin"]},
        "permissions": {"type": "array", "items": {"type": "string"}}}},
    "Tone": {"type": "object", "properties": {
        "label": {"type": "string"}, "negative": {"type": "number"},
        "sarcasm": {"type": "number"}}},
    "Message": {"type": "object", "description": "A transcript turn.", "properties": {
        "role": {"type": "string", "enum": ["follower", "bot", "agent", "system"]},
        "text": {"type": "string"}, "ts": {"type": "number"},
        "agent": {"type": "string"}, "attachments": {"type": "array", "items": {}}}},
    "Note": {"type": "object", "properties": {
        "agent": {"type": "string"}, "text": {"type": "string"}, "ts": {"type": "number"}}},
    "TicketSummary": {"type": "object", "properties": {
        "id": {"type": "string"}, "status": {"type": "string",
                                             "enum": ["queued", "claimed", "resolved"]},
        "channel": {"type": "string"}, "sender": {"type": "string"},
        "priority": {"type": "integer", "minimum": 1, "maximum": 4,
                     "description": "1 is the most urgent (after aging)."},
        "base_priority": {"type": "integer"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "array", "items": {"type": "string"}},
        "tone": _ref("Tone"), "preview": {"type": "string"},
        "messages": {"type": "integer"}, "notes": {"type": "integer"},
        "escalations": {"type": "integer"}, "enqueued_at": {"type": "number"},
        "updated_at": {"type": "number"},
        "waiting_seconds": {"type": "number", "description": "Since enqueued, until the first "
                            "agent reply."},
        "claimed_by": {"type": "string", "nullable": True},
        "claimed_at": {"type": "number", "nullable": True},
        "lease_until": {"type": "number", "nullable": True},
        "first_reply_at": {"type": "number", "nullable": True},
        "last_message_at": {"type": "number", "nullable": True}}},
    "Ticket": {"type": "object", "description": "The whole ticket (bot.queue.Ticket).",
               "properties": {
        "id": {"type": "string"}, "status": {"type": "string"},
        "outcome": {"type": "string", "nullable": True}, "channel": {"type": "string"},
        "sender": {"type": "string"}, "priority": {"type": "integer"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "text": {"type": "string", "description": "The message that escalated."},
        "draft": {"type": "string", "description": "Vetted draft reply for the agent to edit."},
        "tone": {"type": "object", "description": "negative, sarcasm, label, signals."},
        "nlu": {"type": "object", "description": "The bot's guesses: intent, faq, confidence, "
                "ranking, language."},
        "transcript": {"type": "array", "items": _ref("Message")},
        "notes": {"type": "array", "items": _ref("Note")},
        "history": {"type": "array", "items": {"type": "object"}},
        "trimmed_messages": {"type": "integer", "description": "Transcript messages dropped to "
                             "keep it at its cap (the first message is always kept)."},
        "trimmed_history": {"type": "integer", "description": "History events dropped (they "
                            "stay in the audit stream)."},
        "claimed_by": {"type": "string", "nullable": True},
        "lease_until": {"type": "number", "nullable": True},
        "summary": _ref("TicketSummary"),
        "reply_window": {"type": "object", "description": "The platform's reply window "
                         "(state, closes_at, seconds_left, tag, message)."}}},
    "Event": {"type": "object", "properties": {
        "id": {"type": "string", "description": "Stream id (use as Last-Event-ID)."},
        "type": {"type": "string", "description": "escalated, updated, follower_message, "
                 "claimed, replied, note, released, transferred, resolved, lease_expired, "
                 "aged, delivery_failed, label_added, label_removed, "
                 "follower_erased (data: counts, ticket ids)"},
        "ticket": {"type": "string"}, "actor": {"type": "string"}, "ts": {"type": "number"},
        "data": {"type": "object"}}},
    "Decision": {"type": "object", "description": "Same JSON as `carebot decide`.",
                 "properties": {
        "decision": {"type": "string", "enum": ["answer", "escalate"]},
        "faq": {"type": "string", "nullable": True},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "confidence": {"type": "number"}, "tone": {"type": "object"},
        "intent": {"type": "string", "nullable": True},
        "priority": {"type": "integer", "nullable": True}, "language": {"type": "object"}}},
}

_T = _json(_ref("Ticket"))

PATHS: dict[str, dict[str, Any]] = {
    "/api/session": {
        "post": {
            "summary": "Sign in: exchange a token for the console's session cookie",
            "security": [],
            "requestBody": _body({"type": "object", "properties": {"token": {"type": "string"}}},
                                 required=False),
            "responses": {"200": _json(_ref("Principal")), "401": _ERROR},
        },
        "delete": _op("Sign out (ends the session cookie)", "any",
                      {"204": {"description": "Signed out"}}),
    },
    "/api/me": {"get": _op("Who am I: name, role, permissions, held tickets, lease", "read",
                           {"200": _json(_ref("Principal"))})},
    "/api/agents": {"get": _op("Accounts (name, role), e.g. to pick a transfer target", "read",
                               {"200": _json({"type": "object", "properties": {"agents": {
                                   "type": "array", "items": _ref("Principal")}}})})},
    "/api/tickets": {"get": {
        **_op("List tickets (queue order: priority, then waiting time)", "read",
              {"200": _json({"type": "object", "properties": {
                  "now": {"type": "number"},
                  "tickets": {"type": "array", "items": _ref("TicketSummary")}}})},
              errors=("422",)),
        "parameters": [
            {"name": "status", "in": "query", "schema": {
                "type": "string", "enum": ["open", "queued", "claimed", "resolved"],
                "default": "open"}, "description": "`open` = queued then claimed."},
            {"name": "limit", "in": "query", "schema": {
                "type": "integer", "minimum": 1, "maximum": 1000, "default": 200}},
            {"name": "label", "in": "query", "schema": {"type": "string"}, "description":
             "only tickets carrying this label (among the newest 1000 of the status; "
             "older ones: /api/search?label=)"}]}},
    "/api/stats": {"get": _op("Queue figures: depth by priority, oldest and typical wait",
                              "read", {"200": _json({"type": "object", "properties": {
                                  "waiting": {"type": "integer"},
                                  "depth_by_priority": {"type": "object"},
                                  "oldest_waiting_seconds": {"type": "number",
                                                             "nullable": True},
                                  "typical_wait_seconds": {"type": "number",
                                                           "nullable": True}}})})},
    "/api/tickets/claim-next": {"post": _op(
        "Claim the next ticket (most urgent, longest waiting)", "work",
        {"200": _T, "204": {"description": "Nothing is waiting"}})},
    "/api/tickets/{tid}": {"get": _op("View a ticket: transcript, reasons, scores, NLU guesses, "
                                      "draft, notes, history", "read", {"200": _T},
                                      ticket=True, errors=("404",))},
    "/api/tickets/{tid}/claim": {"post": _op(
        "Claim this ticket (renews your lease if you hold it)", "work", {"200": _T},
        ticket=True, errors=("404", "409"),
        description="409 `already_claimed` (with `holder`) when another agent holds it.")},
    "/api/tickets/{tid}/heartbeat": {"post": _op(
        "Extend your lease on a ticket you hold", "work",
        {"200": _json({"type": "object", "properties": {"lease_until": {"type": "number"}}})},
        ticket=True, errors=("404", "409"))},
    "/api/tickets/{tid}/reply": {"post": _op(
        "Reply to the follower through their channel", "work",
        {"200": _json({"type": "object", "properties": {"message": _ref("Message")}})},
        ticket=True, body=_body(_REPLY), errors=("404", "409", "422", "502"),
        description="Recorded on the ticket and in the conversation's Rasa tracker, and sent "
                    "through the channel the conversation came from. 502 `delivery_failed`: "
                    "kept on the ticket, not delivered. An image goes after the text: "
                    "`image_id` (uploaded with `POST /api/tickets/{tid}/images`) or "
                    "`image_url` (an https URL the platform fetches); 422 "
                    "`image_not_supported` on a channel that takes no images.")},
    "/api/tickets/{tid}/notes": {"post": _op(
        "Add an internal note (never sent to the follower)", "note",
        {"200": _json({"type": "object", "properties": {"note": _ref("Note")}})},
        ticket=True, body=_body(_TEXT), errors=("404", "422"))},
    "/api/tickets/{tid}/release": {"post": _op(
        "Put a ticket you hold back in the queue, at its old place", "work",
        {"200": _json({"type": "object"})}, ticket=True, errors=("404", "409"))},
    "/api/tickets/{tid}/transfer": {"post": _op(
        "Hand a ticket you hold to another agent; supervisors reassign any with force",
        "work", {"200": _json({"type": "object"})}, ticket=True, errors=("404", "409", "422"),
        body=_body({"type": "object", "required": ["to"], "properties": {
            "to": {"type": "string"}, **_FORCE_PROPS}}))},
    "/api/tickets/{tid}/resolve": {"post": _op(
        "Resolve: close the ticket; the bot answers this follower again", "work",
        {"200": _T}, ticket=True, body=_body(_FORCE, required=False),
        errors=("404", "409", "502"))},
    "/api/tickets/{tid}/handback": {"post": _op(
        "Hand the conversation back to the bot (closed as handed_back)", "work",
        {"200": _T}, ticket=True, body=_body(_FORCE, required=False),
        errors=("404", "409", "502"))},
    "/api/events": {"get": _op(
        "Live queue changes as server-sent events (text/event-stream)", "read",
        {"200": {"description": "An endless stream of `event: queue` messages whose data is an "
                 "Event; send Last-Event-ID to replay what you missed.",
                 "content": {"text/event-stream": {"schema": _ref("Event")}}}})},
    "/api/decide": {"post": _op(
        "The bot's decision for a message (same as `carebot decide`; no side effects)",
        "decide", {"200": _json(_ref("Decision"))}, errors=("422", "503"),
        body=_body({"type": "object", "required": ["text"], "properties": {
            "text": {"type": "string"}, "metadata": {"type": "object"},
            "previous_failures": {"type": "integer", "minimum": 0, "default": 0}}}))},
    "/openapi.json": {"get": _op("This document", "read",
                                 {"200": _json({"type": "object"})})},
}

# The trainers' review API (bot/workspace/review_routes.py) documents its own routes.
from bot.workspace.review_routes import OPENAPI_PATHS as _REVIEW_PATHS  # noqa: E402

PATHS.update(_REVIEW_PATHS)

from bot.workspace.stats_route import OPENAPI_PATHS as _STATS_PATHS  # noqa: E402

PATHS.update(_STATS_PATHS)

# The agents' daily tools: canned responses, labels, search.
from bot.workspace.canned_routes import OPENAPI_PATHS as _CANNED_PATHS  # noqa: E402
from bot.workspace.labels_routes import OPENAPI_PATHS as _LABELS_PATHS  # noqa: E402
from bot.workspace.search_routes import OPENAPI_PATHS as _SEARCH_PATHS  # noqa: E402

PATHS.update(_CANNED_PATHS)
PATHS.update(_LABELS_PATHS)
PATHS.update(_SEARCH_PATHS)

from bot.workspace.model_route import OPENAPI_PATHS as _MODEL_PATHS  # noqa: E402

PATHS.update(_MODEL_PATHS)

from bot.workspace.followers_openapi import PATHS as _FOLLOWER_PATHS  # noqa: E402

PATHS.update(_FOLLOWER_PATHS)

from bot.workspace.privacy_route import OPENAPI_PATHS as _PRIVACY_PATHS  # noqa: E402

PATHS.update(_PRIVACY_PATHS)

from bot.workspace.reply_images_routes import OPENAPI_PATHS as _IMAGE_PATHS  # noqa: E402

PATHS.update(_IMAGE_PATHS)

from bot.workspace.audit_routes import OPENAPI_PATHS as _AUDIT_PATHS  # noqa: E402

PATHS.update(_AUDIT_PATHS)


def document() -> dict[str, Any]:
    """The OpenAPI 3.0 document."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "carebot workspace API",
            "version": VERSION,
            "description": "Care agents' queue: list, claim, view, reply, note, release, "
                           "transfer, resolve and hand back escalated conversations, live "
                           "events, and the bot's decision. Authenticate with "
                           "`Authorization: Bearer <token>` (`carebot agents add`), or the "
                           "console's session cookie plus `X-Carebot-CSRF: 1` on changes. "
                           "Errors: `{\"error\": code, \"message\": text}`; 401 bad or missing "
                           "credentials, 403 role not allowed, 409 ticket state (held by "
                           "someone else, not yours, closed).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "carebot_session"},
            },
            "schemas": SCHEMAS,
            "responses": {"Error": _json(_ref("Error"), "Error")},
        },
    }


def _document_input_errors() -> None:
    """Every operation that takes input (path parameters, a query or a body) may refuse it:
    422 ``invalid`` (bad values), and 404 for an unknown id in its path. Documented on each
    operation, so the document says what the API really answers (the schema-driven fuzzing
    in tests/security/test_fuzz_workspace.py checks every status against it)."""
    for path, operations in PATHS.items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            params = operation.get("parameters") or []
            if params or "requestBody" in operation:
                responses.setdefault("422", {"$ref": "#/components/responses/Error"})
            if "{" in path:
                responses.setdefault("404", {"$ref": "#/components/responses/Error"})


_document_input_errors()
