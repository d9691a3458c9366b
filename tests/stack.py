"""A running carebot stack for end-to-end tests: action server + Rasa server on test ports,
the real trained model, and the test Redis db (shared with the ``redis_client`` fixture)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from bot.process.runner import Runner
from bot.rasa_ext.auth import auth_headers
from bot.rasa_ext.client import RasaClient
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


class Stack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rest = f"http://localhost:{settings.rasa_port}/webhooks/rest/webhook"

    def say(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = requests.post(self.rest, json=body, timeout=30)
        assert response.status_code == 200, response.text
        return list(response.json())

    def texts(self, sender: str, text: str) -> list[str]:
        return [m.get("text", "") for m in self.say(sender, text)]

    def rasa(self) -> RasaClient:
        """carebot's client of this stack's Rasa HTTP API (with the stack's token)."""
        return RasaClient(url=f"http://localhost:{self.settings.rasa_port}",
                          token=self.settings.rasa_api_token())

    def auth(self) -> dict[str, str]:
        """Headers that open this stack's Rasa HTTP API."""
        return auth_headers(self.settings.rasa_api_token())

    @staticmethod
    def sender() -> str:
        return "e2e-" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Stack]:
    var = tmp_path_factory.mktemp("var")
    env = {
        "REDIS_URL": redis_url,
        "CAREBOT_HOME": str(ROOT),
        "CAREBOT_VAR_DIR": str(var),
        "CAREBOT_RASA_PORT": os.environ.get("CAREBOT_TEST_RASA_PORT", "15005"),
        "CAREBOT_ACTIONS_PORT": os.environ.get("CAREBOT_TEST_ACTIONS_PORT", "15055"),
        "CAREBOT_WEBCHAT_PORT": os.environ.get("CAREBOT_TEST_WEBCHAT_PORT", "18080"),
        "CAREBOT_EMBEDDED_REDIS": "never",
    }
    settings = Settings.from_env(env)
    # No sweeper: this stack lives for the whole session on the shared test db, where the
    # queue tests write tickets on a fake clock (2023). A real-time sweeper would expire their
    # leases mid-test (CI saw NotHolder in test_metrics). The sweeper has its own tests, and
    # test_e2e_redis_down runs a private stack with one.
    runner = Runner(settings, workspace=False, sweeper=False)
    try:
        runner.start()
        yield Stack(settings)
    finally:
        runner.stop()
