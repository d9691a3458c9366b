"""Meta's Messenger Platform, shared by the Messenger and Instagram Direct channels.

Inbound: the GET subscription handshake (``hub.mode=subscribe``, ``hub.verify_token``, echo
``hub.challenge``) and POSTs signed with ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
body, keyed with the app secret>``. Payload: ``entry[].messaging[]`` events with ``message`` (text,
attachments, quick reply), ``postback``, or ``reaction``; echoes, deliveries and reads are ignored.

Outbound: ``POST {base}/me/messages?access_token=…`` with ``{"recipient": {"id": …}, "message":
{…}}``; text quick replies (at most 13, titles ≤ 20 characters), image attachments by URL. An
agent's reply 24 hours to 7 days after the follower's last message carries
``messaging_type: MESSAGE_TAG, tag: HUMAN_AGENT`` (``carebot.tag`` in the event's metadata).
"""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar, Protocol

import requests
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import (
    Inbound,
    WebhookInput,
    as_dict,
    as_list,
    neutralise_text,
    or_empty,
    tokens_match,
    verify_hex_signature,
)
from bot.channels.delivery import Buttons, SocialOutput, button_payload, button_title
from bot.channels.outbound import SendClient
from bot.channels.reply_images import StoredImage
from bot.channels.windows import HUMAN_AGENT_TAG

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
# Graph error codes meaning "slow down" (app, user, page, custom, WhatsApp throughput / pair limits)
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80006, 130429, 131056})
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
QUICK_REPLY_PAYLOAD_MAX = 1000


class MetaAppSettings(Protocol):
    """What a Messenger Platform channel needs of its settings (``bot.channels.settings``)."""

    @property
    def app_secret(self) -> str: ...

    @property
    def verify_token(self) -> str: ...

    @property
    def api_base(self) -> str: ...

    @property
    def send_token(self) -> str: ...


_ATTACHMENT_TYPES = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "file": "file",
    "location": "location",
    "story_mention": "story_mention",
}


def graph_throttle(resp: requests.Response) -> float | None:
    """0.0 (back off) when a Graph API error body carries a rate-limit code, else None."""
    if resp.status_code < 400 or resp.status_code >= 500:
        return None
    try:
        error = resp.json().get("error", {})
        code = int(error.get("code"))
    except (ValueError, TypeError, AttributeError):
        return None
    return 0.0 if code in THROTTLE_CODES else None


def subscription_handshake(request: Request, verify_token: str, channel: str) -> HTTPResponse:
    """Answer Meta's webhook verification request (echo the challenge, or 403)."""
    args = request.args
    if args.get("hub.mode") == "subscribe" and tokens_match(
        args.get("hub.verify_token"), verify_token
    ):
        return response.text(args.get("hub.challenge") or "")
    logger.warning(
        "%s webhook verification refused (bad verify token) from %s",
        channel,
        request.ip,
    )
    return response.json({"error": "verification failed"}, status=403)


def convert_attachment(attachment: Any) -> dict[str, str]:
    """A Messenger Platform attachment as an ``attachments`` entry of the metadata contract."""
    if not isinstance(attachment, dict):
        return {"type": "other"}
    payload = or_empty(attachment.get("payload"))
    kind = _ATTACHMENT_TYPES.get(str(attachment.get("type")), "other")
    if kind == "image" and payload.get("sticker_id"):
        kind = "sticker"
    converted = {"type": kind}
    if payload.get("url"):
        converted["url"] = str(payload["url"])
    coordinates = payload.get("coordinates")
    if kind == "location" and isinstance(coordinates, dict) and "url" not in converted:
        lat, lng = coordinates.get("lat"), coordinates.get("long")
        converted["url"] = f"https://maps.google.com/?q={lat},{lng}"
    return converted


class MetaMessagingInput(WebhookInput[MetaAppSettings]):
    """Input channel for Messenger Platform webhooks (``object`` = ``OBJECT``)."""

    OBJECT: ClassVar[str] = "page"

    def handshake(self, request: Request) -> HTTPResponse:
        return subscription_handshake(request, self.settings.verify_token, self.name())

    def verify_request(self, request: Request, body: bytes) -> bool:
        return verify_hex_signature(
            body, request.headers.get(SIGNATURE_HEADER), self.settings.app_secret
        )

    def extract(self, payload: dict[str, Any]) -> list[Inbound]:
        if payload.get("object") != self.OBJECT:
            logger.info("%s webhook for object %r ignored", self.name(), payload.get("object"))
            return []
        found: list[Inbound] = []
        for entry in as_list(payload.get("entry"), "entry"):
            entry = as_dict(entry, "entry[]")
            for event in as_list(entry.get("messaging"), "entry[].messaging"):
                message = self.parse_event(as_dict(event, "messaging[]"))
                if message is not None:
                    found.append(message)
        return found

    def parse_event(self, event: dict[str, Any]) -> Inbound | None:
        """One ``messaging[]`` event as a follower message (None for events we do not answer)."""
        sender = event.get("sender")
        sender_id = str(sender.get("id") or "") if isinstance(sender, dict) else ""
        if not sender_id:
            logger.info("%s event without sender ignored", self.name())
            return None
        timestamp = str(event.get("timestamp") or "")
        if isinstance(event.get("message"), dict):
            return self._message(sender_id, event["message"])
        if isinstance(event.get("postback"), dict):
            postback = event["postback"]
            mid = str(postback.get("mid") or f"postback:{sender_id}:{timestamp}")
            text = str(postback.get("title") or postback.get("payload") or "")
            return Inbound(sender_id, mid, neutralise_text(text))
        if isinstance(event.get("reaction"), dict):
            reaction = event["reaction"]
            if reaction.get("action") != "react":
                return None  # an "unreact" needs no answer
            emoji = str(reaction.get("emoji") or reaction.get("reaction") or "")
            mid = f"reaction:{sender_id}:{reaction.get('mid', '')}:{timestamp}"
            return Inbound(sender_id, mid, "", [{"type": "reaction", "emoji": emoji}])
        return None  # delivery, read, optin, referral, …: nothing to answer

    def _message(self, sender_id: str, message: dict[str, Any]) -> Inbound | None:
        if message.get("is_echo") or message.get("is_deleted"):
            return None
        mid = str(message.get("mid") or "")
        if not mid:
            logger.info("%s message without mid ignored", self.name())
            return None
        raw_attachments = as_list(message.get("attachments"), "attachments")
        attachments = [convert_attachment(a) for a in raw_attachments]
        if message.get("sticker_id") and attachments:
            attachments[0]["type"] = "sticker"
        if message.get("is_unsupported"):
            attachments.append({"type": "other"})
        text = neutralise_text(str(message.get("text") or ""))
        if not text and not attachments:
            return None
        return Inbound(sender_id, mid, text, attachments)


class MetaMessagingOutput(SocialOutput[MetaAppSettings]):
    """Output channel for the Messenger Platform Send API."""

    MESSAGING_TYPE: ClassVar[str | None] = "RESPONSE"

    throttle = staticmethod(graph_throttle)

    def __init__(self, settings: MetaAppSettings, client: SendClient | None = None) -> None:
        super().__init__(settings, client)
        self.api_base = settings.api_base
        self.access_token = settings.send_token

    def native_buttons(self, buttons: Buttons) -> bool:
        return len(buttons) <= QUICK_REPLIES_MAX and all(
            not b.get("url") and len(button_title(b)) <= QUICK_REPLY_TITLE_MAX for b in buttons
        )

    tag: str | None = None
    """A message tag every send of this output carries (``HUMAN_AGENT``: an agent's reply
    between 24 hours and 7 days after the follower's last message; ``bot.channels.windows``)."""

    def for_message(self, options: dict[str, Any]) -> MetaMessagingOutput:
        tag = options.get("tag")
        if tag == HUMAN_AGENT_TAG:
            return self.variant(tag=tag)
        return self

    def _envelope(self, recipient_id: str, message: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"recipient": {"id": recipient_id}, "message": message}
        if self.tag:
            body["messaging_type"] = "MESSAGE_TAG"
            body["tag"] = self.tag
        elif self.MESSAGING_TYPE:
            body["messaging_type"] = self.MESSAGING_TYPE
        return body

    def _post(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.client.post_json(
            f"{self.api_base}/me/messages", self._envelope(recipient_id, message),
            params={"access_token": self.access_token},
        )

    def send_upload_sync(self, recipient_id: str, image: StoredImage) -> None:
        """The Send API's attachment upload in the send call itself: a multipart request with
        ``recipient`` and ``message`` as JSON strings and the bytes as ``filedata``."""
        body = self._envelope(recipient_id, {"attachment": {
            "type": "image", "payload": {"is_reusable": False}}})
        fields = {key: json.dumps(value) if isinstance(value, dict) else str(value)
                  for key, value in body.items()}
        self.client.post_multipart(
            f"{self.api_base}/me/messages", fields,
            {"filedata": (image.filename, image.body, image.content_type)},
            params={"access_token": self.access_token},
        )

    def send_part(self, recipient_id: str, text: str, buttons: Buttons | None) -> None:
        message: dict[str, Any] = {"text": text}
        if buttons:
            message["quick_replies"] = [
                {
                    "content_type": "text",
                    "title": button_title(b),
                    "payload": button_payload(b, QUICK_REPLY_PAYLOAD_MAX),
                }
                for b in buttons
            ]
        self._post(recipient_id, message)

    def send_image_sync(self, recipient_id: str, url: str) -> None:
        self._post(recipient_id, {"attachment": {"type": "image", "payload": {"url": url}}})
