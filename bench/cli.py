"""``carebot bench nlu|tone|safety|load|pii …``: the benchmarks (``bench/``), each printing one JSON
object and writing a report under ``bench/reports/``.

``carebot bench …`` (:mod:`bot.cli.bench`) forwards here only when a bench runs, so the
installed product never imports ``bench``. From a checkout, ``python -m bench.cli nlu …`` (or
the older ``python -m bench.cli bench nlu …``) is the same command.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent

BENCHES: dict[str, tuple[str, str]] = {
    "nlu": ("bench.nlu_bench",
            "train the NLU pipeline on a labelled CSV, run decide() on a test CSV"),
    "tone": ("bench.tone_bench",
             "score a labelled CSV with the tone component and decide()'s tone gates"),
    "safety": ("bench.safety.run",
               "answered precision and FAQ coverage on retail text the bot never saw "
               "(Bitext dev mapping) and CLINC150 as out-of-scope traffic"),
    "tone-categories": ("bench.tone_categories",
                        "tone gates per category of data/tone/care.yml, cross-validated"),
    "load": ("bench.load_bench",
             "simulated followers over REST against a running stack, and stock Rasa"),
    "search": ("bench.search_bench",
               "ticket search: N synthetic tickets through the queue's scripts, timed searches"),
    "console": ("bench.console_bench",
                "the console's ticket list: render time of 1,000 rows in Chromium, label chips"),
    "train-time": ("bench.train_time",
                   "training seconds against examples (1k..15k subsamples), cold and warm; "
                   "optionally faq add → answered on a running stack"),
    "latency": ("bench.decide_latency",
                "parse + decide() one message at a time (pin it to one core), wall and CPU ms"),
    "pii": ("bench.pii_bench",
            "card masking and order/tracking numbers on a generated set (make bench-pii)"),
}
"""name -> (module with ``add_arguments(parser)`` and ``run(args) -> dict``, help)."""


def _module(name: str) -> Any:
    import importlib

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(BENCHES[name][0])


def _runner(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from bench.common import print_json

        print_json(_module(name).run(args))
        return 0

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carebot bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="bench_cmd", required=True)
    for name, (_, text) in BENCHES.items():
        module = _module(name)
        p = sub.add_parser(name, help=text, description=module.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(func=_runner(name))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["bench"]:
        args_list = args_list[1:]
    args = build_parser().parse_args(args_list)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
