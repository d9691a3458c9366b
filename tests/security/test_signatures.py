"""Attack tests, issue 17 item 6: a signature or token with characters outside ASCII is a
refusal (401/403), never a 500.

``hmac.compare_digest`` raises ``TypeError`` on ``str`` arguments with non-ASCII characters; a
webhook or bearer check that compared text would crash on such a header instead of refusing it.
Every platform webhook (each one's own signature header), the Meta verification handshake, the
workspace's bearer check and its metrics token are tried.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
import requests

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
from bot.settings import Settings
from tests.fakes.channel_env import META_AUTH, ChannelEnv
from tests.fakes.fixtures import env_maker
from tests.fakes.payloads import body_of, post
from tests.fakes.platforms import Credentials
from tests.security.workspace_app import InProcessWorkspace

ROOT = Path(__file__).resolve().parents[2]
REFUSED = (401, 403)
# Sent as raw UTF-8 bytes on the wire; what a server decodes them to differs (latin-1, UTF-8).
NON_ASCII = ["sha256=é" + "0" * 63, "sha256=" + "ü" * 44, "токен", "😀" * 8]

PLATFORMS: dict[str, tuple[type[Any], Any, dict[str, str], str]] = {
    "messenger": (MessengerInput, MessengerSettings, {"page_access_token": "t", **META_AUTH},
                  "X-Hub-Signature-256"),
    "instagram": (InstagramInput, InstagramSettings, {"access_token": "t", **META_AUTH},
                  "X-Hub-Signature-256"),
    "whatsapp": (WhatsAppInput, WhatsAppSettings,
                 {"access_token": "t", "phone_number_id": "1", **META_AUTH},
                 "X-Hub-Signature-256"),
    "x": (XInput, XSettings, {"consumer_key": "k", "consumer_secret": "s", "access_token": "a",
                              "access_token_secret": "b", "user_id": "1"},
          "x-twitter-webhooks-signature"),
    "telegram": (TelegramInput, TelegramSettings,
                 {"bot_token": "1:abc", "secret_token": "s3cr3t", "bot_name": "b"},
                 "X-Telegram-Bot-Api-Secret-Token"),
}


@pytest.fixture(params=sorted(PLATFORMS))
def platform(request: pytest.FixtureRequest, serve_channel: Callable[..., Any],
             creds: Credentials) -> tuple[ChannelEnv, str]:
    input_cls, settings_cls, fields, header = PLATFORMS[request.param]
    return env_maker(serve_channel, ChannelEnv, input_cls, settings_cls, **fields)(), header


def test_non_ascii_signatures_are_refused(platform: tuple[ChannelEnv, str]) -> None:
    env, header = platform
    body = body_of({"object": "page", "entry": [], "update_id": 1})
    for value in NON_ASCII:
        res = post(env.url, body, {header: value.encode("utf-8")})  # type: ignore[dict-item]
        assert res.status_code in REFUSED, (header, value, res.status_code, res.text[:200])
    assert env.messages == []


@pytest.mark.parametrize("name", ["messenger", "instagram", "whatsapp"])
def test_non_ascii_verify_tokens_are_refused(
    name: str, serve_channel: Callable[..., Any], creds: Credentials
) -> None:
    input_cls, settings_cls, fields, _ = PLATFORMS[name]
    env = env_maker(serve_channel, ChannelEnv, input_cls, settings_cls, **fields)()
    for value in NON_ASCII:
        params = {"hub.mode": "subscribe", "hub.verify_token": value, "hub.challenge": "42"}
        assert requests.get(env.url, params=params, timeout=5).status_code in REFUSED


@pytest.fixture
def workspace(redis_url: str, redis_client: redis.Redis,
              tmp_path: Path) -> Iterator[InProcessWorkspace]:
    settings = Settings.from_env({"REDIS_URL": redis_url, "CAREBOT_HOME": str(ROOT),
                                  "CAREBOT_VAR_DIR": str(tmp_path / "var"),
                                  "CAREBOT_METRICS_TOKEN": "scrape-me-0123456789"})
    app = InProcessWorkspace(settings).start()
    yield app
    app.stop()


def test_non_ascii_bearer_tokens_are_refused(workspace: InProcessWorkspace) -> None:
    for value in NON_ASCII + ["cbt_" + "é" * 40]:
        auth = {"Authorization": ("Bearer " + value).encode("utf-8")}
        for path in ("/metrics", "/api/me", "/api/events"):
            res = requests.get(workspace.url + path, headers=auth, timeout=10)  # type: ignore[arg-type]
            assert res.status_code in REFUSED, (path, value, res.status_code, res.text[:200])
        res = requests.post(workspace.url + "/api/session", json={"token": value}, timeout=10)
        assert res.status_code in REFUSED, ("/api/session", value, res.status_code)
