"""Shared webhook machinery for the social channels: the inbound safety pipeline.

Every POST a platform makes goes through ``WebhookInput.receive``:

1. body size: over ``max_body_bytes`` (1 MB) → 413, read no further;
2. authenticity: the platform's signature (or secret token) must verify → else 403, logged;
3. JSON: unparsable or not an object → 400; structurally malformed → 400;
4. idempotency: each message id is processed once (``Deduplicator``);
5. the messages become ``UserMessage``s handed to Rasa in a background task, and the platform gets
   its 200 at once (platforms want a fast answer and retry otherwise). Their sender id is the
   conversation id ``<channel>:<platform id>`` (``bot.channels.ids``).

Before all of this, one client address gets at most ``CAREBOT_RATE_LIMIT_PER_IP`` requests a
minute (429 with ``Retry-After`` beyond; ``bot.channels.ratelimit``). After step 4, a follower
over ``CAREBOT_RATE_LIMIT_PER_SENDER`` messages a minute has the excess dropped (logged at
WARNING): the webhook carries other followers' messages too, so it is not refused.
The task also updates each follower's profile (``bot.followers.ingress``: name / handle where
the platform gives them, first and last seen, last message id).

Text is neutralised so that a follower cannot inject Rasa intents ("/restart") — see
``neutralise_text``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import ratelimit, settings
from bot.channels.idempotency import Deduplicator, redis_factory
from bot.channels.ids import conversation_id
from bot.channels.outbound import SendClient, run_blocking
from bot.followers.ingress import remember as remember_follower
from bot.nlu.pii.ingress import masking

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
DRAIN_TIMEOUT = 10.0

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class WebhookError(Exception):
    """A webhook request rejected with an HTTP status (4xx)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class MalformedPayload(WebhookError):
    """Valid JSON whose structure is not what the platform sends."""

    def __init__(self, reason: str) -> None:
        super().__init__(400, reason)


# --- signatures ----------------------------------------------------------------------------------


def hmac_sha256(secret: str, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data`` keyed with ``secret``."""
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented token with the expected one."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def verify_hex_signature(body: bytes, header: str | None, secret: str) -> bool:
    """Check ``sha256=<hex hmac>`` (Meta's ``X-Hub-Signature-256``)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac_sha256(secret, body).hex()
    return tokens_match(header.strip().lower(), expected)


def verify_base64_signature(body: bytes, header: str | None, secret: str) -> bool:
    """Check ``sha256=<base64 hmac>`` (X's ``x-twitter-webhooks-signature``)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + base64.b64encode(hmac_sha256(secret, body)).decode("ascii")
    return tokens_match(header.strip(), expected)


# --- body and JSON ------------------------------------------------------------------------------


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """Read the request body, refusing (413) anything over ``limit`` bytes without buffering it."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise WebhookError(413, "payload too large")
        except ValueError:
            raise WebhookError(400, "bad Content-Length") from None
    if request.stream is None:  # a non-streaming route: Sanic already read it
        body = bytes(request.body or b"")
        if len(body) > limit:
            raise WebhookError(413, "payload too large")
        return body
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:
            raise WebhookError(413, "payload too large")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Decode a JSON object (400 otherwise)."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebhookError(400, "malformed JSON") from None
    if not isinstance(payload, dict):
        raise MalformedPayload("JSON payload is not an object")
    return payload


def as_list(value: Any, what: str) -> list[Any]:
    """``value`` if it is a list (missing → empty), else a MalformedPayload naming ``what``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedPayload(f"{what} is not a list")
    return value


def or_empty(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else ``{}`` (for optional sub-objects)."""
    return value if isinstance(value, dict) else {}


def as_dict(value: Any, what: str) -> dict[str, Any]:
    """``value`` if it is an object, else a MalformedPayload naming ``what``."""
    if not isinstance(value, dict):
        raise MalformedPayload(f"{what} is not an object")
    return value


# --- text ---------------------------------------------------------------------------------------


def neutralise_text(text: str | None) -> str:
    """Make follower text safe from Rasa intent injection.

    Rasa parses any text starting with "/" (after ``str.strip()``) as ``/intent{entities}``; e.g.
    "/restart" would reset a conversation that a human agent owns. We strip whitespace exactly as
    Rasa does and then drop leading slashes, so "/restart" reaches NLU as the words "restart".
    """
    cleaned = (text or "").strip()
    while cleaned.startswith("/"):
        cleaned = cleaned.lstrip("/").strip()
    return cleaned


# --- inbound messages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    """One follower message extracted from a webhook payload."""

    sender_id: str
    message_id: str
    text: str = ""
    attachments: list[dict[str, str]] = field(default_factory=list)
    dedup_key: str = ""  # defaults to message_id
    language: str = ""
    ack_token: str = ""  # platform token to acknowledge receipt with (Telegram callback query)
    profile: dict[str, str] = field(default_factory=dict)
    """The follower's ``name`` / ``handle`` where the platform gives them (bot.followers)."""

    def metadata(self, channel: str) -> dict[str, Any]:
        """``UserMessage.metadata`` as per docs/architecture.md."""
        meta: dict[str, Any] = {
            "channel": channel,
            "message_id": self.message_id,
            "attachments": [dict(a) for a in self.attachments],
        }
        if self.language:
            meta["language"] = self.language
        return meta


S = TypeVar("S")
InputT = TypeVar("InputT", bound="WebhookInput[Any]")


class WebhookInput(InputChannel, Generic[S]):
    """A Rasa input channel receiving a platform's webhooks at ``/webhooks/<name>/webhook``.

    A platform sets ``CHANNEL``, ``SETTINGS`` (its settings class in ``bot.channels.settings``)
    and ``OUTPUT`` (its ``SocialOutput``, which shares this channel's send client).
    """

    CHANNEL: ClassVar[str] = ""
    SETTINGS: ClassVar[Any] = None
    OUTPUT: ClassVar[Any] = None
    max_body_bytes: ClassVar[int] = MAX_BODY_BYTES

    @classmethod
    def name(cls) -> str:
        return cls.CHANNEL

    def __init__(
        self,
        settings: S,
        deduplicator: Deduplicator | None = None,
        client: SendClient | None = None,
    ) -> None:
        self.settings = settings
        self._client = client or SendClient(self.CHANNEL, throttle_hook=self.OUTPUT.throttle)
        self._deduplicator = deduplicator
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def from_credentials(cls: type[InputT], credentials: dict[str, Any] | None) -> InputT:
        """Credentials from config/credentials.social.yml, falling back to the environment."""
        return cls(cls.SETTINGS.from_env(overrides=credentials))

    # -- to implement per platform ----------------------------------------------------------------

    def verify_request(self, request: Request, body: bytes) -> bool:
        """True if the request provably comes from the platform."""
        raise NotImplementedError

    def handshake(self, request: Request) -> HTTPResponse:
        """Answer the platform's GET verification (default: none → 405)."""
        return response.json({"error": "method not allowed"}, status=405)

    def extract(self, payload: dict[str, Any]) -> list[Inbound]:
        """The follower messages in a verified payload (raise MalformedPayload when malformed)."""
        raise NotImplementedError

    def get_output_channel(self) -> OutputChannel:
        """The output channel replies go through."""
        output: OutputChannel = self.OUTPUT(self.settings, self._client)
        return output

    def acknowledge(self, message: Inbound) -> None:
        """Blocking hook run (on the send executor) before a message is handed to Rasa."""

    # -- shared pipeline --------------------------------------------------------------------------

    @property
    def deduplicator(self) -> Deduplicator:
        """The idempotency store (built from ``REDIS_URL`` on first use)."""
        if self._deduplicator is None:
            self._deduplicator = Deduplicator(
                redis_factory(settings.redis_url()), prefix=settings.queue_prefix()
            )
        return self._deduplicator

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Sanic routes: ``GET /`` health, ``GET /webhook`` handshake, ``POST /webhook``."""
        bp = Blueprint(f"carebot_{self.name()}_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return self.handshake(request)

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, masking(on_new_message))

        @bp.listener("before_server_stop")
        async def drain(*_: Any) -> None:
            await self.drain()

        return bp

    def _reject(self, request: Request, status: int, reason: str) -> HTTPResponse:
        log = logger.warning if status == 403 else logger.info
        log("%s webhook rejected (%s %s) from %s", self.name(), status, reason, request.ip)
        return response.json({"error": reason}, status=status)

    async def receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """Run the safety pipeline on one webhook POST and schedule the messages it carries."""
        limited = ratelimit.refuse_ip(request)
        if limited is not None:
            return limited
        try:
            body = await read_body(request, self.max_body_bytes)
        except WebhookError as exc:
            return self._reject(request, exc.status, exc.reason)
        if not self.verify_request(request, body):
            return self._reject(request, 403, "invalid or missing signature")
        try:
            messages = self.extract(parse_json_object(body))
        except WebhookError as exc:
            return self._reject(request, exc.status, exc.reason)

        fresh: list[Inbound] = []
        for message in messages:
            key = message.dedup_key or message.message_id
            if not await run_blocking(self.deduplicator.first_time, self.name(), key):
                logger.info("%s duplicate delivery of %s ignored", self.name(), key)
            elif ratelimit.sender_wait(conversation_id(self.name(), message.sender_id)):
                logger.warning(
                    "%s: %s is over CAREBOT_RATE_LIMIT_PER_SENDER; message %s dropped",
                    self.name(),
                    message.sender_id,
                    key,
                )
            else:
                fresh.append(message)
        if fresh:
            self._spawn(self._process(fresh, on_new_message))
        return response.json({"status": "ok", "accepted": len(fresh)})

    def to_user_message(self, message: Inbound) -> UserMessage:
        """The ``UserMessage`` handed to Rasa for ``message``."""
        return UserMessage(
            text=message.text,
            output_channel=self.get_output_channel(),
            sender_id=conversation_id(self.name(), message.sender_id),
            input_channel=self.name(),
            metadata=message.metadata(self.name()),
        )

    async def _process(self, messages: list[Inbound], on_new_message: OnNewMessage) -> None:
        for message in messages:  # in order: one sender's messages must not overtake each other
            try:
                await run_blocking(
                    remember_follower,
                    self.name(),
                    message.sender_id,
                    message.message_id,
                    message.profile,
                )
                await run_blocking(self.acknowledge, message)
                await on_new_message(self.to_user_message(message))
            except Exception:
                logger.exception(
                    "%s: processing message %s from %s failed",
                    self.name(),
                    message.message_id,
                    message.sender_id,
                )

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Wait (up to ``timeout``) for messages still being processed."""
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
