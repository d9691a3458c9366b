"""``carebot bench nlu|tone``: the NLU and tone quality benchmarks (``bench/``).

``register(subparsers)`` adds the ``bench`` subcommand to ``carebot``'s parser (``bot/cli.py``);
``python -m bot.bench_cli bench nlu ...`` runs it without the rest of the CLI. The benchmark code
lives in ``bench/`` (not part of the installed package), so the project root is put on
``sys.path`` when a bench runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parent.parent


def _bench_modules() -> Any:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench import nlu_bench, tone_bench

    return nlu_bench, tone_bench


def cmd_bench(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    nlu_bench, tone_bench = _bench_modules()
    from bench.common import print_json

    module = nlu_bench if args.bench_cmd == "nlu" else tone_bench
    print_json(module.run(args))
    return 0


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``bench nlu`` and ``bench tone`` to an ``argparse`` subparsers object."""
    nlu_bench, tone_bench = _bench_modules()
    bench = subparsers.add_parser("bench", help="NLU and tone quality benchmarks (JSON + report)")
    sub = bench.add_subparsers(dest="bench_cmd", required=True)
    nlu_bench.add_arguments(
        sub.add_parser(
            "nlu",
            help="train the NLU pipeline on a labelled CSV, run decide() on a test CSV",
            description=nlu_bench.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    tone_bench.add_arguments(
        sub.add_parser(
            "tone",
            help="score a labelled CSV with the tone component and decide()'s tone gates",
            description=tone_bench.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    bench.set_defaults(func=cmd_bench)
    return bench


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="carebot", description=__doc__)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
