"""Bitext's 27 retail customer-support intents → the carebot FAQ keys whose answer is right.

A Bitext intent maps to an FAQ key only when that key's *vetted answer* (config/domain/faq.yml)
actually answers such messages, not when the wording is merely close. An empty tuple means no
FAQ answer covers the intent: the bot must escalate (any FAQ answer there is a wrong answer).
Several keys are acceptable where Bitext's intent spans two of our answers.

Three Bitext intents mix messages our answers treat differently; :func:`acceptable_keys` splits
them per row (``ROW_RULES``), from the text or Bitext's own entity annotation:

- ``newsletter_subscription`` holds both "sign me up" and "unsubscribe me": only the unsubscribe
  half is answered by ``faq/unsubscribe``; nothing we have tells anyone how to sign up.
- ``delivery_options`` holds "which delivery methods do you offer" (Standard/Express, answered by
  the shipping time and cost answers) and "can I order from <city/country>" (Bitext tags the place
  as ``delivery_city`` / ``delivery_country``), answered only by ``faq/international_shipping``.
- ``check_refund_policy`` holds "in which cases can I get a refund" (the return policy answers:
  unworn, tags on, 60 days) and "how long do refunds take" (only ``faq/refund_timing`` answers).

The CSVs are read by path at benchmark time (``../shared/datasets/...``); no row is copied into
the project. CLINC150 is out-of-scope traffic for a clothing retailer's FAQ: every row, ``oos``
or any of its ten domains, has no acceptable key.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

FaqKeys = tuple[str, ...]

# The 25 FAQ keys of the shipped bot (faq/<key> in data/nlu/faq_*.yml, utter_faq/<key> in
# config/domain/faq.yml); tests/test_bench_safety_metrics.py checks this against the domain.
FAQ_KEYS: frozenset[str] = frozenset(
    {
        "shipping_time", "shipping_cost", "international_shipping", "track_order",
        "return_policy", "refund_timing", "exchange_item", "payment_methods", "discount_code",
        "gift_cards", "store_hours", "store_locations", "restock", "size_guide", "warranty",
        "product_care", "sustainability", "reset_password", "unsubscribe", "change_address",
        "cancel_order", "loyalty_program", "price_match", "contact_info", "careers",
    }
)  # fmt: skip

NONE: FaqKeys = ()

BITEXT_TO_FAQ: dict[str, FaqKeys] = {
    # -- ORDER --------------------------------------------------------------------------------
    # "cancel purchase 370795561790": the answer says how (Orders page, 1 h) and what after that.
    "cancel_order": ("cancel_order",),
    # add / remove / swap an item of a placed order: no answer covers editing an order's items.
    "change_order": NONE,
    # "how do I buy / order your products": no answer explains how to order (store_locations'
    # "shop online" line is not an answer to it; the issue lists this as a wrong answer).
    "place_order": NONE,
    # "status / ETA of order 00123842": the tracking answer (tracking link, Orders page).
    "track_order": ("track_order",),
    # -- SHIPPING_ADDRESS ---------------------------------------------------------------------
    # "modify / correct my delivery address": the change-address answer (Orders page, 1 h).
    "change_shipping_address": ("change_address",),
    # "set up / enter a new or secondary shipping address" (saved addresses): the change-address
    # answer is about a placed order, not setting one up; no answer covers it.
    "set_up_shipping_address": NONE,
    # -- DELIVERY -----------------------------------------------------------------------------
    # "which delivery methods / options": shipping_time and shipping_cost both list Standard and
    # Express; "can I order from Dublin": international_shipping (split per row: ROW_RULES).
    "delivery_options": ("shipping_time", "shipping_cost", "international_shipping"),
    # "how long does delivery take" (shipping_time) / "when will my order arrive" (track_order).
    "delivery_period": ("shipping_time", "track_order"),
    # -- PAYMENT ------------------------------------------------------------------------------
    # "which payment methods do you accept": the payment-methods answer lists them.
    "check_payment_methods": ("payment_methods",),
    # "report an error / trouble with a payment": a failure needs a person; listing the accepted
    # methods does not answer it.
    "payment_issue": NONE,
    # -- REFUND -------------------------------------------------------------------------------
    # "in which cases can I get my money back" (return_policy: unworn, tags, 60 days, refund to
    # the original method) / "how long do refunds take" (refund_timing); split per row.
    "check_refund_policy": ("return_policy", "refund_timing"),
    # "how do I get a refund / my money back": the return-policy answer (return it, refund to the
    # original payment method). refund_timing only says when, after a return.
    "get_refund": ("return_policy",),
    # "I'm waiting for a refund of $350, was it processed": refund_timing (5-7 days, email).
    "track_refund": ("refund_timing",),
    # -- CANCELLATION_FEE ---------------------------------------------------------------------
    # early-termination / withdrawal fees of a contract: Ridgeline has none and no answer says so.
    "check_cancellation_fee": NONE,
    # -- INVOICE ------------------------------------------------------------------------------
    # find / look at an invoice or bill: no invoice answer.
    "check_invoice": NONE,
    # download / send an invoice: no invoice answer.
    "get_invoice": NONE,
    # -- ACCOUNT ------------------------------------------------------------------------------
    # "open a Pro / Gold account": no answer explains creating an account (loyalty_program only
    # says Trail Points is joined when you create one).
    "create_account": NONE,
    # close / delete / cancel an account: no answer covers it (not cancel_order, not unsubscribe).
    "delete_account": NONE,
    # change personal details on the account profile: no answer covers it (change_address is an
    # order's delivery address; reset_password only the password).
    "edit_account": NONE,
    # "recover / reset my password (PIN, key)": the reset-password answer.
    "recover_password": ("reset_password",),
    # "report a sign-up / registration error": a failure to report, not a forgotten password.
    "registration_problems": NONE,
    # "switch to the Gold / Platinum account": no account tiers here; no answer covers it.
    "switch_account": NONE,
    # -- CONTACT ------------------------------------------------------------------------------
    # "what hours can I call / how do I reach customer service": the contact-info answer.
    "contact_customer_service": ("contact_info",),
    # "let me talk to a person": an explicit request for a human (escalates as asked_for_human).
    "contact_human_agent": NONE,
    # -- FEEDBACK -----------------------------------------------------------------------------
    # "file a complaint / claim against your company": a person handles it; no answer covers it.
    "complaint": NONE,
    # "leave a review / send feedback": no answer covers it.
    "review": NONE,
    # -- NEWSLETTER ---------------------------------------------------------------------------
    # unsubscribe rows: the unsubscribe answer; subscribe rows: no answer (split: ROW_RULES).
    "newsletter_subscription": ("unsubscribe",),
}

_UNSUBSCRIBE = re.compile(r"\b(un-?subscrib\w*|cancel\w*|stop\w*|opt\w* out|remov\w*)", re.I)
_PLACE_ENTITIES = frozenset({"delivery_city", "delivery_country"})


def _newsletter(text: str, entity_type: str) -> FaqKeys:
    """Unsubscribing is answered; signing up or "tell me about it" is not."""
    return ("unsubscribe",) if _UNSUBSCRIBE.search(text) else NONE


def _delivery_options(text: str, entity_type: str) -> FaqKeys:
    """A place to ship to → the international answer; a question about methods → time / cost."""
    if entity_type in _PLACE_ENTITIES:
        return ("international_shipping",)
    return ("shipping_time", "shipping_cost")


_HOW_LONG = re.compile(r"\bhow (long|soon|many days)\b|\btakes?\b", re.I)


def _refund_policy(text: str, entity_type: str) -> FaqKeys:
    """How long a refund takes → refund timing; when one can be asked for → the return policy."""
    return ("refund_timing",) if _HOW_LONG.search(text) else ("return_policy",)


ROW_RULES: dict[str, Callable[[str, str], FaqKeys]] = {
    "check_refund_policy": _refund_policy,
    "newsletter_subscription": _newsletter,
    "delivery_options": _delivery_options,
}


class Case(NamedTuple):
    """One benchmark message: its text, the FAQ keys whose answer is right, where it came from."""

    text: str
    acceptable: FaqKeys
    source: str  # "bitext:<intent>" or "clinc:<label>"


def acceptable_keys(intent: str, text: str = "", entity_type: str = "") -> FaqKeys:
    """The FAQ keys whose answer is right for one Bitext row (empty: must escalate)."""
    if intent not in BITEXT_TO_FAQ:
        raise KeyError(f"unknown Bitext intent {intent!r}")
    rule = ROW_RULES.get(intent)
    return rule(text, entity_type) if rule else BITEXT_TO_FAQ[intent]


def _clean(text: str | None) -> str:
    return " ".join(str(text or "").split())


def bitext_cases(path: Path | str) -> Iterator[Case]:
    """Every row of a Bitext CSV (``utterance,intent,entity_type,...``) as a :class:`Case`."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            text = _clean(record.get("utterance"))
            intent = str(record.get("intent") or "").strip()
            if text and intent:
                keys = acceptable_keys(intent, text, str(record.get("entity_type") or ""))
                yield Case(text, keys, f"bitext:{intent}")


def bitext_rows(path: Path | str) -> Iterator[tuple[str, FaqKeys]]:
    """``(text, acceptable_keys)`` for every row of a Bitext CSV."""
    for case in bitext_cases(path):
        yield case.text, case.acceptable


def clinc_cases(path: Path | str) -> Iterator[Case]:
    """Every row of a CLINC150 CSV (``text,label``): ``oos`` and all ten domains alike are
    out-of-scope traffic for a clothing retailer's FAQ, so nothing is acceptable."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            text = _clean(record.get("text"))
            label = str(record.get("label") or "").strip()
            if text:
                yield Case(text, NONE, f"clinc:{label or 'unlabelled'}")


def clinc_rows(path: Path | str) -> Iterator[tuple[str, FaqKeys]]:
    """``(text, ())`` for every row of a CLINC150 CSV."""
    for case in clinc_cases(path):
        yield case.text, case.acceptable
