"""``ChannelEnv``: one input channel served by a live app, replying to its fake platform.

A test module subclasses it to say how its platform signs webhooks (``headers_for``) and to add
payload helpers; the ``serve_channel`` fixture (``tests/fakes/fixtures.py``) builds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from rasa.core.channels.channel import UserMessage

from bot.channels.base import WebhookInput
from tests.fakes.live_app import LiveApp
from tests.fakes.payloads import body_of, meta_signature, post
from tests.fakes.platforms import FakePlatform

APP_SECRET = "app-secret-0123456789"
VERIFY_TOKEN = "verify-me-please"
META_AUTH = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}  # Meta settings fields


@dataclass
class ChannelEnv:
    app: LiveApp
    fake: FakePlatform
    channel: WebhookInput[Any]

    @property
    def url(self) -> str:
        return self.app.url(self.channel.name())

    @property
    def messages(self) -> list[UserMessage]:
        """What reached Rasa (the fake agent)."""
        return self.app.agent.messages

    def headers_for(self, body: bytes, secret: Any) -> dict[str, str]:
        """The platform's authentication headers for ``body`` (none by default)."""
        return {}

    def post_raw(self, body: bytes, secret: Any = None) -> requests.Response:
        """POST raw ``body`` (not JSON-encoded), signed with ``secret`` (None: the right one)."""
        return post(self.url, body, self.headers_for(body, secret))

    def send(
        self, payload: object, secret: Any = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        """POST ``payload`` to the webhook, signed with ``secret`` (None: the right one)."""
        body = body_of(payload)
        return post(self.url, body, {**self.headers_for(body, secret), **(headers or {})})


class MetaEnv(ChannelEnv):
    """Messenger Platform / WhatsApp Cloud: ``X-Hub-Signature-256`` keyed with the app secret."""

    def headers_for(self, body: bytes, secret: Any) -> dict[str, str]:
        return {"X-Hub-Signature-256": meta_signature(body, secret or APP_SECRET)}
