"""Messenger channel end to end: webhook → Rasa's Sanic app → UserMessage → reply → fake Graph."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from rasa.core.channels.channel import UserMessage

from bot.channels.messenger import MessengerInput
from bot.channels.settings import MessengerSettings
from tests.fakes.channel_env import META_AUTH, VERIFY_TOKEN, MetaEnv
from tests.fakes.fixtures import env_maker
from tests.fakes.payloads import (
    PAGE_ID,
    body_of,
    messenger_attachment,
    messenger_echo,
    messenger_reaction,
    messenger_text,
    post,
)
from tests.fakes.platforms import Credentials

pytest_plugins = ["tests.fakes.fixtures"]


class Env(MetaEnv):
    channel: MessengerInput


@pytest.fixture
def make_env(serve_channel: Callable[..., Any], creds: Credentials) -> Callable[..., Env]:
    fields = {"page_access_token": creds.token, **META_AUTH}
    return env_maker(serve_channel, Env, MessengerInput, MessengerSettings, **fields)


def test_verification_handshake(env: Env) -> None:
    good = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    import requests

    r = requests.get(env.url, params=good, timeout=5)
    assert r.status_code == 200 and r.text == "1158201444"
    r = requests.get(env.url, params={**good, "hub.verify_token": "wrong"}, timeout=5)
    assert r.status_code == 403
    r = requests.get(env.url, params={**good, "hub.mode": "unsubscribe"}, timeout=5)
    assert r.status_code == 403


def test_round_trip_text(env: Env) -> None:
    r = env.send(messenger_text("6254881731", "Where is my order?", "m_AG5Hz2U"))
    assert r.status_code == 200
    [reply] = env.fake.wait_for(1)
    env.app.drain()
    [msg] = env.messages
    assert msg.text == "Where is my order?"
    assert msg.sender_id == "messenger:6254881731"
    assert msg.input_channel == "messenger"
    assert msg.metadata == {"channel": "messenger", "message_id": "m_AG5Hz2U", "attachments": []}
    assert reply.query["access_token"] == "test-token"
    assert reply.json == {
        "recipient": {"id": "6254881731"},
        "message": {"text": "you said: Where is my order?"},
        "messaging_type": "RESPONSE",
    }


def test_forged_and_missing_signature_rejected(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    payload = messenger_text("6254881731", "hi", "m_forged")
    with caplog.at_level(logging.WARNING):
        assert env.send(payload, secret="not-the-app-secret").status_code == 403
        body = body_of(payload)
        assert post(env.url, body, {}).status_code == 403
        # signed with the right secret, but a legacy sha1 header only
        assert post(env.url, body, {"X-Hub-Signature": "sha1=00"}).status_code == 403
    env.app.drain()
    assert env.messages == []
    assert env.fake.requests == []
    assert "invalid or missing signature" in caplog.text


def test_malformed_and_oversized_payloads(env: Env) -> None:
    bad = b'{"object": "page", "entry": [}'
    assert env.post_raw(bad).status_code == 400
    not_object = b"[1, 2]"
    assert env.post_raw(not_object).status_code == 400
    assert env.send({"object": "page", "entry": {"id": "x"}}).status_code == 400
    huge = json.dumps({"object": "page", "pad": "x" * (1024 * 1024)}).encode()
    assert env.post_raw(huge).status_code == 413
    env.app.drain()
    assert env.messages == []


def test_oversized_chunked_body_refused_while_streaming(env: Env) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):  # 40 × 64 KiB = 2.5 MiB, no Content-Length
            yield b"x" * 65536

    r = requests.post(
        env.url, data=chunks(), headers={"X-Hub-Signature-256": "sha256=0"}, timeout=10
    )
    assert r.status_code == 413
    env.app.drain()
    assert env.messages == []


def test_duplicate_delivery_processed_once(env: Env) -> None:
    payload = messenger_text("6254881731", "hello", "m_dup_1")
    assert env.send(payload).status_code == 200
    assert env.send(payload).json()["accepted"] == 0
    env.fake.wait_for(1)
    env.app.drain()
    assert [m.text for m in env.messages] == ["hello"]
    assert len(env.fake.requests) == 1


def test_attachments_reactions_and_echoes(env: Env) -> None:
    url = "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg"
    assert env.send(messenger_attachment("111", "m_img", "image", url)).status_code == 200
    sticker = messenger_attachment("111", "m_stk", "image", url, sticker_id=369239263222822)
    assert env.send(sticker).status_code == 200
    assert (
        env.send(messenger_attachment("111", "m_voice", "audio", url + ".mp4")).status_code == 200
    )
    assert env.send(messenger_reaction("111", "m_img")).status_code == 200
    assert env.send(messenger_reaction("111", "m_img", action="unreact")).status_code == 200
    assert env.send(messenger_echo(PAGE_ID, "m_echo", "our own reply")).status_code == 200
    env.fake.wait_for(4)
    env.app.drain()
    got = [(m.text, m.metadata["attachments"]) for m in env.messages]
    assert got == [
        ("", [{"type": "image", "url": url}]),
        ("", [{"type": "sticker", "url": url}]),
        ("", [{"type": "audio", "url": url + ".mp4"}]),
        ("", [{"type": "reaction", "emoji": "\u2764\ufe0f"}]),
    ]


def test_slash_commands_are_neutralised(env: Env) -> None:
    assert env.send(messenger_text("222", "/restart", "m_r1")).status_code == 200
    assert env.send(messenger_text("222", ' /greet{"name": "x"}', "m_r2")).status_code == 200
    env.fake.wait_for(2)
    env.app.drain()
    assert [m.text for m in env.messages] == ["restart", 'greet{"name": "x"}']


async def _reply_with_buttons(message: UserMessage) -> None:
    count = int(message.text)
    buttons = [{"title": f"Option {i}", "payload": f'/choose{{"i": {i}}}'} for i in range(count)]
    await message.output_channel.send_response(
        message.sender_id, {"text": "Pick one:", "buttons": buttons}
    )


def test_quick_replies_native_and_fallback(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_reply_with_buttons)
    env.send(messenger_text("333", "3", "m_q1"))
    [native] = env.fake.wait_for(1)
    assert native.json["message"]["quick_replies"][1] == {
        "content_type": "text",
        "title": "Option 1",
        "payload": '/choose{"i": 1}',
    }
    env.send(messenger_text("333", "14", "m_q2"))  # more than Messenger's 13
    [_, plain] = env.fake.wait_for(2)
    assert "quick_replies" not in plain.json["message"]
    assert plain.json["message"]["text"].startswith("Pick one:\n\n1. Option 0\n2. Option 1")


async def _long_reply(message: UserMessage) -> None:
    paragraph = "Our returns window is thirty days from delivery. " * 15
    text = "\n\n".join(paragraph.strip() for _ in range(6))  # ~4500 characters
    await message.output_channel.send_response(message.sender_id, {"text": text})


def test_long_reply_split_within_limit(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_long_reply)
    env.send(messenger_text("444", "returns?", "m_long"))
    env.app.drain()
    texts = env.fake.texts()
    assert len(texts) >= 3
    assert all(len(t) <= 2000 for t in texts)
    assert all(r.status == 200 for r in env.fake.requests)
    assert all(t.endswith(".") for t in texts)  # split on sentence / paragraph boundaries
