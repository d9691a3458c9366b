"""A seeded generator of follower messages with sensitive details, for ``bench/pii_bench.py``.

Card numbers of several brands (valid Luhn check digits, each brand's prefixes and lengths) in
varied groupings and sentences, with and without a card word; order numbers in the formats a
brand's followers use (``#123456``, ``RL-123456``, ``order 1234567``, ``order no. 55910``,
``112-3456789-0123456``) and tracking numbers (UPS, USPS, FedEx, DHL, UPU S10) that must never be
masked; and messages mixing both. Same seed, same set.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

BRANDS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "visa": (("4",), (16, 13, 19)),
    "mastercard": (("51", "52", "53", "54", "55", "2221", "2300", "2720"), (16,)),
    "amex": (("34", "37"), (15,)),
    "discover": (("6011", "65", "644", "649"), (16, 19)),
    "jcb": (("3528", "3555", "3589"), (16, 19)),
    "diners": (("36", "38", "300", "305"), (14,)),
    "unionpay": (("62",), (16, 17, 18, 19)),
    "maestro": (("50", "56", "58", "6304"), (16, 19)),
}

CARD_SENTENCES = (
    "{}", "my card is {}", "charged twice on {} wtf", "can you refund it to {}?",
    "visa {} exp 04/27", "card number: {} thanks", "i paid with {} for order #{order}",
    "hi!! {} is the card i used", "CARD {} PLEASE HELP", "use this one {}",
    "the payment from {} failed, my email is ana.b@example.com",
    "{}\nexp 11/26\nname ana b", "debit {} 😡 where is my money",
    "number is {}. call +1 555 010 0199",
    "my order {order} was paid with {}", "{} (the new card)", "amex ending... no wait, full: {}",
)
ORDER_SENTENCES = (
    "where is my order {}?", "{} hasn't arrived", "hi, order {} is late",
    "can u check {} pls", "refund for {} please", "{}", "my order number is {}",
    "it's been 2 weeks since {} shipped", "order status {} ??", "cancel {} asap",
)
TRACKING_SENTENCES = (
    "tracking {} says delivered", "my tracking number is {}", "{} has not moved in 3 days",
    "{} ?", "the package {} is stuck", "can you check {} for me",
)


@dataclass
class Item:
    """One generated message and what it contains (the truth the benchmark checks)."""

    text: str
    kind: str  # "card" | "order" | "tracking" | "mixed"
    cards: list[str] = field(default_factory=list)
    """Digits of each card number in the text."""
    orders: list[str] = field(default_factory=list)
    """Each order number as written."""
    tracking: list[str] = field(default_factory=list)
    """Each tracking number, normalised (no spaces, upper case)."""
    brand: str = ""
    style: str = ""


def luhn_complete(body: str) -> str:
    """``body`` plus the check digit that makes it Luhn-valid."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def card_number(rng: random.Random, brand: str) -> str:
    prefixes, lengths = BRANDS[brand]
    prefix, length = rng.choice(prefixes), rng.choice(lengths)
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return luhn_complete(body)


def group(digits: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for size in sizes:
        if i >= len(digits):
            break
        out.append(digits[i : i + size])
        i += size
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(out)


STYLES = ("plain", "space4", "dash4", "dot4", "double_space4", "amex465", "diners464", "pairs",
          "space_mixed")


def write_card(rng: random.Random, digits: str, style: str) -> str:
    if style == "plain":
        return digits
    if style in ("space4", "dash4", "dot4", "double_space4"):
        sep = {"space4": " ", "dash4": "-", "dot4": ".", "double_space4": "  "}[style]
        return group(digits, [4] * 5, sep)
    if style == "amex465":
        return group(digits, [4, 6, 5], " ")
    if style == "diners464":
        return group(digits, [4, 6, 4], "-")
    if style == "pairs":
        return group(digits, [2] * 10, " ")
    return group(digits, [4, 4, 4, 4], rng.choice([" ", "-", " "]))  # space_mixed


def order_number(rng: random.Random) -> str:
    n = rng.randint(10_000, 9_999_999)
    form = rng.randrange(7)
    if form == 0:
        return f"#{n}"
    if form == 1:
        return f"RL-{n}"
    if form == 2:
        return f"order {n}"
    if form == 3:
        return f"order no. {n}"
    if form == 4:
        return f"order number: #{n}"
    if form == 5:
        digits = "".join(rng.choice(string.digits) for _ in range(17))
        return f"order {digits[:3]}-{digits[3:10]}-{digits[10:]}"
    return f"ORD-{n}"


def tracking_number(rng: random.Random) -> tuple[str, str]:
    """(as written with its context words, normalised)."""
    carrier = rng.choice(["ups", "ups_spaced", "usps", "usps_spaced", "fedex12", "fedex15", "dhl",
                          "s10"])
    digits = lambda n: "".join(rng.choice(string.digits) for _ in range(n))  # noqa: E731
    if carrier.startswith("ups"):
        alnum = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(6))
        number = f"1Z{alnum}{digits(10)}"
        written = number if carrier == "ups" else " ".join(
            [number[:2], number[2:5], number[5:8], number[8:10], number[10:14], number[14:]])
        return f"ups {written}", number
    if carrier.startswith("usps"):
        number = rng.choice(["92", "93", "94", "95"]) + digits(rng.choice([18, 20]))
        written = number if carrier == "usps" else group(number, [4] * 6, " ")
        return f"usps {written}", number
    if carrier.startswith("fedex"):
        number = digits(12 if carrier == "fedex12" else 15)
        return f"fedex tracking {number}", number
    if carrier == "dhl":
        number = digits(10)
        return f"dhl tracking {number}", number
    number = rng.choice(["EA", "RR", "CP", "LX"]) + digits(9) + rng.choice(["US", "GB", "DE"])
    return number, number


def generate(seed: int = 17, cards: int = 2000, orders: int = 1000,
             tracking: int = 1000, mixed: int = 500) -> list[Item]:
    """The benchmark set: ``cards`` card messages (brands and styles in turn), ``orders`` and
    ``tracking`` messages that must be left alone, and ``mixed`` ones with an order number and a
    card."""
    rng = random.Random(seed)
    items: list[Item] = []
    brands = sorted(BRANDS)
    for i in range(cards):
        brand = brands[i % len(brands)]
        style = STYLES[(i // len(brands)) % len(STYLES)]
        digits = card_number(rng, brand)
        order = str(rng.randint(10_000, 999_999))
        text = rng.choice(CARD_SENTENCES).format(write_card(rng, digits, style), order=order)
        items.append(Item(text, "card", cards=[digits], brand=brand, style=style))
    for _ in range(orders):
        written = order_number(rng)
        text = rng.choice(ORDER_SENTENCES).format(written)
        number = written.split()[-1].lstrip("#")
        items.append(Item(text, "order", orders=[number]))
    for _ in range(tracking):
        written, number = tracking_number(rng)
        items.append(Item(rng.choice(TRACKING_SENTENCES).format(written), "tracking",
                          tracking=[number]))
    for i in range(mixed):
        brand = brands[i % len(brands)]
        digits = card_number(rng, brand)
        written = order_number(rng)
        number = written.split()[-1].lstrip("#")
        card = write_card(rng, digits, rng.choice(STYLES))
        text = rng.choice([f"{written} was charged to {card}", f"card {card}, {written}",
                           f"{written}: paid with {card} twice!!"])
        items.append(Item(text, "mixed", cards=[digits], orders=[number], brand=brand))
    return items
