"""The shared Rasa output channel of the social platforms.

``SocialOutput`` turns Rasa's send calls into platform sends: it splits long text within the
platform's limit, uses the platform's native quick replies / buttons when the buttons fit the
platform's constraints (a plain-text numbered list otherwise, on the last part), and runs every
blocking HTTP call on the send executor so the Sanic event loop is never blocked.

Rasa addresses replies to the conversation id (``whatsapp:15550001``, ``bot.channels.ids``):
``send_response`` strips the channel's prefix, and refuses a conversation of another channel, so
the ``send_*`` methods and the platform hooks deal in platform ids only.

A reply that cannot be delivered is handed to ``record_failure`` (queue ticket or spool) — it is
never silently dropped, and never raised into Rasa (which would lose the conversation's events).
Platform modules implement ``send_part`` (and optionally ``native_buttons`` / ``send_image_sync``).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

import requests
from rasa.core.channels.channel import OutputChannel

from bot.channels.failures import record_failure
from bot.channels.ids import ForeignConversation, platform_id
from bot.channels.outbound import DeliveryFailed, SendClient, run_blocking, split_message
from bot.channels.reply_images import REF_PREFIX, ImageRefused, StoredImage, load

logger = logging.getLogger(__name__)

Buttons = list[dict[str, Any]]
S = TypeVar("S")
OutputT = TypeVar("OutputT", bound="SocialOutput[Any]")


def button_title(button: dict[str, Any]) -> str:
    """The label a follower sees (and sends back when tapping it)."""
    return str(button.get("title") or "").strip()


def button_payload(button: dict[str, Any], limit: int) -> str:
    """The payload echoed back by the platform (the title when there is none), within ``limit``."""
    payload = str(button.get("payload") or button_title(button))
    return payload[:limit]


def carebot_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """carebot's per-message options, from an agent reply's event metadata (``carebot``: e.g.
    ``{"agent": …, "tag": "HUMAN_AGENT"}`` or ``{"template": {…}}``), which Rasa passes to the
    ``send_*`` methods as keyword arguments."""
    options = kwargs.get("carebot")
    return options if isinstance(options, dict) else {}


def options_text(text: str, buttons: Buttons) -> str:
    """``text`` followed by the buttons as a numbered plain-text list."""
    lines = []
    for index, button in enumerate(buttons, start=1):
        title = button_title(button)
        url = button.get("url")
        lines.append(f"{index}. {title}: {url}" if url else f"{index}. {title}")
    return "\n\n".join(part for part in (text.strip(), "\n".join(lines)) if part)


class SocialOutput(OutputChannel, Generic[S]):
    """Base output channel: splitting, buttons, executor, failure recording.

    A platform sets ``CHANNEL`` and, when the platform signals throttling in the body, ``throttle``.
    """

    CHANNEL: ClassVar[str] = ""
    text_limit: ClassVar[int] = 2000
    button_text_limit: ClassVar[int | None] = None  # stricter limit for text carrying buttons

    def __init__(self, settings: S, client: SendClient | None = None) -> None:
        self.settings = settings
        self.client = client or SendClient(self.CHANNEL, throttle_hook=self.throttle)

    @staticmethod
    def throttle(resp: requests.Response) -> float | None:
        """Seconds the platform asks us to wait, from a response body (``SendClient``)."""
        return None

    @classmethod
    def name(cls) -> str:
        """The channel name (same as the input channel's)."""
        return cls.CHANNEL

    # -- platform hooks (blocking) ----------------------------------------------------------------

    def measure(self, text: str) -> int:
        """Length as the platform counts it (characters by default)."""
        return len(text)

    def native_buttons(self, buttons: Buttons) -> bool:
        """True if ``buttons`` can be sent as the platform's own quick replies / buttons."""
        return False

    def send_part(self, recipient_id: str, text: str, buttons: Buttons | None) -> None:
        """Send one part (within the limit); ``buttons`` only when ``native_buttons`` allowed."""
        raise NotImplementedError

    def send_image_sync(self, recipient_id: str, url: str) -> None:
        """Send an image by URL; default: the URL as text."""
        self.deliver_sync(recipient_id, url)

    def send_upload_sync(self, recipient_id: str, image: StoredImage) -> None:
        """Send an agent's uploaded image (``bot.channels.reply_images``) the way the platform
        takes image bytes; a platform without one refuses."""
        raise DeliveryFailed(self.name(), "this channel cannot send an uploaded image")

    def _send_image(self, recipient_id: str, image: str) -> None:
        """An https URL or a ``carebot-image:`` reference to an uploaded image."""
        if not image.startswith(REF_PREFIX):
            self.send_image_sync(recipient_id, image)
            return
        try:
            stored = load(image)
        except ImageRefused as exc:
            raise DeliveryFailed(self.name(), exc.message) from None
        self.send_upload_sync(recipient_id, stored)

    def for_message(self: OutputT, options: dict[str, Any]) -> OutputT:
        """This output as it sends one message with carebot's ``options`` (see
        :func:`carebot_options`); platforms with message tags or templates return a copy."""
        return self

    def variant(self: OutputT, **attributes: Any) -> OutputT:
        """A shallow copy with ``attributes`` set (same settings and send client)."""
        clone = copy.copy(self)
        for name, value in attributes.items():
            setattr(clone, name, value)
        return clone

    # -- blocking delivery ------------------------------------------------------------------------

    def deliver_sync(self, recipient_id: str, text: str, buttons: Buttons | None = None) -> None:
        """Deliver ``text`` (+ buttons) as one or more parts; raises DeliveryFailed."""
        usable = [b for b in buttons or [] if isinstance(b, dict) and button_title(b)]
        native = bool(usable) and bool(text.strip()) and self.native_buttons(usable)
        if usable and not native:
            text = options_text(text, usable)
        parts = split_message(text, self.text_limit, self.measure)
        if native and self.button_text_limit and self.measure(parts[-1]) > self.button_text_limit:
            parts = parts[:-1] + split_message(parts[-1], self.button_text_limit, self.measure)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            try:
                self.send_part(recipient_id, part, usable if native and last else None)
            except DeliveryFailed as exc:
                if len(parts) == 1:
                    raise
                raise DeliveryFailed(
                    exc.channel,
                    f"{exc.detail} [part {index + 1} of {len(parts)}; "
                    f"{index} part(s) delivered]",
                    status=exc.status,
                    attempts=exc.attempts,
                    reason=exc.reason,
                ) from exc

    # -- Rasa's async API -------------------------------------------------------------------------

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Rasa's entry point: ``recipient_id`` is the conversation id; its platform id is sent
        to. A conversation of another channel is refused (logged, nothing sent)."""
        try:
            recipient = platform_id(self.name(), recipient_id)
        except ForeignConversation:
            logger.error(
                "%s: refusing to send a reply to %r, a conversation of another channel",
                self.name(),
                recipient_id,
            )
            return
        await super().send_response(recipient, message)

    async def _guarded(
        self, recipient_id: str, text: str, fn: Callable[..., None], *args: Any
    ) -> None:
        try:
            await run_blocking(fn, *args)
        except Exception as exc:  # DeliveryFailed, or a bug: either way the reply is recorded
            error = str(exc) if isinstance(exc, DeliveryFailed) else f"{type(exc).__name__}: {exc}"
            reason = exc.reason if isinstance(exc, DeliveryFailed) else ""
            logger.error("%s reply to %s undeliverable: %s", self.name(), recipient_id, error)
            await run_blocking(record_failure, self.name(), recipient_id, text, error, reason)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send text, split within the platform's limit (with carebot's per-message options)."""
        out = self.for_message(carebot_options(kwargs))
        await out._guarded(recipient_id, text, out.deliver_sync, recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: Buttons, **kwargs: Any
    ) -> None:
        """Send text with quick replies / buttons (plain-text options where unsupported)."""
        shown = options_text(text, buttons)
        await self._guarded(recipient_id, shown, self.deliver_sync, recipient_id, text, buttons)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: Buttons, **kwargs: Any
    ) -> None:
        """Quick replies are sent like buttons."""
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Send an image: a URL (as a link where the platform cannot take one by URL), or an
        agent's upload (``carebot-image:<id>``), whose bytes go to the platform."""
        out = self.for_message(carebot_options(kwargs))
        await out._guarded(recipient_id, image, out._send_image, recipient_id, image)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        """Attachments other than images are sent as their URL / text."""
        if isinstance(attachment, dict):
            text = str(attachment.get("url") or attachment.get("payload") or json.dumps(attachment))
        else:
            text = str(attachment)
        await self.send_text_message(recipient_id, text)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Custom payloads are not passed through; their ``text`` (+ buttons) is sent if present."""
        if isinstance(json_message, dict) and isinstance(json_message.get("text"), str):
            buttons = json_message.get("buttons") or json_message.get("quick_replies")
            if isinstance(buttons, list) and buttons:
                await self.send_text_with_buttons(recipient_id, json_message["text"], buttons)
            else:
                await self.send_text_message(recipient_id, json_message["text"])
            return
        error = f"{self.name()}: custom payload without text is not supported"
        logger.error("%s reply to %s undeliverable: %s", self.name(), recipient_id, error)
        await run_blocking(
            record_failure, self.name(), recipient_id, json.dumps(json_message), error
        )
