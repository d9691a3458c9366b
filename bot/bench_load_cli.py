"""``carebot bench load``: the load benchmark (``bench/load_bench.py``).

``register(subparsers)`` adds ``load`` under ``carebot bench``: given ``carebot``'s top-level
subparsers it finds the ``bench`` command that ``bot.bench_cli.register`` made (or makes one), and
adds ``load`` next to ``nlu`` and ``tone``. Wiring in ``bot/cli.py``::

    from bot import bench_cli, bench_load_cli
    bench_cli.register(sub)
    bench_load_cli.register(sub)

``python -m bot.bench_load_cli load --senders 50 --messages 20`` runs it without the rest of the
CLI. The benchmark code lives in ``bench/`` (not part of the installed package), so the project
root is put on ``sys.path`` when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parent.parent


def _load_bench() -> Any:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench import load_bench

    return load_bench


def cmd_bench_load(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    load_bench = _load_bench()
    from bench.common import print_json

    result = load_bench.run(args)
    print_json(result)
    return 0


def _bench_subparsers(subparsers: Any) -> Any:
    """The ``bench`` command's own subparsers (made when there is no ``bench`` yet)."""
    bench = subparsers.choices.get("bench") if hasattr(subparsers, "choices") else None
    if bench is None:
        bench = subparsers.add_parser("bench", help="benchmarks (JSON + report)")
        return bench.add_subparsers(dest="bench_cmd", required=True)
    for action in bench._actions:  # argparse keeps no public handle on a parser's subparsers
        if isinstance(action, argparse._SubParsersAction):
            return action
    return bench.add_subparsers(dest="bench_cmd", required=True)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``bench load`` to ``carebot``'s top-level ``argparse`` subparsers object."""
    load_bench = _load_bench()
    parser = _bench_subparsers(subparsers).add_parser(
        "load",
        help="simulated followers over REST against a running stack, and stock Rasa",
        description=load_bench.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load_bench.add_arguments(parser)
    parser.set_defaults(func=cmd_bench_load)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench_load_cli", description=__doc__)
    sub = parser.add_subparsers(dest="bench_cmd", required=True)
    load_bench = _load_bench()
    load = sub.add_parser("load", description=load_bench.__doc__,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    load_bench.add_arguments(load)
    load.set_defaults(func=cmd_bench_load)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
