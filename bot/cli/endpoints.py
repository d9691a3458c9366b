"""``carebot endpoints``: write the ``endpoints.yml`` one Rasa instance runs with (containers:
its own action server, and the workspace as model server when ``CAREBOT_MODEL_SERVER_URL``
is set); ``carebot run`` writes the same through :mod:`bot.process.endpoints`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def cmd_endpoints(args: argparse.Namespace) -> int:
    from bot.process.endpoints import write_endpoints
    from bot.settings import get_settings

    settings = get_settings()
    write_endpoints(settings, args.actions_url, Path(args.out),
                    model_server=bool(settings.model_server_url))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("endpoints", help="write a Rasa instance's endpoints.yml "
                              "(action server, model server)")
    p.add_argument("--actions-url", required=True, help="e.g. http://actions1:5055/webhook")
    p.add_argument("--out", required=True, help="where to write it (mode 0600)")
    p.set_defaults(func=cmd_endpoints)
