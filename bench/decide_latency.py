"""``decide`` latency: parse + ``decide()`` one message at a time, pinned to one core.

    taskset -c 1 carebot bench latency --model models/X.tar.gz \
        --train ../shared/datasets/banking77/train.csv --dev-split 0.2

(or ``--pin 1`` instead of ``taskset``). A trained model (``bench nlu --keep DIR`` leaves one
in ``DIR/models/carebot.tar.gz``) parses each test row as the bot does (Rasa's ``Agent``, as
``bench nlu``), then ``bot.escalation.decision.decide`` decides; one message at a time.

Per message: wall milliseconds and the CPU milliseconds of this process (``time.process_time``:
what the message cost, without the time other processes took the core from it; on a shared
machine the wall p95 measures the neighbours as much as the bot). The process, not the thread:
the sentence encoder's TensorFlow graph runs its kernels on TensorFlow's own (single, as in the
server: ``bot.rasa_ext.serve.one_tensorflow_thread``) thread. Prints
p50 / p95 / p99 of both, the share of messages the cascade's embedding stage re-scored, and the
load average; ``--profile FILE`` writes a cProfile of the run.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import time
from pathlib import Path
from typing import Any

from bench.common import percentile, read_labelled_csv, rnd, stratified_split


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--model", required=True, help="a trained model (.tar.gz)")
    parser.add_argument("--test", help="labelled CSV whose texts are parsed")
    parser.add_argument("--train", help="with --dev-split: the CSV whose held-out share is used")
    parser.add_argument("--dev-split", type=float, help="share held out of --train (seed 13)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-test", type=int, help="only the first N rows")
    parser.add_argument("--escalation", default="config/escalation.yml")
    parser.add_argument("--pin", type=int, metavar="CPU",
                        help="pin this process to one CPU (like taskset -c CPU)")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the rows")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the timed run")
    return parser


def _texts(args: argparse.Namespace) -> list[str]:
    if args.test:
        rows = read_labelled_csv(Path(args.test))
    elif args.train and args.dev_split:
        _, rows = stratified_split(read_labelled_csv(Path(args.train)), args.dev_split, args.seed)
    else:
        raise SystemExit("bench latency: give --test FILE or --train FILE --dev-split SHARE")
    texts = [r.text for r in rows]
    return texts[: args.max_test] if args.max_test else texts


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.pin is not None:
        os.sched_setaffinity(0, {args.pin})
    import tensorflow as tf  # one kernel thread, as the server runs it

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    texts = _texts(args)
    from bench.nlu_eval import Evaluator
    from bot.escalation.config import EscalationConfig
    from bot.escalation.decision import decide

    root = Path(__file__).resolve().parent.parent
    escalation = Path(args.escalation)
    config = EscalationConfig.load(escalation if escalation.is_absolute() else root / escalation)
    evaluator = Evaluator(Path(args.model))
    for warm in ("hello", "what is this", texts[0]):
        decide(evaluator.parse(warm), config)
    encoded = _count_encoder_calls()
    wall: list[float] = []
    cpu: list[float] = []
    load_before = os.getloadavg()[0]
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    for _ in range(max(args.rounds, 1)):
        for text in texts:
            start, start_cpu = time.perf_counter(), time.process_time()
            decide(evaluator.parse(text), config)
            cpu.append((time.process_time() - start_cpu) * 1000.0)
            wall.append((time.perf_counter() - start) * 1000.0)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    evaluator.close()
    return {
        "model": str(args.model),
        "messages": len(wall),
        "pinned_to": sorted(os.sched_getaffinity(0)),
        "wall_ms_p50": rnd(percentile(wall, 50), 2),
        "wall_ms_p95": rnd(percentile(wall, 95), 2),
        "wall_ms_p99": rnd(percentile(wall, 99), 2),
        "cpu_ms_p50": rnd(percentile(cpu, 50), 2),
        "cpu_ms_p95": rnd(percentile(cpu, 95), 2),
        "cpu_ms_p99": rnd(percentile(cpu, 99), 2),
        "embedding_stage_share": rnd(encoded["texts"] / max(len(wall), 1), 4),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def _count_encoder_calls() -> dict[str, int]:
    """Counts the texts the sentence encoder encodes from now on (the cascade's second
    stage); a wrapper around ``SentenceEncoder.encode``."""
    from bot.nlu.encoder.minilm import SentenceEncoder

    counter = {"texts": 0}
    original = SentenceEncoder.encode

    def counting(self: SentenceEncoder, texts: Any) -> Any:
        counter["texts"] += len(texts)
        return original(self, texts)

    SentenceEncoder.encode = counting  # type: ignore[method-assign]
    return counter
