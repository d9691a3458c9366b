"""``carebot run``: the whole product on one machine (:mod:`bot.process.runner`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.cli.common import Subparsers


def cmd_run(args: argparse.Namespace) -> int:
    from bot.process.runner import run

    return run(workspace=not args.no_workspace)


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("run", help="run the whole product (Redis, bot, actions, web chat)")
    p.add_argument("--no-workspace", action="store_true", help="do not start the agent workspace")
    p.set_defaults(func=cmd_run)
