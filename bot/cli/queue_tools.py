"""``carebot queue canned|label|labels|search|reindex`` and ``reply --canned``: the agents'
daily tools from a terminal, with the API's permissions (``bot.cli.queue`` wires them in).

    carebot queue canned list [-q WORDS] [--json]
    carebot queue canned add KEY --title T --text "Hi {{first_name}}…"     (permission canned)
    carebot queue canned edit KEY [--title T] [--text X] / canned remove KEY
    carebot queue reply T-000042 --canned KEY [--set first_name=Ana]      (render, then send)
    carebot queue label T-000042 add|remove NAME
    carebot queue labels [--json]
    carebot queue search [WORDS…] [--channel C] [--label L] [--reason R] [--by AGENT]
                         [--status S] [--from DATE] [--to DATE] [--limit N] [--json]
    carebot queue reindex                                                  (admins)
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bot.cli.common import print_json

if TYPE_CHECKING:
    from bot.queue import AgentQueue

COMMANDS = ("canned", "label", "labels", "search", "reindex")


def permission(args: argparse.Namespace) -> str | None:
    """What the command needs (``None``: not one of these; ``bot.cli.queue`` decides)."""
    cmd = args.queue_cmd
    if cmd == "canned":
        return "read" if args.canned_cmd == "list" else "canned"
    return {"label": "label", "labels": "read", "search": "read",
            "reindex": "accounts"}.get(cmd)


def _store(q: AgentQueue) -> Any:
    from bot.faq.store import faq_store
    from bot.settings import get_settings
    from bot.workspace.canned import CannedStore

    return CannedStore(q.redis, prefix=q.keys.prefix, faqs=faq_store(get_settings()).faqs)


def reply_text(args: argparse.Namespace, q: AgentQueue, agent: str) -> str:
    """The reply ``carebot queue reply`` sends: the text, or the canned response rendered for
    the ticket (``--set name=value`` fills or overrides a variable). ``ValueError`` when the text
    still holds a blank or a ``{{variable}}``."""
    from bot.workspace.canned import VARIABLES, render, ticket_values, unfilled

    if args.canned:
        if args.text:
            raise ValueError("give a text or --canned KEY, not both")
        store = _store(q)
        item = store.get(args.canned)
        values = ticket_values(q.get(args.id), agent)
        for pair in args.set or []:
            name, sep, value = pair.partition("=")
            if not sep or name not in VARIABLES or not value.strip():
                raise ValueError(f"--set {pair!r}: NAME=VALUE, NAME one of {', '.join(VARIABLES)}")
            values[name] = value.strip()
        text = render(item.text, values).text
        store.use(item.key)
    elif args.text:
        text = args.text
    else:
        raise ValueError("give the reply text, or --canned KEY")
    blanks = unfilled(text)
    if blanks:
        raise ValueError(f"fill in {', '.join(blanks)} first (--set NAME=VALUE); not sent:\n"
                         f"{text}")
    return text


def run(args: argparse.Namespace, q: AgentQueue, agent: str) -> int:
    from bot.queue.errors import QueueError
    from bot.queue.labels import Labels
    from bot.queue.search import Query, SearchIndex, parse_time

    try:
        if args.queue_cmd == "canned":
            return _canned(args, q, agent)
        if args.queue_cmd == "label":
            labels = Labels(q)
            fn = labels.add if args.action == "add" else labels.remove
            now = fn(args.id, agent, args.name)
            print(f"{args.id}: {', '.join(now) or '(no labels)'}")
        elif args.queue_cmd == "labels":
            registry = Labels(q).registry()
            if args.json:
                print_json(registry)
            for name, info in registry.items():
                if not args.json:
                    print(f"{name:<32} {info['colour']}  {info['tickets']} tickets")
        elif args.queue_cmd == "search":
            query = Query(
                text=" ".join(args.words), channel=args.channel, label=args.label,
                reason=args.reason, agent=args.search_agent, status=args.status,
                start=parse_time(args.since, "from") if args.since else None,
                end=parse_time(args.until, "to", end_of_day=True) if args.until else None,
                limit=args.limit)
            result = SearchIndex(q.redis, prefix=q.keys.prefix).search(query)
            if args.json:
                print_json(result.to_dict())
                return 0
            for row in result.hits:
                labels_text = f" [{', '.join(row['labels'])}]" if row["labels"] else ""
                print(f"{row['id']}  {row['status']:<8} {row['channel']}:{row['sender']}"
                      f"{labels_text}  {row['snippet'][:80]!r}")
            more = "+" if result.more else ""
            print(f"({len(result.hits)} shown; {result.total if result.total is not None else '?'}"
                  f"{more} found)" if result.hits else "(nothing found)")
        elif args.queue_cmd == "reindex":
            from bot.queue.index import script_head

            done = SearchIndex(q.redis, prefix=q.keys.prefix).reindex(script_head(q))
            print(f"indexed {done} tickets")
    except (QueueError, ValueError) as error:  # CannedError, LabelError, SearchError too
        print(f"carebot queue: {error}", file=sys.stderr)
        return 1
    return 0


def _canned(args: argparse.Namespace, q: AgentQueue, agent: str) -> int:
    store = _store(q)
    if args.canned_cmd == "list":
        items = store.list(args.q or "")
        if args.json:
            print_json([c.to_dict() for c in items])
        for c in items if not args.json else []:
            print(f"{c.key:<40} {c.uses:>5} uses  {c.title}")
    elif args.canned_cmd == "add":
        print(f"added {store.create(args.key, args.title, args.text, agent).key}")
    elif args.canned_cmd == "edit":
        print(f"edited {store.update(args.key, agent, args.title, args.text).key}")
    elif args.canned_cmd == "remove":
        store.delete(args.key)
        print(f"removed {args.key}")
    return 0


def register(qs: Any) -> None:
    """Add the commands to ``carebot queue``'s subparsers."""
    p = qs.add_parser("canned", help="canned responses: list, add, edit, remove")
    cs = p.add_subparsers(dest="canned_cmd", required=True)
    c = cs.add_parser("list", help="team responses and the bot's FAQ answers (faq/<key>)")
    c.add_argument("-q", help="only those with these words (key, title, text)")
    c.add_argument("--json", action="store_true")
    c = cs.add_parser("add", help="save a team response (supervisors, trainers, admins)")
    c.add_argument("key")
    c.add_argument("--title", required=True)
    c.add_argument("--text", required=True, help="may use {{first_name}}, {{order_number}}, "
                   "{{tracking_number}}, {{agent_name}}")
    c = cs.add_parser("edit", help="change a team response")
    c.add_argument("key")
    c.add_argument("--title")
    c.add_argument("--text")
    c = cs.add_parser("remove", help="delete a team response")
    c.add_argument("key")
    p = qs.add_parser("label", help="add or remove a label on a ticket")
    p.add_argument("id")
    p.add_argument("action", choices=["add", "remove"])
    p.add_argument("name")
    p = qs.add_parser("labels", help="labels with their colours and ticket counts")
    p.add_argument("--json", action="store_true")
    p = qs.add_parser("search", help="find tickets by words, follower, channel, label, …")
    p.add_argument("words", nargs="*", help="words of the transcript or the follower's id/name")
    p.add_argument("--channel")
    p.add_argument("--label")
    p.add_argument("--reason")
    p.add_argument("--by", dest="search_agent", metavar="AGENT",
                   help="an agent who held or closed the ticket")
    p.add_argument("--status", choices=["queued", "claimed", "resolved", "open"])
    p.add_argument("--from", dest="since", metavar="DATE", help="created on or after")
    p.add_argument("--to", dest="until", metavar="DATE", help="created on or before")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    qs.add_parser("reindex", help="index every ticket for search (after an upgrade; admins)")


def add_reply_options(p: argparse.ArgumentParser) -> None:
    """``reply``'s options for canned responses (its text becomes optional)."""
    p.add_argument("--canned", metavar="KEY", help="send this canned response, rendered for the "
                   "ticket (faq/<key> for a FAQ answer)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="fill a variable of the canned response (e.g. first_name=Ana)")
