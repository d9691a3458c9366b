"""Negative examples: follower messages the bot answered with an FAQ but should not have.

A supervisor's "wrong, and no FAQ covers it" verdict in the answer audit (:mod:`bot.audit`)
becomes a review proposal of kind ``negative`` (``key``: the FAQ the bot wrongly gave). A
trainer's accept appends its examples to the project's out-of-scope class: the intent
``out_of_scope`` in whichever ``data/nlu/*.yml`` file holds it. The decision function answers
no vetted response for that intent, so the next model hands such messages to a person.

The class is the NLU boundary's (issue 16, item 1); while no NLU file has an ``out_of_scope``
block, accepting is refused (409) and nothing is written: the trainer can still turn the
proposal into new examples of another FAQ or a new FAQ, or reject it.
"""

from __future__ import annotations

from typing import Iterable

from bot.faq.nlu_file import IntentBlock, NluFile
from bot.faq.review import ReviewError
from bot.faq.schema import FAQ_PREFIX, FaqError, clean_example
from bot.faq.store import Change, FaqStore

INTENT = "out_of_scope"


def _block(store: FaqStore) -> tuple[NluFile, IntentBlock] | None:
    for nlu in store.nlu_files():
        block = nlu.block(INTENT)
        if block is not None:
            nlu.verify()
            return nlu, block
    return None


def add_negatives(store: FaqStore, examples: Iterable[str]) -> Change:
    """Append ``examples`` to the ``out_of_scope`` intent (ones it has are skipped).

    :class:`ReviewError`: 409 without an ``out_of_scope`` block in ``data/nlu/``; 422 when an
    example is an FAQ's example (it cannot be both: edit that FAQ first) or unusable."""
    try:
        cleaned = list(dict.fromkeys(clean_example(e) for e in examples))
    except FaqError as error:
        raise ReviewError(str(error)) from None
    if not cleaned:
        raise ReviewError("no example to add")
    with store._locked():
        found = _block(store)
        if found is None:
            raise ReviewError(f"no '{INTENT}' intent in data/nlu/ yet: the model has no "
                              "out-of-scope class to teach; make it an FAQ's examples or a "
                              "new FAQ, or reject it", code=409)
        nlu, block = found
        for intent, known in store.all_examples().items():
            if not intent.startswith(FAQ_PREFIX):
                continue
            clash = {e.text for e in known} & set(cleaned)
            if clash:
                raise ReviewError(f"{sorted(clash)[0]!r} is an example of {intent}: remove it "
                                  "there first (carebot faq edit)")
        current = [e.text for e in block.examples]
        fresh = [e for e in cleaned if e not in current]
        if fresh:
            nlu.replace_examples(block, current + fresh)
            store._write([nlu])
    if not fresh:
        return Change([], [f"every example was in {INTENT} already"])
    return Change([nlu.rel], [f"added {len(fresh)} examples to {INTENT} in {nlu.rel}"])
