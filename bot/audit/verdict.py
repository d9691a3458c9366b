"""A supervisor's verdict on one audited answer, and the trainer proposal a wrong one becomes.

``right``: the answer stands (it counts towards the precision). ``wrong`` needs what the
message should have got (``correct``):

- an FAQ key (not the one given): an ``examples`` proposal for that FAQ (joining a pending one
  for the key), the FAQ review list's existing path (as an agent's flag, :mod:`bot.faq.flag`);
- ``new_faq``: a ``new_faq`` proposal (optional suggested ``key``; the trainer writes the
  answer);
- ``negative``: no FAQ covers it, the bot should have handed over: a ``negative`` proposal
  (:mod:`bot.faq.negative`).

The verdict is recorded first (one Lua script: a second supervisor gets a 409), then the
proposal; a message already on the review list is not proposed twice (the audit item links to
the proposal that holds it). A message that cannot be a training example (too long) is marked
without a proposal (``proposal_error`` says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.audit.store import MAX_NOTE, VERDICTS, AuditError, AuditStore
from bot.faq.review_keys import fingerprint
from bot.faq.schema import FaqError, check_key, clean_example

if TYPE_CHECKING:
    from bot.faq.review import ReviewStore
    from bot.faq.store import FaqStore

NEW_FAQ = "new_faq"
NEGATIVE = "negative"


def _check(item: dict[str, Any], verdict: str, correct: str | None, key: str | None,
           store: FaqStore | None) -> tuple[str, str | None]:
    """``(correct, new key)`` checked, or :class:`AuditError`."""
    if verdict not in VERDICTS:
        raise AuditError(f"verdict {verdict!r}: expected right or wrong")
    if verdict == "right":
        if correct or key:
            raise AuditError("a right answer takes no correction")
        return "", None
    if not correct:
        raise AuditError("a wrong answer needs what it should have been: an FAQ key, "
                         f"'{NEW_FAQ}' or '{NEGATIVE}' (no FAQ covers it)")
    new_key = None
    try:
        if key:
            if correct != NEW_FAQ:
                raise AuditError(f"'key' names a new FAQ: only with '{NEW_FAQ}'")
            new_key = check_key(key)
        if correct in (NEW_FAQ, NEGATIVE):
            known = store.faqs() if store is not None and new_key is not None else {}
            if new_key is not None and new_key in known:
                raise AuditError(f"FAQ {new_key!r} exists already: mark it as that FAQ")
            return correct, new_key
        faq = check_key(correct)
    except FaqError as error:
        raise AuditError(str(error)) from None
    if faq == item.get("faq"):
        raise AuditError(f"{faq} is the answer the bot gave: mark it right, or say what it "
                         "should have been")
    if store is not None and faq not in store.faqs():
        raise AuditError(f"no FAQ {faq!r}: mark it '{NEW_FAQ}' instead")
    return faq, new_key


def judge(
    audit: AuditStore,
    review: ReviewStore,
    audit_id: str,
    verdict: str,
    actor: str,
    *,
    note: str = "",
    correct: str | None = None,
    key: str | None = None,
    store: FaqStore | None = None,
) -> dict[str, Any]:
    """Mark ``audit_id`` and, when wrong, propose the fix to the trainers; the audit item
    (with ``proposal``: the review proposal id). :class:`AuditError` with an HTTP-like code."""
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise AuditError(f"the note is longer than {MAX_NOTE} characters")
    item = audit.get(audit_id)
    if item["status"] != "pending":
        raise AuditError(f"{audit_id} is marked {item['status']} already", code=409)
    key = (key or "").strip() or None
    correct, new_key = _check(item, verdict, correct, key, store)
    marked = audit.mark(audit_id, verdict, actor, note=note, correct=correct)
    if verdict == "right":
        return marked
    try:
        example = clean_example(str(item.get("text") or ""))
    except FaqError as error:
        marked["proposal_error"] = f"not proposed to the trainers: {error}"
        return marked
    pid = _propose(review, marked, example, correct, new_key, actor, note)
    audit.link_proposal(audit_id, pid)
    marked["proposal"] = pid
    return marked


def _propose(review: ReviewStore, item: dict[str, Any], example: str, correct: str,
             new_key: str | None, actor: str, note: str) -> str:
    holder = review.redis.hget(review.keys.seen, fingerprint("", example))
    if holder is not None:
        return holder.decode() if isinstance(holder, bytes) else str(holder)
    message: dict[str, Any] = {
        "text": example, "ticket": "", "audit": item["id"], "answered": item.get("faq", ""),
        "conversation": item.get("conversation", ""), "reasons": [], "replies": [],
        "source": "audit", "flagged_by": actor, "was": f"answered {item.get('faq', '')}",
    }
    if note:
        message["note"] = note
    if correct == NEW_FAQ:
        proposal = {"kind": "new_faq", "key": new_key or "", "examples": [example],
                    "messages": [message], "source": "audit", "answer": ""}
        return str(review.create(proposal, actor=actor)["id"])
    if correct == NEGATIVE:
        proposal = {"kind": "negative", "key": item.get("faq", ""), "examples": [example],
                    "messages": [message], "source": "audit"}
        return str(review.create(proposal, actor=actor)["id"])
    proposal = {"kind": "examples", "key": correct, "examples": [example],
                "messages": [message], "source": "audit"}
    return str(review.merge(proposal, actor=actor)["id"])
