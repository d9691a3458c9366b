"""Fuzzing every inbound route (issue 17, "Fuzzing and proof"), with Hypothesis.

- Each platform webhook (Messenger, Instagram, WhatsApp signed with the app secret, Telegram with
  its secret token header, X with its signature, and X's CRC GET): arbitrary bodies correctly
  signed (so they get past the signature to the parsers), the same unsigned or wrongly signed,
  and arbitrary handshake queries. Never a 5xx or a stack trace in the body; a refused request
  (4xx) writes nothing to Redis; an accepted one is a 200.
- The REST webhook and the socket.io handshake of the running bot (Rasa with carebot's
  channels): arbitrary bodies, content types and engine.io queries; same checks; the bot still
  answers afterwards.

Examples are few and derandomized (``tests/security/fuzzing.py``), so CI stays fast and
reproducible.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

import pytest
import redis
import requests
from hypothesis import given
from hypothesis import strategies as st

from bot.channels import ratelimit
from bot.channels.instagram import InstagramInput
from bot.channels.messenger import MessengerInput
from bot.channels.settings import (
    InstagramSettings,
    MessengerSettings,
    TelegramSettings,
    WhatsAppSettings,
    XSettings,
)
from bot.channels.telegram import TelegramInput
from bot.channels.whatsapp import WhatsAppInput
from bot.channels.x import XInput
from bot.settings import reset_settings
from tests.fakes.channel_env import APP_SECRET, META_AUTH, ChannelEnv
from tests.fakes.fixtures import env_maker
from tests.fakes.payloads import meta_signature, post, x_signature
from tests.fakes.platforms import Credentials
from tests.security.fuzzing import FUZZ, check_response, json_values, raw_bodies, snapshot
from tests.stack import Stack

pytest_plugins = ["tests.fakes.fixtures"]

TELEGRAM_SECRET = "s3cr3t"
HEADER_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.characters(
    min_codepoint=0xA0, max_codepoint=0x2FFF)
"""What a header value can carry (sent as UTF-8 bytes): no controls, no leading space."""
X_SECRET = "x-consumer-secret"


def sign(name: str, body: bytes) -> dict[str, str]:
    """The platform's valid authentication headers for ``body``."""
    if name in ("messenger", "instagram", "whatsapp"):
        return {"X-Hub-Signature-256": meta_signature(body, APP_SECRET)}
    if name == "telegram":
        return {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    return {"x-twitter-webhooks-signature": x_signature(body, X_SECRET)}


PLATFORMS: dict[str, tuple[type[Any], Any, dict[str, str]]] = {
    "messenger": (MessengerInput, MessengerSettings, {"page_access_token": "t", **META_AUTH}),
    "instagram": (InstagramInput, InstagramSettings, {"access_token": "t", **META_AUTH}),
    "whatsapp": (WhatsAppInput, WhatsAppSettings,
                 {"access_token": "t", "phone_number_id": "1", **META_AUTH}),
    "x": (XInput, XSettings, {"consumer_key": "k", "consumer_secret": X_SECRET,
                              "access_token": "a", "access_token_secret": "b", "user_id": "1"}),
    "telegram": (TelegramInput, TelegramSettings,
                 {"bot_token": "1:abc", "secret_token": TELEGRAM_SECRET, "bot_name": "b"}),
}

# Payloads shaped like each platform's, with arbitrary values where the fields go.
ENVELOPES = st.fixed_dictionaries({
    "object": st.sampled_from(["page", "instagram", "whatsapp_business_account", "x"])
    | json_values,
    "entry": st.lists(st.fixed_dictionaries({
        "id": json_values, "messaging": json_values | st.lists(json_values, max_size=3),
        "changes": json_values | st.lists(st.fixed_dictionaries({
            "field": json_values, "value": json_values | st.fixed_dictionaries({
                "messages": st.lists(json_values, max_size=3), "contacts": json_values,
                "metadata": json_values})}), max_size=2)}), max_size=2) | json_values,
    "update_id": json_values, "message": json_values,
    "direct_message_events": st.lists(json_values, max_size=2) | json_values,
    "for_user_id": json_values,
})


@pytest.fixture
def no_rate_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hundreds of requests from one address: the per-IP limit (its own tests:
    ``tests/security/test_storage_bounds.py``) would answer most of them 429."""
    monkeypatch.setenv("CAREBOT_RATE_LIMIT_PER_IP", "0")
    monkeypatch.setenv("CAREBOT_RATE_LIMIT_PER_SENDER", "0")
    reset_settings()
    ratelimit.reset()
    yield
    reset_settings()
    ratelimit.reset()


@pytest.fixture(params=sorted(PLATFORMS))
def platform(request: pytest.FixtureRequest, serve_channel: Callable[..., Any],
             creds: Credentials, no_rate_limit: None) -> tuple[str, ChannelEnv]:
    input_cls, settings_cls, fields = PLATFORMS[request.param]
    return request.param, env_maker(serve_channel, ChannelEnv, input_cls, settings_cls,
                                    **fields)()


def test_signed_bodies_are_parsed_safely(platform: tuple[str, ChannelEnv],
                                         redis_client: redis.Redis) -> None:
    name, env = platform

    @FUZZ
    @given(body=raw_bodies | ENVELOPES.map(lambda p: json.dumps(p).encode()))
    def signed(body: bytes) -> None:
        before = snapshot(redis_client)
        res = post(env.url, body, sign(name, body))
        check_response(res, name)
        assert res.status_code in (200, 400, 413), (name, res.status_code, res.text[:200])
        if res.status_code != 200:
            assert snapshot(redis_client) == before, (name, body[:100])

    signed()
    env.app.drain()
    assert env.app.agent.errors == []


def test_unsigned_bodies_are_refused_and_write_nothing(platform: tuple[str, ChannelEnv],
                                                        redis_client: redis.Redis) -> None:
    name, env = platform
    header = next(iter(sign(name, b"")))

    @FUZZ
    @given(body=raw_bodies | ENVELOPES.map(lambda p: json.dumps(p).encode()),
           forged=st.none() | st.text(HEADER_CHARS, min_size=1, max_size=80))
    def unsigned(body: bytes, forged: str | None) -> None:
        headers = {} if forged is None else {header: forged.encode("utf-8", "surrogatepass")}
        if headers and headers[header] == sign(name, body)[header].encode():
            return  # hypothesis will not find the signature; never mind if it did
        before = snapshot(redis_client)
        res = post(env.url, body, headers)  # type: ignore[arg-type]
        check_response(res, name)
        assert res.status_code in (400, 401, 403, 413), (name, res.status_code)
        assert snapshot(redis_client) == before

    unsigned()
    assert env.messages == []


def test_handshakes_never_fail(platform: tuple[str, ChannelEnv],
                               redis_client: redis.Redis) -> None:
    name, env = platform

    @FUZZ
    @given(params=st.dictionaries(
        st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "crc_token", "x"]),
        st.text(max_size=200), max_size=4))
    def handshake(params: dict[str, str]) -> None:
        before = snapshot(redis_client)
        res = requests.get(env.url, params=params, timeout=10)
        check_response(res, name)
        if res.status_code == 200 and name == "x":
            assert res.json()["response_token"].startswith("sha256=")
            assert len(params["crc_token"]) <= 128 and "{" not in params["crc_token"]
        assert snapshot(redis_client) == before

    handshake()


# -- the running bot: REST and socket.io ---------------------------------------------------

REST_BODIES = st.one_of(
    raw_bodies,
    st.fixed_dictionaries({"sender": json_values, "message": json_values},
                          optional={"metadata": json_values,
                                    "input_channel": json_values}).map(
        lambda p: json.dumps(p).encode()),
)


def test_rest_webhook_never_fails(stack: Stack, redis_client: redis.Redis) -> None:
    @FUZZ
    @given(body=REST_BODIES,
           content_type=st.sampled_from(["application/json", "text/plain", None]))
    def rest(body: bytes, content_type: str | None) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        before = snapshot(redis_client)
        res = requests.post(stack.rest, data=body, headers=headers, timeout=60)
        check_response(res, "rest")
        if 400 <= res.status_code < 500:
            assert snapshot(redis_client) == before, body[:100]

    rest()
    assert stack.texts(stack.sender(), "hello")  # the bot still answers


def test_socketio_handshake_never_fails(stack: Stack, redis_client: redis.Redis) -> None:
    url = f"http://localhost:{stack.settings.rasa_port}/socket.io/"

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(["EIO", "transport", "sid", "t", "b64", "j"]),
                                  st.text(max_size=60), max_size=5),
           method=st.sampled_from(["GET", "POST"]), body=raw_bodies)
    def handshake(params: dict[str, str], method: str, body: bytes) -> None:
        before = snapshot(redis_client)
        res = requests.request(method, url, params=params, data=body if method == "POST" else None,
                               timeout=20)
        check_response(res, "socket.io")
        assert snapshot(redis_client) == before

    handshake()
    res = requests.get(url, params={"EIO": "4", "transport": "polling"}, timeout=10)
    assert res.status_code == 200 and '"sid"' in res.text  # a real handshake still works
