"""The agent workspace: HTTP API + web console for care agents (``carebot workspace``).

Modules: :mod:`~bot.workspace.app` (Sanic app factory, ``serve``), :mod:`~bot.workspace.api`
(queue operations), :mod:`~bot.workspace.events` (live updates), :mod:`~bot.workspace.auth` and
:mod:`~bot.workspace.accounts` (tokens, roles, sessions), :mod:`~bot.workspace.openapi`,
:mod:`~bot.workspace.console` (pages) and ``console/`` (HTML, CSS, JS; no build step).
Importing this package is cheap: the web stack loads only when the app is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sanic import Sanic

    from bot.settings import Settings


def create_app(settings: Settings | None = None) -> Sanic:
    from bot.workspace.app import create_app as _create_app

    return _create_app(settings)


def serve(settings: Settings | None = None, port: int | None = None, host: str | None = None,
          **_: Any) -> None:
    from bot.workspace.app import serve as _serve

    _serve(settings, port=port, host=host)


__all__ = ["create_app", "serve"]
