"""How carebot authenticates to Rasa's HTTP API: a short-lived JWT in a header, never a URL.

Rasa 3.6 (``rasa.server.requires_auth``) accepts its ``--auth-token`` only as the ``?token=``
query parameter, which ends up in access logs, proxies' logs and error messages (requests puts
the URL in its exceptions). Its other mechanism is a JWT in ``Authorization: Bearer``, checked
with ``--jwt-secret``. So the Rasa server is started with both, keyed with the same secret
(:func:`server_args`, added by ``bot.rasa_ext.serve``), and carebot's clients send a JWT signed
with it (:func:`auth_headers`): HS256, ``{"user": {"username": "carebot", "role": "admin"}}``
(Rasa's admin scope: every conversation), expiring after a few minutes.
"""

from __future__ import annotations

import time

import jwt

JWT_METHOD = "HS256"
LIFETIME_SECONDS = 300


def bearer_token(secret: str, lifetime: float = LIFETIME_SECONDS) -> str:
    """A JWT Rasa accepts as an admin, valid for ``lifetime`` seconds."""
    payload = {"user": {"username": "carebot", "role": "admin"},
               "exp": int(time.time() + lifetime)}
    return jwt.encode(payload, secret, algorithm=JWT_METHOD)


def auth_headers(secret: str) -> dict[str, str]:
    """Headers authenticating a request to Rasa's HTTP API (none without a secret)."""
    return {"Authorization": f"Bearer {bearer_token(secret)}"} if secret else {}


def server_args(secret: str) -> list[str]:
    """``rasa run`` options that require ``secret`` on every HTTP API route."""
    return ["--auth-token", secret, "--jwt-secret", secret, "--jwt-method", JWT_METHOD]
