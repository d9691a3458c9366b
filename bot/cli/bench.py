"""``carebot bench …``: the benchmarks in ``bench/`` (a checkout's folder, not part of the
installed package). Nothing of ``bench`` is imported unless a bench command runs: the parser
here only forwards the rest of the command line to ``bench.cli.main``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import get_settings

if TYPE_CHECKING:
    from bot.cli.common import Subparsers


def cmd_bench(args: argparse.Namespace) -> int:
    home = get_settings().home
    if not (Path(home) / "bench" / "cli.py").is_file():
        print(f"carebot bench: no bench/ folder in {home}: benchmarks run from a checkout of "
              "the project (they are not part of the installed package)", file=sys.stderr)
        return 2
    if str(home) not in sys.path:
        sys.path.insert(0, str(home))
    from bench.cli import main as bench_main

    return bench_main(list(args.rest))


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="benchmarks: nlu, tone, load, safety … (JSON + report; from a checkout)",
        add_help=False,
    )
    p.add_argument("rest", nargs=argparse.REMAINDER, help="`carebot bench --help` lists them")
    p.set_defaults(func=cmd_bench)
