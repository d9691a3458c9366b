"""``python -m bot.workspace [--port N] [--host H]``: the same as ``carebot workspace``."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from bot.cli.main import main as cli_main

    parser = argparse.ArgumentParser(prog="python -m bot.workspace")
    parser.add_argument("--port", type=int)
    parser.add_argument("--host")
    args = parser.parse_args(argv)
    forwarded = ["workspace"]
    if args.port:
        forwarded += ["--port", str(args.port)]
    if args.host:
        forwarded += ["--host", args.host]
    return cli_main(forwarded)


if __name__ == "__main__":
    sys.exit(main())
