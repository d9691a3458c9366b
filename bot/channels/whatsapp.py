"""WhatsApp Cloud API channel, name ``whatsapp``.

Inbound: Meta's GET handshake and POSTs signed with ``X-Hub-Signature-256``; payload
``entry[].changes[].value.messages[]`` (``object: whatsapp_business_account``). Message types:
text, image, audio (voice notes), sticker, video, document, location, reaction, interactive
(button_reply / list_reply), button (template quick reply); anything else becomes an ``other``
attachment. ``statuses`` updates are not messages and are ignored (failed ones are logged). Media
arrive without a URL (only a media id, fetchable with the access token), so attachments carry
``media_id`` instead of ``url``. The sender id is the follower's ``wa_id``.

Outbound: ``POST {base}/{phone_number_id}/messages`` with a Bearer token; text ≤ 4096 characters;
up to 3 interactive reply buttons (titles ≤ 20, body ≤ 1024), else a plain-text list. After the
24-hour customer service window an agent's reply is an approved template (``type: template``;
``carebot.template`` in the event's metadata, chosen in the workspace).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, ClassVar

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import (
    Inbound,
    WebhookInput,
    as_dict,
    as_list,
    neutralise_text,
    or_empty,
    verify_hex_signature,
)
from bot.channels.delivery import Buttons, SocialOutput, button_payload, button_title
from bot.channels.meta import SIGNATURE_HEADER, graph_throttle, subscription_handshake
from bot.channels.outbound import DeliveryFailed
from bot.channels.reply_images import StoredImage
from bot.channels.settings import WhatsAppSettings

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
REPLY_BUTTONS_MAX = 3
REPLY_BUTTON_TITLE_MAX = 20
REPLY_BUTTON_ID_MAX = 256

_MEDIA_TYPES = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "sticker": "sticker",
    "document": "file",
}


def _text_of(message: dict[str, Any], kind: str) -> str:
    if kind == "text":
        return str(as_dict(message.get("text"), "text").get("body") or "")
    if kind == "interactive":
        interactive = as_dict(message.get("interactive"), "interactive")
        reply = interactive.get(str(interactive.get("type")))
        return str(reply.get("title") or "") if isinstance(reply, dict) else ""
    if kind == "button":
        return str(as_dict(message.get("button"), "button").get("text") or "")
    if kind in _MEDIA_TYPES:
        media = message.get(kind)
        return str(media.get("caption") or "") if isinstance(media, dict) else ""
    return ""


def _attachments_of(message: dict[str, Any], kind: str) -> list[dict[str, str]] | None:
    """A message's attachments; None when it needs no answer (removed reaction, system note)."""
    if kind in ("text", "interactive", "button"):
        return []
    if kind in _MEDIA_TYPES:
        media = or_empty(message.get(kind))
        attachment = {"type": _MEDIA_TYPES[kind]}
        if media.get("id"):
            attachment["media_id"] = str(media["id"])
        return [attachment]
    if kind == "location":
        location = as_dict(message.get("location"), "location")
        lat, lng = location.get("latitude"), location.get("longitude")
        return [{"type": "location", "url": f"https://maps.google.com/?q={lat},{lng}"}]
    if kind == "reaction":
        emoji = str(as_dict(message.get("reaction"), "reaction").get("emoji") or "")
        return [{"type": "reaction", "emoji": emoji}] if emoji else None
    if kind == "system":
        return None
    return [{"type": "other"}]  # contacts, order, unsupported, …


def parse_message(message: dict[str, Any]) -> Inbound | None:
    """One ``messages[]`` item as a follower message (None when there is nothing to answer)."""
    sender = str(message.get("from") or "")
    message_id = str(message.get("id") or "")
    if not sender or not message_id:
        logger.info("whatsapp message without sender or id ignored")
        return None
    kind = str(message.get("type") or "")
    attachments = _attachments_of(message, kind)
    if attachments is None:
        return None
    text = neutralise_text(_text_of(message, kind))
    if not text and not attachments:
        return None
    return Inbound(sender, message_id, text, attachments)


class WhatsAppOutput(SocialOutput[WhatsAppSettings]):
    """Sends replies through the WhatsApp Cloud API."""

    CHANNEL: ClassVar[str] = CHANNEL
    text_limit: ClassVar[int] = 4096
    button_text_limit: ClassVar[int | None] = 1024

    throttle = staticmethod(graph_throttle)

    def native_buttons(self, buttons: Buttons) -> bool:
        return len(buttons) <= REPLY_BUTTONS_MAX and all(
            not b.get("url") and len(button_title(b)) <= REPLY_BUTTON_TITLE_MAX for b in buttons
        )

    def _post(self, recipient_id: str, kind: str, content: dict[str, Any]) -> None:
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient_id,
            "type": kind,
            kind: content,
        }
        self.client.post_json(
            f"{self.settings.api_base}/{self.settings.phone_number_id}/messages",
            body,
            headers={"Authorization": f"Bearer {self.settings.access_token}"},
        )

    def send_part(self, recipient_id: str, text: str, buttons: Buttons | None) -> None:
        if not buttons:
            self._post(recipient_id, "text", {"preview_url": False, "body": text})
            return
        ids = [button_payload(b, REPLY_BUTTON_ID_MAX) for b in buttons]
        if len(set(ids)) != len(ids):
            ids = [f"{i}:{v}"[:REPLY_BUTTON_ID_MAX] for i, v in enumerate(ids)]
        interactive = {
            "type": "button",
            "body": {"text": text},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": ident, "title": button_title(b)}}
                    for ident, b in zip(ids, buttons, strict=True)
                ]
            },
        }
        self._post(recipient_id, "interactive", interactive)

    def send_image_sync(self, recipient_id: str, url: str) -> None:
        self._post(recipient_id, "image", {"link": url})

    def send_upload_sync(self, recipient_id: str, image: StoredImage) -> None:
        """Cloud API: upload the bytes to ``/{phone-number-id}/media``, then send the image by
        the media id it answers."""
        answer = self.client.post_multipart(
            f"{self.settings.api_base}/{self.settings.phone_number_id}/media",
            {"messaging_product": "whatsapp", "type": image.content_type},
            {"file": (image.filename, image.body, image.content_type)},
            headers={"Authorization": f"Bearer {self.settings.access_token}"},
        )
        media_id = answer.get("id") if isinstance(answer, dict) else None
        if not media_id:
            raise DeliveryFailed(CHANNEL, "the media upload answered without an id")
        self._post(recipient_id, "image", {"id": str(media_id)})

    template: dict[str, Any] | None = None
    """An approved template this output sends instead of the text (an agent's reply after the
    24-hour window: ``carebot.template`` in the event's metadata, built by the workspace)."""

    def for_message(self, options: dict[str, Any]) -> WhatsAppOutput:
        template = options.get("template")
        if isinstance(template, dict) and template.get("name") and template.get("language"):
            return self.variant(template=template)
        return self

    def deliver_sync(self, recipient_id: str, text: str, buttons: Buttons | None = None) -> None:
        if self.template is not None:
            self._post(recipient_id, "template", self.template)
            return
        super().deliver_sync(recipient_id, text, buttons)


class WhatsAppInput(WebhookInput[WhatsAppSettings]):
    """Receives WhatsApp Cloud API webhooks."""

    CHANNEL: ClassVar[str] = CHANNEL
    SETTINGS: ClassVar[Any] = WhatsAppSettings
    OUTPUT: ClassVar[Any] = WhatsAppOutput

    OBJECT: ClassVar[str] = "whatsapp_business_account"

    def handshake(self, request: Request) -> HTTPResponse:
        return subscription_handshake(request, self.settings.verify_token, CHANNEL)

    def verify_request(self, request: Request, body: bytes) -> bool:
        return verify_hex_signature(
            body, request.headers.get(SIGNATURE_HEADER), self.settings.app_secret
        )

    def extract(self, payload: dict[str, Any]) -> list[Inbound]:
        if payload.get("object") != self.OBJECT:
            logger.info("whatsapp webhook for object %r ignored", payload.get("object"))
            return []
        found: list[Inbound] = []
        for entry in as_list(payload.get("entry"), "entry"):
            for change in as_list(as_dict(entry, "entry[]").get("changes"), "entry[].changes"):
                change = as_dict(change, "changes[]")
                if change.get("field") != "messages":
                    continue
                found.extend(self._from_value(as_dict(change.get("value"), "changes[].value")))
        return found

    def _from_value(self, value: dict[str, Any]) -> list[Inbound]:
        metadata = or_empty(value.get("metadata"))
        number = str(metadata.get("phone_number_id") or "")
        if number and number != self.settings.phone_number_id:
            logger.warning("whatsapp webhook for another phone number (%s) ignored", number)
            return []
        for status in as_list(value.get("statuses"), "statuses"):
            if isinstance(status, dict) and status.get("status") == "failed":
                logger.warning(
                    "whatsapp reports a failed delivery to %s: %s",
                    status.get("recipient_id"),
                    status.get("errors"),
                )
        names = {
            str(c.get("wa_id")): str(or_empty(c.get("profile")).get("name") or "")
            for c in as_list(value.get("contacts"), "contacts")
            if isinstance(c, dict)
        }
        found = []
        for item in as_list(value.get("messages"), "messages"):
            message = parse_message(as_dict(item, "messages[]"))
            if message is not None:
                name = names.get(message.sender_id)
                found.append(replace(message, profile={"name": name}) if name else message)
        return found
