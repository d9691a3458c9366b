"""Rasa's REST and socket.io channels, made safe for followers, plus an inbox for REST.

- Follower text is neutralised (``"/restart"`` must not un-pause a conversation a person owns;
  see ``bot.channels.base.neutralise_text``), and oversized texts are cut to ``MAX_TEXT`` chars.
- REST: ``metadata`` in the request body (a JSON object) reaches the bot, so REST clients can
  send attachments like the social channels do; agent replies, which arrive after the REST call
  has returned, wait in a Redis inbox: ``GET /webhooks/rest/inbox/<sender>`` returns and clears
  them (``carebot:inbox:rest:<sender>``).
- socket.io: agent replies are pushed to the follower's open web chat.

The public interfaces stay Rasa's: ``POST /webhooks/rest/webhook`` and ``/socket.io``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict

import redis
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    OutputChannel,
    UserMessage,
)
from rasa.core.channels.rest import RestInput as RasaRestInput
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import redis as bot_redis
from bot.channels.base import neutralise_text
from bot.nlu.pii.ingress import masking
from bot.settings import get_settings

logger = logging.getLogger(__name__)
MAX_TEXT = 20_000
INBOX_TTL = 7 * 86400
Handler = Callable[[UserMessage], Awaitable[Any]]


def neutralising(on_new_message: Handler) -> Handler:
    """Wrap Rasa's message handler: neutralise and bound the follower's text."""

    async def handler(message: UserMessage) -> Any:
        message.text = neutralise_text(message.text)[:MAX_TEXT]
        return await on_new_message(message)

    return handler


def _redis() -> redis.Redis:
    return bot_redis.client(get_settings().redis_url)


def inbox_key(sender: str) -> str:
    return f"{get_settings().queue_prefix}:inbox:rest:{sender}"


class InboxOutput(CollectingOutputChannel):
    """Keeps messages sent outside a REST call (agent replies) in the follower's Redis inbox."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _persist_message(self, message: Dict[str, Any]) -> None:
        await super()._persist_message(message)
        entry = {**message, "ts": time.time()}
        key = inbox_key(str(message.get("recipient_id")))
        client = _redis()
        pipe = client.pipeline()
        pipe.rpush(key, json.dumps(entry, ensure_ascii=False))
        pipe.expire(key, INBOX_TTL)
        pipe.execute()


class RestInput(RasaRestInput):
    """Rasa's REST channel with neutralised text, metadata and an inbox for agent replies."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, request: Request) -> str | None:
        """The sender, after checking the whole body (the first thing Rasa's handler reads):
        a JSON object whose ``sender`` is a string of 1..256 characters and ``message`` a string
        or absent; anything else is a 400, before anything is stored (found by fuzzing)."""
        body = request.json
        sender = body.get("sender") if isinstance(body, dict) else None
        if not isinstance(sender, str) or not 0 < len(sender) <= 256:
            raise InvalidUsage("send a JSON object with 'sender' (a string) and 'message'")
        if not isinstance(body.get("message"), (str, type(None))) or not isinstance(
                body.get("input_channel"), (str, type(None))):
            raise InvalidUsage("'message' must be a string")
        return sender

    def get_metadata(self, request: Request) -> Dict[str, Any] | None:
        body = request.json if isinstance(request.json, dict) else {}
        metadata = body.get("metadata")
        return dict(metadata) if isinstance(metadata, dict) else None

    def get_output_channel(self) -> OutputChannel | None:
        return InboxOutput()

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        blueprint = super().blueprint(neutralising(masking(on_new_message)))

        @blueprint.route("/inbox/<sender:str>", methods=["GET"])
        async def inbox(request: Request, sender: str) -> HTTPResponse:
            key = inbox_key(sender)
            try:
                client = _redis()
                pipe = client.pipeline()
                pipe.lrange(key, 0, -1)
                pipe.delete(key)
                raw, _ = pipe.execute()
            except redis.RedisError:
                return response.json({"error": "inbox unavailable, try again"}, status=503)
            return response.json([json.loads(item) for item in raw])

        return blueprint


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io channel with neutralised follower text."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(neutralising(masking(on_new_message)))
