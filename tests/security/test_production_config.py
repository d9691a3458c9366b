"""Secure defaults, issue 17: ``CAREBOT_ENV=production`` refuses an insecure configuration at
start-up (a ``ConfigError`` naming the variable), instead of running exposed.

Refused in production: a Redis URL without a password, no ``CAREBOT_RASA_TOKEN``, a workspace
bound to a public address without a TLS proxy (``CAREBOT_TRUSTED_PROXIES``) in front of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]
SECURE = {
    "CAREBOT_ENV": "production",
    "REDIS_URL": "redis://:a-long-redis-password@redis.internal:6379/0",
    "CAREBOT_RASA_TOKEN": "0123456789abcdef0123456789abcdef",
}


def test_a_secure_production_configuration_starts() -> None:
    settings = Settings.from_env(SECURE)
    assert settings.env == "production"
    Settings.from_env({**SECURE, "CAREBOT_WORKSPACE_HOST": "0.0.0.0",
                       "CAREBOT_TRUSTED_PROXIES": "10.0.0.2"})
    Settings.from_env({**SECURE, "REDIS_URL": "rediss://carebot:pw@redis.internal:6380/0"})


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"REDIS_URL": "redis://redis.internal:6379/0"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://carebot@redis.internal:6379/0"}, "REDIS_URL"),
        ({"CAREBOT_RASA_TOKEN": ""}, "CAREBOT_RASA_TOKEN"),
        ({"CAREBOT_RASA_TOKEN": "short"}, "CAREBOT_RASA_TOKEN"),
        ({"CAREBOT_WORKSPACE_HOST": "0.0.0.0"}, "CAREBOT_WORKSPACE_HOST"),
        ({"CAREBOT_WORKSPACE_HOST": "0.0.0.0", "CAREBOT_TRUSTED_PROXIES": "127.0.0.1"},
         "CAREBOT_WORKSPACE_HOST"),
    ],
)
def test_insecure_production_configurations_are_refused(change: dict[str, str],
                                                         named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**SECURE, **change})


def test_development_stays_easy() -> None:
    settings = Settings.from_env({"REDIS_URL": "redis://localhost:6379/0"})
    assert settings.env == "development"


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="CAREBOT_ENV"):
        Settings.from_env({"CAREBOT_ENV": "prod"})


def test_carebot_refuses_to_start(tmp_path: Path) -> None:
    """At start-up: the command fails loudly before it serves anything."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREBOT_", "REDIS_URL"))}
    env.update({"CAREBOT_ENV": "production", "REDIS_URL": "redis://127.0.0.1:6379/7",
                "CAREBOT_VAR_DIR": str(tmp_path)})
    for command in (["workspace", "--port", "1"], ["run"]):
        done = subprocess.run([sys.executable, "-m", "bot.cli", *command], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode != 0, command
        assert "REDIS_URL" in done.stderr and "password" in done.stderr, done.stderr[-2000:]
