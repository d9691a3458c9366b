"""Sensitive-details benchmark: card masking and order / tracking numbers on a generated set.

``python bench/pii_bench.py`` (``make bench-pii``; ``carebot bench pii``) generates the seeded
set of ``bench/pii_gen.py`` (cards of eight brands in nine groupings and many sentences; order
and tracking numbers that must not be masked; messages with both), masks each message as ingress
does
(``bot.nlu.pii.detect.mask``) and measures:

- ``card_masked_rate``: share of card numbers whose digits are gone (the last four may stay);
  target >= 0.99;
- ``order_false_masks`` / ``tracking_false_masks``: order or tracking numbers changed by the mask;
  target 0;
- ``order_recall`` / ``tracking_recall``: share found as entities (what the agent sees);
- ``component_agreement``: share of messages where the NLU component (spaCy ruler candidates,
  ``bot.nlu.pii.component``) finds exactly what the detector finds.

Prints one JSON object and writes ``bench/reports/pii.md``; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.pii_gen import Item, generate  # noqa: E402
from bot.nlu.pii.detect import ORDER, TRACKING, find, mask  # noqa: E402

TARGET_CARDS = 0.99


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def card_leaked(digits: str, masked: str) -> bool:
    """Whether more than the last four digits of the card survive in ``masked``: its first
    twelve (or all but four) digits still appear, whatever the separators."""
    return digits[:-4] in _digits(masked)


def measure(items: list[Item], component: bool = True) -> dict[str, Any]:
    cards = masked_cards = 0
    order_total = order_false = order_found = 0
    track_total = track_false = track_found = 0
    by_brand: Counter[str] = Counter()
    missed_brand: Counter[str] = Counter()
    misses: list[str] = []
    false_masks: list[str] = []
    start = time.perf_counter()
    masked_texts = [mask(item.text) for item in items]
    mask_seconds = time.perf_counter() - start
    for item, masked in zip(items, masked_texts, strict=True):
        found = find(item.text)
        for digits in item.cards:
            cards += 1
            by_brand[item.brand] += 1
            if card_leaked(digits, masked):
                missed_brand[item.brand] += 1
                if len(misses) < 20:
                    misses.append(item.text)
            else:
                masked_cards += 1
        values = {(f.kind, f.value) for f in found}
        for number in item.orders:
            order_total += 1
            if number not in masked:
                order_false += 1
                false_masks.append(item.text)
            if (ORDER, number.upper()) in values:
                order_found += 1
        for number in item.tracking:
            track_total += 1
            if _digits(number) not in _digits(masked):
                track_false += 1
                false_masks.append(item.text)
            if (TRACKING, number) in values:
                track_found += 1
    result: dict[str, Any] = {
        "messages": len(items),
        "cards": cards,
        "card_masked_rate": round(masked_cards / cards, 5) if cards else None,
        "cards_missed": cards - masked_cards,
        "card_masked_rate_by_brand": {
            b: round(1 - missed_brand[b] / n, 5) for b, n in sorted(by_brand.items())},
        "order_numbers": order_total,
        "order_false_masks": order_false,
        "order_recall": round(order_found / order_total, 5) if order_total else None,
        "tracking_numbers": track_total,
        "tracking_false_masks": track_false,
        "tracking_recall": round(track_found / track_total, 5) if track_total else None,
        "mask_ms_per_message": round(1000 * mask_seconds / len(items), 4),
        "examples_missed": misses,
        "examples_false_masks": false_masks[:20],
    }
    if component:
        from bot.nlu.pii.component import build_pipeline, findings

        nlp = build_pipeline()
        start = time.perf_counter()
        agree = sum(
            [(f.kind, f.start, f.end) for f in findings(nlp, item.text)]
            == [(f.kind, f.start, f.end) for f in find(item.text)]
            for item in items
        )
        result["component_agreement"] = round(agree / len(items), 5)
        result["component_ms_per_message"] = round(
            1000 * (time.perf_counter() - start) / len(items), 4)
    result["targets_met"] = bool(
        cards and masked_cards / cards >= TARGET_CARDS and order_false == 0
    )
    return result


def write_report(path: Path, result: dict[str, Any], args: argparse.Namespace) -> None:
    lines = [
        "# Sensitive details: card masking, order and tracking numbers",
        "",
        f"Generated set (`bench/pii_gen.py`, seed {args.seed}): {args.cards} card messages "
        f"(8 brands x 9 groupings, many sentences, with and without a card word), "
        f"{args.orders} order-number and {args.tracking} tracking-number messages that must be "
        f"left alone, {args.mixed} messages with both an order number and a card.",
        "",
        f"- cards masked: **{result['card_masked_rate']:.2%}** "
        f"({result['cards_missed']} of {result['cards']} missed; target >= 99%)",
        f"- order numbers masked by mistake: **{result['order_false_masks']}** of "
        f"{result['order_numbers']} (target 0); found as entities: {result['order_recall']:.2%}",
        f"- tracking numbers masked by mistake: **{result['tracking_false_masks']}** of "
        f"{result['tracking_numbers']}; found as entities: {result['tracking_recall']:.2%}",
    ]
    if "component_agreement" in result:
        lines.append(f"- NLU component (spaCy candidates) agrees with the detector on "
                     f"{result['component_agreement']:.2%} of messages")
    lines += ["", f"`make bench-pii` reproduces it. Run {time.strftime('%Y-%m-%d')}.", "",
              "```json", json.dumps(result, indent=2, ensure_ascii=False), "```", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--cards", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--tracking", type=int, default=1000)
    parser.add_argument("--mixed", type=int, default=500)
    parser.add_argument("--no-component", action="store_true",
                        help="skip the spaCy component agreement (no spaCy import)")
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "reports" / "pii.md")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The benchmark (``carebot bench pii``): the figures, after writing the report."""
    items = generate(args.seed, args.cards, args.orders, args.tracking, args.mixed)
    result = measure(items, component=not args.no_component)
    write_report(args.report, result, args)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    result = run(parser.parse_args(argv))
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
