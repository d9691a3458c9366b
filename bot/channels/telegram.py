"""Telegram channel, name ``telegram``.

Inbound: the Bot API webhook (``setWebhook`` with ``secret_token``); every POST must carry
``X-Telegram-Bot-Api-Secret-Token``. Updates are deduplicated on ``update_id`` (what Telegram
re-sends). Handled: private-chat ``message`` (text, caption, photo, sticker, voice, audio, video,
video note, animation, document, location, contact, …), ``callback_query`` (an inline button tap,
whose data is the button title) and ``message_reaction``. Commands lose their slash and bot suffix:
"/start" and "/start@BrandBot" reach the bot as "start". Group chats, channel posts and edits are
ignored.

Outbound: ``POST {base}/bot{token}/sendMessage``; text ≤ 4096 UTF-16 units; buttons as an
``inline_keyboard`` (callback data ≤ 64 bytes). A 429 answers
``{"ok": false, "error_code": 429, "parameters": {"retry_after": N}}``, honoured.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import requests
from sanic.request import Request

from bot.channels.base import (
    Inbound,
    MalformedPayload,
    WebhookInput,
    as_dict,
    as_list,
    neutralise_text,
    or_empty,
    tokens_match,
)
from bot.channels.delivery import Buttons, SocialOutput, button_title
from bot.channels.outbound import DeliveryFailed, utf16_len
from bot.channels.reply_images import GIF, StoredImage
from bot.channels.settings import TelegramSettings

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CALLBACK_DATA_MAX_BYTES = 64

# message field → attachment type; "animation" before "document" (a GIF carries both)
_MEDIA_FIELDS = [
    ("photo", "image"),
    ("sticker", "sticker"),
    ("voice", "audio"),
    ("audio", "audio"),
    ("video", "video"),
    ("video_note", "video"),
    ("animation", "video"),
    ("document", "file"),
    ("contact", "other"),
    ("poll", "other"),
    ("dice", "other"),
    ("game", "other"),
]


def telegram_throttle(resp: requests.Response) -> float | None:
    """``parameters.retry_after`` of a Telegram 429 body (None when absent)."""
    if resp.status_code != 429:
        return None
    try:
        value = resp.json().get("parameters", {}).get("retry_after")
        return float(value) if value is not None else None
    except (ValueError, TypeError, AttributeError):
        return None


def command_text(text: str, bot_name: str = "") -> str:
    """A command as plain words: "/start@BrandBot now" → "start now"; other text neutralised."""
    stripped = text.strip()
    if stripped.startswith("/"):
        head, sep, rest = stripped.partition(" ")
        command, _, addressee = head.partition("@")
        if addressee and (not bot_name or addressee.lower() == bot_name.lstrip("@").lower()):
            stripped = f"{command}{sep}{rest}"
    return neutralise_text(stripped)


def _attachments(message: dict[str, Any]) -> list[dict[str, str]]:
    for field, kind in _MEDIA_FIELDS:
        value = message.get(field)
        if not value:
            continue
        if field == "photo" and isinstance(value, list):
            value = value[-1]  # sizes ascend; the largest is last
        attachment = {"type": kind}
        if isinstance(value, dict) and value.get("file_id"):
            attachment["media_id"] = str(value["file_id"])
        if field == "sticker" and isinstance(value, dict) and value.get("emoji"):
            attachment["emoji"] = str(value["emoji"])
        return [attachment]
    location = message.get("location")
    if isinstance(location, dict):
        lat, lng = location.get("latitude"), location.get("longitude")
        return [{"type": "location", "url": f"https://maps.google.com/?q={lat},{lng}"}]
    return []


def profile_of(user: dict[str, Any]) -> dict[str, str]:
    """A Telegram ``User``'s name and @username (bot.followers)."""
    name = " ".join(str(user.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    username = str(user.get("username") or "").strip()
    profile = {"name": name} if name else {}
    if username:
        profile["handle"] = "@" + username
    return profile


class TelegramOutput(SocialOutput[TelegramSettings]):
    """Sends replies through the Telegram Bot API."""

    CHANNEL: ClassVar[str] = CHANNEL
    text_limit: ClassVar[int] = 4096

    throttle = staticmethod(telegram_throttle)

    def measure(self, text: str) -> int:
        return utf16_len(text)

    def _call(self, method: str, body: dict[str, Any]) -> Any:
        url = f"{self.settings.api_base}/bot{self.settings.bot_token}/{method}"
        return self.client.post_json(url, body)

    def native_buttons(self, buttons: Buttons) -> bool:
        return all(
            b.get("url") or len(button_title(b).encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES
            for b in buttons
        )

    def send_part(self, recipient_id: str, text: str, buttons: Buttons | None) -> None:
        body: dict[str, Any] = {"chat_id": recipient_id, "text": text}
        if buttons:
            rows = []
            for button in buttons:
                key = "url" if button.get("url") else "callback_data"
                value = str(button.get("url") or button_title(button))
                rows.append([{"text": button_title(button), key: value}])
            body["reply_markup"] = {"inline_keyboard": rows}
        self._call("sendMessage", body)

    def send_image_sync(self, recipient_id: str, url: str) -> None:
        self._call("sendPhoto", {"chat_id": recipient_id, "photo": url})

    def send_upload_sync(self, recipient_id: str, image: StoredImage) -> None:
        """``sendPhoto`` with the bytes as a multipart ``photo`` (a GIF: ``sendAnimation``, so
        it stays animated)."""
        method, field = ("sendAnimation", "animation") if image.content_type == GIF \
            else ("sendPhoto", "photo")
        self.client.post_multipart(
            f"{self.settings.api_base}/bot{self.settings.bot_token}/{method}",
            {"chat_id": recipient_id}, {field: (image.filename, image.body, image.content_type)},
        )

    def answer_callback(self, callback_query_id: str) -> None:
        """Stop the button's loading spinner (best effort)."""
        try:
            self._call("answerCallbackQuery", {"callback_query_id": callback_query_id})
        except DeliveryFailed as exc:
            logger.info("telegram answerCallbackQuery failed: %s", exc)


class TelegramInput(WebhookInput[TelegramSettings]):
    """Receives Telegram Bot API webhook updates."""

    CHANNEL: ClassVar[str] = CHANNEL
    SETTINGS: ClassVar[Any] = TelegramSettings
    OUTPUT: ClassVar[Any] = TelegramOutput

    def get_output_channel(self) -> TelegramOutput:
        return TelegramOutput(self.settings, self._client)

    def verify_request(self, request: Request, body: bytes) -> bool:
        return tokens_match(request.headers.get(SECRET_HEADER), self.settings.secret_token)

    def acknowledge(self, message: Inbound) -> None:
        if message.ack_token:
            self.get_output_channel().answer_callback(message.ack_token)

    def extract(self, payload: dict[str, Any]) -> list[Inbound]:
        update_id = payload.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise MalformedPayload("update_id missing")
        key = str(update_id)
        if isinstance(payload.get("message"), dict):
            found = self._message(payload["message"], key)
        elif isinstance(payload.get("callback_query"), dict):
            found = self._callback(payload["callback_query"], key)
        elif isinstance(payload.get("message_reaction"), dict):
            found = self._reaction(payload["message_reaction"], key)
        else:
            found = None  # edited messages, channel posts, member updates, …
        return [found] if found is not None else []

    @staticmethod
    def _private_chat(message: dict[str, Any]) -> str | None:
        chat = as_dict(message.get("chat"), "chat")
        if chat.get("type") != "private":
            return None
        chat_id = chat.get("id")
        return str(chat_id) if chat_id is not None else None

    def _message(self, message: dict[str, Any], key: str) -> Inbound | None:
        chat_id = self._private_chat(message)
        if chat_id is None:
            return None
        raw = message.get("text") or message.get("caption") or ""
        text = command_text(str(raw), self.settings.bot_name)
        attachments = _attachments(message)
        if not text and not attachments:
            return None
        sender = or_empty(message.get("from"))
        return Inbound(
            chat_id,
            str(message.get("message_id", key)),
            text,
            attachments,
            dedup_key=key,
            language=str(sender.get("language_code") or ""),
            profile=profile_of(sender),
        )

    def _callback(self, query: dict[str, Any], key: str) -> Inbound | None:
        message = query.get("message")
        chat_id = self._private_chat(message) if isinstance(message, dict) else None
        text = neutralise_text(str(query.get("data") or ""))
        if chat_id is None or not text:
            return None
        sender = or_empty(query.get("from"))
        return Inbound(
            chat_id,
            str(query.get("id") or key),
            text,
            dedup_key=key,
            language=str(sender.get("language_code") or ""),
            ack_token=str(query.get("id") or ""),
            profile=profile_of(sender),
        )

    def _reaction(self, reaction: dict[str, Any], key: str) -> Inbound | None:
        chat_id = self._private_chat(reaction)
        old = {
            r.get("emoji")
            for r in as_list(reaction.get("old_reaction"), "old_reaction")
            if isinstance(r, dict)
        }
        added = [
            str(r["emoji"])
            for r in as_list(reaction.get("new_reaction"), "new_reaction")
            if isinstance(r, dict) and r.get("emoji") and r.get("emoji") not in old
        ]
        if chat_id is None or not added:
            return None  # a removed reaction needs no answer
        return Inbound(
            chat_id,
            f"reaction:{reaction.get('message_id', '')}:{key}",
            "",
            [{"type": "reaction", "emoji": added[0]}],
            dedup_key=key,
        )
