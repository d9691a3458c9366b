"""Facebook Messenger channel (a Page's inbox), name ``messenger``.

Webhook: ``/webhooks/messenger/webhook`` (GET handshake, POST events signed with
``X-Hub-Signature-256``). Replies: Send API, text ≤ 2000 characters, up to 13 quick replies.
Settings: ``MESSENGER_PAGE_ACCESS_TOKEN``, ``MESSENGER_APP_SECRET``, ``MESSENGER_VERIFY_TOKEN``,
``MESSENGER_API_BASE`` (see ``bot.channels.settings.MessengerSettings``). Everything else is the
Messenger Platform's, shared with Instagram in ``bot.channels.meta``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bot.channels.meta import MetaMessagingInput, MetaMessagingOutput
from bot.channels.settings import MessengerSettings

CHANNEL = "messenger"


class MessengerOutput(MetaMessagingOutput):
    """Sends replies through the Messenger Send API."""

    CHANNEL: ClassVar[str] = CHANNEL
    text_limit: ClassVar[int] = 2000


class MessengerInput(MetaMessagingInput):
    """Receives Messenger webhooks (``object: page``)."""

    CHANNEL: ClassVar[str] = CHANNEL
    OBJECT: ClassVar[str] = "page"
    SETTINGS: ClassVar[Any] = MessengerSettings
    OUTPUT: ClassVar[Any] = MessengerOutput
