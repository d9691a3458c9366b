"""Instagram Direct channel (an Instagram professional account's DMs), name ``instagram``.

Instagram messaging rides on Meta's Messenger Platform: same handshake, same
``X-Hub-Signature-256`` signature, ``object: instagram`` payloads. Replies: Send API, text ≤ 1000
bytes of UTF-8 (counted in bytes, so emoji-heavy text is split earlier), up to 13 quick replies.
Story mentions arrive as ``story_mention`` attachments. Settings: ``INSTAGRAM_ACCESS_TOKEN``,
``INSTAGRAM_APP_SECRET``, ``INSTAGRAM_VERIFY_TOKEN``, ``INSTAGRAM_API_BASE``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bot.channels.idempotency import Deduplicator
from bot.channels.meta import MetaMessagingInput, MetaMessagingOutput, graph_throttle
from bot.channels.outbound import SendClient, utf8_len
from bot.channels.settings import InstagramSettings

CHANNEL = "instagram"


class InstagramOutput(MetaMessagingOutput):
    """Sends replies through the Instagram Messaging Send API."""

    CHANNEL: ClassVar[str] = CHANNEL
    MESSAGING_TYPE: ClassVar[str | None] = None
    text_limit: ClassVar[int] = 1000

    def __init__(self, settings: InstagramSettings, client: SendClient | None = None) -> None:
        super().__init__(
            client or SendClient(CHANNEL, throttle_hook=graph_throttle),
            settings.api_base,
            settings.access_token,
        )

    def measure(self, text: str) -> int:
        return utf8_len(text)

    @classmethod
    def from_env(cls) -> InstagramOutput:
        """Build from the environment (used by ``bot.channels.registry``)."""
        return cls(InstagramSettings.from_env())


class InstagramInput(MetaMessagingInput):
    """Receives Instagram messaging webhooks (``object: instagram``)."""

    OBJECT: ClassVar[str] = "instagram"

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self,
        settings: InstagramSettings,
        deduplicator: Deduplicator | None = None,
        client: SendClient | None = None,
    ) -> None:
        super().__init__(settings.app_secret, settings.verify_token, deduplicator=deduplicator)
        self.settings = settings
        self._client = client or SendClient(CHANNEL, throttle_hook=graph_throttle)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InstagramInput:
        """Credentials from config/credentials.social.yml, falling back to the environment."""
        return cls(InstagramSettings.from_env(overrides=credentials))

    def get_output_channel(self) -> InstagramOutput:
        return InstagramOutput(self.settings, self._client)
