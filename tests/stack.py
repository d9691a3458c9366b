"""A running carebot stack for end-to-end tests: action server + Rasa server on test ports,
the real trained model, and the test Redis db (shared with the ``redis_client`` fixture).

Rasa opens the REST and socket.io channels (as ``config/credentials.yml``) and WhatsApp, whose
Cloud API is a fake (``tests.fakes.platforms``) for the whole session: ``stack.whatsapp(wa_id,
text)`` sends a signed webhook as that follower, ``stack.whatsapp_api`` records what the bot sent.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar, Iterator

import pytest
import requests
import yaml

from bot.process.runner import Runner
from bot.rasa_ext.auth import auth_headers
from bot.rasa_ext.client import RasaClient
from bot.settings import Settings
from tests.fakes.channel_env import APP_SECRET, VERIFY_TOKEN
from tests.fakes.payloads import body_of, meta_signature, whatsapp_text
from tests.fakes.platforms import Credentials, FakePlatform

ROOT = Path(__file__).resolve().parent.parent


class Stack:
    """The running bot, spoken to as REST followers (and as WhatsApp ones, see below).

    ``stack.sender()`` is a new REST follower: the server issues the conversation id
    (``rest:<hex>``) and its token (``POST /webhooks/rest/session``); it returns the platform id
    (what tickets store as ``sender``). ``say`` / ``texts`` / ``inbox`` take that id and present
    the token, as a real client does.
    """

    tokens: ClassVar[dict[str, str]] = {}  # conversation id -> token (every Stack of the session)

    def __init__(self, settings: Settings, whatsapp_api: FakePlatform | None = None) -> None:
        self.settings = settings
        self.rasa_url = f"http://localhost:{settings.rasa_port}"
        self.rest = f"{self.rasa_url}/webhooks/rest/webhook"
        self.whatsapp_api = whatsapp_api

    def sender(self) -> str:
        """A new REST follower; their platform id."""
        r = requests.post(f"{self.rasa_url}/webhooks/rest/session", timeout=30)
        assert r.status_code == 201, r.text
        data = r.json()
        assert data["sender"].startswith("rest:")
        self.tokens[data["sender"]] = data["token"]
        return str(data["sender"]).removeprefix("rest:")

    @staticmethod
    def conversation(sender: str) -> str:
        """The conversation id (Rasa's sender id) of REST follower ``sender``."""
        return sender if sender.startswith("rest:") else f"rest:{sender}"

    def headers(self, sender: str) -> dict[str, str]:
        return {"X-Carebot-Token": self.tokens[self.conversation(sender)]}

    def say(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": self.conversation(sender), "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = requests.post(self.rest, json=body, headers=self.headers(sender), timeout=30)
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

    def inbox(self, sender: str) -> list[dict[str, Any]]:
        """Messages the REST follower received after their requests returned (agent replies)."""
        res = requests.get(
            f"{self.rasa_url}/webhooks/rest/inbox/{self.conversation(sender)}",
            headers=self.headers(sender),
            timeout=10,
        )
        assert res.status_code == 200, res.text
        return list(res.json())

    # -- WhatsApp ----------------------------------------------------------------------------------

    def whatsapp(self, wa_id: str, text: str) -> None:
        """``wa_id`` writes ``text`` on WhatsApp: Meta's signed webhook to the running bot."""
        assert self.whatsapp_api is not None
        pnid = self.whatsapp_api.creds.phone_number_id
        body = body_of(whatsapp_text(pnid, wa_id, text, "wamid." + uuid.uuid4().hex))
        r = requests.post(
            f"http://localhost:{self.settings.rasa_port}/webhooks/whatsapp/webhook",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": meta_signature(body, APP_SECRET),
            },
            timeout=30,
        )
        assert r.status_code == 200, r.text

    def whatsapp_sent(self, wa_id: str) -> list[str]:
        """Texts the bot (or an agent) sent to ``wa_id`` on WhatsApp so far."""
        assert self.whatsapp_api is not None
        api = self.whatsapp_api
        return [
            text
            for r in api.delivered
            if isinstance(r.json, dict)
            and r.json.get("to") == wa_id
            and (text := api.text_of(r.json)) is not None
        ]

    def wait_whatsapp(self, wa_id: str, count: int = 1, timeout: float = 30.0) -> list[str]:
        """Wait until ``wa_id`` received at least ``count`` WhatsApp messages; all of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent = self.whatsapp_sent(wa_id)
            if len(sent) >= count:
                return sent
            time.sleep(0.1)
        raise AssertionError(f"{wa_id} got {self.whatsapp_sent(wa_id)} on WhatsApp")


class _Runner(Runner):
    """``carebot run``'s runner with the test credentials (REST, socket.io, fake WhatsApp)."""

    credentials = ""

    def _credentials(self) -> str:
        return self.credentials


def _credentials(path: Path, whatsapp: FakePlatform) -> Path:
    data = yaml.safe_load((ROOT / "config" / "credentials.yml").read_text())
    creds: Credentials = whatsapp.creds
    data["bot.channels.whatsapp.WhatsAppInput"] = {
        "access_token": creds.token,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "phone_number_id": creds.phone_number_id,
        "api_base": whatsapp.api_base,
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


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
        # every test request comes from 127.0.0.1: the per-IP limit has its own tests
        # (tests/security), here it would only make the suite's pace matter
        "CAREBOT_RATE_LIMIT_PER_IP": "0",
        # every FAQ answer goes to the answer audit (bot.audit): the end-to-end tests see it
        # recorded where the bot answers; the rate's draw has its own tests (tests/audit)
        "CAREBOT_AUDIT_RATE": "1",
    }
    settings = Settings.from_env(env)
    whatsapp = FakePlatform("whatsapp").start()
    # No sweeper: this stack lives for the whole session on the shared test db, where the
    # queue tests write tickets on a fake clock (2023). A real-time sweeper would expire their
    # leases mid-test (CI saw NotHolder in test_metrics). The sweeper has its own tests, and
    # test_e2e_redis_down runs a private stack with one.
    runner = _Runner(settings, workspace=False, sweeper=False)
    runner.credentials = str(_credentials(var / "credentials.yml", whatsapp))
    try:
        runner.start()
        yield Stack(settings, whatsapp)
    finally:
        runner.stop()
        whatsapp.stop()
