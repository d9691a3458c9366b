"""bench/pii_bench.py: the figures are counted right (a missed card and a false mask are seen),
the generator is seeded, and a small run meets the targets."""

from __future__ import annotations

from pathlib import Path

from bench.pii_bench import add_arguments, card_leaked, measure, run
from bench.pii_gen import Item, generate, luhn_complete
from bot.nlu.pii.detect import luhn_ok


def test_generator_is_seeded_and_valid() -> None:
    a, b = generate(seed=5, cards=40, orders=10, tracking=10, mixed=5), generate(
        seed=5, cards=40, orders=10, tracking=10, mixed=5)
    assert [i.text for i in a] == [i.text for i in b]
    assert all(luhn_ok(d) for i in a for d in i.cards)
    assert {i.brand for i in a if i.kind == "card"} >= {"visa", "amex", "mastercard", "jcb"}
    assert luhn_ok(luhn_complete("424242424242424"))


def test_misses_and_false_masks_are_counted() -> None:
    card = "4242424242424242"
    items = [
        Item("4242/4242/4242/4242 slashes are not a format it knows", "card", cards=[card]),
        Item(f"card {card}", "card", cards=[card], brand="visa"),
        Item("order #123456 please", "order", orders=["123456"]),
        Item("RL-4242424242424242", "order", orders=["RL-4242424242424242"]),
    ]
    result = measure(items, component=False)
    assert result["cards"] == 2 and result["cards_missed"] == 1
    assert result["card_masked_rate"] == 0.5
    assert result["order_false_masks"] == 1  # the 16 digits after RL- are masked as a card
    assert not result["targets_met"]
    assert card_leaked(card, "4242 4242 4242 4242") and not card_leaked(card, "•••• 4242")


def test_a_small_run_meets_the_targets(tmp_path: Path) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--cards", "300", "--orders", "100", "--tracking", "100",
                              "--mixed", "50", "--no-component",
                              "--report", str(tmp_path / "pii.md")])
    result = run(args)
    assert result["targets_met"] and result["card_masked_rate"] >= 0.99
    assert "cards masked" in (tmp_path / "pii.md").read_text()
