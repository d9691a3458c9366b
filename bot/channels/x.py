"""X (Twitter) direct-message channel, name ``x``.

Inbound: the Account Activity API webhook. ``GET ?crc_token=…`` is the challenge-response check,
answered with ``{"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))}``
for tokens of X's shape only (:data:`CRC_TOKEN`: at most 128 base64 / base64url characters). That
HMAC is exactly the signature a POST with the token as its body needs, so signing anything else
(a JSON object, say) would let anyone forge webhooks; such a GET gets a 400 and signs nothing.
POSTs carry ``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256 of the body>``. Messages are
``direct_message_events[]`` of ``type: message_create``; the brand account's own messages
(sender = ``X_USER_ID``) are echoes and ignored, as are typing / read / tweet events.

Outbound: ``POST {base}/2/dm_conversations/with/{participant_id}/messages`` signed with OAuth 1.0a
(user context), text ≤ 10000 characters. The v2 DM API has no quick replies, so options are sent as
a plain-text list; images as their URL. 429 answers carry ``x-rate-limit-reset`` (epoch seconds).
"""

from __future__ import annotations

import base64
import logging
import re
import time
from dataclasses import replace
from typing import Any, ClassVar

import requests
from requests_oauthlib import OAuth1
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import (
    Inbound,
    WebhookInput,
    as_dict,
    as_list,
    hmac_sha256,
    neutralise_text,
    or_empty,
    verify_base64_signature,
)
from bot.channels.delivery import Buttons, SocialOutput
from bot.channels.outbound import DeliveryFailed, SendClient
from bot.channels.reply_images import GIF, StoredImage
from bot.channels.settings import XSettings

logger = logging.getLogger(__name__)

CHANNEL = "x"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"

_MEDIA_TYPES = {"photo": "image", "video": "video", "animated_gif": "video"}

CRC_TOKEN = re.compile(r"[A-Za-z0-9+/_=-]{8,128}")
"""What X sends as ``crc_token``: a short base64(url) string (about 48 characters today)."""


def crc_response_token(consumer_secret: str, crc_token: str) -> str:
    """The ``response_token`` for an Account Activity CRC challenge."""
    digest = hmac_sha256(consumer_secret, crc_token.encode("utf-8"))
    return "sha256=" + base64.b64encode(digest).decode("ascii")


def x_throttle(resp: requests.Response) -> float | None:
    """Seconds until ``x-rate-limit-reset`` on a 429 (None when the header is absent)."""
    if resp.status_code != 429:
        return None
    reset = resp.headers.get("x-rate-limit-reset")
    try:
        return max(0.0, float(reset) - time.time()) if reset else None
    except ValueError:
        return None


def _attachment(message_data: dict[str, Any]) -> tuple[list[dict[str, str]], str | None]:
    """(attachments, t.co link to strip from the text) of a ``message_data``."""
    attachment = message_data.get("attachment")
    if not isinstance(attachment, dict):
        return [], None
    if attachment.get("type") == "media" and isinstance(attachment.get("media"), dict):
        media = attachment["media"]
        converted = {"type": _MEDIA_TYPES.get(str(media.get("type")), "other")}
        url = media.get("media_url_https") or media.get("media_url")
        if url:
            converted["url"] = str(url)
        link = media.get("url")
        return [converted], str(link) if link else None
    if attachment.get("type") == "location":
        return [{"type": "location"}], None
    return [{"type": "other"}], None


def profile_of(user: dict[str, Any]) -> dict[str, str]:
    """An Account Activity ``users`` entry's name and @screen_name (bot.followers)."""
    profile = {"name": str(user.get("name") or "")}
    if user.get("screen_name"):
        profile["handle"] = "@" + str(user["screen_name"])
    return profile


class XOutput(SocialOutput[XSettings]):
    """Sends replies through the X API v2 direct-message endpoint."""

    CHANNEL: ClassVar[str] = CHANNEL
    text_limit: ClassVar[int] = 10000

    throttle = staticmethod(x_throttle)

    def __init__(self, settings: XSettings, client: SendClient | None = None) -> None:
        super().__init__(settings, client)
        self._auth = OAuth1(
            settings.consumer_key,
            settings.consumer_secret,
            settings.access_token,
            settings.access_token_secret,
        )

    def send_part(self, recipient_id: str, text: str, buttons: Buttons | None) -> None:
        self.client.post_json(
            f"{self.settings.api_base}/2/dm_conversations/with/{recipient_id}/messages",
            {"text": text},
            auth=self._auth,
        )

    def send_upload_sync(self, recipient_id: str, image: StoredImage) -> None:
        """``POST /2/media/upload`` (multipart ``media``, category ``dm_image`` / ``dm_gif``),
        then a direct message whose attachment is the media id it answers."""
        category = "dm_gif" if image.content_type == GIF else "dm_image"
        answer = self.client.post_multipart(
            f"{self.settings.api_base}/2/media/upload",
            {"media_category": category, "media_type": image.content_type},
            {"media": (image.filename, image.body, image.content_type)},
            auth=self._auth,
        )
        data = answer.get("data") if isinstance(answer, dict) else None
        media_id = data.get("id") if isinstance(data, dict) else None
        if not media_id:
            raise DeliveryFailed(CHANNEL, "the media upload answered without an id")
        self.client.post_json(
            f"{self.settings.api_base}/2/dm_conversations/with/{recipient_id}/messages",
            {"attachments": [{"media_id": str(media_id)}]},
            auth=self._auth,
        )


class XInput(WebhookInput[XSettings]):
    """Receives Account Activity API webhooks for the brand's account."""

    CHANNEL: ClassVar[str] = CHANNEL
    SETTINGS: ClassVar[Any] = XSettings
    OUTPUT: ClassVar[Any] = XOutput

    def handshake(self, request: Request) -> HTTPResponse:
        crc_token = request.args.get("crc_token")
        if not crc_token:
            return response.json({"error": "crc_token missing"}, status=400)
        if not CRC_TOKEN.fullmatch(crc_token):
            logger.warning("x CRC check with a malformed crc_token refused (not signed)")
            return response.json({"error": "crc_token malformed"}, status=400)
        token = crc_response_token(self.settings.consumer_secret, crc_token)
        return response.json({"response_token": token})

    def verify_request(self, request: Request, body: bytes) -> bool:
        return verify_base64_signature(
            body, request.headers.get(SIGNATURE_HEADER), self.settings.consumer_secret
        )

    def extract(self, payload: dict[str, Any]) -> list[Inbound]:
        for_user = str(payload.get("for_user_id") or "")
        if for_user and for_user != self.settings.user_id:
            logger.warning("x webhook for another account (%s) ignored", for_user)
            return []
        users = or_empty(payload.get("users"))
        found: list[Inbound] = []
        events = as_list(payload.get("direct_message_events"), "direct_message_events")
        for event in events:
            message = self.parse_event(as_dict(event, "direct_message_events[]"))
            if message is not None:
                user = or_empty(users.get(message.sender_id))
                found.append(replace(message, profile=profile_of(user)) if user else message)
        return found

    def parse_event(self, event: dict[str, Any]) -> Inbound | None:
        """A ``message_create`` event as a follower message (None for echoes and other events)."""
        if event.get("type") != "message_create":
            return None
        create = as_dict(event.get("message_create"), "message_create")
        sender = str(create.get("sender_id") or "")
        event_id = str(event.get("id") or "")
        if not sender or not event_id:
            logger.info("x event without sender or id ignored")
            return None
        if sender == self.settings.user_id:
            return None  # the brand's own message (a bot reply or an agent typing in X)
        data = or_empty(create.get("message_data"))
        attachments, link = _attachment(data)
        text = str(data.get("text") or "")
        if link:
            text = text.replace(link, "")
        text = neutralise_text(text)
        if not text and not attachments:
            return None
        return Inbound(sender, event_id, text, attachments)
