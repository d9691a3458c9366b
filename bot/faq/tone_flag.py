"""Agents' tone flags: "the bot's tone call on this message was wrong: it should be calm /
negative / sarcastic", and the reviewed tone corpus a trainer's accept appends to.

An agent (any role with ``note``) marks one follower message of a ticket (queued, claimed or
resolved: the tone call is on the ticket from the start). The message joins the trainers'
review list (:class:`bot.faq.review.ReviewStore`) as a proposal of kind ``tone`` whose
``label`` is the agent's correction; the bot's call (``was``: from the ticket's reasons, for
the message that escalated it) and the tone scores and signals on the ticket go with it, so
the trainer sees what the model thought and why.

Nothing is written to ``data/`` here: a trainer's accept (:func:`append_reviewed`) appends the
message with the corrected label to ``data/tone/reviewed.yml`` (created on the first accept),
which the ToneScorer reads with the rest of ``data/tone`` at the next ``carebot train``
(the tone corpus is part of what ``carebot train`` checks for changes).

Labels: ``calm`` (a neutral question or remark), ``positive`` (sincere thanks or praise: calm
too), ``negative`` (angry, frustrated, threatening, let down), ``sarcastic`` (a positive surface
hiding a complaint; a sarcastic row is negative too). Corpus rows: ``calm`` → ``neutral``,
``positive`` → ``positive``, ``negative`` → ``negative``, ``sarcastic`` → ``negative`` with
``sarcasm: true``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import yaml

from bot.faq.proposal import TONE_LABELS
from bot.faq.review import ReviewError, ReviewStore
from bot.faq.review_keys import fingerprint
from bot.queue.errors import TicketNotFound

if TYPE_CHECKING:
    from bot.queue import AgentQueue

TONE_DIR = "data/tone"
REVIEWED_FILE = "data/tone/reviewed.yml"
MAX_TEXT = 280
"""The tone corpus holds single posts (``data/tone/check_corpus.py`` refuses longer rows)."""
MAX_NOTE = 500
CORPUS_ROW: dict[str, tuple[str, bool]] = {
    "calm": ("neutral", False),
    "positive": ("positive", False),
    "negative": ("negative", False),
    "sarcastic": ("negative", True),
}
HEADER = """\
# reviewed.yml: messages whose tone call an agent marked wrong in the console, with the label a
# trainer accepted (bot/faq/tone_flag.py; the review page /review). Appended by accepting a
# `tone` proposal; each row carries a comment with its proposal, ticket and reviewer.
# Real follower messages: keep what a trainer accepted, remove what should not be kept.
# Same row format as the other data/tone files (data/tone/README.md); check_corpus.py checks it.
tone:
"""


def tone_print(ticket: str, text: str) -> str:
    """A tone flag's fingerprint: apart from FAQ flags, so one message can be both."""
    return fingerprint(f"tone:{ticket}", text)


def bot_call(reasons: list[str]) -> str:
    """The tone the bot gave a ticket's escalated message, from the ticket's reasons."""
    if "sarcasm" in reasons:
        return "sarcastic"
    if "negative_tone" in reasons:
        return "negative"
    return "calm"


def _same(a: Any, b: str) -> bool:
    return " ".join(str(a or "").split()) == b


def check_label(label: Any) -> str:
    if not isinstance(label, str) or label not in TONE_LABELS:
        raise ReviewError(f"label {label!r}: expected one of {', '.join(TONE_LABELS)}")
    return label


def flag_tone(
    review: ReviewStore,
    queue: AgentQueue,
    ticket_id: str,
    text: str,
    agent: str,
    label: str,
    *,
    note: str = "",
) -> dict[str, Any]:
    """Put one follower message of ``ticket_id`` on ``review``'s list as a ``tone`` proposal;
    ``ReviewError`` (with an HTTP-like ``code``) when it cannot be flagged."""
    label = check_label(label)
    try:
        ticket = queue.get(ticket_id)
    except TicketNotFound:
        raise ReviewError(f"no ticket {ticket_id}", code=404) from None
    wanted = " ".join((text or "").split())
    if not wanted:
        raise ReviewError("the message to flag is empty")
    followers = [m for m in ticket.transcript if m.get("role") == "follower"]
    escalated = _same(ticket.text, wanted)
    if not escalated and not any(_same(m.get("text"), wanted) for m in followers):
        raise ReviewError(f"{ticket_id} has no follower message {text!r}")
    if len(wanted) > MAX_TEXT:
        raise ReviewError(f"the message is longer than {MAX_TEXT} characters: the tone corpus "
                          "holds single posts")
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise ReviewError(f"the note is longer than {MAX_NOTE} characters")
    was = bot_call(list(ticket.reasons)) if escalated else ""
    calm = {"calm", "positive"}
    if was and (was == label or (was == "calm" and label in calm)):
        raise ReviewError(f"the bot called this message {was} already", code=409)
    holder = review.redis.hget(review.keys.seen, tone_print(ticket_id, wanted))
    if holder is not None:
        pid = holder.decode() if isinstance(holder, bytes) else str(holder)
        raise ReviewError(f"that message's tone is in the review list already ({pid})", code=409)
    message: dict[str, Any] = {"text": wanted, "ticket": ticket_id,
                               "reasons": list(ticket.reasons), "source": "flag",
                               "flagged_by": agent, "was": was,
                               "tone": dict(ticket.tone) if escalated else {}}
    if note:
        message["note"] = note
    return review.create({"kind": "tone", "label": label, "examples": [wanted],
                          "messages": [message], "source": "flag"}, actor=agent)


# -- the reviewed corpus ----------------------------------------------------------------------

_VS = dict.fromkeys([0xFE0E, 0xFE0F, 0x200D, 0x200B])


def normalise(text: str) -> str:
    """As ``data/tone/check_corpus.py`` compares rows: NFKC, lowercase, every punctuation or
    whitespace run one space, emoji kept (a test checks the two agree)."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_VS)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        out.append(" " if cat[0] in "PZC" or (cat[0] == "S" and ord(ch) < 0x2000) else ch)
    norm = " ".join("".join(out).split())
    return norm or " ".join(text.split())


def corpus_texts(home: Path) -> dict[str, tuple[str, str, bool]]:
    """Normalised text → (file, label, sarcasm) for every row of ``data/tone/*.yml``."""
    found: dict[str, tuple[str, str, bool]] = {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster on 18k rows
    for path in sorted((home / TONE_DIR).glob("*.yml")):
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506
        for row in document.get("tone") or []:
            if isinstance(row, dict) and isinstance(row.get("text"), str):
                found.setdefault(normalise(row["text"]),
                                 (path.name, str(row.get("label")), bool(row.get("sarcasm"))))
    return found


def row_line(text: str, label: str) -> str:
    """One flow-style row (``- {text: "…", label: negative, sarcasm: true}``)."""
    polarity, sarcasm = CORPUS_ROW[check_label(label)]
    dumped = yaml.safe_dump({"text": text, "label": polarity, "sarcasm": sarcasm},
                            default_flow_style=True, allow_unicode=True, width=10**6,
                            sort_keys=False).strip()
    return f"  - {dumped}\n"


_COMMENT_SAFE = re.compile(r"[^\w .:@+-]")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def append_reviewed(
    home: Path, text: str, label: str, *, provenance: str = "", lock_path: Path | None = None,
    clock: float | None = None,
) -> dict[str, Any]:
    """Append ``text`` with ``label`` to ``data/tone/reviewed.yml``; ``{"files", "summary"}``.

    Refused (``ReviewError``, nothing written) when the text is not a single post, or when a
    ``data/tone`` file holds it already with another label (edit that row instead); a row
    with the same label already there is not written twice. The file is written to a
    temporary file, parsed back, and renamed: never half a file."""
    label = check_label(label)
    clean = " ".join((text or "").split())
    if not clean or len(clean) > MAX_TEXT:
        raise ReviewError(f"the message must be 1..{MAX_TEXT} characters for the tone corpus")
    polarity, sarcasm = CORPUS_ROW[label]
    path = home / REVIEWED_FILE
    with _locked(lock_path or home / "var" / "tone-review.lock"):
        known = corpus_texts(home).get(normalise(clean))
        if known is not None:
            name, old_label, old_sarcasm = known
            if (old_label, old_sarcasm) == (polarity, sarcasm):
                return {"files": [], "summary": [f"data/tone/{name} has this message as "
                                                 f"{label} already"]}
            was = "sarcastic" if old_sarcasm else old_label
            raise ReviewError(f"data/tone/{name} has this message labelled {was}: edit that "
                              "row instead")
        current = path.read_text(encoding="utf-8") if path.exists() else HEADER
        if not current.endswith("\n"):
            current += "\n"
        when = time.strftime("%Y-%m-%d", time.gmtime(clock if clock is not None else time.time()))
        note = _COMMENT_SAFE.sub(" ", provenance).strip()
        updated = current + f"  # {when} {note}".rstrip() + "\n" + row_line(clean, label)
        rows = (yaml.safe_load(updated) or {}).get("tone") or []
        if not rows or rows[-1] != {"text": clean, "label": polarity, "sarcasm": sarcasm}:
            raise ReviewError(f"{REVIEWED_FILE}: the new row did not read back; nothing written")
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".yml.tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(updated)
        os.replace(tmp, path)
    return {"files": [REVIEWED_FILE],
            "summary": [f"appended to {REVIEWED_FILE} as {label}: {clean[:80]}"]}
