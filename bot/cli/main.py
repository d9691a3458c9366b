"""``carebot``: run the product, train, ask the bot's decision, work the agent queue, manage
FAQs and accounts, read the supervisor's figures, run the benchmarks.

One module per command group in ``bot/cli/``; this one only builds the parser.
Exit codes: 0 done, 1 the operation failed (e.g. a ticket someone else holds), 2 usage or
configuration error, or no valid agent token (like HTTP 401), 3 your role may not do this (403).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from bot.cli import (
    agents,
    audit,
    bench,
    conversations,
    endpoints,
    faq,
    model,
    privacy,
    queue,
    run,
    stats,
    sweeper,
    workspace,
)
from bot.settings import ConfigError

COMMAND_GROUPS = (run, model, workspace, agents, queue, faq, stats, audit, conversations, privacy,
                  sweeper, endpoints, bench)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carebot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as error:
        print(f"carebot: configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
