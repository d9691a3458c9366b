"""Facebook Messenger channel (a Page's inbox), name ``messenger``.

Webhook: ``/webhooks/messenger/webhook`` (GET handshake, POST events signed with
``X-Hub-Signature-256``). Replies: Send API, text ≤ 2000 characters, up to 13 quick replies.
Settings: ``MESSENGER_PAGE_ACCESS_TOKEN``, ``MESSENGER_APP_SECRET``, ``MESSENGER_VERIFY_TOKEN``,
``MESSENGER_API_BASE`` (see ``bot.channels.settings.MessengerSettings``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from bot.channels.idempotency import Deduplicator
from bot.channels.meta import MetaMessagingInput, MetaMessagingOutput, graph_throttle
from bot.channels.outbound import SendClient
from bot.channels.settings import MessengerSettings

CHANNEL = "messenger"


class MessengerOutput(MetaMessagingOutput):
    """Sends replies through the Messenger Send API."""

    CHANNEL: ClassVar[str] = CHANNEL
    text_limit: ClassVar[int] = 2000

    def __init__(self, settings: MessengerSettings, client: SendClient | None = None) -> None:
        super().__init__(
            client or SendClient(CHANNEL, throttle_hook=graph_throttle),
            settings.api_base,
            settings.page_access_token,
        )

    @classmethod
    def from_env(cls) -> MessengerOutput:
        """Build from the environment (used by ``bot.channels.registry``)."""
        return cls(MessengerSettings.from_env())


class MessengerInput(MetaMessagingInput):
    """Receives Messenger webhooks (``object: page``)."""

    OBJECT: ClassVar[str] = "page"

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self,
        settings: MessengerSettings,
        deduplicator: Deduplicator | None = None,
        client: SendClient | None = None,
    ) -> None:
        super().__init__(settings.app_secret, settings.verify_token, deduplicator=deduplicator)
        self.settings = settings
        self._client = client or SendClient(CHANNEL, throttle_hook=graph_throttle)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> MessengerInput:
        """Credentials from config/credentials.social.yml, falling back to the environment."""
        return cls(MessengerSettings.from_env(overrides=credentials))

    def get_output_channel(self) -> MessengerOutput:
        return MessengerOutput(self.settings, self._client)
