"""Server-issued identities of REST and web-chat followers: a conversation id and its token.

On first contact the server makes up the follower's conversation id (``rest:<32 hex>``,
``socketio:<32 hex>``) and hands it out with a secret token; every later request for that
conversation (a message, reading the REST inbox, resuming a web-chat session) must present the
token, else it is refused. A client can therefore neither choose its sender id (and land in
someone else's conversation) nor read replies meant for another follower.

The token is ``base64url(HMAC-SHA256(secret, conversation id))``: nothing is stored per
follower (first contacts write nothing), and checking works while Redis is down once a process
knows the secret. The secret is 32 random bytes kept in Redis (``Keys.follower_secret``, set once
with ``SET NX`` by whichever process needs it first, then cached by each process), so every
instance on every host agrees. Tokens are compared in constant time, on bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading

import redis

from bot import redis as bot_redis
from bot.channels.ids import conversation_id
from bot.queue.keys import Keys
from bot.settings import get_settings

ISSUED_CHANNELS = ("rest", "socketio")
_CONTEXT = b"carebot follower token v1\x00"


class TokensUnavailable(RuntimeError):
    """The secret is not known yet and Redis cannot be reached to read it."""


def _sign(secret: bytes, conversation: str) -> bytes:
    digest = hmac.new(secret, _CONTEXT + conversation.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=")


class FollowerTokens:
    """Issues conversation ids with their tokens and checks presented tokens."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the follower token secret must have at least 16 bytes")
        self._secret = secret

    def issue(self, channel: str) -> tuple[str, str]:
        """A new conversation id on ``channel`` and its token."""
        if channel not in ISSUED_CHANNELS:
            raise ValueError(f"{channel!r} followers are identified by their platform")
        conversation = conversation_id(channel, secrets.token_hex(16))
        return conversation, self.token(conversation)

    def token(self, conversation: str) -> str:
        return _sign(self._secret, conversation).decode("ascii")

    def valid(self, conversation: str, token: str | None) -> bool:
        """Whether ``token`` is the one issued with ``conversation`` (constant time, bytes)."""
        if not token or not conversation:
            return False
        given = token.encode("utf-8", "replace")
        return hmac.compare_digest(_sign(self._secret, conversation), given)


def load_secret(client: redis.Redis, prefix: str) -> bytes:
    """The shared secret from Redis, created by the first process that asks for it."""
    key = Keys(prefix).follower_secret
    client.set(key, secrets.token_hex(32), nx=True)
    value = client.get(key)
    if not value:
        raise TokensUnavailable(f"{key} could not be read back")
    return value.encode("ascii") if isinstance(value, str) else bytes(value)


_tokens: FollowerTokens | None = None
_lock = threading.Lock()


def tokens() -> FollowerTokens:
    """The process's token issuer (blocking: reads the secret from ``REDIS_URL`` once).

    Raises:
        TokensUnavailable: Redis cannot be reached and the secret is not cached yet.
    """
    global _tokens
    with _lock:
        if _tokens is None:
            settings = get_settings()
            client = bot_redis.client(settings.redis_url, timeout=1.0)
            try:
                _tokens = FollowerTokens(load_secret(client, settings.queue_prefix))
            except redis.RedisError as error:
                raise TokensUnavailable(f"Redis unavailable: {type(error).__name__}") from None
            finally:
                client.close()
        return _tokens


def cached() -> FollowerTokens | None:
    """The issuer if the secret is already known (no I/O), else None."""
    return _tokens


def reset() -> None:
    """Forget the cached secret (tests: a flushed db, another Redis)."""
    global _tokens
    with _lock:
        _tokens = None
