"""The console's side pages (``/review`` for trainers, ``/audit`` for supervisors): the page for a
signed-in user with the permission, and its own script and style files, never cached."""

from __future__ import annotations

from pathlib import Path

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.workspace.auth import authenticate

# as bot.workspace.console (importing that module here would be circular)
CONSOLE_DIR = Path(__file__).resolve().parent / "console"


async def side_page(request: Request, html: str, permission: str, refusal: str) -> HTTPResponse:
    """``html`` from the console directory; the sign-in page without a session, 403 with
    ``refusal`` without ``permission``."""
    who = await authenticate(request)
    if who is None:
        return response.redirect("/login", headers={"Cache-Control": "no-store"})
    if not who.can(permission):
        return response.html(refusal, status=403)
    return response.raw((CONSOLE_DIR / html).read_bytes(),
                        content_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


def side_asset(files: dict[str, str], name: str) -> HTTPResponse:
    """One of the page's own files (``files``: name → content type); 404 for anything else."""
    content_type = files.get(name)
    if content_type is None:
        return response.json({"error": "not_found", "message": "Not found."}, status=404)
    return response.raw((CONSOLE_DIR / name).read_bytes(), content_type=content_type,
                        headers={"Cache-Control": "no-cache"})
