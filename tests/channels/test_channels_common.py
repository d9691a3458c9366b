"""Shared channel pieces: settings, credentials file, idempotency, "/restart" neutralisation."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import redis
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from bot.channels import settings as channel_settings
from bot.channels.base import neutralise_text
from bot.channels.idempotency import Deduplicator, redis_factory
from bot.channels.settings import ChannelConfigError, MessengerSettings, TelegramSettings
from bot.settings import ConfigError, reset_settings

CLOSED_REDIS = "redis://127.0.0.1:1/0"


# --- settings, idempotency, neutralisation -------------------------------------------------------


def test_settings_fail_loudly_and_take_credentials() -> None:
    with pytest.raises(ChannelConfigError) as info:
        MessengerSettings.from_env(env={"MESSENGER_APP_SECRET": "s"})
    assert "MESSENGER_PAGE_ACCESS_TOKEN is not set" in str(info.value)
    assert "MESSENGER_VERIFY_TOKEN is not set" in str(info.value)
    with pytest.raises(ChannelConfigError, match="TELEGRAM_BOT_TOKEN must look like"):
        TelegramSettings.from_env(env={"TELEGRAM_BOT_TOKEN": "nope", "TELEGRAM_SECRET_TOKEN": "ok"})
    with pytest.raises(ChannelConfigError, match="unknown credential key 'tokn'"):
        MessengerSettings.from_env(env={}, overrides={"tokn": "x"})
    env = {
        "MESSENGER_PAGE_ACCESS_TOKEN": "from-env",
        "MESSENGER_APP_SECRET": "s",
        "MESSENGER_VERIFY_TOKEN": "v",
        "MESSENGER_API_BASE": "http://127.0.0.1:9/v19.0/",
    }
    settings = MessengerSettings.from_env(
        env=env, overrides={"page_access_token": "from-yml", "app_secret": None}
    )
    assert (settings.page_access_token, settings.app_secret) == ("from-yml", "s")
    assert settings.api_base == "http://127.0.0.1:9/v19.0"
    assert MessengerSettings.from_env(
        env={k: v for k, v in env.items() if "BASE" not in k}
    ).api_base == ("https://graph.facebook.com/v19.0")


def test_process_settings_fail_loudly_not_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/4")
    monkeypatch.setenv("CAREBOT_QUEUE_PREFIX", "brand-a")
    reset_settings()
    assert channel_settings.redis_url() == "redis://127.0.0.1:6399/4"
    assert channel_settings.queue_prefix() == "brand-a"
    monkeypatch.setenv("REDIS_URL", "http://not-redis:6379")
    reset_settings()
    try:
        for helper in (channel_settings.redis_url, channel_settings.queue_prefix,
                       channel_settings.spool_dir):
            with pytest.raises(ConfigError, match="REDIS_URL"):
                helper()
    finally:
        monkeypatch.undo()
        reset_settings()


def test_deduplicator(
    redis_url: str, redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    dedup = Deduplicator(redis_factory(redis_url), ttl_seconds=60)
    assert dedup.first_time("whatsapp", "wamid.1") is True
    assert dedup.first_time("whatsapp", "wamid.1") is False
    assert dedup.first_time("telegram", "wamid.1") is True
    assert 0 < redis_client.ttl("carebot:seen:whatsapp:wamid.1") <= 60
    down = Deduplicator(redis_factory(CLOSED_REDIS))
    with caplog.at_level(logging.WARNING):
        assert down.first_time("x", "1") is True and down.first_time("x", "1") is True
    assert "Idempotency check unavailable" in caplog.text


@pytest.mark.parametrize(
    "text",
    [
        "/restart",
        " /restart",
        "//restart",
        "/ restart",
        "\t/session_start",
        '/greet{"name": "x"}',
        "/stop@0.9",
    ],
)
def test_neutralised_text_is_never_an_intent_for_rasa(text: str) -> None:
    raw = UserMessage(text).text
    assert YAMLStoryReader.unpack_regex_message(Message({"text": raw})).get("intent") is not None
    safe = UserMessage(neutralise_text(text)).text
    assert not safe.startswith("/")
    assert YAMLStoryReader.unpack_regex_message(Message({"text": safe})).get("intent") is None


SOCIAL_ENV = {
    "MESSENGER_PAGE_ACCESS_TOKEN": "t",
    "MESSENGER_APP_SECRET": "s",
    "MESSENGER_VERIFY_TOKEN": "v",
    "INSTAGRAM_ACCESS_TOKEN": "t",
    "INSTAGRAM_APP_SECRET": "s",
    "INSTAGRAM_VERIFY_TOKEN": "v",
    "WHATSAPP_ACCESS_TOKEN": "t",
    "WHATSAPP_APP_SECRET": "s",
    "WHATSAPP_VERIFY_TOKEN": "v",
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "X_CONSUMER_KEY": "k",
    "X_CONSUMER_SECRET": "s",
    "X_ACCESS_TOKEN": "t",
    "X_ACCESS_TOKEN_SECRET": "ts",
    "X_USER_ID": "3001969357",
    "TELEGRAM_BOT_TOKEN": "7345123456:AAHdqTcvCH1v",
    "TELEGRAM_SECRET_TOKEN": "secret",
}


def _channels_from(path: str) -> list:
    """What ``rasa run --credentials path`` does for each entry (``rasa.core.run``'s
    ``_create_single_channel`` for non-built-in keys; importing ``rasa.core.run`` itself takes
    ~15 s as it pulls in TensorFlow)."""
    import rasa.shared.utils.io
    from rasa.shared.utils.common import class_from_module_path

    entries = rasa.shared.utils.io.read_config_file(path)
    return [class_from_module_path(key).from_credentials(value) for key, value in entries.items()]


def test_credentials_social_yml_loads_like_rasa_run(monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(Path(__file__).resolve().parents[2] / "config" / "credentials.social.yml")
    for name in SOCIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ChannelConfigError, match="MESSENGER_APP_SECRET is not set"):
        _channels_from(path)
    for name, value in SOCIAL_ENV.items():
        monkeypatch.setenv(name, value)
    names = [c.name() for c in _channels_from(path)]
    assert names == ["rest", "socketio", "messenger", "instagram", "whatsapp", "x", "telegram"]
