"""``carebot workspace``: the agent console and HTTP API (:mod:`bot.workspace`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.settings import get_settings

if TYPE_CHECKING:
    from bot.cli.common import Subparsers


def cmd_workspace(args: argparse.Namespace) -> int:
    from bot.workspace import serve

    serve(get_settings(), port=args.port, host=args.host)
    return 0


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("workspace", help="the agent workspace: web console + HTTP API")
    p.add_argument("--port", type=int, help="default: CAREBOT_WORKSPACE_PORT (8000)")
    p.add_argument("--host", help="default: CAREBOT_WORKSPACE_HOST (127.0.0.1)")
    p.set_defaults(func=cmd_workspace)
