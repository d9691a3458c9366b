"""Inbound webhook payloads as the platforms send them, and their signatures.

Shapes follow the platforms' documentation: Messenger Platform ``entry[].messaging[]`` (Messenger
and Instagram), WhatsApp Cloud ``entry[].changes[].value``, X Account Activity
``direct_message_events[]`` and Telegram ``Update`` objects.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import requests

PAGE_ID = "104719289195101"
IG_ID = "17841405309211844"
WABA_ID = "102290129340398"
DISPLAY_NUMBER = "15550783881"


def body_of(payload: Any) -> bytes:
    """Serialised like Meta does it (compact, non-ASCII escaped)."""
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def meta_signature(body: bytes, app_secret: str) -> str:
    """``X-Hub-Signature-256`` value."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def x_signature(body: bytes, consumer_secret: str) -> str:
    """``x-twitter-webhooks-signature`` value."""
    digest = hmac.new(consumer_secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def post(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    """POST raw bytes as a platform does."""
    return requests.post(
        url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=10
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


# --- Messenger / Instagram -----------------------------------------------------------------------


def messaging_payload(obj: str, events: list[dict[str, Any]], owner: str) -> dict[str, Any]:
    return {"object": obj, "entry": [{"id": owner, "time": _now_ms(), "messaging": events}]}


def messaging_message(sender: str, owner: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "sender": {"id": sender},
        "recipient": {"id": owner},
        "timestamp": _now_ms(),
        "message": message,
    }


def messenger_text(sender: str, text: str, mid: str) -> dict[str, Any]:
    return messaging_payload(
        "page", [messaging_message(sender, PAGE_ID, {"mid": mid, "text": text})], PAGE_ID
    )


def messenger_attachment(
    sender: str, mid: str, kind: str, url: str, **payload: Any
) -> dict[str, Any]:
    message = {"mid": mid, "attachments": [{"type": kind, "payload": {"url": url, **payload}}]}
    return messaging_payload("page", [messaging_message(sender, PAGE_ID, message)], PAGE_ID)


def messenger_reaction(
    sender: str, mid: str, emoji: str = "\u2764\ufe0f", action: str = "react", obj: str = "page"
) -> dict[str, Any]:
    owner = PAGE_ID if obj == "page" else IG_ID
    event = {
        "sender": {"id": sender},
        "recipient": {"id": owner},
        "timestamp": _now_ms(),
        "reaction": {"mid": mid, "action": action, "reaction": "love", "emoji": emoji},
    }
    return messaging_payload(obj, [event], owner)


def messenger_echo(page_sender: str, mid: str, text: str) -> dict[str, Any]:
    message = {"mid": mid, "text": text, "is_echo": True, "app_id": 1517776481860111}
    return messaging_payload("page", [messaging_message(page_sender, PAGE_ID, message)], PAGE_ID)


def instagram_text(sender: str, text: str, mid: str) -> dict[str, Any]:
    message = {"mid": mid, "text": text}
    return messaging_payload("instagram", [messaging_message(sender, IG_ID, message)], IG_ID)


def instagram_attachment(sender: str, mid: str, kind: str, url: str) -> dict[str, Any]:
    message = {"mid": mid, "attachments": [{"type": kind, "payload": {"url": url}}]}
    return messaging_payload("instagram", [messaging_message(sender, IG_ID, message)], IG_ID)


# --- WhatsApp ------------------------------------------------------------------------------------


def whatsapp_payload(phone_number_id: str, value: dict[str, Any]) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def whatsapp_message(
    phone_number_id: str,
    wa_id: str,
    wamid: str,
    kind: str,
    content: dict[str, Any],
    name: str = "Kerry Fisher",
) -> dict[str, Any]:
    message = {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": kind,
        kind: content,
    }
    return whatsapp_payload(
        phone_number_id,
        {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]},
    )


def whatsapp_text(phone_number_id: str, wa_id: str, text: str, wamid: str) -> dict[str, Any]:
    return whatsapp_message(phone_number_id, wa_id, wamid, "text", {"body": text})


def whatsapp_status(
    phone_number_id: str, wa_id: str, wamid: str, status: str = "delivered"
) -> dict[str, Any]:
    return whatsapp_payload(
        phone_number_id,
        {
            "statuses": [
                {
                    "id": wamid,
                    "status": status,
                    "timestamp": str(int(time.time())),
                    "recipient_id": wa_id,
                    "conversation": {"id": "c1", "origin": {"type": "service"}},
                    "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
                }
            ]
        },
    )


# --- X -------------------------------------------------------------------------------------------


def x_dm(
    for_user_id: str,
    sender_id: str,
    text: str,
    event_id: str,
    attachment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    message_data: dict[str, Any] = {
        "text": text,
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
    }
    if attachment is not None:
        message_data["attachment"] = attachment
    event = {
        "type": "message_create",
        "id": event_id,
        "created_timestamp": str(_now_ms()),
        "message_create": {
            "target": {"recipient_id": for_user_id},
            "sender_id": sender_id,
            "source_app_id": "268278",
            "message_data": message_data,
        },
    }
    users = {
        uid: {
            "id": uid,
            "created_timestamp": "1422556069340",
            "name": f"user {uid}",
            "screen_name": f"user{uid}",
            "protected": False,
            "verified": False,
            "followers_count": 10,
            "friends_count": 10,
            "statuses_count": 10,
        }
        for uid in {for_user_id, sender_id}
    }
    return {"for_user_id": for_user_id, "direct_message_events": [event], "users": users}


def x_photo(media_id: str = "1120021357357666304") -> tuple[dict[str, Any], str]:
    """(attachment, the t.co link X appends to the text)."""
    link = "https://t.co/AbCdEf1234"
    media = {
        "id": int(media_id),
        "id_str": media_id,
        "indices": [0, 23],
        "media_url": f"http://pbs.twimg.com/dm_img/{media_id}.jpg",
        "media_url_https": f"https://pbs.twimg.com/dm_img/{media_id}.jpg",
        "url": link,
        "display_url": "pic.twitter.com/AbCdEf1234",
        "type": "photo",
        "sizes": {"large": {"w": 1024, "h": 768, "resize": "fit"}},
    }
    return {"type": "media", "media": media}, link


# --- Telegram ------------------------------------------------------------------------------------


def telegram_user(user_id: int, language: str = "en") -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": "Ana",
        "username": "ana",
        "language_code": language,
    }


def telegram_message(
    update_id: int,
    chat_id: int,
    message_id: int,
    language: str = "en",
    chat_type: str = "private",
    **fields: Any,
) -> dict[str, Any]:
    chat = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat.update(first_name="Ana", username="ana")
    else:
        chat.update(title="Fans")
    message = {
        "message_id": message_id,
        "from": telegram_user(chat_id, language),
        "chat": chat,
        "date": int(time.time()),
        **fields,
    }
    return {"update_id": update_id, "message": message}


def telegram_command(update_id: int, chat_id: int, message_id: int, command: str) -> dict[str, Any]:
    name = command.split()[0]
    return telegram_message(
        update_id,
        chat_id,
        message_id,
        text=command,
        entities=[{"offset": 0, "length": len(name), "type": "bot_command"}],
    )


def telegram_callback(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    message = {
        "message_id": 99,
        "from": {"id": 1, "is_bot": True, "first_name": "Brand"},
        "chat": {"id": chat_id, "type": "private"},
        "date": int(time.time()),
        "text": "Did this help?",
    }
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq{update_id}",
            "from": telegram_user(chat_id),
            "message": message,
            "chat_instance": "-1",
            "data": data,
        },
    }


def telegram_photo(file_id: str = "AgACAgQAAxkBAAIB") -> list[dict[str, Any]]:
    return [
        {
            "file_id": f"{file_id}small",
            "file_unique_id": "s",
            "file_size": 1200,
            "width": 90,
            "height": 67,
        },
        {
            "file_id": f"{file_id}large",
            "file_unique_id": "l",
            "file_size": 51000,
            "width": 1280,
            "height": 960,
        },
    ]
