"""``carebot queue …``: work the agent queue from a terminal, with the same permissions as the
workspace API.

Exit codes: 0 done, 1 the operation failed (e.g. a ticket someone else holds), 2 usage or no
valid agent token (like HTTP 401), 3 your role may not do this (403).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from typing import TYPE_CHECKING

from bot.cli import queue_tools
from bot.cli.common import AuthFailed, accounts, print_json, queue, token

if TYPE_CHECKING:
    from bot.cli.common import Subparsers
    from bot.queue import Ticket
    from bot.workspace.accounts import Accounts

QUEUE_PERMISSIONS = {"list": "read", "show": "read", "note": "note"}
"""Permission each ``carebot queue`` command needs (the others: ``work``), as in the API."""


def queue_identity(args: argparse.Namespace, people: Accounts) -> str:
    """The agent name ``carebot queue`` acts as.

    With a token (``--token`` or ``CAREBOT_AGENT_TOKEN``) the token's account, with the same
    permissions as in the API. Without one: refused once any account exists; before the first
    account (a fresh development setup) ``--agent NAME`` or the login name, with a warning.
    """
    given = token(args)
    needed = queue_tools.permission(args) or QUEUE_PERMISSIONS.get(args.queue_cmd, "work")
    if given:
        who = people.authenticate(given)
        if who is None:
            raise AuthFailed("that agent token is not valid (CAREBOT_AGENT_TOKEN or --token)")
        if args.agent and args.agent != who.name:
            raise AuthFailed(f"--agent {args.agent} is not the token's account ({who.name})")
        if not who.can(needed):
            raise AuthFailed(f"role {who.role!r} may not {args.queue_cmd} tickets", code=3)
        return str(who.name)
    if people.any():
        raise AuthFailed(
            "sign in first: export CAREBOT_AGENT_TOKEN=<your token> (or pass --token); "
            "an admin creates one with: carebot agents add NAME --role agent"
        )
    name = args.agent or getpass.getuser()
    print(f"carebot queue: no agent accounts yet; acting as {name!r} without a token "
          "(create accounts with 'carebot agents add')", file=sys.stderr)
    return str(name)


def ticket_line(t: Ticket) -> str:
    reasons = ",".join(t.reasons)
    waited = int((time.time() - float(t.enqueued_at)) // 60) if t.enqueued_at else 0
    who = f"{t.channel}:{t.sender}"
    return f"{t.id}  P{t.priority}  {t.status:<8} {waited:>4}m  {who}  [{reasons}]  {t.text[:60]!r}"


def show(ticket: Ticket, as_json: bool) -> None:
    if as_json:
        print_json(ticket.to_dict())
        return
    print(ticket_line(ticket))
    print(f"  tone: {json.dumps(ticket.tone, ensure_ascii=False)}")
    found = ticket.nlu.get("entities") or []
    if found:
        print("  details: " + ", ".join(f"{e.get('entity')} {e.get('value')}" for e in found))
    print("  transcript:")
    for turn in ticket.transcript:
        who = turn.get("agent") or turn.get("role")
        print(f"    {who:>9}: {turn.get('text', '')}")
    for note in ticket.notes:
        print(f"     note ({note.get('agent')}): {note.get('text')}")
    print(f"  draft: {ticket.draft}")


def list_tickets(status: str, limit: int) -> list[Ticket]:
    """``open`` = queued then claimed; ``all`` = open, then resolved ones (newest first)."""
    q = queue()
    if status == "open":
        return q.list(status=None, limit=limit)
    if status == "all":
        found = q.list(status=None, limit=limit)
        return found + q.list(status="resolved", limit=limit - len(found))
    return q.list(status=status, limit=limit)


def cmd_queue(args: argparse.Namespace) -> int:
    from bot.conversation import close_ticket, deliver_reply
    from bot.queue.errors import QueueError
    from bot.rasa_ext.client import RasaUnavailable

    try:
        agent = queue_identity(args, accounts())
    except AuthFailed as error:
        print(f"carebot queue: {error}", file=sys.stderr)
        return error.code
    q = queue()
    if args.queue_cmd in queue_tools.COMMANDS:
        return queue_tools.run(args, q, agent)
    try:
        if args.queue_cmd == "list":
            tickets = list_tickets(args.status, args.limit)
            if args.json:
                print_json([t.to_dict() for t in tickets])
            else:
                for t in tickets:
                    print(ticket_line(t))
                if not tickets:
                    print("(queue is empty)")
        elif args.queue_cmd == "claim":
            ticket = q.claim(args.id, agent) if args.id else q.claim_next(agent)
            if ticket is None:
                print("nothing waiting")
                return 1
            show(ticket, args.json)
        elif args.queue_cmd == "show":
            show(q.get(args.id), args.json)
        elif args.queue_cmd == "reply":
            deliver_reply(q, args.id, agent, queue_tools.reply_text(args, q, agent))
            print(f"replied on {args.id}")
        elif args.queue_cmd == "note":
            q.add_note(args.id, agent, args.text)
            print(f"note added to {args.id}")
        elif args.queue_cmd == "release":
            q.release(args.id, agent)
            print(f"{args.id} is back in the queue")
        elif args.queue_cmd == "resolve":
            close_ticket(q, args.id, agent, outcome="resolved")
            print(f"{args.id} resolved; the bot answers this conversation again")
        elif args.queue_cmd == "handback":
            close_ticket(q, args.id, agent, outcome="handed_back")
            print(f"{args.id} handed back to the bot")
    except (QueueError, ValueError, RasaUnavailable) as error:
        print(f"carebot queue: {error}", file=sys.stderr)
        return 1
    return 0


def register(subparsers: Subparsers) -> None:
    q = subparsers.add_parser("queue", help="work the agent queue from a terminal")
    q.add_argument("--token", help="your agent token (default: CAREBOT_AGENT_TOKEN)")
    q.add_argument("--agent", help="your agent name: must match the token; without accounts "
                   "(development) the name to act as (default: your login name)")
    qs = q.add_subparsers(dest="queue_cmd", required=True)
    p = qs.add_parser("list", help="tickets in queue order (default: the open ones)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--status", default="open",
                   choices=["queued", "claimed", "open", "resolved", "all"],
                   help="open = queued + claimed; all = open + resolved")
    p.add_argument("--limit", type=int, default=100)
    p = qs.add_parser("claim", help="claim the next ticket (or a given one)")
    p.add_argument("id", nargs="?")
    p.add_argument("--json", action="store_true")
    p = qs.add_parser("show", help="a ticket with its transcript and draft")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p = qs.add_parser("reply", help="reply to the follower (a text, or --canned KEY)")
    p.add_argument("id")
    p.add_argument("text", nargs="?")
    queue_tools.add_reply_options(p)
    p = qs.add_parser("note", help="add an internal note")
    p.add_argument("id")
    p.add_argument("text")
    for name, text_help in (
        ("release", "put a ticket back in the queue"),
        ("resolve", "close a ticket; the bot answers again"),
        ("handback", "give the conversation back to the bot"),
    ):
        p = qs.add_parser(name, help=text_help)
        p.add_argument("id")
    queue_tools.register(qs)
    q.set_defaults(func=cmd_queue)
