"""bot/settings.py: every variable is cast and checked; bad values fail loudly with their name."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings


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
    assert s.trusted_proxies == "127.0.0.1/8,::1"


def test_values_are_cast(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "REDIS_URL": "redis://10.0.0.5:6380/3",
            "CAREBOT_RASA_PORT": "6000",
            "CAREBOT_LEASE_SECONDS": "30.5",
            "CAREBOT_EMBEDDED_REDIS": "NEVER",
            "CAREBOT_VAR_DIR": str(tmp_path),
            "CAREBOT_LOG_LEVEL": "debug",
        }
    )
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
        ("CAREBOT_CONVERSATION_TTL_DAYS", "0"),
        ("CAREBOT_RATE_LIMIT_PER_IP", "-1"),
        ("CAREBOT_RATE_LIMIT_PER_SENDER", "lots"),
        ("CAREBOT_TRUSTED_PROXIES", "127.0.0.1,nginx"),
        ("CAREBOT_TICKET_MAX_MESSAGES", "1"),
        ("CAREBOT_TICKET_MAX_HISTORY", "9"),
        ("CAREBOT_SPOOL_MAX_FILES", "0"),
        ("CAREBOT_SPOOL_MAX_MB", "0"),
    ],
)
def test_bad_values_fail_with_the_variable_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_round_trip_through_env() -> None:
    s = Settings.from_env({"CAREBOT_RASA_PORT": "6001", "REDIS_URL": "redis://h:1/2"})
    assert Settings.from_env(s.to_env()) == s
