"""bot.nlu.pii.detect: card numbers (formats, Luhn, prefixes), order and tracking numbers that
must never be taken for cards, emails and phone numbers, masking, and bounded work."""

from __future__ import annotations

import time

import pytest

from bot.nlu.pii.detect import (
    CARD,
    CVV,
    EMAIL,
    ORDER,
    PHONE,
    TRACKING,
    card_prefix_ok,
    entities,
    find,
    luhn_ok,
    mask,
    mask_digits,
)

# Published test numbers of each brand (Luhn-valid).
CARDS = {
    "visa": "4242424242424242",
    "visa13": "4222222222222",
    "mastercard": "5555555555554444",
    "mastercard2": "2223003122003222",
    "amex": "378282246310005",
    "discover": "6011111111111117",
    "diners": "36227206271667",
    "jcb": "3566002020360505",
    "unionpay19": "6200000000000000000",
}


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in find(text)]


def test_luhn() -> None:
    for number in CARDS.values():
        assert luhn_ok(number), number
    assert not luhn_ok("4242424242424241")
    assert not luhn_ok("")
    assert not luhn_ok("42a2")
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")


def test_card_prefixes() -> None:
    assert all(card_prefix_ok(n) for n in CARDS.values())
    assert not card_prefix_ok("9400100000000000")
    assert not card_prefix_ok("1234567890123452")
    assert not card_prefix_ok("2000000000000000") and card_prefix_ok("2720990000000000")


@pytest.mark.parametrize("brand", sorted(CARDS))
@pytest.mark.parametrize("style", ["plain", "spaces4", "dashes4", "dots4", "amexlike", "pairs",
                                   "double_space"])
def test_cards_are_masked_in_every_grouping(brand: str, style: str) -> None:
    digits = CARDS[brand]
    if style == "plain":
        written = digits
    elif style == "amexlike":
        written = f"{digits[:4]} {digits[4:10]} {digits[10:]}"
    elif style == "pairs":
        written = " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))
    else:
        sep = {"spaces4": " ", "dashes4": "-", "dots4": ".", "double_space": "  "}[style]
        written = sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))
    text = f"hi, here it is {written}. thanks!"
    masked = mask(text)
    assert digits not in masked.replace(" ", "").replace("-", "").replace(".", "")
    assert masked.startswith("hi, here it is •••• ") and masked.endswith(f"{digits[-4:]}. thanks!")
    assert [k for k, _ in kinds(text)] == [CARD]


def test_masked_form_keeps_the_last_four_and_is_idempotent() -> None:
    assert mask_digits("4242424242424242") == "•••• •••• •••• 4242"
    assert mask_digits("378282246310005") == "•••• •••• •••• 0005"
    once = mask("card 4242 4242 4242 4242 please")
    assert once == "card •••• •••• •••• 4242 please"
    assert mask(once) == once
    assert kinds(once) == [(CARD, "•••• •••• •••• 4242")]
    assert find(once)[0].masked


def test_several_cards_and_a_security_code() -> None:
    text = "old card 4111 1111 1111 1111, new one 5555-5555-5555-4444 exp 12/27 cvv: 123"
    masked = mask(text)
    assert "4111 1111" not in masked and "5555-5555" not in masked
    assert "cvv: •••" in masked and "123" not in masked
    assert "exp 12/27" in masked
    assert [k for k, _ in kinds(text)] == [CARD, CARD, CVV]


def test_a_card_word_masks_even_a_mistyped_number() -> None:
    assert mask("my card number is 4242 4242 4242 4241") == "my card number is •••• •••• •••• 4241"
    # without the word, a number failing Luhn is not a card
    assert mask("ref 4242 4242 4242 4241") == "ref 4242 4242 4242 4241"


def test_a_card_next_to_other_numbers_is_still_found() -> None:
    text = "order 55910 4242 4242 4242 4242"
    assert mask(text) == "order 55910 •••• •••• •••• 4242"
    assert kinds(text) == [(ORDER, "55910"), (CARD, "•••• •••• •••• 4242")]
    text = "call me 555 0100 4242424242424242"
    assert "4242424242424242" not in mask(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("where is order #123456?", "123456"),
        ("RL-123456 never came", "RL-123456"),
        ("order 1234567 is late", "1234567"),
        ("my order number is 48213", "48213"),
        ("order no. 55910 please", "55910"),
        ("cancel order 77120", "77120"),
        ("order: #4242424242", "4242424242"),
        ("order 112-3456789-0123456", "112-3456789-0123456"),
        ("ORD-2024123 was wrong", "ORD-2024123"),
    ],
)
def test_order_numbers_are_entities_and_never_masked(text: str, value: str) -> None:
    assert kinds(text) == [(ORDER, value)]
    assert mask(text) == text


@pytest.mark.parametrize(
    ("text", "value", "carrier"),
    [
        ("ups 1Z999AA10123456784", "1Z999AA10123456784", "ups"),
        ("1Z 999 AA1 01 2345 6784 is stuck", "1Z999AA10123456784", "ups"),
        ("usps 9400 1000 0000 0000 0000 00", "9400100000000000000000", "usps"),
        ("9205590164917312751089", "9205590164917312751089", "usps"),
        ("tracking 9012345678901234567890", "9012345678901234567890", "usps"),
        ("EA123456789US", "EA123456789US", "post"),
        ("fedex tracking 123456789012", "123456789012", "fedex"),
        ("fedex tracking number 378282246310005", "378282246310005", "fedex"),
        ("dhl waybill 1234567890", "1234567890", "dhl"),
        ("tracking: JD014600003828240000", "JD014600003828240000", "dhl"),
    ],
)
def test_tracking_numbers_are_entities_and_never_masked(text: str, value: str,
                                                        carrier: str) -> None:
    found = find(text)
    assert [(f.kind, f.value, f.carrier) for f in found] == [(TRACKING, value, carrier)]
    assert mask(text) == text


def test_a_card_word_nearer_than_tracking_wins() -> None:
    text = "tracking is fine but my amex 378282246310005 was charged twice"
    assert "378282246310005" not in mask(text)


def test_usps_digits_are_not_searched_for_cards() -> None:
    # Luhn-valid Visa-like 16 digits inside a 22-digit USPS number: one tracking number
    text = "usps 9400 4242 4242 4242 4242 00"
    assert [f.kind for f in find(text)] == [TRACKING]
    assert mask(text) == text


def test_emails_and_phones_are_found_and_kept() -> None:
    text = "write to ana.b+care@example.co.uk or call +1 (555) 010-0199"
    assert kinds(text) == [(EMAIL, "ana.b+care@example.co.uk"), (PHONE, "15550100199")]
    assert mask(text) == text


@pytest.mark.parametrize(
    "text",
    ["", "no numbers here", "size 10 in blue", "I ordered 3 jackets on 12/03/2024",
     "zip 98101", "it cost $1,234.56", "2 weeks and 14 days", "version 1.2.3.4",
     "1234567890123", "9999 9999 9999 9999"],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert mask(text) == text
    assert CARD not in [f.kind for f in find(text)]


def test_entities_of_a_conversation_each_once() -> None:
    found = entities(["hi", "order #123456 is late", "again: order #123456",
                      "ups says 1Z999AA10123456784", None or ""])
    assert found == [{"entity": ORDER, "value": "123456"},
                     {"entity": TRACKING, "value": "1Z999AA10123456784", "carrier": "ups"}]


def test_hostile_inputs_stay_cheap() -> None:
    for text in ["4 " * 10_000, "1" * 20_000 + "x", "12 " * 6_000, ("a" * 30 + "@") * 600,
                 "(1) " * 5_000, "order " * 3_000 + "1", "•" * 20_000]:
        start = time.process_time()
        find(text)
        mask(text)
        # a generous bound on CPU, not a benchmark: quadratic behaviour would take minutes
        assert time.process_time() - start < 5, text[:20]
