"""Sending a message through a social channel by name — used for agents' replies.

``send_text("whatsapp", wa_id, "Hi, Ana from support here")`` delivers through the same channel,
splitting and retrying like the bot's own replies. Unlike the bot's replies it raises
``DeliveryFailed`` (the caller, the agent workspace, shows the error to the agent); the output
channel is built from the environment on first use and cached.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from bot.channels.delivery import SocialOutput
from bot.channels.outbound import DeliveryFailed

__all__ = ["CHANNELS", "DeliveryFailed", "UnknownChannel", "output_channel", "send_text"]

# channel name → "module:OutputClass"; imported lazily so unused platforms cost nothing
CHANNELS: dict[str, str] = {
    "messenger": "bot.channels.messenger:MessengerOutput",
    "instagram": "bot.channels.instagram:InstagramOutput",
    "whatsapp": "bot.channels.whatsapp:WhatsAppOutput",
    "x": "bot.channels.x:XOutput",
    "telegram": "bot.channels.telegram:TelegramOutput",
}

_outputs: dict[str, SocialOutput] = {}
_lock = threading.Lock()


class UnknownChannel(ValueError):
    """The channel has no outbound connector (e.g. ``rest`` or ``socketio``)."""


def output_channel(channel: str) -> SocialOutput:
    """The (cached) output channel for ``channel``, configured from the environment.

    Raises:
        UnknownChannel: not a social channel.
        ChannelConfigError: the channel's environment variables are missing or malformed.
    """
    with _lock:
        output = _outputs.get(channel)
        if output is None:
            target = CHANNELS.get(channel)
            if target is None:
                raise UnknownChannel(f"no outbound connector for channel {channel!r}")
            module_name, class_name = target.split(":")
            cls: Any = getattr(importlib.import_module(module_name), class_name)
            output = cls.from_env()
            _outputs[channel] = output
        return output


def reset() -> None:
    """Forget cached output channels (after the environment changed)."""
    with _lock:
        _outputs.clear()


def send_text(
    channel: str, recipient: str, text: str, buttons: list[dict[str, Any]] | None = None
) -> None:
    """Deliver ``text`` (with optional buttons) to ``recipient`` on ``channel``; blocking.

    Raises:
        DeliveryFailed: the platform refused it, or retries were exhausted.
    """
    output_channel(channel).deliver_sync(recipient, text, buttons)
