"""Sensitive details in follower text: payment card numbers (masked), order and tracking numbers
(entities for the agent), emails and phone numbers (found, kept). Pure functions, no model.

What is done with each kind (the brand's legal call, ``docs/security.md`` "Sensitive details"):

- **card numbers** (13–19 digits, spaces, dashes or dots in any grouping, a payment-card prefix
  and a valid Luhn check digit; or any 13–19 digits right after a card word such as "card",
  "visa", "credit", typos included) are *masked* before anything is stored or logged: only the
  last four digits stay (``•••• •••• •••• 4242``). A security code written next to them
  ("cvv 123") is masked too. PCI DSS forbids keeping either in a chat log.
- **order numbers** (``#123456``, ``RL-123456``, ``order 1234567``, ``order no. 55910``,
  marketplace ``112-3456789-0123456``) and **tracking numbers** (UPS ``1Z…``, USPS 20–22 digits
  starting with 9 and ``EA123456789US``, FedEx 12 or 15 digits and DHL 10 digits when the text
  says it is tracking) are kept and become entities on the ticket: the agent needs them.
- **emails** and **phone numbers** are found (``Finding.kind`` ``email`` / ``phone_number``) but
  kept: an agent needs them to find the follower's order or account, a WhatsApp conversation id
  already is the phone number, and they are ordinary personal data, covered by export, erasure
  and retention (``bot.privacy``), not by a rule against storing them.

Order and tracking numbers are looked for first and never taken for cards: their formats are
fixed (a card is never written 3-7-7 or ``RL-``), an order number is never glued to a longer
digit run (``order 4242 4242 4242 4242`` is a card), and a 15-digit number after "tracking" or
"fedex" is a FedEx number unless a card word is nearer. ``find`` reports what it found;
``mask`` returns the text with the cards masked (idempotent: a masked card has no digits left
to find but its last four). Masked cards are recognised too (``Finding.masked``), so a pipeline
seeing already-masked text still flags them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

CARD = "card_number"
ORDER = "order_number"
TRACKING = "tracking_number"
EMAIL = "email"
PHONE = "phone_number"
CVV = "security_code"
KINDS = (CARD, ORDER, TRACKING, EMAIL, PHONE, CVV)
MASKED_KINDS = frozenset({CARD, CVV})
ENTITY_KINDS = (ORDER, TRACKING)
"""Kinds that become entities on the ticket for the agent."""

BULLET = "•"
CONTEXT_CHARS = 32
"""How far before a number a label ("card", "tracking", "order") is looked for."""

_CARD_WORDS = re.compile(
    r"\b(?:card|cards|visa|master ?card|mc|amex|american express|discover|diners|jcb|"
    r"maestro|unionpay|credit|debit|cc|pan|payment|paid with|charged)\b",
    re.I,
)
_TRACKING_WORDS = re.compile(
    r"\b(?:track(?:ing)?|fedex|fed ex|dhl|ups|usps|shipment|parcel|package|waybill|awb|"
    r"courier|shipping|delivery|consignment)\b",
    re.I,
)
_FEDEX_DHL_WORDS = re.compile(r"\b(?:fedex|fed ex|dhl|waybill|awb|track(?:ing)?)\b", re.I)

# A run of digit groups: each joined to the next by one dash or dot, or one or two spaces.
_DIGIT_RUN = re.compile(r"(?<![\w•])\d+(?:(?: {1,2}|[-.])\d+)*(?!\w)")
_GROUP = re.compile(r"\d+")
_MASKED_CARD = re.compile(rf"(?:{BULLET}{{2,}}[ -]?){{1,5}}\d{{4}}(?!\d)")
_CVV = re.compile(
    r"\b(?P<label>cvv2?|cvc2?|csc|cid|security code|card code)\b(?P<sep>\W{0,3}(?:is\W{1,2})?)"
    r"(?P<code>\d{3,4})(?!\d)",
    re.I,
)

_ORDER_PATTERNS = (
    # RL-123456 (the demo brand's format) and other short prefixes: ORD-1234567, SO-12345
    re.compile(r"(?<![\w-])(?P<id>[A-Z]{2,4}-\d{5,10})(?![\w-])"),
    # marketplace order ids: 112-3456789-0123456
    re.compile(r"(?<![\w-])(?P<id>\d{3}-\d{7}-\d{7})(?![\w-])"),
    # order 1234567, order number: 55910, order no. #48213, my order is 77120
    re.compile(
        r"\border\b(?:\s+(?:number|no\.?|num|nr|id|ref(?:erence)?|is|was|code))*\s*[:#]?\s*#?"
        r"(?P<id>\d{4,12})(?!\d)",
        re.I,
    ),
    # #123456
    re.compile(r"(?<![\w#])#\s?(?P<id>\d{4,12})(?!\d)"),
)

_UPS = re.compile(r"(?<![\w])(?P<id>1Z(?: ?[0-9A-Z]){16})(?![\w])", re.I)
_S10 = re.compile(r"(?<![\w])(?P<id>[A-Z]{2} ?\d{3} ?\d{3} ?\d{3} ?[A-Z]{2})(?![\w])")
_DHL_ECOM = re.compile(r"(?<![\w])(?P<id>JD\d{16,18})(?![\w])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ().-]{6,20}\d(?!\w)")


@dataclass(frozen=True)
class Finding:
    """One sensitive detail: its kind, where it is in the text, its normalised value."""

    kind: str
    start: int
    end: int
    value: str
    """Normalised: digits only for cards and numbers, upper case for ids, as written for emails.
    For a card, the masked form (never the number)."""
    carrier: str = ""
    """Tracking numbers: ``ups``, ``usps``, ``fedex``, ``dhl`` or ``post`` (UPU S10)."""
    masked: bool = False
    """The text already had it masked (a card seen after ingress masking)."""

    def entity(self, extractor: str = "carebot_pii") -> dict[str, object]:
        """The finding as a Rasa entity dict."""
        out: dict[str, object] = {
            "entity": self.kind,
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "confidence_entity": 1.0,
            "extractor": extractor,
        }
        if self.carrier:
            out["role"] = self.carrier
        return out


# -- checks ---------------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """Whether ``digits`` (only digits) end in a valid Luhn check digit."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_prefix_ok(digits: str) -> bool:
    """Whether ``digits`` start like a payment card: Visa 4, Mastercard 51–55 and 2221–2720,
    Amex 34/37, Diners/JCB 30/36/38/39/35, Discover/UnionPay/Maestro 6, Maestro 50/56–59."""
    first = digits[:1]
    if first in ("3", "4", "5", "6"):
        return True
    return first == "2" and 2221 <= int(digits[:4] or 0) <= 2720


def mask_digits(digits: str) -> str:
    """``•••• •••• •••• 4242``: bullets in groups of four, then the last four digits."""
    hidden = max(len(digits) - 4, 0)
    return f"{BULLET * 4} " * ((hidden + 3) // 4) + digits[-4:]


# -- finding ----------------------------------------------------------------------------------


def _nearest_label(text: str, start: int) -> str:
    """``card``, ``tracking`` or ``""``: the label word nearest before ``start``."""
    window = text[max(0, start - CONTEXT_CHARS) : start]
    best, where = "", -1
    for kind, words in (("card", _CARD_WORDS), ("tracking", _TRACKING_WORDS),
                        ("order", re.compile(r"\border\b", re.I))):
        for match in words.finditer(window):
            if match.end() > where:
                best, where = kind, match.end()
    return best


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e in taken)


def _glued_card(text: str, start: int) -> bool:
    """Whether the digits at ``start`` begin a card (so they are no order number)."""
    run = _DIGIT_RUN.match(text, start)
    if run is None:
        return False
    groups = [(start + g.start(), start + g.end()) for g in _GROUP.finditer(run.group())]
    if len(groups) < 2 or _card_in(text, groups[1:], "") == (0, len(groups) - 2):
        return False  # alone, or followed by a card of its own: an order number, then a card
    found = _card_in(text, groups, _nearest_label(text, start))
    return found is not None and found[0] == 0


def _orders(text: str, taken: list[tuple[int, int]]) -> list[Finding]:
    out = []
    for pattern in _ORDER_PATTERNS:
        for m in pattern.finditer(text):
            s, e = m.span("id")
            if _free(taken, s, e) and not (m.group("id").isdigit() and _glued_card(text, s)):
                out.append(Finding(ORDER, s, e, m.group("id").upper()))
                taken.append((s, e))
    return out


def _tracking(text: str, taken: list[tuple[int, int]]) -> list[Finding]:
    out: list[Finding] = []

    def add(s: int, e: int, value: str, carrier: str) -> None:
        if _free(taken, s, e):
            out.append(Finding(TRACKING, s, e, value, carrier=carrier))
            taken.append((s, e))

    for m in _UPS.finditer(text):
        add(*m.span("id"), m.group("id").replace(" ", "").upper(), "ups")
    for m in _DHL_ECOM.finditer(text):
        add(*m.span("id"), m.group("id"), "dhl")
    for m in _S10.finditer(text):
        add(*m.span("id"), m.group("id").replace(" ", ""), "post")
    for m in _DIGIT_RUN.finditer(text):
        digits = _digits(m.group())
        label = _nearest_label(text, m.start())
        near = text[max(0, m.start() - CONTEXT_CHARS) : m.start()]
        if 20 <= len(digits) <= 22 and digits[0] == "9" and (
            digits[1] in "2345" or label == "tracking"
        ):
            add(m.start(), m.end(), digits, "usps")
        elif len(digits) in (12, 15) and label == "tracking" and _FEDEX_DHL_WORDS.search(near):
            add(m.start(), m.end(), digits, "fedex")
        elif len(digits) == 10 and label == "tracking" and _FEDEX_DHL_WORDS.search(near):
            add(m.start(), m.end(), digits, "dhl")
    return out


def _card_in(text: str, groups: list[tuple[int, int]], label: str) -> tuple[int, int] | None:
    """The longest span of whole groups (leftmost first) that is a card, as group indexes."""
    for i in range(len(groups)):
        ends, size = [], 0
        for j in range(i, len(groups)):  # a card spans at most 19 digits, so 19 groups
            size += groups[j][1] - groups[j][0]
            if size > 19:
                break
            if size >= 13:
                ends.append(j)
        for j in reversed(ends):
            digits = "".join(text[s:e] for s, e in groups[i : j + 1])
            if (luhn_ok(digits) and card_prefix_ok(digits)) or label == "card":
                return i, j
    return None


def _cards(text: str, taken: list[tuple[int, int]]) -> list[Finding]:
    out: list[Finding] = []
    for m in _DIGIT_RUN.finditer(text):
        # the run's groups, cut where an order or tracking number already took some
        segments: list[list[tuple[int, int]]] = [[]]
        for g in _GROUP.finditer(m.group()):
            span = (m.start() + g.start(), m.start() + g.end())
            if _free(taken, *span):
                segments[-1].append(span)
            elif segments[-1]:
                segments.append([])
        for groups in segments:
            label = _nearest_label(text, groups[0][0]) if groups else ""
            while groups:
                found = _card_in(text, groups, label)
                if found is None:
                    break
                i, j = found
                s, e = groups[i][0], groups[j][1]
                out.append(Finding(CARD, s, e, mask_digits(_digits(text[s:e]))))
                taken.append((s, e))
                groups = groups[j + 1 :]
    for m in _MASKED_CARD.finditer(text):
        if _free(taken, m.start(), m.end()):
            out.append(Finding(CARD, m.start(), m.end(), m.group(), masked=True))
            taken.append(m.span())
    return out


def _security_codes(text: str, taken: list[tuple[int, int]]) -> list[Finding]:
    out = []
    for m in _CVV.finditer(text):
        s, e = m.span("code")
        if _free(taken, s, e):
            out.append(Finding(CVV, s, e, BULLET * (e - s)))
            taken.append((s, e))
    return out


def _contacts(text: str, taken: list[tuple[int, int]]) -> list[Finding]:
    out = []
    for m in _EMAIL.finditer(text):
        if _free(taken, *m.span()):
            out.append(Finding(EMAIL, m.start(), m.end(), m.group()))
            taken.append(m.span())
    for m in _PHONE.finditer(text):
        digits = _digits(m.group())
        if 10 <= len(digits) <= 15 and _free(taken, *m.span()):
            out.append(Finding(PHONE, m.start(), m.end(), digits))
            taken.append(m.span())
    return out


def find(text: str) -> list[Finding]:
    """Every sensitive detail in ``text``, in text order, none overlapping another."""
    if not text or not any(c.isdigit() or c == "@" for c in text):
        return []
    taken: list[tuple[int, int]] = []
    found = _tracking(text, taken)
    found += _orders(text, taken)
    found += _cards(text, taken)
    found += _security_codes(text, taken)
    found += _contacts(text, taken)
    return sorted(found, key=lambda f: f.start)


def mask(text: str) -> str:
    """``text`` with card numbers and security codes masked (everything else unchanged)."""
    findings = [f for f in find(text) if f.kind in MASKED_KINDS and not f.masked]
    for f in reversed(findings):
        text = text[: f.start] + f.value + text[f.end :]
    return text


def entities(texts: Iterable[str]) -> list[dict[str, str]]:
    """The order and tracking numbers in ``texts``, each once, in order of appearance:
    ``[{"entity": "order_number", "value": "RL-123456"}, {"entity": "tracking_number",
    "value": "1Z…", "carrier": "ups"}]`` (what a ticket shows the agent)."""
    out: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for text in texts:
        for f in find(text or ""):
            if f.kind in ENTITY_KINDS and (f.kind, f.value) not in seen:
                seen.add((f.kind, f.value))
                item = {"entity": f.kind, "value": f.value}
                if f.carrier:
                    item["carrier"] = f.carrier
                out.append(item)
    return out
