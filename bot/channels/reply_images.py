"""Images agents attach to their replies: what is accepted, where it waits, which channel takes it.

An agent uploads the image to the workspace (``POST /api/tickets/{id}/images``,
``bot.workspace.reply_images_routes``); it is kept here, in Redis, until the reply that carries
it goes out. Redis rather than the workspace's data dir because the bytes are read by another
process, possibly on another host: the Rasa server's output channel, which delivers the reply
(``bot.channels.delivery.SocialOutput.send_image_url``). Each image is one hash
(``Keys.reply_image``) that expires after :data:`TTL_SECONDS` (24 hours: time enough to retry a
send); its size is capped by ``CAREBOT_REPLY_IMAGE_MAX_KB`` (≤ 5 MB, WhatsApp's and X's limit).

What is accepted is decided by the bytes, never by the file name or the Content-Type the browser
sent: PNG, JPEG, GIF and WebP by their magic numbers (:func:`sniff`). Anything else (SVG, HTML,
PDF, …) is refused, and so is an image whose bytes carry markup (:data:`MARKUP`: a GIF/HTML or
PNG/script polyglot that a browser could be tricked into running). Nothing is stripped or
re-encoded silently: an upload is stored exactly as sent, or refused with the reason.

The reply names the image as ``carebot-image:<id>`` (:data:`REF_PREFIX`) in the bot event's
``image``; each channel sends the bytes the way its platform takes images
(:data:`CHANNEL_TYPES`): Messenger / Instagram an attachment upload in the send call (multipart
``filedata``), WhatsApp an upload to ``/media`` then a message by media id, Telegram a multipart
``sendPhoto`` (``sendAnimation`` for a GIF), X a ``/2/media/upload`` then a DM with the media id,
the web chat a ``data:`` URL in the socket message the widget shows. REST followers (API clients)
get text only: the workspace refuses an image for them before anything is sent.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis

from bot import redis as bot_redis
from bot.queue.keys import Keys
from bot.settings import get_settings

TTL_SECONDS = 24 * 3600
REF_PREFIX = "carebot-image:"
ID_PATTERN = re.compile(r"^img_[A-Za-z0-9_-]{16,40}$")

PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"
EXTENSIONS = {PNG: "png", JPEG: "jpg", GIF: "gif", WEBP: "webp"}

CHANNEL_TYPES: dict[str, tuple[str, ...]] = {
    "messenger": (PNG, JPEG, GIF),   # Messenger Platform attachment upload
    "instagram": (PNG, JPEG, GIF),   # Instagram Messaging: png, jpeg, gif (8 MB)
    "whatsapp": (JPEG, PNG),         # Cloud API images (5 MB); WebP is for stickers only
    "telegram": (JPEG, PNG, WEBP, GIF),  # sendPhoto; a GIF goes as sendAnimation
    "x": (PNG, JPEG, GIF, WEBP),     # media_category dm_image / dm_gif (5 MB)
    "socketio": (PNG, JPEG, GIF, WEBP),  # the web chat widget shows a data: URL
}
"""The image types each channel can deliver; a channel missing here takes no images."""

CHANNEL_NAMES = {"messenger": "Messenger", "instagram": "Instagram", "whatsapp": "WhatsApp",
                 "telegram": "Telegram", "x": "X", "socketio": "the web chat", "rest": "REST"}

MARKUP = re.compile(rb"<\s*(?:script|html|svg|iframe|object|embed|body|!doctype|\?xml)|"
                    rb"javascript:", re.IGNORECASE)
"""Markup that has no business inside an image: its presence makes the upload a polyglot."""


class ImageRefused(ValueError):
    """An upload or an image reference that cannot be used; ``status`` and ``code`` for the API."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def sniff(data: bytes) -> str | None:
    """The image type of ``data`` by its magic number (PNG, JPEG, GIF, WebP), else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:15] == b"VP8":
        return WEBP
    return None


def channel_refusal(channel: str) -> str | None:
    """Why ``channel`` cannot take an image (None: it can)."""
    if channel in CHANNEL_TYPES:
        return None
    name = CHANNEL_NAMES.get(channel, channel)
    return (f"Images cannot be sent on {name}: its followers get text only. Send a link in the "
            "text instead.")


def check_upload(channel: str, data: bytes, max_bytes: int) -> str:
    """The content type of an acceptable upload for a ticket on ``channel``; ``ImageRefused``
    (413 / 415 / 422) otherwise, with the reason an agent can act on."""
    refusal = channel_refusal(channel)
    if refusal:
        raise ImageRefused(422, "image_not_supported", refusal)
    if not data:
        raise ImageRefused(422, "invalid", "The upload is empty: send the image's bytes as the "
                                           "request body.")
    if len(data) > max_bytes:
        raise ImageRefused(413, "too_large", f"The image is {len(data) / 1_048_576:.1f} MB; "
                                             f"at most {max_bytes // 1024} KB can be attached.")
    kind = sniff(data)
    if kind is None:
        raise ImageRefused(415, "unsupported_image", "Only PNG, JPEG, GIF or WebP images can be "
                           "attached (recognised by their content, not their name); SVG, HTML "
                           "and other files are refused.")
    if MARKUP.search(data):
        raise ImageRefused(415, "unsupported_image", "The file looks like an image but carries "
                           "markup or script (a polyglot): refused. Export it again as a plain "
                           "image.")
    if kind not in CHANNEL_TYPES[channel]:
        allowed = ", ".join(EXTENSIONS[t].upper() for t in CHANNEL_TYPES[channel])
        raise ImageRefused(415, "unsupported_image", f"{CHANNEL_NAMES[channel]} does not take "
                           f"{EXTENSIONS[kind].upper()} images: {allowed} only.")
    return kind


@dataclass(frozen=True)
class StoredImage:
    """An uploaded image as the channels read it."""

    id: str
    content_type: str
    body: bytes
    ticket: str
    agent: str
    created: float

    @property
    def filename(self) -> str:
        return f"{self.id}.{EXTENSIONS.get(self.content_type, 'bin')}"

    def describe(self) -> dict[str, Any]:
        """The image as the API shows it (no bytes)."""
        return {"id": self.id, "content_type": self.content_type, "bytes": len(self.body),
                "ticket": self.ticket, "expires_at": self.created + TTL_SECONDS}


def ref(image_id: str) -> str:
    """How a reply names an uploaded image (the bot event's ``image``)."""
    return REF_PREFIX + image_id


def parse_ref(value: str) -> str | None:
    """The image id of a ``carebot-image:`` reference, else None (an https URL, …)."""
    if not value.startswith(REF_PREFIX):
        return None
    image_id = value[len(REF_PREFIX):]
    return image_id if ID_PATTERN.match(image_id) else None


class ReplyImages:
    """The uploaded images in Redis (``Keys.reply_image``)."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None) -> None:
        self.redis = client
        self.keys = keys or Keys(get_settings().queue_prefix)

    def put(self, ticket: str, agent: str, content_type: str, body: bytes) -> StoredImage:
        image = StoredImage("img_" + secrets.token_urlsafe(18), content_type, body, ticket,
                            agent, time.time())
        key = self.keys.reply_image(image.id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"body": body, "type": content_type, "ticket": ticket,
                                "agent": agent, "created": repr(image.created)})
        pipe.expire(key, TTL_SECONDS)
        pipe.execute()
        return image

    def get(self, image_id: str) -> StoredImage | None:
        if not ID_PATTERN.match(image_id):
            return None
        raw: dict[Any, Any] = self.redis.hgetall(self.keys.reply_image(image_id))  # type: ignore[assignment]
        if not raw:
            return None
        text = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}

        def s(name: str) -> str:
            value = text.get(name, b"")
            return value.decode() if isinstance(value, bytes) else str(value)

        body = text.get("body", b"")
        return StoredImage(image_id, s("type"), body if isinstance(body, bytes) else
                           str(body).encode("latin-1"), s("ticket"), s("agent"),
                           float(s("created") or 0))


_clients: dict[str, redis.Redis] = {}


def default_store() -> ReplyImages:
    """The store at ``REDIS_URL`` (bytes client), for the output channels of the Rasa server."""
    url = get_settings().redis_url
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = bot_redis.client(url, decode=False)
    return ReplyImages(client)


def load(value: str) -> StoredImage:
    """The uploaded image a reply's ``image`` names; ``ImageRefused`` when it expired or is not
    one (the channel records the failure on the ticket)."""
    image_id = parse_ref(value)
    found = default_store().get(image_id) if image_id else None
    if found is None:
        raise ImageRefused(410, "image_expired", "the uploaded image is no longer available "
                                                 "(uploads are kept 24 hours)")
    return found
