"""``python -m bot.rasa_ext.serve run …``: Rasa's own command line, with carebot's extensions of
Rasa's internals applied first (:func:`bot.rasa_ext.patches.apply`) and its HTTP API locked.

This is the one place the patches are applied: the Rasa server that ``carebot run`` (and the
container image) starts is this module; importing any other carebot module changes nothing in
Rasa. The arguments are ``rasa``'s (``run --enable-api --port 5005 …``).

``run`` always gets the HTTP API token (``Settings.rasa_api_token``: ``CAREBOT_RASA_TOKEN`` or
the generated one) as ``--auth-token`` and as the JWT secret (``bot.rasa_ext.auth``), added
here rather than by the parent, so it never appears on a command line (``ps`` shows those to
every user of the machine). Passing ``--auth-token`` or ``--jwt-secret`` yourself is refused.
"""

from __future__ import annotations

import sys

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

    patches.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = argv
    rasa_main()


if __name__ == "__main__":
    main()
