"""Agent accounts, their tokens and console sessions, stored in Redis (no plain secret kept).

Keys (prefix ``carebot`` by default; ``{p}:agent:*`` belongs to the queue, hence ``account``):

==================================  ======  =====================================================
``{p}:accounts``                    set     account names
``{p}:account:{name}``              hash    ``name role token_sha256 created_at rotated_at``
``{p}:account_token:{sha256}``      string  account name for a token hash (lookup index)
``{p}:session:{sha256}``            string  ``name`` and ``token_sha256`` (one line each) of a
                                            console session id's account; expires after
                                            ``CAREBOT_SESSION_HOURS``; rotating the token or
                                            removing the account ends it
==================================  ======  =====================================================

A token is ``cbt_`` + 43 url-safe characters (32 random bytes), shown once at creation. Only its
SHA-256 is stored: with 256 bits of entropy a slow hash (pbkdf2) adds nothing, and SHA-256 keeps
each request's check cheap. The lookup goes through the hash index, then the stored hash is
compared again with :func:`hmac.compare_digest`, so the check takes the same time whatever the
token. A session id (the console's HttpOnly cookie) is stored the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import redis as redis_lib

ROLES = ("agent", "supervisor", "trainer", "admin")

PERMISSIONS: Mapping[str, frozenset[str]] = {
    "agent": frozenset({"read", "decide", "note", "work", "label"}),
    "supervisor": frozenset({"read", "decide", "note", "work", "reassign", "label",
                             "manage_labels", "canned", "audit", "audit_read"}),
    "trainer": frozenset({"read", "decide", "note", "train", "label", "canned", "audit_read"}),
    "admin": frozenset({"read", "decide", "note", "work", "reassign", "accounts", "train",
                        "label", "manage_labels", "canned", "privacy", "audit", "audit_read"}),
}
"""What each role may do.

``read`` list and view tickets, follow live events; ``decide`` ask the bot's decision;
``note`` add internal notes and flag a follower message for the FAQ review list; ``work`` claim,
reply, release, transfer, resolve and hand back the tickets one holds; ``reassign`` transfer or
close any ticket (``force``); ``accounts`` manage accounts (``carebot agents``); ``train``
review FAQ proposals, accept them into ``data/`` and train (``/review``, ``/api/review``);
``label`` add and remove ticket labels; ``manage_labels`` set label colours; ``canned`` create,
edit and delete the team's canned responses (using them needs ``read`` to list, ``work`` to
render one for a ticket).
``privacy`` export everything held about one follower (``GET /api/followers/{id}/export``).
``audit_read`` list the answer audit (the bot's sampled answers and their verdicts, ``/audit``);
``audit`` mark an audited answer right or wrong (a wrong one becomes a trainer proposal)."""

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
TOKEN_PREFIX = "cbt_"


class AccountError(ValueError):
    """A bad account name or role, an existing or a missing account."""


@dataclass(frozen=True)
class Principal:
    """Who makes a request: an account's name and role."""

    name: str
    role: str

    @property
    def permissions(self) -> frozenset[str]:
        return PERMISSIONS.get(self.role, frozenset())

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "permissions": sorted(self.permissions)}


def digest(secret: str) -> str:
    """SHA-256 hex digest of a token or session id."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise AccountError(
            f"account name {name!r}: 1-32 of a-z 0-9 _ . -, starting with a letter or digit"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    return role


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class Accounts:
    """Accounts, tokens and sessions in Redis under one prefix (see the module docstring)."""

    def __init__(
        self,
        redis: redis_lib.Redis[Any],
        prefix: str = "carebot",
        session_seconds: int = 12 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.session_seconds = int(session_seconds)
        self._clock = clock

    # -- keys ---------------------------------------------------------------------------------

    @property
    def _index(self) -> str:
        return f"{self.prefix}:accounts"

    def _account(self, name: str) -> str:
        return f"{self.prefix}:account:{name}"

    def _token(self, token_hash: str) -> str:
        return f"{self.prefix}:account_token:{token_hash}"

    def _session(self, session_hash: str) -> str:
        return f"{self.prefix}:session:{session_hash}"

    # -- accounts -----------------------------------------------------------------------------

    def add(self, name: str, role: str) -> str:
        """Create an account; its token (shown once). :class:`AccountError` if it exists."""
        check_name(name)
        check_role(role)
        token = new_token()
        token_hash = digest(token)
        if not self.redis.sadd(self._index, name):
            raise AccountError(f"account {name!r} exists (rotate its token or remove it)")
        now = repr(self._clock())
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            self._account(name),
            mapping={"name": name, "role": role, "token_sha256": token_hash, "created_at": now,
                     "rotated_at": now},
        )
        pipe.set(self._token(token_hash), name)
        try:
            pipe.execute()
        except BaseException:
            self.redis.srem(self._index, name)
            raise
        return token

    def rotate(self, name: str) -> str:
        """A new token for an existing account; the old one stops working at once."""
        old = self._hash(name)
        token = new_token()
        token_hash = digest(token)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self._token(old["token_sha256"]))
        pipe.hset(self._account(name), mapping={"token_sha256": token_hash,
                                                "rotated_at": repr(self._clock())})
        pipe.set(self._token(token_hash), name)
        pipe.execute()
        return token

    def set_role(self, name: str, role: str) -> None:
        self._hash(name)
        self.redis.hset(self._account(name), "role", check_role(role))

    def remove(self, name: str) -> None:
        """Delete the account and its token (its open console sessions stop working too)."""
        old = self._hash(name)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self._token(old["token_sha256"]), self._account(name))
        pipe.srem(self._index, name)
        pipe.execute()

    def get(self, name: str) -> Principal | None:
        raw = self.redis.hmget(self._account(name), "name", "role")
        if not raw[0] or not raw[1]:
            return None
        return Principal(_text(raw[0]), _text(raw[1]))

    def list(self) -> list[Principal]:
        out = [self.get(_text(n)) for n in self.redis.smembers(self._index)]
        return sorted((p for p in out if p is not None), key=lambda p: p.name)

    def any(self) -> bool:
        """Whether at least one account exists."""
        return bool(self.redis.scard(self._index))

    def has_role(self, role: str) -> bool:
        return any(p.role == role for p in self.list())

    def _hash(self, name: str) -> dict[str, str]:
        raw = self.redis.hgetall(self._account(name))
        if not raw:
            raise AccountError(f"no account {name!r}")
        return {_text(k): _text(v) for k, v in raw.items()}

    # -- authentication -----------------------------------------------------------------------

    def authenticate(self, token: str | None) -> Principal | None:
        """The account a token belongs to, or None (unknown, malformed or revoked)."""
        if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        token_hash = digest(token)
        name = self.redis.get(self._token(token_hash))
        if name is None:
            return None
        raw = self.redis.hmget(self._account(_text(name)), "role", "token_sha256")
        if not raw[0] or not raw[1] or not hmac.compare_digest(_text(raw[1]), token_hash):
            return None
        return Principal(_text(name), _text(raw[0]))

    # -- console sessions ---------------------------------------------------------------------

    def open_session(self, principal: Principal) -> str:
        """A new session id for the console cookie (stored hashed, expires)."""
        token_hash = self._hash(principal.name)["token_sha256"]
        session_id = secrets.token_urlsafe(32)
        self.redis.set(self._session(digest(session_id)), f"{principal.name}\n{token_hash}",
                       ex=self.session_seconds)
        return session_id

    def session(self, session_id: str | None) -> Principal | None:
        """The account of a live session (with its current role), or None."""
        if not session_id or len(session_id) > 200:
            return None
        value = self.redis.get(self._session(digest(session_id)))
        if value is None:
            return None
        name, _, token_hash = _text(value).partition("\n")
        raw = self.redis.hmget(self._account(name), "role", "token_sha256")
        if not raw[0] or not raw[1] or not hmac.compare_digest(_text(raw[1]), token_hash):
            return None
        return Principal(name, _text(raw[0]))

    def close_session(self, session_id: str | None) -> None:
        if session_id and len(session_id) <= 200:
            self.redis.delete(self._session(digest(session_id)))
