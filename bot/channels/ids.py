"""Conversation ids: ``<channel>:<platform id>``, one namespace per channel.

The sender id every input channel hands to Rasa (the tracker's ``sender_id``) carries its
channel: ``whatsapp:15550001`` (a phone number), ``telegram:4242``, ``rest:3f2a…`` and
``socketio:9c1e…`` (ids the server issued, see ``bot.channels.follower_tokens``). A REST caller
can therefore never land in a WhatsApp follower's conversation, whatever it claims, and the
channel of a conversation is read from its id, never from a client-supplied ``input_channel``.

Output channels strip their own prefix to reach the platform id (and refuse an id of another
channel); tickets store the channel and the platform id separately (``Ticket.channel``,
``Ticket.sender``), so :func:`conversation_id` rebuilds the tracker's id from a ticket.
"""

from __future__ import annotations

import re

CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
LEGACY_CHANNEL = "unknown"
"""The channel given to a conversation id without a prefix (from before namespacing)."""


class ForeignConversation(ValueError):
    """A conversation id that does not belong to the channel asked to deliver to it."""


def conversation_id(channel: str, platform_id: str) -> str:
    """The Rasa sender id of ``platform_id`` on ``channel``: ``whatsapp:15550001`` (the id
    itself for the ``unknown`` channel of :func:`split`)."""
    if channel == LEGACY_CHANNEL:
        return platform_id
    if not CHANNEL_NAME.match(channel):
        raise ValueError(f"not a channel name: {channel!r}")
    if not platform_id:
        raise ValueError("empty platform id")
    return f"{channel}:{platform_id}"


def split(conversation: str) -> tuple[str, str]:
    """``(channel, platform id)`` of a conversation id; an id without a channel prefix (from
    before conversation ids were namespaced) is ``("unknown", id)``."""
    channel, sep, platform_id = conversation.partition(":")
    if sep and platform_id and CHANNEL_NAME.match(channel):
        return channel, platform_id
    return LEGACY_CHANNEL, conversation


def platform_id(channel: str, conversation: str) -> str:
    """The platform id inside ``conversation``, which must be ``channel``'s.

    Raises:
        ForeignConversation: the id is another channel's (or has no channel).
    """
    prefix = f"{channel}:"
    if not conversation.startswith(prefix) or len(conversation) == len(prefix):
        raise ForeignConversation(f"{conversation!r} is not a {channel} conversation")
    return conversation[len(prefix) :]
