"""Instagram Direct channel (an Instagram professional account's DMs), name ``instagram``.

Instagram messaging rides on Meta's Messenger Platform: same handshake, same
``X-Hub-Signature-256`` signature, ``object: instagram`` payloads (``bot.channels.meta``). Replies:
Send API, text ≤ 1000 bytes of UTF-8 (counted in bytes, so emoji-heavy text is split earlier), up
to 13 quick replies, no ``messaging_type``. Story mentions arrive as ``story_mention`` attachments.
Settings: ``INSTAGRAM_ACCESS_TOKEN``, ``INSTAGRAM_APP_SECRET``, ``INSTAGRAM_VERIFY_TOKEN``,
``INSTAGRAM_API_BASE``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bot.channels.meta import MetaMessagingInput, MetaMessagingOutput
from bot.channels.outbound import utf8_len
from bot.channels.settings import InstagramSettings

CHANNEL = "instagram"


class InstagramOutput(MetaMessagingOutput):
    """Sends replies through the Instagram Messaging Send API."""

    CHANNEL: ClassVar[str] = CHANNEL
    MESSAGING_TYPE: ClassVar[str | None] = None
    text_limit: ClassVar[int] = 1000

    def measure(self, text: str) -> int:
        return utf8_len(text)


class InstagramInput(MetaMessagingInput):
    """Receives Instagram messaging webhooks (``object: instagram``)."""

    CHANNEL: ClassVar[str] = CHANNEL
    OBJECT: ClassVar[str] = "instagram"
    SETTINGS: ClassVar[Any] = InstagramSettings
    OUTPUT: ClassVar[Any] = InstagramOutput
