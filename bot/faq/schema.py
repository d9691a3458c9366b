"""What an FAQ is on disk, and the checks on a trainer's input.

The names and paths (``faq/KEY`` intents in ``data/nlu/faq_TOPIC.yml``, ``utter_faq/KEY``
responses in ``config/domain/faq.yml``), :class:`FaqError`, and the cleaning of a key, topic,
example or answer before anything is written.
"""

from __future__ import annotations

import re

FAQ_PREFIX = "faq/"
RESPONSE_PREFIX = "utter_faq/"
NLU_DIR = "data/nlu"
DOMAIN_DIR = "config/domain"
DOMAIN_FILE = "config/domain/faq.yml"
DEFAULT_TOPIC = "misc"
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
TOPIC_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_EXAMPLE_CHARS = 1000
ENTITY_MARKUP = re.compile(r"\[[^\]\n]*\]\s*[({]")


class FaqError(ValueError):
    """An FAQ operation that cannot be done (unknown key, bad input, file layout)."""


def unquote(value: str) -> str:
    """A YAML scalar as written in a key or item (``"x"``, ``'x'`` or ``x``) → ``x``."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def clean_example(text: str) -> str:
    """An example as one tidy line; :class:`FaqError` if it cannot be a training example."""
    if not isinstance(text, str):
        raise FaqError("an example must be a string")
    line = " ".join(text.split())
    if not line:
        raise FaqError("an example is empty")
    if len(line) > MAX_EXAMPLE_CHARS:
        raise FaqError(f"an example is longer than {MAX_EXAMPLE_CHARS} characters: {line[:60]!r}…")
    if ENTITY_MARKUP.search(line):
        raise FaqError(
            f"example {line!r} contains '[…](…)', which Rasa reads as an entity annotation; "
            "rephrase it without brackets"
        )
    return line


def clean_answer(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise FaqError("the answer is empty")
    lines = [" ".join(part.split()) for part in text.strip().splitlines()]
    return "\n".join(lines)


def check_key(key: str) -> str:
    key = (key or "").strip()
    if key.startswith(FAQ_PREFIX):
        key = key[len(FAQ_PREFIX) :]
    if not KEY_PATTERN.match(key):
        raise FaqError(
            f"FAQ key {key!r}: use 2-60 lower-case letters, digits and _ (e.g. 'rental_gear')"
        )
    return key


def topic_file(topic: str | None) -> str:
    """``None`` → ``data/nlu/faq_misc.yml``; ``"shipping"``, ``"faq_shipping"`` or
    ``"faq_shipping.yml"`` → ``data/nlu/faq_shipping.yml``."""
    name = (topic or DEFAULT_TOPIC).strip()
    name = name.rsplit("/", 1)[-1]
    if name.endswith(".yml"):
        name = name[:-4]
    if name.startswith("faq_"):
        name = name[4:]
    if not TOPIC_PATTERN.match(name):
        raise FaqError(f"topic {topic!r}: use lower-case letters, digits and _ (e.g. 'orders')")
    return f"{NLU_DIR}/faq_{name}.yml"
