"""``python -m bot.rasa_ext.serve run …``: Rasa's own command line, with carebot's extensions of
Rasa's internals applied first (:func:`bot.rasa_ext.patches.apply`).

This is the one place the patches are applied: the Rasa server that ``carebot run`` and the
container image start is this module; importing any other carebot module changes nothing in
Rasa. The arguments are ``rasa``'s (``run --enable-api --port 5005 …``).

On a Rasa version other than the one the patches were written for, it prints why and what to do,
and exits with status 2 before Rasa starts. When the server stops, the aiohttp sessions the
session-reuse patch opened are closed: an ``after_server_stop`` listener, given to Rasa's
``serve_application`` (its ``server_listeners`` argument) by a plugin on Rasa's own plugin hook
``configure_commandline`` (:class:`CloseActionSessions`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

import pluggy

logger = logging.getLogger("bot.rasa_ext.serve")  # not "__main__" when run with -m
hookimpl = pluggy.HookimplMarker("rasa")
EXIT_WRONG_RASA = 2


async def close_action_sessions(app: Any, loop: Any) -> None:
    """Sanic ``after_server_stop`` listener: close the sessions to the action server."""
    from bot.rasa_ext.patches import action_sessions

    closed = await action_sessions.close_sessions()
    logger.info(f"Closed {closed} HTTP session(s) to the action server.")


class CloseActionSessions:
    """Rasa plugin: adds :func:`close_action_sessions` to the server's ``after_server_stop``
    listeners (``rasa run`` passes its parsed arguments on to ``serve_application``)."""

    @hookimpl  # type: ignore[misc]
    def configure_commandline(self, cmdline_arguments: argparse.Namespace) -> None:
        listeners = list(getattr(cmdline_arguments, "server_listeners", None) or [])
        listeners.append((close_action_sessions, "after_server_stop"))
        cmdline_arguments.server_listeners = listeners


def main() -> None:
    from bot.rasa_ext import patches

    try:
        patches.apply()
    except patches.RasaVersionMismatch as error:
        print(f"carebot: refusing to start Rasa: {error}", file=sys.stderr)
        raise SystemExit(EXIT_WRONG_RASA) from None
    from rasa.__main__ import main as rasa_main
    from rasa.plugin import plugin_manager

    plugin_manager().register(CloseActionSessions())
    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
