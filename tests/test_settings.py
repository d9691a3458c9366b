"""bot/settings.py: every variable is cast and checked; bad values fail loudly with their name."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings, channel_env


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.redis_url == "redis://localhost:6379/0"
    assert (s.rasa_port, s.actions_port, s.webchat_port, s.workspace_port) == (
        5005,
        5055,
        8080,
        8000,
    )
    assert s.rasa_url == "http://localhost:5005"
    assert s.embedded_redis == "auto"
    assert s.escalation_config == s.home / "config" / "escalation.yml"
    assert s.spool_dir == s.var_dir / "spool"
    assert s.conversation_ttl_seconds == 90 * 86400
    assert (s.rate_limit_per_ip, s.rate_limit_per_sender) == (120, 30)
    assert (s.ticket_max_messages, s.ticket_max_history) == (500, 500)
    assert (s.spool_max_files, s.spool_max_mb) == (10_000, 100)
    assert s.trusted_proxies == ("127.0.0.1/8", "::1")


def test_values_are_cast(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "REDIS_URL": "redis://10.0.0.5:6380/3",
            "CAREBOT_RASA_PORT": "6000",
            "CAREBOT_LEASE_SECONDS": "30.5",
            "CAREBOT_EMBEDDED_REDIS": "NEVER",
            "CAREBOT_VAR_DIR": str(tmp_path),
            "CAREBOT_LOG_LEVEL": "debug",
            "CAREBOT_ENCODER_RUNTIME": "numpy",
        }
    )
    assert s.encoder_runtime == "numpy"
    assert s.rasa_port == 6000 and s.rasa_url == "http://localhost:6000"
    assert s.lease_seconds == 30.5 and s.embedded_redis == "never" and s.log_level == "DEBUG"
    assert s.var_dir == tmp_path


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_URL", "http://localhost:6379"),
        ("REDIS_URL", "redis://localhost:notaport/0"),
        ("CAREBOT_RASA_PORT", "abc"),
        ("CAREBOT_ACTIONS_PORT", "70000"),
        ("CAREBOT_LEASE_SECONDS", "0"),
        ("CAREBOT_EMBEDDED_REDIS", "sometimes"),
        ("CAREBOT_QUEUE_PREFIX", "bad prefix!"),
        ("CAREBOT_LOG_LEVEL", "chatty"),
        ("CAREBOT_ENCODER_RUNTIME", "torch"),
        ("CAREBOT_WEBCHAT_ORIGINS", "*"),
        ("CAREBOT_WEBCHAT_ORIGINS", "http://ok.example,https://x.example/path"),
        ("CAREBOT_TRUSTED_PROXIES", "10.0.0.1,not-an-address"),
        ("CAREBOT_RASA_HOST", "0.0.0.0 5005"),
        ("CAREBOT_ENV", "staging"),
        ("CAREBOT_SOCIAL_CHANNELS", "maybe"),
        ("CAREBOT_CONVERSATION_TTL_DAYS", "0"),
        ("CAREBOT_RATE_LIMIT_PER_IP", "-1"),
        ("CAREBOT_RATE_LIMIT_PER_SENDER", "lots"),
        ("CAREBOT_TRUSTED_PROXIES", "127.0.0.1,nginx"),
        ("CAREBOT_TICKET_MAX_MESSAGES", "1"),
        ("CAREBOT_TICKET_MAX_HISTORY", "9"),
        ("CAREBOT_SPOOL_MAX_FILES", "0"),
        ("CAREBOT_SPOOL_MAX_MB", "0"),
        ("CAREBOT_AUDIT_RATE", "1.5"),
        ("CAREBOT_AUDIT_RATE", "-0.1"),
        ("CAREBOT_AUDIT_RATE", "5%"),
        ("CAREBOT_AUDIT_RATE", "nan"),
        ("CAREBOT_AUDIT_MARGIN", "2"),
        ("CAREBOT_AUDIT_MAX_PENDING", "0"),
    ],
)
def test_bad_values_fail_with_the_variable_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_round_trip_through_env() -> None:
    s = Settings.from_env({"CAREBOT_RASA_PORT": "6001", "REDIS_URL": "redis://h:1/2"})
    assert Settings.from_env(s.to_env()) == s


def test_listen_addresses_default_to_loopback() -> None:
    s = Settings.from_env({"CAREBOT_WEBCHAT_PORT": "9090"})
    assert (s.rasa_host, s.actions_host, s.webchat_host, s.workspace_host) == ("127.0.0.1",) * 4
    assert s.webchat_origins == ("http://localhost:9090", "http://127.0.0.1:9090")


def test_trusted_proxies_take_addresses_and_networks() -> None:
    s = Settings.from_env({"CAREBOT_TRUSTED_PROXIES": "10.0.0.0/24, ::1"})
    assert s.is_trusted_proxy("10.0.0.7") and s.is_trusted_proxy("::1")
    assert not s.is_trusted_proxy("10.0.1.7") and not s.is_trusted_proxy("127.0.0.1")
    assert not s.is_trusted_proxy("") and not s.is_trusted_proxy("not-an-ip")


def test_rasa_token_is_configured_or_generated_once(tmp_path: Path) -> None:
    assert Settings.from_env({"CAREBOT_RASA_TOKEN": "given"}).rasa_api_token() == "given"
    s = Settings.from_env({"CAREBOT_VAR_DIR": str(tmp_path)})
    token = s.rasa_api_token()
    assert len(token) >= 40 and s.rasa_api_token() == token
    path = tmp_path / "secrets" / "rasa-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "CAREBOT_RASA_TOKEN" not in {k for k, v in s.to_env().items() if v}


def test_social_channels_switch() -> None:
    assert Settings.from_env({}).social_channels is False
    assert Settings.from_env({"CAREBOT_SOCIAL_CHANNELS": "1"}).social_channels is True
    assert Settings.from_env({"CAREBOT_SOCIAL_CHANNELS": "0"}).social_channels is False
    on = Settings.from_env({"CAREBOT_SOCIAL_CHANNELS": "yes"})
    assert on.to_env()["CAREBOT_SOCIAL_CHANNELS"] == "1" and Settings.from_env(on.to_env()) == on


def test_channel_env_takes_the_platforms_variables_only() -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "1:a",
        "X_USER_ID": "42",
        "MESSENGER_APP_SECRET": "s",
        "REDIS_URL": "redis://h:1/0",
        "XDG_RUNTIME_DIR": "/run",
        "TELEGRAMBOT": "no",
    }
    assert channel_env(env) == {
        "TELEGRAM_BOT_TOKEN": "1:a",
        "X_USER_ID": "42",
        "MESSENGER_APP_SECRET": "s",
    }


def test_every_setting_is_read_from_its_variable() -> None:
    """A non-default value for each variable reaches its field, and survives ``to_env`` (a
    merge once dropped several fields from ``from_env`` silently: they kept their defaults)."""
    env = {
        "CAREBOT_METRICS_TOKEN": "scrape", "CAREBOT_SPIKE_WINDOW_MINUTES": "20",
        "CAREBOT_SPIKE_RATIO": "3", "CAREBOT_SPIKE_MIN_COUNT": "7",
        "CAREBOT_WAIT_ALERT_MINUTES": "45", "REDIS_SENTINELS": "10.0.0.9:26379",
        "REDIS_MASTER_NAME": "m", "REDIS_WAIT_REPLICAS": "1", "CAREBOT_MODEL_PULL_SECONDS": "5",
        "CAREBOT_RASA_HOST": "0.0.0.0", "CAREBOT_ACTIONS_HOST": "0.0.0.0",
        "CAREBOT_WEBCHAT_HOST": "0.0.0.0", "CAREBOT_WEBCHAT_ORIGINS": "https://chat.example",
        "CAREBOT_RATE_LIMIT_PER_IP": "9", "CAREBOT_TICKET_MAX_MESSAGES": "50",
    }
    s = Settings.from_env(env)
    defaults = Settings.from_env({})
    for name in ("metrics_token", "spike_window_minutes", "spike_ratio", "spike_min_count",
                 "wait_alert_minutes", "redis_sentinels", "redis_master_name",
                 "redis_wait_replicas", "model_pull_seconds", "rasa_host", "actions_host",
                 "webchat_host", "webchat_origins", "rate_limit_per_ip", "ticket_max_messages"):
        assert getattr(s, name) != getattr(defaults, name), name
    assert Settings.from_env(s.to_env()) == s


def test_answer_audit_settings() -> None:
    s = Settings.from_env({})
    assert (s.audit_rate, s.audit_margin, s.audit_max_pending) == (0.05, 0.05, 10_000)
    s = Settings.from_env({"CAREBOT_AUDIT_RATE": "0", "CAREBOT_AUDIT_MARGIN": "0.1",
                           "CAREBOT_AUDIT_MAX_PENDING": "500"})
    assert (s.audit_rate, s.audit_margin, s.audit_max_pending) == (0.0, 0.1, 500)
    assert Settings.from_env(s.to_env()).audit_rate == 0.0
