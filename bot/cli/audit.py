"""``carebot audit``: the supervisors' answer audit from a terminal (``bot.audit``).

``list`` the bot's sampled answers waiting for a verdict (or decided ones), ``show`` one,
``mark`` it right or wrong (wrong: what it should have been, which becomes a trainer proposal),
``precision``: the production precision with its 95% interval. Who acts: the token's account
(``--token`` / ``CAREBOT_AGENT_TOKEN``): reading needs a supervisor, trainer or admin, marking a
supervisor or admin (as ``/api/audit``); exit 2 without a valid token, 3 for another role.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.cli.common import Subparsers

READERS = ("supervisor", "trainer", "admin")
MARKERS = ("supervisor", "admin")


def _line(item: dict[str, Any]) -> str:
    why = "+".join(w for w, on in (("rate", item["sampled"]), ("low", item["low_confidence"]))
                   if on)
    conf = f"{item['confidence']:.2f}" if item.get("confidence") is not None else "?"
    head = f"{item['id']}  {item['status']:<7} faq/{item['faq']} ({conf}, {why})  " \
           f"{item['conversation']}"
    if item.get("verdict") == "wrong":
        head += f"  → {item.get('correct') or '?'} {item.get('proposal') or ''}".rstrip()
    return head + f"\n    {item['text'][:200]}"


def _show(item: dict[str, Any]) -> str:
    lines = [_line(item), f"    answered: {item.get('answer') or item['response']}",
             f"    model {item.get('model_id') or '?'}; intent "
             f"{item.get('intent_confidence')}, answer {item.get('answer_confidence')}"]
    for guess in item.get("ranking") or []:
        lines.append(f"    guess {guess.get('label')}: {float(guess.get('confidence', 0)):.2f}")
    if item.get("decided_by"):
        lines.append(f"    {item['status']} by {item['decided_by']}"
                     + (f": {item['note']}" if item.get("note") else ""))
    if item.get("proposal_error"):
        lines.append(f"    {item['proposal_error']}")
    return "\n".join(lines)


def cmd_audit(args: argparse.Namespace) -> int:
    from bot.audit.store import AuditError, audit_store
    from bot.audit.verdict import NEGATIVE, NEW_FAQ, judge
    from bot.cli.faq_base import Denied, _identity, _redis, _review, _store
    from bot.settings import get_settings

    try:
        who = _identity(args, MARKERS if args.audit_cmd == "mark" else READERS)
    except Denied as denied:
        print(f"carebot audit: {denied}", file=sys.stderr)
        return denied.code
    store = audit_store(get_settings(), _redis())
    try:
        if args.audit_cmd == "list":
            items = store.list(args.status, args.limit)
            if args.json:
                print(json.dumps(items, ensure_ascii=False, indent=2))
            else:
                print("\n".join(_line(i) for i in items) or f"no {args.status} answers")
        elif args.audit_cmd == "show":
            item = store.get(args.id)
            print(json.dumps(item, ensure_ascii=False, indent=2) if args.json else _show(item))
        elif args.audit_cmd == "precision":
            from bot.audit.precision import describe

            report = store.report(args.days)
            print(json.dumps(report, indent=2) if args.json else describe(report))
        else:
            correct = args.faq or (NEW_FAQ if args.new_faq else NEGATIVE if args.negative
                                   else None)
            item = judge(store, _review(), args.id, args.verdict, who, note=args.note or "",
                         correct=correct, key=args.key, store=_store())
            print(json.dumps(item, ensure_ascii=False, indent=2) if args.json else _show(item))
    except AuditError as error:
        print(f"carebot audit: {error}", file=sys.stderr)
        return 1 if error.code in (404, 409) else 2
    return 0


def register(subparsers: Subparsers) -> None:
    """Add ``audit`` to the ``carebot`` command line."""
    from bot.cli.stats import days_type

    p = subparsers.add_parser("audit", help="the supervisors' audit of the bot's own answers")
    p.add_argument("--token", help="your token (default: CAREBOT_AGENT_TOKEN)")
    sub = p.add_subparsers(dest="audit_cmd", required=True)
    lst = sub.add_parser("list", help="sampled answers waiting for a verdict (or decided ones)")
    lst.add_argument("--status", default="pending",
                     choices=("pending", "right", "wrong", "decided"))
    lst.add_argument("--limit", type=int, default=50, choices=range(1, 501), metavar="N")
    lst.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="one audited answer")
    show.add_argument("id", help="A-000001")
    show.add_argument("--json", action="store_true")
    mark = sub.add_parser("mark", help="mark an answer right or wrong (wrong: say what it "
                                       "should have been; it goes to the trainers)")
    mark.add_argument("id", help="A-000001")
    mark.add_argument("verdict", choices=("right", "wrong"))
    what = mark.add_mutually_exclusive_group()
    what.add_argument("--faq", help="wrong: the FAQ key it should have been")
    what.add_argument("--new-faq", action="store_true", help="wrong: it needs a new FAQ")
    what.add_argument("--negative", action="store_true",
                      help="wrong: no FAQ covers it, the bot should have handed over")
    mark.add_argument("--key", help="--new-faq: a suggested key")
    mark.add_argument("--note", help="for the trainers (at most 500 characters)")
    mark.add_argument("--json", action="store_true")
    prec = sub.add_parser("precision", help="production precision with its 95%% interval")
    prec.add_argument("--days", type=days_type, default=30,
                      help="answers of the last N days (1..365, default 30)")
    prec.add_argument("--json", action="store_true")
    for command in (lst, show, mark, prec):  # also after the command: audit mark … --token T
        command.add_argument("--token", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_audit)
