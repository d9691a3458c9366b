"""Who is calling: a bearer token (API, CLI) or the console's session cookie, and may they.

- ``Authorization: Bearer cbt_…`` authenticates any request.
- The console signs in once (``POST /api/session`` with the token) and then uses an HttpOnly,
  ``SameSite=Strict`` cookie; ``EventSource`` (live updates) cannot send headers, cookies it can.
  A cookie-authenticated request that changes something must also carry ``X-Carebot-CSRF: 1``
  (a custom header a cross-site form cannot send).
- Missing, wrong or revoked credentials: 401; a role without the permission: 403
  (:data:`bot.workspace.accounts.PERMISSIONS`). Both bodies are fixed texts.
- The cookie is ``Secure`` when the request came over TLS (:func:`over_tls`): directly, or
  through a TLS proxy that says so in ``X-Forwarded-Proto``, believed only from the addresses
  in ``CAREBOT_TRUSTED_PROXIES`` (anyone else could send the header).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Coroutine

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.workspace.accounts import Principal
from bot.workspace.errors import ApiError, forbidden, unauthorized
from bot.workspace.service import Workspace

SESSION_COOKIE = "carebot_session"
CSRF_HEADER = "x-carebot-csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse | None]]


def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.ctx.workspace
    return ws


def over_tls(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or via a trusted TLS proxy)."""
    info = request.conn_info
    if info is not None and info.ssl:
        return True
    if info is None or not workspace(request).settings.is_trusted_proxy(info.client_ip):
        return False
    proto = request.headers.get("x-forwarded-proto", "")
    return proto.split(",")[0].strip().lower() == "https"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(request: Request) -> Principal | None:
    """The caller's account, or None. Bearer first; else the session cookie (CSRF-checked)."""
    ws = workspace(request)
    if "authorization" in request.headers:
        token = bearer_token(request)
        return await ws.call(ws.accounts.authenticate, token) if token else None
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return None
    principal = await ws.call(ws.accounts.session, session)
    if principal is not None and request.method not in SAFE_METHODS:
        if request.headers.get(CSRF_HEADER) != "1":
            raise ApiError(403, "csrf", "Missing the X-Carebot-CSRF header.")
    return principal


def requires(permission: str) -> Callable[[Handler], Handler]:
    """Decorator: 401 without valid credentials, 403 without ``permission``;
    the caller is ``request.ctx.principal`` inside the handler."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse | None:
            principal = await authenticate(request)
            if principal is None:
                raise unauthorized()
            if not principal.can(permission):
                raise forbidden()
            request.ctx.principal = principal
            return await handler(request, *args, **kwargs)

        wrapped.__dict__["carebot_permission"] = permission
        return wrapped

    return decorate


def principal(request: Request) -> Principal:
    """The authenticated caller (inside a :func:`requires` handler)."""
    p: Principal = request.ctx.principal
    return p
