"""The web console: ``/`` (the agent screen), ``/login``, static files, ``/openapi.json``.

Plain HTML, CSS and JavaScript from ``bot/workspace/console/``: nothing to build. The console
page needs a signed-in session (else a redirect to ``/login``); the login page and the static
files hold no data. Every response gets strict security headers (no inline script, no framing).
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse

from bot.workspace import openapi
from bot.workspace.auth import authenticate, requires

CONSOLE_DIR = Path(__file__).resolve().parent / "console"
STATIC_FILES = {
    "api.js": "text/javascript; charset=utf-8",
    "render.js": "text/javascript; charset=utf-8",
    "queue_list.js": "text/javascript; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "flag.js": "text/javascript; charset=utf-8",
    "canned.js": "text/javascript; charset=utf-8",
    "labels.js": "text/javascript; charset=utf-8",
    "search.js": "text/javascript; charset=utf-8",
    "presence.js": "text/javascript; charset=utf-8",
    "window.js": "text/javascript; charset=utf-8",
    "contact.js": "text/javascript; charset=utf-8",
    "tone_flag.js": "text/javascript; charset=utf-8",
    "attach.js": "text/javascript; charset=utf-8",
    "overview.js": "text/javascript; charset=utf-8",
    "login.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

bp = Blueprint("console")


def _file(name: str, content_type: str) -> HTTPResponse:
    body = (CONSOLE_DIR / name).read_bytes()
    return response.raw(body, content_type=content_type, headers={"Cache-Control": "no-cache"})


@bp.get("/")
async def index(request: Request) -> HTTPResponse:
    if await authenticate(request) is None:
        return response.redirect("/login", headers={"Cache-Control": "no-store"})
    return _file("index.html", "text/html; charset=utf-8")


@bp.get("/login")
async def login(request: Request) -> HTTPResponse:
    return _file("login.html", "text/html; charset=utf-8")


@bp.get("/static/<name:str>")
async def static(request: Request, name: str) -> HTTPResponse:
    content_type = STATIC_FILES.get(name)
    if content_type is None:
        return response.json({"error": "not_found", "message": "Not found."}, status=404)
    return _file(name, content_type)


@bp.get("/healthz")
async def healthz(request: Request) -> HTTPResponse:
    """Liveness for process managers (no data, no auth)."""
    return response.json({"status": "ok"})


@bp.get("/openapi.json")
@requires("read")
async def openapi_json(request: Request) -> HTTPResponse:
    return response.json(openapi.document())


def add_security_headers(request: Request, res: BaseHTTPResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        res.headers.setdefault(name, value)
