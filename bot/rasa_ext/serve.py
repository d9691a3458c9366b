"""``python -m bot.rasa_ext.serve run …``: Rasa's own command line, with carebot's extensions of
Rasa's internals applied first (:func:`bot.rasa_ext.patches.apply`).

This is the one place the patches are applied: the Rasa server that ``carebot run`` (and the
container image) starts is this module; importing any other carebot module changes nothing in
Rasa. The arguments are ``rasa``'s (``run --enable-api --port 5005 …``).
"""

from __future__ import annotations

import sys


def main() -> None:
    from bot.rasa_ext import patches

    patches.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
