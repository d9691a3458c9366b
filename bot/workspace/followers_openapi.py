"""OpenAPI entries of the follower features: contact panel, presence, reply windows and
templates (``bot.workspace.followers_routes``, ``presence``, ``replies``). Merged into
:data:`bot.workspace.openapi.PATHS`, replacing the reply and claim entries with their fuller
descriptions."""

from __future__ import annotations

from typing import Any

from bot.workspace.openapi import _FORCE, _body, _json, _op, _ref

_WINDOW = {"type": "object", "description": "The conversation's reply window "
           "(bot.channels.windows).", "properties": {
    "channel": {"type": "string"},
    "state": {"type": "string", "enum": ["open", "human_agent", "templates_only", "closed",
                                         "unlimited", "unknown"]},
    "last_inbound_at": {"type": "number", "nullable": True},
    "free_until": {"type": "number", "nullable": True},
    "closes_at": {"type": "number", "nullable": True},
    "seconds_left": {"type": "number", "nullable": True},
    "tag": {"type": "string", "nullable": True},
    "templates": {"type": "boolean"}, "can_send_text": {"type": "boolean"},
    "message": {"type": "string"}}}
_CHANNEL: dict[str, Any] = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,31}$"}
_SENDER: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 128}
_CONV: dict[str, Any] = {"type": "object", "required": ["channel", "sender"], "properties": {
    "channel": _CHANNEL, "sender": _SENDER}}
_PRESENCE = {"type": "object", "properties": {
    "ticket": {"type": "string"}, "lease_until": {"type": "number", "nullable": True},
    "presence": {"type": "array", "items": {"type": "object", "properties": {
        "agent": {"type": "string"}, "state": {"type": "string", "enum": ["viewing", "typing"]},
        "until": {"type": "number"}}}}}}
_PANEL = {"type": "object", "properties": {
    "conversation": _CONV,
    "follower": {"type": "object", "description": "channel, sender, name, handle, first_seen, "
                 "last_seen, contact (where known)"},
    "contact": {"type": "object", "properties": {
        "id": {"type": "string", "nullable": True},
        "conversations": {"type": "array", "items": {"type": "object"}}}},
    "first_seen": {"type": "number", "nullable": True},
    "tickets": {"type": "array", "items": {"type": "object", "description": "id, channel, "
                "sender, status, outcome, created_at, resolved_at, resolved_by, reasons, "
                "priority, text, notes, agent_replies, last_agent_reply"}},
    "bot": {"type": "object", "properties": {
        "available": {"type": "boolean"}, "error": {"type": "string", "nullable": True},
        "answered_by_bot": {"type": "integer"}, "follower_messages": {"type": "integer"},
        "turns_total": {"type": "integer"},
        "turns": {"type": "array", "items": {"type": "object", "description": "ts, role "
                  "(follower, bot, agent), channel, text, ticket?, response?, intent?"}}}}}}
_TEMPLATE_CHOICE = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string"}, "language": {"type": "string"},
    "params": {"type": "array", "items": {"type": "string", "maxLength": 1024}}}}
_REPLY = {"type": "object", "properties": {
    "text": {"type": "string", "minLength": 1, "maxLength": 5000,
             "description": "Required unless a template is sent."},
    "template": _TEMPLATE_CHOICE,
    "image_url": {"type": "string", "format": "uri", "maxLength": 2048,
                  "description": "An https image sent after the text."}}}

PATHS: dict[str, dict[str, Any]] = {
    "/api/tickets/{tid}/reply": {"post": _op(
        "Reply to the follower through their channel", "work",
        {"200": _json({"type": "object", "properties": {"message": _ref("Message"),
                                                        "window": _WINDOW}})},
        ticket=True, body=_body(_REPLY), errors=("404", "409", "422", "502"),
        description="Recorded on the ticket and in the conversation's Rasa tracker, and sent "
                    "through the channel the conversation came from, within the platform's "
                    "reply window: Messenger / Instagram between 24 h and 7 d after the "
                    "follower's last message with the HUMAN_AGENT tag; WhatsApp after 24 h "
                    "only as an approved `template` (instead of `text`). 409 "
                    "`reply_window_closed` (with `window`) when the window has passed or the "
                    "platform refused the reply for it; 409 `not_holder` (with `typing`) when "
                    "someone else holds the ticket; 502 `delivery_failed`: the platform or the "
                    "bot server did not take it (kept on the ticket).")},
    "/api/tickets/{tid}/claim": {"post": _op(
        "Claim this ticket (renews your lease if you hold it)", "work",
        {"200": _json(_ref("Ticket"))},
        ticket=True, body=_body(_FORCE, required=False), errors=("404", "409"),
        description="409 `already_claimed` (with `holder`, and `typing` when they are writing "
                    "a reply); 409 `draft_in_progress` while another agent's draft lock is on "
                    "it (supervisors: `force`).")},
    "/api/tickets/{tid}/presence": {
        "post": _op("Report what you do with the ticket: viewing, typing, idle or left", "read",
                    {"200": _json(_PRESENCE)}, ticket=True, errors=("404", "409", "422"),
                    body=_body({"type": "object", "required": ["state"], "properties": {
                        "state": {"type": "string",
                                  "enum": ["viewing", "typing", "idle", "left"]}}}),
                    description="Broadcast to every console (`event: presence`). `typing` "
                                "needs the ticket held: it renews the lease, holds the draft "
                                "lock and sends the follower a typing indicator (rate-limited); "
                                "`viewing` by an agent sends a read receipt where the platform "
                                "has them."),
        "get": _op("Who views or types in the ticket now", "read", {"200": _json(_PRESENCE)},
                   ticket=True, errors=("404",))},
    "/api/tickets/{tid}/contact": {"get": _op(
        "The contact panel of the ticket's follower: profile, linked conversations, earlier "
        "tickets with outcome and notes, the bot's answers in between", "read",
        {"200": _json(_PANEL)}, ticket=True, errors=("404", "422"))},
    "/api/followers/{channel}/{sender}": {"get": {
        **_op("The contact panel of one conversation", "read", {"200": _json(_PANEL)},
              errors=("404", "422")),
        "parameters": [
            {"name": "channel", "in": "path", "required": True, "schema": _CHANNEL},
            {"name": "sender", "in": "path", "required": True, "schema": _SENDER}]}},
    "/api/followers/link": {"post": _op(
        "Link two conversations as one person (their contacts merge)", "work",
        {"200": _json(_PANEL)}, errors=("404", "422"),
        body=_body({"type": "object", "required": ["a", "b"], "properties": {
            "a": _CONV, "b": _CONV}}))},
    "/api/followers/unlink": {"post": _op(
        "Unlink a conversation from the person it was linked to", "work",
        {"200": _json(_PANEL)}, errors=("409", "422"), body=_body(_CONV))},
    "/api/tickets/{tid}/media/{m}/{a}": {"get": {
        **_op("An attachment a follower sent (image, video, audio, file), fetched through the "
              "workspace with the platform's credentials", "read",
              {"200": {"description": "The attachment's bytes (images, video, audio, PDF, "
                       "plain text), at most 10 MB",
                       "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}},
              errors=("404", "413", "415", "502")),
        "parameters": [
            {"name": "tid", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^T-[0-9]{6,12}$"}},
            {"name": "m", "in": "path", "required": True, "description": "Index of the "
             "follower message in the transcript.", "schema": {"type": "integer", "minimum": 0}},
            {"name": "a", "in": "path", "required": True, "description": "Index of the "
             "attachment in the message.", "schema": {"type": "integer", "minimum": 0}}]}},
    "/api/templates": {"get": _op(
        "The approved WhatsApp templates (sent after the 24-hour window)", "read",
        {"200": _json({"type": "object", "properties": {"templates": {"type": "array", "items": {
            "type": "object", "properties": {
                "name": {"type": "string"}, "language": {"type": "string"},
                "body": {"type": "string"}, "description": {"type": "string"},
                "params": {"type": "integer"}}}}}})}, errors=("503",))},
}
