"""Typing indicators and read receipts to followers, sent by the workspace while an agent works.

The workspace process has the same environment as the Rasa server (``carebot run``), so it
builds a channel's settings (``bot.channels.settings``) on first use; a channel that is not
configured there simply gets no signals. Nothing here imports Rasa. The wire formats:

================  ==========================================  ====================================
platform          typing                                      read receipt
================  ==========================================  ====================================
Messenger,        ``POST {base}/me/messages`` ``{"recipient":  the same with ``"sender_action":
Instagram         {"id"}, "sender_action": "typing_on"}``     "mark_seen"``
WhatsApp          ``POST {base}/{phone}/messages``            the same without the typing
                  ``{"messaging_product": "whatsapp",         indicator (needs the follower's
                  "status": "read", "message_id": wamid,      last message id)
                  "typing_indicator": {"type": "text"}}``
                  (marks the message read too)
Telegram          ``POST {base}/bot{token}/sendChatAction``   none (bots cannot)
                  ``{"chat_id", "action": "typing"}``
X                 ``POST {base}/1.1/direct_messages/``        ``…/mark_read.json?last_read_event_id
                  ``indicate_typing.json?recipient_id=…``     =…&recipient_id=…`` (OAuth 1.0a)
================  ==========================================  ====================================

Signals are best effort: one attempt, short timeouts (``SIGNAL_CLIENT``), and the caller logs a
``DeliveryFailed`` instead of showing it to the agent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from bot.channels import settings as channel_settings
from bot.channels.outbound import SendClient

logger = logging.getLogger(__name__)

SETTINGS: dict[str, Any] = {
    "messenger": channel_settings.MessengerSettings,
    "instagram": channel_settings.InstagramSettings,
    "whatsapp": channel_settings.WhatsAppSettings,
    "telegram": channel_settings.TelegramSettings,
    "x": channel_settings.XSettings,
}
TYPING = "typing"
READ = "read"
KINDS = (TYPING, READ)


class PlatformSignals:
    """Sends typing indicators and read receipts through the platforms' APIs (blocking)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = env
        self._settings: dict[str, Any] = {}
        self._clients: dict[str, SendClient] = {}
        self._lock = threading.Lock()

    def settings_for(self, channel: str) -> Any | None:
        """The channel's settings, or None when it is not a platform or not configured."""
        with self._lock:
            if channel not in self._settings:
                cls = SETTINGS.get(channel)
                try:
                    self._settings[channel] = cls.from_env(self._env) if cls else None
                except channel_settings.ChannelConfigError as exc:
                    logger.info("no typing / read signals on %s: %s", channel, exc)
                    self._settings[channel] = None
            return self._settings[channel]

    def _client(self, channel: str) -> SendClient:
        with self._lock:
            client = self._clients.get(channel)
            if client is None:
                client = SendClient(channel, max_attempts=1, connect_timeout=2.0,
                                    read_timeout=5.0)
                self._clients[channel] = client
            return client

    def supports(self, channel: str, kind: str) -> bool:
        """Whether ``kind`` (``typing`` / ``read``) can be sent on ``channel`` here."""
        if kind == READ and channel == "telegram":
            return False
        return self.settings_for(channel) is not None

    def send(self, kind: str, channel: str, sender: str, message_id: str = "") -> bool:
        """Send one signal; False when the channel cannot (not configured, no message id).

        Raises:
            DeliveryFailed: the platform refused it or could not be reached.
        """
        s = self.settings_for(channel)
        if s is None or kind not in KINDS:
            return False
        client = self._client(channel)
        if channel in ("messenger", "instagram"):
            action = "typing_on" if kind == TYPING else "mark_seen"
            client.post_json(f"{s.api_base}/me/messages",
                             {"recipient": {"id": sender}, "sender_action": action},
                             params={"access_token": s.send_token})
            return True
        if channel == "whatsapp":
            if not message_id:
                return False
            body: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read",
                                    "message_id": message_id}
            if kind == TYPING:
                body["typing_indicator"] = {"type": "text"}
            client.post_json(f"{s.api_base}/{s.phone_number_id}/messages", body,
                             headers={"Authorization": f"Bearer {s.access_token}"})
            return True
        if channel == "telegram":
            if kind != TYPING:
                return False
            client.post_json(f"{s.api_base}/bot{s.bot_token}/sendChatAction",
                             {"chat_id": sender, "action": "typing"})
            return True
        if channel == "x":
            return self._x(client, s, kind, sender, message_id)
        return False

    @staticmethod
    def _x(client: SendClient, s: Any, kind: str, sender: str, message_id: str) -> bool:
        from requests_oauthlib import OAuth1

        auth = OAuth1(s.consumer_key, s.consumer_secret, s.access_token, s.access_token_secret)
        if kind == TYPING:
            client.post_json(f"{s.api_base}/1.1/direct_messages/indicate_typing.json", None,
                             params={"recipient_id": sender}, auth=auth)
            return True
        if not message_id:
            return False
        client.post_json(f"{s.api_base}/1.1/direct_messages/mark_read.json", None,
                         params={"last_read_event_id": message_id, "recipient_id": sender},
                         auth=auth)
        return True
