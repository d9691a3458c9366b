"""Telegram channel: webhook with secret token → Rasa's Sanic app → fake Bot API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from rasa.core.channels.channel import UserMessage

from bot.channels.settings import TelegramSettings
from bot.channels.telegram import TelegramInput, command_text
from tests.fakes.channel_env import ChannelEnv
from tests.fakes.fixtures import env_maker
from tests.fakes.payloads import (
    post,
    telegram_callback,
    telegram_command,
    telegram_message,
    telegram_photo,
)
from tests.fakes.platforms import Credentials

SECRET = "s3cr3t-Token_value"
BOT_TOKEN = "7345123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CHAT = 518273645

pytest_plugins = ["tests.fakes.fixtures"]


MISSING = "(no header)"


class Env(ChannelEnv):
    def headers_for(self, body: bytes, secret: str | None) -> dict[str, str]:
        if secret == MISSING:
            return {}
        return {"X-Telegram-Bot-Api-Secret-Token": secret or SECRET}


@pytest.fixture
def creds() -> Credentials:
    """The fake checks this real-looking bot token in the request path."""
    return Credentials(token=BOT_TOKEN)


@pytest.fixture
def make_env(serve_channel: Callable[..., Any]) -> Callable[..., Env]:
    fields = {"bot_token": BOT_TOKEN, "secret_token": SECRET, "bot_name": "BrandCareBot"}
    return env_maker(serve_channel, Env, TelegramInput, TelegramSettings, **fields)


def test_round_trip_text(env: Env) -> None:
    update = telegram_message(872330001, CHAT, 17, language="es", text="¿Hacen envíos a Chile?")
    assert env.send(update).status_code == 200
    [reply] = env.fake.wait_for(1)
    env.app.drain()
    [msg] = env.messages
    assert (msg.text, msg.sender_id, msg.input_channel) == (
        "¿Hacen envíos a Chile?",
        f"telegram:{CHAT}",
        "telegram",
    )
    assert msg.metadata == {
        "channel": "telegram",
        "message_id": "17",
        "attachments": [],
        "language": "es",
    }
    assert reply.path == f"/bot{BOT_TOKEN}/sendMessage"
    assert reply.json == {"chat_id": str(CHAT), "text": "you said: ¿Hacen envíos a Chile?"}


def test_secret_token_required(env: Env) -> None:
    update = telegram_message(872330002, CHAT, 18, text="hi")
    assert env.send(update, secret=MISSING).status_code == 403
    assert env.send(update, secret="wrong-secret").status_code == 403
    env.app.drain()
    assert env.messages == [] and env.fake.requests == []
    assert requests.get(env.url, timeout=5).status_code == 405  # no GET handshake on Telegram


def test_malformed_and_oversized(env: Env) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert post(env.url, b"{{{", headers).status_code == 400
    assert env.send({"message": {"text": "no update id"}}).status_code == 400
    big = json.dumps({"update_id": 1, "message": {"text": "x" * (1024 * 1024)}}).encode()
    assert post(env.url, big, headers).status_code == 413
    env.app.drain()
    assert env.messages == []


def test_duplicate_update_processed_once(env: Env) -> None:
    update = telegram_message(872330003, CHAT, 19, text="hello")
    assert env.send(update).status_code == 200
    assert env.send(update).status_code == 200
    env.fake.wait_for(1)
    env.app.drain()
    assert len(env.messages) == 1 and len(env.fake.requests) == 1


def test_commands_become_plain_text() -> None:
    assert command_text("/start", "BrandCareBot") == "start"
    assert command_text("/start@BrandCareBot", "BrandCareBot") == "start"
    assert (
        command_text("/help@brandcarebot where is my order", "BrandCareBot")
        == "help where is my order"
    )
    assert command_text("/restart", "") == "restart"
    assert command_text("//restart@Other", "BrandCareBot") == "restart@Other"


def test_commands_and_restart_through_the_webhook(env: Env) -> None:
    env.send(telegram_command(872330010, CHAT, 30, "/start"))
    env.send(telegram_command(872330011, CHAT, 31, "/start@BrandCareBot"))
    env.send(telegram_message(872330012, CHAT, 32, text="/restart"))
    env.fake.wait_for(3)
    env.app.drain()
    assert [m.text for m in env.messages] == ["start", "start", "restart"]


def test_non_text_messages(env: Env) -> None:
    env.send(telegram_message(872330020, CHAT, 40, photo=telegram_photo(), caption="broken lid"))
    env.send(
        telegram_message(
            872330021,
            CHAT,
            41,
            sticker={
                "file_id": "CAACAgIAAxkBAAIC",
                "file_unique_id": "u",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "\U0001f60d",
            },
        )
    )
    env.send(
        telegram_message(
            872330022,
            CHAT,
            42,
            voice={
                "file_id": "AwACAgQAAxkBAAIB",
                "file_unique_id": "v",
                "duration": 3,
                "mime_type": "audio/ogg",
            },
        )
    )
    env.send(
        telegram_message(
            872330023,
            CHAT,
            43,
            document={
                "file_id": "BQACAgQAAxkBAAIB",
                "file_unique_id": "d",
                "file_name": "invoice.pdf",
            },
        )
    )
    env.send(telegram_message(872330024, CHAT, 44, location={"latitude": 40.4, "longitude": -3.7}))
    env.send(
        {
            "update_id": 872330025,
            "message_reaction": {
                "chat": {"id": CHAT, "type": "private"},
                "message_id": 99,
                "user": {"id": CHAT},
                "date": 1,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "\U0001f44d"}],
            },
        }
    )
    env.send({"update_id": 872330026, "edited_message": {"message_id": 40, "text": "edited"}})
    env.send(telegram_message(872330027, -100123, 45, chat_type="group", text="group chatter"))
    env.fake.wait_for(6)
    env.app.drain()
    assert [(m.text, m.metadata["attachments"]) for m in env.messages] == [
        ("broken lid", [{"type": "image", "media_id": "AgACAgQAAxkBAAIBlarge"}]),
        ("", [{"type": "sticker", "media_id": "CAACAgIAAxkBAAIC", "emoji": "\U0001f60d"}]),
        ("", [{"type": "audio", "media_id": "AwACAgQAAxkBAAIB"}]),
        ("", [{"type": "file", "media_id": "BQACAgQAAxkBAAIB"}]),
        ("", [{"type": "location", "url": "https://maps.google.com/?q=40.4,-3.7"}]),
        ("", [{"type": "reaction", "emoji": "\U0001f44d"}]),
    ]


async def _reply(message: UserMessage) -> None:
    if message.text == "photo":
        await message.output_channel.send_response(
            message.sender_id, {"image": "https://cdn.example.com/a.jpg"}
        )
    elif message.text == "long":
        # 3000 emoji: 3000 code points but 6000 UTF-16 units (Telegram's measure)
        text = " ".join(["\U0001f4e6" * 10] * 300)
        await message.output_channel.send_response(message.sender_id, {"text": text})
    else:
        buttons = [
            {"title": "Track my order", "payload": "/track"},
            {"title": "Size guide", "url": "https://example.com/sizes"},
        ]
        await message.output_channel.send_response(
            message.sender_id, {"text": "Choose:", "buttons": buttons}
        )


def test_inline_keyboard_and_callback(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_reply)
    env.send(telegram_message(872330030, CHAT, 50, text="menu"))
    [sent] = env.fake.wait_for(1)
    assert sent.json["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Track my order", "callback_data": "Track my order"}],
            [{"text": "Size guide", "url": "https://example.com/sizes"}],
        ]
    }
    env.send(telegram_callback(872330031, CHAT, "Track my order"))
    env.fake.wait_for(3)
    env.app.drain()
    assert env.messages[-1].text == "Track my order"
    paths = [r.path.rsplit("/", 1)[1] for r in env.fake.requests]
    assert paths == ["sendMessage", "answerCallbackQuery", "sendMessage"]
    assert env.fake.requests[1].json == {"callback_query_id": "cbq872330031"}


def test_long_reply_split_in_utf16_units(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_reply)
    env.send(telegram_message(872330040, CHAT, 60, text="long"))
    env.app.drain()
    texts = env.fake.texts()
    assert len(texts) == 2
    assert all(len(t.encode("utf-16-le")) // 2 <= 4096 for t in texts)
    assert all(r.status == 200 for r in env.fake.requests)


def test_image_reply_uses_send_photo(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_reply)
    env.send(telegram_message(872330050, CHAT, 70, text="photo"))
    [sent] = env.fake.wait_for(1)
    assert sent.path.endswith("/sendPhoto")
    assert sent.json == {"chat_id": str(CHAT), "photo": "https://cdn.example.com/a.jpg"}
