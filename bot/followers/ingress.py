"""Capturing followers at ingress: every message a platform webhook delivers updates its
follower's profile (:meth:`bot.followers.book.FollowerBook.seen`): name and handle where the
platform gives them, first / last seen, the last message id.

Called by ``bot.channels.base.WebhookInput`` on the send executor, before the message is handed
to Rasa. It never raises: a follower must be answered whether or not Redis keeps their profile.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis as redis_lib

from bot import redis as bot_redis
from bot.followers.book import BadConversation, Conversation, FollowerBook

logger = logging.getLogger(__name__)

_books: dict[tuple[str, str], FollowerBook] = {}
_lock = threading.Lock()


def book_for(url: str, prefix: str) -> FollowerBook:
    """One book (and Redis client, short timeouts) per Redis URL and prefix."""
    with _lock:
        book = _books.get((url, prefix))
        if book is None:
            client: redis_lib.Redis[Any] = bot_redis.client(url, decode=False, timeout=1.0)
            book = FollowerBook(client, prefix=prefix)
            _books[(url, prefix)] = book
        return book


def remember(channel: str, sender: str, message_id: str, profile: dict[str, str]) -> None:
    """Record that ``sender`` wrote on ``channel`` (logs instead of raising)."""
    from bot.channels import settings  # the channels' view of REDIS_URL and the prefix

    try:
        conv = Conversation.parse(channel, sender)
        book = book_for(settings.redis_url(), settings.queue_prefix())
        book.seen(conv, name=profile.get("name", ""), handle=profile.get("handle", ""),
                  message_id=message_id)
    except BadConversation:
        logger.info("%s: follower id %r not recorded (not an id we keep)", channel, sender)
    except Exception as exc:  # Redis down, bad settings: the message goes on regardless
        logger.warning("%s: follower %s not recorded (%s)", channel, sender, exc)
