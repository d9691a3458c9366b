"""``python -m bot.rasa_ext.serve run …``: Rasa's own command line, with carebot's extensions of
Rasa's internals applied first (:func:`bot.rasa_ext.patches.apply`) and its HTTP API locked.

This is the one place the patches are applied: the Rasa server that ``carebot run`` and the
container image start is this module; importing any other carebot module changes nothing in
Rasa. The arguments are ``rasa``'s (``run --enable-api --port 5005 …``).

``run`` always gets the HTTP API token (``Settings.rasa_api_token``: ``CAREBOT_RASA_TOKEN`` or
the generated one) as ``--auth-token`` and as the JWT secret (``bot.rasa_ext.auth``), added
here rather than by the parent, so it never appears on a command line (``ps`` shows those to
every user of the machine). Passing ``--auth-token`` or ``--jwt-secret`` yourself is refused.

On a Rasa version other than the one the patches were written for, it prints why and what to do,
and exits with status 2 before Rasa starts. When the server stops, the aiohttp sessions the
session-reuse patch opened are closed: an ``after_server_stop`` listener, given to Rasa's
``serve_application`` (its ``server_listeners`` argument) by a plugin on Rasa's own plugin hook
``configure_commandline`` (:class:`CloseActionSessions`).
"""

from __future__ import annotations

import argparse
import logging
import os
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

SECRET_OPTIONS = ("--auth-token", "-t", "--jwt-secret", "--jwt-private-key")


class SecretOnCommandLine(SystemExit):
    """A secret was passed as an argument; it belongs in CAREBOT_RASA_TOKEN."""


def rasa_argv(argv: list[str], token: str) -> list[str]:
    """Rasa's argv for ``argv`` (ours, without the program name), the token added to ``run``."""
    if argv[:1] != ["run"]:
        return ["rasa", *argv]
    if any(arg.split("=")[0] in SECRET_OPTIONS for arg in argv):
        raise SecretOnCommandLine(
            "bot.rasa_ext.serve: do not pass --auth-token / --jwt-secret on the command line; "
            "set CAREBOT_RASA_TOKEN (or let carebot generate one under var/secrets/)"
        )
    from bot.rasa_ext.auth import server_args

    return ["rasa", *argv, *server_args(token)]


def main() -> None:
    from bot.settings import get_settings

    settings = get_settings()  # a bad or insecure configuration stops here (ConfigError)
    argv = rasa_argv(sys.argv[1:], settings.rasa_api_token())

    from bot.rasa_ext import patches

    try:
        patches.apply()
    except patches.RasaVersionMismatch as error:
        print(f"carebot: refusing to start Rasa: {error}", file=sys.stderr)
        raise SystemExit(EXIT_WRONG_RASA) from None
    from rasa.__main__ import main as rasa_main
    from rasa.plugin import plugin_manager

    plugin_manager().register(CloseActionSessions())
    one_tensorflow_thread()
    sys.argv = argv
    rasa_main()


def one_tensorflow_thread() -> None:
    """TensorFlow's kernels (the sentence encoder's graph, ``bot.nlu.encoder.graph``) on one
    thread per server, through Rasa's own variables (read by ``rasa.__main__`` at start), unless
    the deployment sets them: a live message is small, a second thread buys little and costs a
    lot when the other core is busy (the reason OpenBLAS is pinned too,
    ``bot.nlu.encoder.minilm.SINGLE_THREAD_BELOW``)."""
    os.environ.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "1")
    os.environ.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")


if __name__ == "__main__":
    main()
