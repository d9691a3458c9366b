"""Instagram Direct channel, end to end against a fake Graph API (Instagram Messaging)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from rasa.core.channels.channel import UserMessage

from bot.channels.instagram import InstagramInput
from bot.channels.settings import InstagramSettings
from tests.fakes.channel_env import META_AUTH, VERIFY_TOKEN, MetaEnv
from tests.fakes.fixtures import env_maker
from tests.fakes.payloads import (
    body_of,
    instagram_attachment,
    instagram_text,
    messenger_reaction,
    messenger_text,
    post,
)
from tests.fakes.platforms import Credentials

pytest_plugins = ["tests.fakes.fixtures"]


class Env(MetaEnv):
    pass


@pytest.fixture
def make_env(serve_channel: Callable[..., Any], creds: Credentials) -> Callable[..., Env]:
    fields = {"access_token": creds.token, **META_AUTH}
    return env_maker(serve_channel, Env, InstagramInput, InstagramSettings, **fields)


def test_verification_handshake(env: Env) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    r = requests.get(env.url, params=params, timeout=5)
    assert (r.status_code, r.text) == (200, "42")
    r = requests.get(env.url, params={**params, "hub.verify_token": ""}, timeout=5)
    assert r.status_code == 403


def test_round_trip_text(env: Env) -> None:
    assert env.send(instagram_text("5378146275", "do you ship to Chile?", "aWdfZAG1")).ok
    [reply] = env.fake.wait_for(1)
    env.app.drain()
    [msg] = env.messages
    assert (msg.text, msg.sender_id, msg.input_channel) == (
        "do you ship to Chile?",
        "instagram:5378146275",
        "instagram",
    )
    assert msg.metadata == {"channel": "instagram", "message_id": "aWdfZAG1", "attachments": []}
    assert reply.json == {
        "recipient": {"id": "5378146275"},
        "message": {"text": "you said: do you ship to Chile?"},
    }
    assert reply.query["access_token"] == "test-token"


def test_page_events_are_not_instagram_events(env: Env) -> None:
    assert env.send(messenger_text("5378146275", "hello", "m_page")).status_code == 200
    env.app.drain()
    assert env.messages == []


def test_forged_signature_and_bad_payloads(env: Env) -> None:
    payload = instagram_text("5378146275", "hi", "aWd_forged")
    assert env.send(payload, secret="wrong").status_code == 403
    assert post(env.url, body_of(payload), {}).status_code == 403
    bad = b"\xff\xfe not json"
    assert env.post_raw(bad).status_code == 400
    big = b"{" + b" " * (1024 * 1024 + 1) + b"}"
    assert env.post_raw(big).status_code == 413
    env.app.drain()
    assert env.messages == []


def test_duplicate_delivery_processed_once(env: Env) -> None:
    payload = instagram_text("5378146275", "hola", "aWd_dup")
    for _ in range(3):
        assert env.send(payload).status_code == 200
    env.fake.wait_for(1)
    env.app.drain()
    assert len(env.messages) == 1 and len(env.fake.requests) == 1


def test_story_mention_image_reaction_and_unsupported(env: Env) -> None:
    cdn = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1789"
    env.send(instagram_attachment("77", "aWd_story", "story_mention", cdn))
    env.send(instagram_attachment("77", "aWd_img", "image", cdn + "2"))
    env.send(instagram_attachment("77", "aWd_reel", "ig_reel", cdn + "3"))
    env.send(messenger_reaction("77", "aWd_img", emoji="\U0001f602", obj="instagram"))
    unsupported = instagram_text("77", "", "aWd_unsup")
    unsupported["entry"][0]["messaging"][0]["message"] = {
        "mid": "aWd_unsup",
        "is_unsupported": True,
    }
    env.send(unsupported)
    env.fake.wait_for(5)
    env.app.drain()
    assert [(m.text, m.metadata["attachments"]) for m in env.messages] == [
        ("", [{"type": "story_mention", "url": cdn}]),
        ("", [{"type": "image", "url": cdn + "2"}]),
        ("", [{"type": "other", "url": cdn + "3"}]),
        ("", [{"type": "reaction", "emoji": "\U0001f602"}]),
        ("", [{"type": "other"}]),
    ]


async def _emoji_reply(message: UserMessage) -> None:
    # 999 characters but 1299 UTF-8 bytes: over Instagram's 1000-byte limit
    text = " ".join(["gracias \U0001f64f"] * 100)
    await message.output_channel.send_response(message.sender_id, {"text": text})


def test_long_reply_split_by_bytes(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_emoji_reply)
    env.send(instagram_text("88", "thanks", "aWd_long"))
    env.app.drain()
    texts = env.fake.texts()
    assert len(texts) == 2
    assert all(len(t.encode("utf-8")) <= 1000 for t in texts)
    assert all(r.status == 200 for r in env.fake.requests)
    assert " ".join(texts) == " ".join(["gracias \U0001f64f"] * 100)


async def _buttons(message: UserMessage) -> None:
    buttons = [
        {"title": "Track my order", "payload": "/track"},
        {"title": "Returns", "payload": ""},
    ]
    await message.output_channel.send_response(
        message.sender_id, {"text": "How can I help?", "buttons": buttons}
    )


def test_quick_replies(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_buttons)
    env.send(instagram_text("99", "help", "aWd_qr"))
    [sent] = env.fake.wait_for(1)
    assert sent.json["message"] == {
        "text": "How can I help?",
        "quick_replies": [
            {"content_type": "text", "title": "Track my order", "payload": "/track"},
            {"content_type": "text", "title": "Returns", "payload": "Returns"},
        ],
    }
