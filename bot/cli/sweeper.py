"""``carebot sweeper``: the queue's upkeep as its own process (containers; ``carebot run`` runs
it in a thread): expired claims back to the queue, aging, escalations spooled while Redis was
down delivered, retention. Stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any


def cmd_sweeper(args: argparse.Namespace) -> int:
    from bot.queue.sweeper import from_settings
    from bot.settings import get_settings

    settings = get_settings()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # PID 1 in a container has no default handler
        signal.signal(sig, lambda *_: stop.set())
    from_settings(settings).run_forever(stop)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("sweeper", help="the queue's upkeep process: lease expiry, aging, "
                              "spool delivery, retention")
    p.set_defaults(func=cmd_sweeper)
