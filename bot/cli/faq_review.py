"""``carebot faq suggest``, ``carebot faq review …`` and ``carebot faq flag`` (the trainers'
review list; the parser is in :mod:`bot.cli.faq`)."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from bot.cli.faq_base import (
    TRAINER_ROLES,
    _edit_in_editor,
    _err,
    _identity,
    _maybe_train,
    _print_json,
    _queue,
    _review,
    _store,
)

if TYPE_CHECKING:
    from bot.faq.review import ReviewStore
    from bot.faq.store import FaqStore

# -- suggestions and review --------------------------------------------------------------------


def _tone_text(p: dict[str, Any]) -> list[str]:
    lines = []
    for m in p["messages"]:
        tone = m.get("tone") or {}
        scores = (f" (negative {float(tone.get('negative', 0)):.2f}, sarcasm "
                  f"{float(tone.get('sarcasm', 0)):.2f})") if tone else ""
        lines.append(f"  {m.get('ticket', '')} flagged by {m.get('flagged_by', '?')}: the bot "
                     f"called it {m.get('was') or '(not on the ticket)'}{scores}")
        lines.append(f"    {m['text']}")
        lines += [f"    signal: {s}" for s in tone.get("signals") or []]
        if m.get("note"):
            lines.append(f"    note: {m['note']}")
    lines.append(f"  accepting appends it to data/tone/reviewed.yml as {p['label']} "
                 f"(faq review accept {p['id']} --label calm|positive|negative|sarcastic)")
    return lines


def _proposal_text(p: dict[str, Any], full: bool = False) -> str:
    what = ("new examples for faq/" + p["key"]) if p["kind"] == "examples" else \
        f"tone: should be {p.get('label')}" if p["kind"] == "tone" else \
        f"negative: not faq/{p['key']} (out_of_scope)" if p["kind"] == "negative" else \
        f"NEW FAQ {p['key'] or '(key?)'}"
    lines = [f"{p['id']}  {p['status']:<8} {what}  ({len(p['messages'])} messages, "
             f"source {p['source']})"]
    if not full:
        first = p["messages"][0]["text"] if p["messages"] else ""
        return lines[0] + f"  e.g. {first[:50]!r}"
    if p["kind"] == "tone":
        lines += _tone_text(p)
        if p["status"] != "pending":
            lines.append(f"  {p['status']} by {p.get('decided_by')} {p.get('note') or ''}".rstrip())
            lines += [f"    {line}" for line in (p.get("result") or {}).get("summary", [])]
        return "\n".join(lines)
    if p.get("needs_examples"):
        lines.append(f"  needs {p['needs_examples']} more examples before it can be accepted "
                     f"(faq review edit {p['id']} --add-example …)")
    lines.append("  examples to add:")
    lines += [f"    - {e}" for e in p["examples"]]
    if p["kind"] == "new_faq":
        lines.append(f"  proposed answer ({p.get('answer_source') or 'none'}) — vet it:")
        lines.append(f"    {p.get('answer') or '(none: give one with --answer)'}")
        if p.get("topic"):
            lines.append(f"  topic file: {p['topic']}")
    lines.append("  escalated messages:")
    for m in p["messages"]:
        who = f" flagged by {m['flagged_by']}" if m.get("flagged_by") else ""
        lines.append(f"    {m.get('ticket', '')} [{','.join(m.get('reasons') or [])}]{who}: "
                     f"{m['text']}")
        if m.get("note"):
            lines.append(f"        note: {m['note']}")
        for reply in m.get("replies") or []:
            lines.append(f"        agent: {reply}")
    if p.get("alternatives"):
        alts = ", ".join(f"{a['key']} {a['score']:.2f}" for a in p["alternatives"])
        lines.append(f"  closest FAQs: {alts}")
    if p["status"] != "pending":
        lines.append(f"  {p['status']} by {p.get('decided_by')} {p.get('note') or ''}".rstrip())
        for line in (p.get("result") or {}).get("summary", []):
            lines.append(f"    {line}")
    return "\n".join(lines)


def cmd_suggest(args: argparse.Namespace) -> int:
    from bot.faq.suggest import suggest

    since = time.time() - args.since_days * 86400 if args.since_days else None
    proposals = suggest(_queue(), _review(), _store(), since=since, limit=args.limit,
                        min_similarity=args.min_similarity, dry_run=args.dry_run)
    if args.json:
        _print_json(proposals)
        return 0
    for p in proposals:
        if args.dry_run:
            what = "examples for faq/" + p["key"] if p["kind"] == "examples" else \
                f"new FAQ {p['key']}"
            print(f"(dry run) {what}: {p['examples']}")
        else:
            print(_proposal_text(p, full=True))
            print()
    if not proposals:
        print("no new suggestions (no unreviewed low-confidence/ambiguous escalations that "
              "agents resolved)")
    elif not args.dry_run:
        print(f"{len(proposals)} proposal(s) waiting for review: carebot faq review")
    return 0


def _interactive(
    args: argparse.Namespace, review: ReviewStore, store: FaqStore, actor: str
) -> int:
    pending = review.list("pending", limit=1000)
    if not pending:
        print("nothing to review")
        return 0
    accepted = 0
    for item in pending:
        print()
        print(_proposal_text(item, full=True))
        while True:
            choice = input("[a]ccept  [e]dit  [r]eject  [s]kip  [q]uit > ").strip().lower()[:1]
            if choice == "a":
                try:
                    done = review.accept(item["id"], actor, store)
                    for line in done["result"].get("summary", []):
                        print(f"  {line}")
                    accepted += 1
                    break
                except Exception as error:  # ReviewError: show and ask again
                    print(f"  refused: {error}")
            elif choice == "e" and item["kind"] == "tone":
                label = input("  label (calm, positive, negative, sarcastic) > ").strip()
                if label:
                    item = review.edit(item["id"], actor, label=label)
                print(_proposal_text(item, full=True))
            elif choice == "e":
                edited = _edit_in_editor(
                    {"kind": item["kind"], "key": item["key"], "answer": item.get("answer", ""),
                     "topic": item.get("topic", ""), "examples": item["examples"]},
                    f"proposal {item['id']}")
                if edited is not None:
                    item = review.edit(item["id"], actor, kind=edited.get("kind"),
                                       key=edited.get("key"),
                                       answer=edited.get("answer") or None,
                                       examples=[str(e) for e in edited.get("examples") or []],
                                       topic=edited.get("topic") or None)
                print(_proposal_text(item, full=True))
            elif choice == "r":
                reason = input("  reason (optional) > ")
                review.reject(item["id"], actor, reason)
                break
            elif choice == "s":
                break
            elif choice == "q":
                return _after_review(args, accepted)
    return _after_review(args, accepted)


def _after_review(args: argparse.Namespace, accepted: int) -> int:
    if accepted:
        print(f"{accepted} accepted")
        return _maybe_train(args)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    """(Refusals and denied identities are reported by ``bot.cli.faq._safe``.)"""
    review = _review()
    action = args.review_cmd or "list"
    if action == "list":
        status = getattr(args, "status", "pending")
        items = review.list(status, limit=getattr(args, "limit", 100))
        if getattr(args, "json", False):
            _print_json(items)
        else:
            for item in items:
                print(_proposal_text(item))
            if not items:
                print(f"(no {status} proposals)")
        return 0
    if action == "show":
        item = review.get(args.id)
        _print_json(item) if args.json else print(_proposal_text(item, full=True))
        return 0
    actor = _identity(args, TRAINER_ROLES)
    store = _store()
    if action == "interactive":
        return _interactive(args, review, store, actor)
    if action == "accept":
        item = review.accept(args.id, actor, store, key=args.key, answer=args.answer,
                             examples=args.example, topic=args.topic,
                             label=getattr(args, "label", None))
        print(_proposal_text(item, full=True))
        return _maybe_train(args)
    if action == "edit":
        item = review.edit(args.id, actor, kind=args.kind, key=args.key, answer=args.answer,
                           examples=args.example, add_examples=args.add_example or [],
                           remove_examples=args.remove_example or [], topic=args.topic,
                           label=getattr(args, "label", None))
        print(_proposal_text(item, full=True))
        return 0
    if action == "reject":
        item = review.reject(args.id, actor, args.reason or "")
        print(_proposal_text(item))
        return 0
    return 2


def cmd_flag(args: argparse.Namespace) -> int:
    """(Refusals and denied identities are reported by ``bot.cli.faq._safe``.)"""
    if bool(args.faq) == bool(args.new):
        _err("give --faq KEY (\"should have been FAQ KEY\") or --new (\"new FAQ\")")
        return 2
    from bot.faq.flag import flag

    agent = _identity(args, None)
    item = flag(_review(), _queue(), args.ticket, args.message, agent,
                faq=args.faq, store=_store(), key=args.key,
                note=args.note or "", use_reply=not args.no_reply)
    print(_proposal_text(item))
    return 0
