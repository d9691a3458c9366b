"""Masking at ingress: card numbers leave a follower's text before Rasa sees the message.

Rasa stores the text an input channel hands it (``UserUttered`` in the tracker, then the ticket,
the spool, exports, logs), so the mask is applied where each channel hands a message over: every
input channel wraps Rasa's ``on_new_message`` callback with :func:`masking` (the social
channels in ``bot.channels.base.WebhookInput.blueprint``, REST and socket.io in
``bot.channels.web``). What is masked: ``bot.nlu.pii.detect.mask``.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage

from bot.nlu.pii.detect import mask

Handler = Callable[[UserMessage], Awaitable[Any]]


def masking(on_new_message: Handler) -> Handler:
    """``on_new_message`` receiving messages whose card numbers are masked."""

    async def handler(message: UserMessage) -> Any:
        if message.text:
            message.text = mask(message.text)
        return await on_new_message(message)

    return handler
