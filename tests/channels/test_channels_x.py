"""X direct-message channel: Account Activity webhook (CRC, signature) → DM API v2 (OAuth 1.0a)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import pytest
import requests
from rasa.core.channels.channel import UserMessage

from bot.channels.settings import XSettings
from bot.channels.x import XInput, crc_response_token
from tests.fakes.channel_env import ChannelEnv
from tests.fakes.fixtures import env_maker
from tests.fakes.payloads import body_of, post, x_dm, x_photo, x_signature
from tests.fakes.platforms import Credentials

BRAND = "3001969357"
FOLLOWER = "2244994945"

pytest_plugins = ["tests.fakes.fixtures"]


class Env(ChannelEnv):
    @property
    def secret(self) -> str:
        return str(self.channel.settings.consumer_secret)

    def headers_for(self, body: bytes, secret: str | None) -> dict[str, str]:
        sig = x_signature(body, secret or self.secret)
        return {"x-twitter-webhooks-signature": sig}

    def dm(self, text: str, event_id: str, sender: str = FOLLOWER, **kw: Any) -> requests.Response:
        return self.send(x_dm(BRAND, sender, text, event_id, **kw))


@pytest.fixture
def make_env(serve_channel: Callable[..., Any], creds: Credentials) -> Callable[..., Env]:
    fields = {
        "consumer_key": creds.consumer_key,
        "consumer_secret": creds.consumer_secret,
        "access_token": creds.access_token,
        "access_token_secret": creds.access_token_secret,
        "user_id": BRAND,
    }
    return env_maker(serve_channel, Env, XInput, XSettings, **fields)


def test_crc_challenge_exact_value(env: Env) -> None:
    crc = "NWU3ZWI4YmQtN2I5Ny00ZmM1LWE2ZGYtMGE3YmI2ZDlkN2Q1"
    expected = (
        "sha256="
        + base64.b64encode(
            hmac.new(env.secret.encode(), crc.encode(), hashlib.sha256).digest()
        ).decode()
    )
    r = requests.get(env.url, params={"crc_token": crc}, timeout=5)
    assert r.status_code == 200
    assert r.json() == {"response_token": expected}
    # a known vector: HMAC-SHA256(key="cs", msg="abc"), base64
    assert (
        crc_response_token("cs", "abc")
        == "sha256=" + base64.b64encode(hmac.new(b"cs", b"abc", hashlib.sha256).digest()).decode()
    )
    assert requests.get(env.url, timeout=5).status_code == 400


def test_round_trip_with_oauth(env: Env) -> None:
    assert env.dm("is the store open on Sunday?", "1494419323846303748").status_code == 200
    [reply] = env.fake.wait_for(1)
    env.app.drain()
    [msg] = env.messages
    assert (msg.text, msg.sender_id, msg.input_channel) == (
        "is the store open on Sunday?",
        f"x:{FOLLOWER}",
        "x",
    )
    assert msg.metadata == {"channel": "x", "message_id": "1494419323846303748", "attachments": []}
    assert reply.path == f"/2/dm_conversations/with/{FOLLOWER}/messages"
    assert reply.status == 201  # the fake verified the OAuth 1.0a signature
    assert reply.headers["authorization"].startswith("OAuth ")
    assert reply.json == {"text": "you said: is the store open on Sunday?"}


def test_own_messages_and_other_events_ignored(env: Env) -> None:
    assert env.dm("our reply", "1", sender=BRAND).status_code == 200  # echo of the brand
    typing = {
        "for_user_id": BRAND,
        "direct_message_indicate_typing_events": [
            {"created_timestamp": "1", "sender_id": FOLLOWER, "target": {"recipient_id": BRAND}}
        ],
    }
    assert env.send(typing).status_code == 200
    other_account = x_dm("999", FOLLOWER, "hi", "2")
    assert env.send(other_account).status_code == 200
    env.app.drain()
    assert env.messages == [] and env.fake.requests == []


def test_forged_missing_signature_malformed_oversized(env: Env) -> None:
    payload = x_dm(BRAND, FOLLOWER, "hi", "3")
    assert env.send(payload, secret="nope").status_code == 403
    assert post(env.url, body_of(payload), {}).status_code == 403
    hexsig = "sha256=" + hmac.new(env.secret.encode(), body_of(payload), hashlib.sha256).hexdigest()
    assert (
        post(env.url, body_of(payload), {"x-twitter-webhooks-signature": hexsig}).status_code == 403
    )
    bad = b"{not json"
    assert env.post_raw(bad).status_code == 400
    assert env.send({"direct_message_events": {"a": 1}}).status_code == 400
    big = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'
    assert env.post_raw(big).status_code == 413
    env.app.drain()
    assert env.messages == []


def test_duplicate_event_processed_once(env: Env) -> None:
    assert env.dm("hello", "777").status_code == 200
    assert env.dm("hello", "777").status_code == 200
    env.fake.wait_for(1)
    env.app.drain()
    assert len(env.messages) == 1 and len(env.fake.requests) == 1


def test_photo_attachment_and_slash(env: Env) -> None:
    attachment, link = x_photo()
    env.dm(link, "801", attachment=attachment)  # photo only: the text is just the t.co link
    env.dm(f"it came like this {link}", "802", attachment=attachment)
    env.dm("/restart", "803")
    env.fake.wait_for(3)
    env.app.drain()
    url = attachment["media"]["media_url_https"]
    assert [(m.text, m.metadata["attachments"]) for m in env.messages] == [
        ("", [{"type": "image", "url": url}]),
        ("it came like this", [{"type": "image", "url": url}]),
        ("restart", []),
    ]


async def _reply(message: UserMessage) -> None:
    if message.text == "photo":  # the v2 DM API cannot take an image by URL: sent as a link
        await message.output_channel.send_response(
            message.sender_id, {"image": "https://cdn.example.com/a.jpg"}
        )
    elif message.text == "long":
        text = "\n\n".join(["A paragraph about warranty terms that goes on. " * 30] * 10)
        await message.output_channel.send_response(message.sender_id, {"text": text})
    else:
        buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
        await message.output_channel.send_response(
            message.sender_id, {"text": "Did that help?", "buttons": buttons}
        )


def test_buttons_as_plain_text_and_long_split(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_reply)
    env.dm("buttons", "901")
    [sent] = env.fake.wait_for(1)
    assert sent.json == {"text": "Did that help?\n\n1. Yes\n2. No"}
    env.dm("long", "902")
    env.app.drain()
    texts = env.fake.texts()[1:]
    assert len(texts) == 2 and all(len(t) <= 10000 for t in texts)
    assert all(r.status == 201 for r in env.fake.requests)


def test_image_reply_degrades_to_link(make_env: Callable[..., Env]) -> None:
    env = make_env(reply=_reply)
    env.dm("photo", "950")
    [sent] = env.fake.wait_for(1)
    assert sent.json == {"text": "https://cdn.example.com/a.jpg"}
