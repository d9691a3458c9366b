"""WhatsApp Cloud API channel, end to end against a fake Cloud API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from rasa.core.channels.channel import UserMessage

from bot.channels.settings import WhatsAppSettings
from bot.channels.whatsapp import WhatsAppInput
from tests.fakes.channel_env import META_AUTH, VERIFY_TOKEN, MetaEnv
from tests.fakes.fixtures import env_maker
from tests.fakes.payloads import (
    body_of,
    post,
    whatsapp_message,
    whatsapp_status,
    whatsapp_text,
)
from tests.fakes.platforms import Credentials

WA_ID = "16315551181"

pytest_plugins = ["tests.fakes.fixtures"]


class Env(MetaEnv):
    @property
    def pnid(self) -> str:
        return str(self.channel.settings.phone_number_id)

    def text(self, text: str, wamid: str) -> requests.Response:
        return self.send(whatsapp_text(self.pnid, WA_ID, text, wamid))

    def message(self, wamid: str, kind: str, content: Any) -> requests.Response:
        return self.send(whatsapp_message(self.pnid, WA_ID, wamid, kind, content))


@pytest.fixture
def make_env(serve_channel: Callable[..., Any], creds: Credentials) -> Callable[..., Env]:
    fields = {"access_token": creds.token, "phone_number_id": creds.phone_number_id, **META_AUTH}
    return env_maker(serve_channel, Env, WhatsAppInput, WhatsAppSettings, **fields)


def test_verification_handshake(env: Env) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "9x"}
    r = requests.get(env.url, params=params, timeout=5)
    assert (r.status_code, r.text) == (200, "9x")
    assert requests.get(env.url, params={"hub.challenge": "9x"}, timeout=5).status_code == 403


def test_round_trip_text(env: Env) -> None:
    wamid = "wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    assert env.text("my parcel is late", wamid).status_code == 200
    [reply] = env.fake.wait_for(1)
    env.app.drain()
    [msg] = env.messages
    assert (msg.text, msg.sender_id, msg.input_channel) == (
        "my parcel is late",
        f"whatsapp:{WA_ID}",
        "whatsapp",
    )
    assert msg.metadata == {"channel": "whatsapp", "message_id": wamid, "attachments": []}
    assert reply.path == f"/v19.0/{env.pnid}/messages"
    assert reply.headers["authorization"] == "Bearer test-token"
    assert reply.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"preview_url": False, "body": "you said: my parcel is late"},
    }


def test_statuses_and_other_numbers_are_ignored(env: Env) -> None:
    assert env.send(whatsapp_status(env.pnid, WA_ID, "wamid.out1")).status_code == 200
    assert env.send(whatsapp_status(env.pnid, WA_ID, "wamid.out2", "failed")).status_code == 200
    assert env.send(whatsapp_text("999999999", WA_ID, "hi", "wamid.other")).status_code == 200
    env.app.drain()
    assert env.messages == [] and env.fake.requests == []


def test_forged_signature_malformed_oversized(env: Env) -> None:
    payload = whatsapp_text(env.pnid, WA_ID, "hi", "wamid.forged")
    assert env.send(payload, secret="guess").status_code == 403
    assert post(env.url, body_of(payload), {"X-Hub-Signature-256": "sha256="}).status_code == 403
    bad = b'{"object": "whatsapp_business_account", "entry": [{"changes": "nope"}]}'
    assert env.post_raw(bad).status_code == 400
    big = b'{"a": "' + b"x" * (1024 * 1024) + b'"}'
    assert env.post_raw(big).status_code == 413
    env.app.drain()
    assert env.messages == []


def test_duplicate_delivery_processed_once(env: Env) -> None:
    assert env.text("hello", "wamid.dup").status_code == 200
    assert env.text("hello", "wamid.dup").status_code == 200
    env.fake.wait_for(1)
    env.app.drain()
    assert len(env.messages) == 1 and len(env.fake.requests) == 1


def test_non_text_messages(env: Env) -> None:
    media = {"mime_type": "image/jpeg", "sha256": "abc", "id": "1003383421387256"}
    env.message("wamid.img", "image", {**media, "caption": "this arrived broken"})
    env.message(
        "wamid.voice", "audio", {"mime_type": "audio/ogg; codecs=opus", "id": "5", "voice": True}
    )
    env.message("wamid.stk", "sticker", {"mime_type": "image/webp", "id": "6", "animated": False})
    env.message(
        "wamid.doc", "document", {"mime_type": "application/pdf", "id": "7", "filename": "r.pdf"}
    )
    env.message("wamid.loc", "location", {"latitude": -33.45, "longitude": -70.66})
    env.message("wamid.react", "reaction", {"message_id": "wamid.out", "emoji": "\U0001f44d"})
    env.message("wamid.unreact", "reaction", {"message_id": "wamid.out"})  # reaction removed
    env.message(
        "wamid.btn",
        "interactive",
        {"type": "button_reply", "button_reply": {"id": "/track", "title": "Track order"}},
    )
    env.message(
        "wamid.list",
        "interactive",
        {
            "type": "list_reply",
            "list_reply": {"id": "r", "title": "Returns", "description": "30 days"},
        },
    )
    env.message("wamid.contact", "contacts", [{"name": {"formatted_name": "Bo"}}])
    env.fake.wait_for(9)
    env.app.drain()
    assert [(m.text, m.metadata["attachments"]) for m in env.messages] == [
        ("this arrived broken", [{"type": "image", "media_id": "1003383421387256"}]),
        ("", [{"type": "audio", "media_id": "5"}]),
        ("", [{"type": "sticker", "media_id": "6"}]),
        ("", [{"type": "file", "media_id": "7"}]),
        ("", [{"type": "location", "url": "https://maps.google.com/?q=-33.45,-70.66"}]),
        ("", [{"type": "reaction", "emoji": "\U0001f44d"}]),
        ("Track order", []),
        ("Returns", []),
        ("", [{"type": "other"}]),
    ]


def test_slash_restart_neutralised(env: Env) -> None:
    env.text("/restart", "wamid.slash")
    env.fake.wait_for(1)
    env.app.drain()
    assert env.messages[0].text == "restart"


async def _buttons(message: UserMessage) -> None:
    count = int(message.text)
    buttons = [{"title": f"Choice {i}", "payload": f"/pick{i}"} for i in range(count)]
    await message.output_channel.send_response(
        message.sender_id, {"text": "Which one?", "buttons": buttons}
    )


def test_reply_buttons_native_up_to_three(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_buttons)
    env.text("3", "wamid.b3")
    [native] = env.fake.wait_for(1)
    assert native.json["type"] == "interactive"
    assert native.json["interactive"] == {
        "type": "button",
        "body": {"text": "Which one?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": f"/pick{i}", "title": f"Choice {i}"}}
                for i in range(3)
            ]
        },
    }
    env.text("4", "wamid.b4")
    [_, plain] = env.fake.wait_for(2)
    assert plain.json["type"] == "text"
    assert (
        plain.json["text"]["body"]
        == "Which one?\n\n1. Choice 0\n2. Choice 1\n3. Choice 2\n4. Choice 3"
    )


async def _long(message: UserMessage) -> None:
    text = ("Refunds go back to the original payment method within 5 business days. " * 80).strip()
    if message.text == "buttons":
        await message.output_channel.send_response(
            message.sender_id, {"text": text, "buttons": [{"title": "Yes"}, {"title": "No"}]}
        )
    else:
        await message.output_channel.send_response(message.sender_id, {"text": text})


def test_long_reply_split(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_long)
    env.text("refund?", "wamid.long")
    env.app.drain()
    texts = env.fake.texts()
    assert len(texts) == 2 and all(len(t) <= 4096 for t in texts)
    env.text("buttons", "wamid.longb")
    env.app.drain()
    sent = env.fake.delivered[2:]
    assert [r.json["type"] for r in sent] == ["text"] * (len(sent) - 1) + ["interactive"]
    assert len(sent[-1].json["interactive"]["body"]["text"]) <= 1024  # interactive body limit
    assert all(r.status == 200 for r in env.fake.requests)
