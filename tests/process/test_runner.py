"""bot.process.runner: which credentials file ``carebot run`` hands Rasa (no process started)."""

from __future__ import annotations

from pathlib import Path

from bot.process.runner import Runner
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_social_channels_only_when_switched_on(tmp_path: Path) -> None:
    off = Runner(Settings.from_env({"CAREBOT_HOME": str(ROOT)}))
    assert off._credentials() == "config/credentials.yml"
    on = Runner(Settings.from_env({"CAREBOT_HOME": str(ROOT), "CAREBOT_SOCIAL_CHANNELS": "1"}))
    assert on._credentials() == str(ROOT / "config" / "credentials.social.yml")
    elsewhere = Settings.from_env({"CAREBOT_HOME": str(tmp_path), "CAREBOT_SOCIAL_CHANNELS": "1"})
    assert Runner(elsewhere)._credentials() == "config/credentials.yml"  # no such file there
