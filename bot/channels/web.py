"""The REST channel and the socket.io web chat, safe for followers; an inbox for REST.

Identity: the server, never the client, chooses a REST or web-chat follower's conversation id
(``rest:<32 hex>``, ``socketio:<32 hex>``) and hands it out with a secret token
(``bot.channels.follower_tokens``) on first contact; later requests must present the token.

REST (``/webhooks/rest/…``):

- ``POST /webhook`` ``{"message": str, "sender"?: str, "metadata"?: {…}}``. Without ``sender``
  (first contact) the answer carries ``X-Carebot-Sender`` and ``X-Carebot-Token`` headers; with
  one, the ``X-Carebot-Token`` header must hold its token, else 403 and nothing happens. A
  client-supplied ``input_channel`` is ignored (the channel is ``rest``). Body ≤ 64 kB (413),
  ``metadata`` an object of allow-listed keys (``attachments``, ``language``; else 400) of at most
  4 kB (413). ``?stream=true`` streams the replies as Rasa's REST channel does.
- ``POST /session``: a conversation id and token without sending a message (201
  ``{"sender", "token"}``).
- ``GET /inbox/<sender>`` with ``X-Carebot-Token``: returns and clears the replies sent after the
  request returned (agent replies), kept in Redis (``Keys.inbox``, newest ``INBOX_MAX``, 7 days).

socket.io (``/socket.io``, events ``session_request`` → ``session_confirm``): the client sends
``{"session_id", "token"}`` it got before, or nothing; unless the token is right, a new session
is issued. ``session_confirm`` carries ``{"session_id", "token"}``; the socket joins that
conversation's room, and its messages are that conversation's (a ``session_id`` in a message is
ignored). Messages before a session are dropped.

Both: follower text is neutralised (``"/restart"`` must not un-pause a conversation a person
owns; ``bot.channels.base.neutralise_text``) and cut to ``MAX_TEXT``; rate limits per client
address and per follower (``bot.channels.ratelimit``, 429 with ``Retry-After``).
"""

from __future__ import annotations

import base64
import json
import logging
import math
import time
from asyncio import CancelledError
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict

import redis
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot import redis as bot_redis
from bot.channels import follower_tokens, ratelimit
from bot.channels.base import WebhookError, neutralise_text, parse_json_object, read_body
from bot.channels.failures import record_failure
from bot.channels.follower_tokens import FollowerTokens, TokensUnavailable
from bot.channels.ids import ForeignConversation, platform_id
from bot.channels.outbound import run_blocking
from bot.channels.reply_images import REF_PREFIX, ImageRefused, load
from bot.nlu.pii.ingress import masking
from bot.queue.keys import Keys
from bot.settings import get_settings

logger = logging.getLogger(__name__)
MAX_TEXT = 20_000
MAX_BODY_BYTES = 64 * 1024
MAX_METADATA_BYTES = 4 * 1024
METADATA_KEYS = ("attachments", "language")
INBOX_TTL = 7 * 86400
INBOX_MAX = 100
SENDER_HEADER = "X-Carebot-Sender"
TOKEN_HEADER = "X-Carebot-Token"
Handler = Callable[[UserMessage], Awaitable[Any]]


def neutralising(on_new_message: Handler) -> Handler:
    """Wrap Rasa's message handler: neutralise and bound the follower's text."""

    async def handler(message: UserMessage) -> Any:
        message.text = neutralise_text(message.text)[:MAX_TEXT]
        return await on_new_message(message)

    return handler


def check_metadata(value: Any) -> Dict[str, Any] | None:
    """Follower-supplied metadata: None, or an object of ``METADATA_KEYS`` of at most
    ``MAX_METADATA_BYTES`` (as JSON). ``WebhookError`` 400 / 413 otherwise."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise WebhookError(400, "metadata must be a JSON object")
    unknown = sorted(str(key) for key in value if key not in METADATA_KEYS)
    if unknown:
        raise WebhookError(
            400,
            f"metadata: unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(METADATA_KEYS)})",
        )
    size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise WebhookError(413, f"metadata is {size} bytes, over {MAX_METADATA_BYTES}")
    return dict(value)


@dataclass(frozen=True)
class RestMessage:
    """A REST request body, checked."""

    text: str
    sender: str | None
    metadata: Dict[str, Any] | None

    @classmethod
    def parse(cls, body: bytes) -> RestMessage:
        payload = parse_json_object(body)
        text, sender = payload.get("message"), payload.get("sender")
        if text is not None and not isinstance(text, str):
            raise WebhookError(400, "'message' must be a string")
        if sender is not None and not isinstance(sender, str):
            raise WebhookError(400, "'sender' must be a string")
        return cls(text or "", sender or None, check_metadata(payload.get("metadata")))


async def issuer() -> FollowerTokens:
    """The process's token issuer; ``WebhookError`` 503 while Redis cannot give the secret."""
    known = follower_tokens.cached()
    if known is not None:
        return known
    try:
        return await run_blocking(follower_tokens.tokens)
    except TokensUnavailable as error:
        logger.error("follower tokens unavailable: %s", error)
        raise WebhookError(503, "temporarily unavailable, try again") from None


def authenticate(tokens: FollowerTokens, channel: str, conversation: str, token: str | None) -> str:
    """The platform id of ``conversation`` if ``token`` is its token; ``WebhookError`` 403."""
    try:
        pid = platform_id(channel, conversation)
    except ForeignConversation:
        raise WebhookError(
            403, "unknown sender: leave 'sender' out to start a conversation"
        ) from None
    if not tokens.valid(conversation, token):
        raise WebhookError(403, f"missing or wrong {TOKEN_HEADER} for this sender")
    return pid


def _keys() -> Keys:
    return Keys(get_settings().queue_prefix)


_clients: Dict[str, redis.Redis] = {}


def _redis() -> redis.Redis:
    url = get_settings().redis_url
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = bot_redis.client(url)
    return client


def _push_inbox(key: str, entry: str) -> None:
    pipe = _redis().pipeline()
    pipe.rpush(key, entry)
    pipe.ltrim(key, -INBOX_MAX, -1)
    pipe.expire(key, INBOX_TTL)
    pipe.execute()


def _take_inbox(key: str) -> list[Any]:
    pipe = _redis().pipeline()
    pipe.lrange(key, 0, -1)
    pipe.delete(key)
    raw, _ = pipe.execute()
    return [json.loads(item) for item in raw]


class InboxOutput(CollectingOutputChannel):
    """Keeps messages sent outside a REST call (agent replies) in the follower's Redis inbox."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _persist_message(self, message: Dict[str, Any]) -> None:
        recipient = str(message.get("recipient_id"))
        try:
            key = _keys().inbox("rest", platform_id("rest", recipient))
        except ForeignConversation:
            logger.error("REST reply to %s, not a REST conversation: not delivered", recipient)
            return
        await super()._persist_message(message)
        entry = json.dumps({**message, "ts": time.time()}, ensure_ascii=False)
        await run_blocking(_push_inbox, key, entry)


def _reject(request: Request, error: WebhookError) -> HTTPResponse:
    log = logger.warning if error.status == 403 else logger.info
    log("REST request rejected (%s %s) from %s", error.status, error.reason, request.ip)
    return response.json({"error": error.reason}, status=error.status)


def _identity_headers(conversation: str, token: str) -> Dict[str, str]:
    return {
        SENDER_HEADER: conversation,
        TOKEN_HEADER: token,
        "Access-Control-Expose-Headers": f"{SENDER_HEADER}, {TOKEN_HEADER}",
        "Cache-Control": "no-store",
    }


class RestInput(RasaRestInput):
    """Rasa's REST channel with server-issued senders, checked input and an inbox."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def get_output_channel(self) -> OutputChannel | None:
        return InboxOutput()

    async def _identify(self, request: Request, sender: str | None) -> tuple[str, Dict[str, str]]:
        """The conversation of this request and the headers to answer with (first contact)."""
        tokens = await issuer()
        if sender is None:
            conversation, token = tokens.issue("rest")
            return conversation, _identity_headers(conversation, token)
        authenticate(tokens, "rest", sender, request.headers.get(TOKEN_HEADER))
        return sender, {}

    async def _receive(
        self, request: Request, on_new_message: Handler
    ) -> HTTPResponse | ResponseStream:
        limited = ratelimit.refuse_ip(request)
        if limited is not None:
            return limited
        try:
            body = await read_body(request, MAX_BODY_BYTES)
            message = RestMessage.parse(body)
            conversation, headers = await self._identify(request, message.sender)
        except WebhookError as error:
            return _reject(request, error)
        wait = ratelimit.sender_wait(conversation)
        if wait:
            return ratelimit.too_many(wait)
        if bool_arg(request, "stream", default=False):
            return response.stream(
                self.stream_response(
                    on_new_message, message.text, conversation, self.name(), message.metadata
                ),
                content_type="text/event-stream",
                headers=headers,
            )
        collector = CollectingOutputChannel()
        user_message = UserMessage(
            message.text,
            collector,
            conversation,
            input_channel=self.name(),
            metadata=message.metadata,
        )
        try:
            await on_new_message(user_message)
        except CancelledError:
            logger.error("REST message from %s timed out", conversation)
        except Exception:
            logger.exception("REST message from %s failed", conversation)
        return response.json(collector.messages, headers=headers)

    async def _session(self, request: Request) -> HTTPResponse:
        limited = ratelimit.refuse_ip(request)
        if limited is not None:
            return limited
        try:
            await read_body(request, MAX_BODY_BYTES)  # none expected; never buffered unbounded
            conversation, token = (await issuer()).issue("rest")
        except WebhookError as error:
            return _reject(request, error)
        return response.json(
            {"sender": conversation, "token": token},
            status=201,
            headers=_identity_headers(conversation, token),
        )

    async def _inbox(self, request: Request, sender: str) -> HTTPResponse:
        limited = ratelimit.refuse_ip(request)
        if limited is not None:
            return limited
        try:
            await read_body(request, MAX_BODY_BYTES)
            pid = authenticate(await issuer(), "rest", sender, request.headers.get(TOKEN_HEADER))
        except WebhookError as error:
            return _reject(request, error)
        try:
            messages = await run_blocking(_take_inbox, _keys().inbox("rest", pid))
        except redis.RedisError:
            return response.json({"error": "inbox unavailable, try again"}, status=503)
        return response.json(messages, headers={"Cache-Control": "no-store"})

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        handler = neutralising(masking(on_new_message))
        bp = Blueprint("carebot_rest_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse | ResponseStream:
            return await self._receive(request, handler)

        @bp.route("/session", methods=["POST"], stream=True)
        async def session(request: Request) -> HTTPResponse:
            return await self._session(request)

        @bp.route("/inbox/<sender:str>", methods=["GET"], stream=True)
        async def inbox(request: Request, sender: str) -> HTTPResponse:
            return await self._inbox(request, sender)

        return bp


# --- socket.io ----------------------------------------------------------------------------------


class SocketIOOutput(RasaSocketIOOutput):
    """Rasa's socket.io output, addressed by conversation id (sent to its room)."""

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        try:
            room = platform_id("socketio", recipient_id)
        except ForeignConversation:
            logger.error(
                "web chat reply to %s, not a web-chat conversation: not sent", recipient_id
            )
            return
        await super().send_response(room, message)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """An agent's uploaded image (``carebot-image:<id>``) goes to the widget as a ``data:``
        URL (the follower's browser cannot reach the workspace); a URL as it is."""
        if image.startswith(REF_PREFIX):
            try:
                stored = await run_blocking(load, image)
            except ImageRefused as exc:
                logger.error("web chat image to %s undeliverable: %s", recipient_id, exc.message)
                await run_blocking(record_failure, "socketio", recipient_id, image,
                                   f"socketio: {exc.message}", "")
                return
            image = (f"data:{stored.content_type};base64,"
                     + base64.b64encode(stored.body).decode("ascii"))
        await super().send_image_url(recipient_id, image, **kwargs)


def _socket_metadata(value: Any) -> Dict[str, Any] | None:
    if isinstance(value, str):
        if len(value) > MAX_METADATA_BYTES:
            raise WebhookError(413, f"metadata over {MAX_METADATA_BYTES} bytes")
        try:
            value = json.loads(value)
        except ValueError:
            raise WebhookError(400, "metadata is not JSON") from None
    return check_metadata(value or None)


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io channel with server-issued sessions and neutralised follower text."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            return super().get_output_channel()
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        handler = neutralising(masking(on_new_message))
        bp = super().blueprint(handler)
        sio = self.sio
        assert sio is not None
        sio.eio.max_http_buffer_size = MAX_BODY_BYTES
        namespace = self.namespace

        async def error(sid: str, reason: str, **extra: Any) -> None:
            await sio.emit(
                "carebot_error", {"error": reason, **extra}, room=sid, namespace=namespace
            )

        # Rasa's handlers of these two events are replaced (python-socketio keeps one per event)
        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            request = data if isinstance(data, dict) else {}
            try:
                tokens = await issuer()
            except WebhookError as exc:
                return await error(sid, exc.reason)
            asked, proof = request.get("session_id"), request.get("token")
            if (
                isinstance(asked, str)
                and isinstance(proof, str)
                and asked.startswith("socketio:")
                and tokens.valid(asked, proof)
            ):
                conversation, token = asked, proof
            else:
                conversation, token = tokens.issue("socketio")
            session = await sio.get_session(sid, namespace=namespace)
            if session.get("conversation"):
                sio.leave_room(sid, platform_id("socketio", session["conversation"]), namespace)
            await sio.save_session(sid, {"conversation": conversation}, namespace=namespace)
            sio.enter_room(sid, platform_id("socketio", conversation), namespace)
            await sio.emit(
                "session_confirm",
                {"session_id": conversation, "token": token},
                room=sid,
                namespace=namespace,
            )

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            conversation = session.get("conversation")
            if not conversation:
                logger.info("web chat message before session_request ignored (%s)", sid)
                return await error(sid, "no session: send session_request first")
            data = data if isinstance(data, dict) else {}
            text = data.get("message")
            try:
                if text is not None and not isinstance(text, str):
                    raise WebhookError(400, "'message' must be a string")
                metadata = _socket_metadata(data.get(self.metadata_key or "metadata"))
            except WebhookError as exc:
                return await error(sid, exc.reason)
            wait = ratelimit.sender_wait(conversation)
            if wait:
                return await error(sid, "too many messages", retry_after=math.ceil(wait))
            output = SocketIOOutput(sio, self.bot_message_evt)
            await handler(
                UserMessage(
                    text or "", output, conversation, input_channel=self.name(), metadata=metadata
                )
            )

        return bp
