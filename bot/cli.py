"""``carebot``: run the product, train, ask the bot's decision, and work the agent queue.

Exit codes: 0 done, 1 the operation failed (e.g. a ticket someone else holds), 2 usage or
configuration error, or no valid agent token (like HTTP 401), 3 your role may not do this (403).
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import os
import sys
from typing import Any, Sequence

from bot.settings import ConfigError, get_settings


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


def cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import run

    return run(workspace=not args.no_workspace)


def cmd_validate(args: argparse.Namespace) -> int:
    from bot.validation import validate

    problems = validate(get_settings().home)
    for problem in problems:
        print(f"carebot validate: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("carebot validate: domain, NLU data, rules and stories are valid")
    return 0


def _interpreter() -> Any:
    from bot.escalation.config import load_escalation_config
    from bot.interpreter import Interpreter

    s = get_settings()
    return Interpreter.from_models_dir(s.models_dir, load_escalation_config(s.escalation_config))


def _decision_json(decision: Any) -> dict[str, Any]:
    data = decision.as_json()
    keys = ("decision", "faq", "reasons", "confidence", "tone", "intent", "priority", "language")
    return {k: data[k] for k in keys}


def cmd_decide(args: argparse.Namespace) -> int:
    if (args.text is None) == (args.file is None):
        print("carebot decide: give either TEXT or --file FILE.csv", file=sys.stderr)
        return 2
    interpreter = _interpreter()
    if args.text is not None:
        _print_json(_decision_json(interpreter.decide(args.text)))
        return 0
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    with open(args.file, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "text" not in reader.fieldnames:
            print(f"carebot decide: {args.file} has no 'text' column", file=sys.stderr)
            return 2
        for row in reader:
            result = _decision_json(interpreter.decide(row["text"] or ""))
            out.write(json.dumps({"text": row["text"], **result}, ensure_ascii=False) + "\n")
    if out is not sys.stdout:
        out.close()
    return 0


def _queue() -> Any:
    import redis

    from bot.queue import AgentQueue

    s = get_settings()
    client = redis.Redis.from_url(s.redis_url, decode_responses=True, socket_timeout=5)
    return AgentQueue(client, prefix=s.queue_prefix, lease_seconds=s.lease_seconds)


def _agent(args: argparse.Namespace) -> str:
    return str(args.agent)


def _accounts() -> Any:
    import redis

    from bot.workspace.accounts import Accounts

    s = get_settings()
    client = redis.Redis.from_url(s.redis_url, decode_responses=True, socket_timeout=5)
    return Accounts(client, prefix=s.queue_prefix, session_seconds=s.session_hours * 3600)


def _token(args: argparse.Namespace) -> str | None:
    return getattr(args, "token", None) or get_settings().agent_token or None


class AuthFailed(Exception):
    """No valid token (exit 2) or a role without the permission (exit 3)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


QUEUE_PERMISSIONS = {"list": "read", "show": "read", "note": "note"}
"""Permission each ``carebot queue`` command needs (the others: ``work``), as in the API."""


def _queue_identity(args: argparse.Namespace, accounts: Any) -> str:
    """The agent name ``carebot queue`` acts as.

    With a token (``--token`` or ``CAREBOT_AGENT_TOKEN``) the token's account, with the same
    permissions as in the API. Without one: refused once any account exists; before the first
    account (a fresh development setup) ``--agent NAME`` or the login name, with a warning.
    """
    token = _token(args)
    needed = QUEUE_PERMISSIONS.get(args.queue_cmd, "work")
    if token:
        who = accounts.authenticate(token)
        if who is None:
            raise AuthFailed("that agent token is not valid (CAREBOT_AGENT_TOKEN or --token)")
        if args.agent and args.agent != who.name:
            raise AuthFailed(f"--agent {args.agent} is not the token's account ({who.name})")
        if not who.can(needed):
            raise AuthFailed(f"role {who.role!r} may not {args.queue_cmd} tickets", code=3)
        return str(who.name)
    if accounts.any():
        raise AuthFailed(
            "sign in first: export CAREBOT_AGENT_TOKEN=<your token> (or pass --token); "
            "an admin creates one with: carebot agents add NAME --role agent"
        )
    name = args.agent or getpass.getuser()
    print(f"carebot queue: no agent accounts yet; acting as {name!r} without a token "
          "(create accounts with 'carebot agents add')", file=sys.stderr)
    return str(name)


def _ticket_line(t: Any) -> str:
    import time

    reasons = ",".join(t.reasons)
    waited = int((time.time() - float(t.enqueued_at)) // 60) if t.enqueued_at else 0
    who = f"{t.channel}:{t.sender}"
    return f"{t.id}  P{t.priority}  {t.status:<8} {waited:>4}m  {who}  [{reasons}]  {t.text[:60]!r}"


def cmd_queue(args: argparse.Namespace) -> int:
    from bot.queue.errors import QueueError
    from bot.rasa_client import RasaUnavailable

    try:
        args.agent = _queue_identity(args, _accounts())
    except AuthFailed as error:
        print(f"carebot queue: {error}", file=sys.stderr)
        return error.code
    queue = _queue()
    try:
        if args.queue_cmd == "list":
            status = None if args.status == "all" else args.status
            tickets = queue.list(status=status, limit=args.limit)
            if args.json:
                _print_json([t.to_dict() for t in tickets])
            else:
                for t in tickets:
                    print(_ticket_line(t))
                if not tickets:
                    print("(queue is empty)")
        elif args.queue_cmd == "claim":
            ticket = (
                queue.claim(args.id, _agent(args)) if args.id else queue.claim_next(_agent(args))
            )
            if ticket is None:
                print("nothing waiting")
                return 1
            _show(ticket, args.json)
        elif args.queue_cmd == "show":
            _show(queue.get(args.id), args.json)
        elif args.queue_cmd == "reply":
            from bot.agent_actions import deliver_reply

            deliver_reply(queue, args.id, _agent(args), args.text)
            print(f"replied on {args.id}")
        elif args.queue_cmd == "note":
            queue.add_note(args.id, _agent(args), args.text)
            print(f"note added to {args.id}")
        elif args.queue_cmd == "release":
            queue.release(args.id, _agent(args))
            print(f"{args.id} is back in the queue")
        elif args.queue_cmd == "resolve":
            from bot.agent_actions import close_ticket

            close_ticket(queue, args.id, _agent(args), outcome="resolved")
            print(f"{args.id} resolved; the bot answers this conversation again")
        elif args.queue_cmd == "handback":
            from bot.agent_actions import close_ticket

            close_ticket(queue, args.id, _agent(args), outcome="handed_back")
            print(f"{args.id} handed back to the bot")
    except (QueueError, ValueError) as error:
        print(f"carebot queue: {error}", file=sys.stderr)
        return 1
    except RasaUnavailable as error:
        print(f"carebot queue: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_workspace(args: argparse.Namespace) -> int:
    from bot.workspace import serve

    serve(get_settings(), port=args.port, host=args.host)
    return 0


def _check_admin(args: argparse.Namespace, accounts: Any) -> None:
    """Managing accounts needs an admin's token once an admin account exists."""
    if not accounts.has_role("admin"):
        return
    who = accounts.authenticate(_token(args))
    if who is None:
        raise AuthFailed("managing accounts needs an admin's token "
                         "(CAREBOT_AGENT_TOKEN or --token)")
    if not who.can("accounts"):
        raise AuthFailed(f"role {who.role!r} may not manage accounts", code=3)


def cmd_agents(args: argparse.Namespace) -> int:
    from bot.workspace.accounts import AccountError

    accounts = _accounts()
    try:
        _check_admin(args, accounts)
        if args.agents_cmd == "list":
            people = accounts.list()
            if args.json:
                _print_json([{"name": p.name, "role": p.role} for p in people])
            for p in [] if args.json else people:
                print(f"{p.name:<24} {p.role}")
            if not people and not args.json:
                print("(no accounts yet: carebot agents add NAME --role admin)")
        elif args.agents_cmd in ("add", "rotate"):
            if args.agents_cmd == "add":
                token = accounts.add(args.name, args.role)
                what = f"account {args.name!r} ({args.role}) created"
            else:
                token = accounts.rotate(args.name)
                what = f"new token for {args.name!r}; the old one no longer works"
            print(token)
            s = get_settings()
            print(f"carebot agents: {what}. This token is shown once and stored only hashed.\n"
                  f"  console: http://localhost:{s.workspace_port}/login  (paste the token)\n"
                  f"  terminal: export CAREBOT_AGENT_TOKEN=<the token>", file=sys.stderr)
        elif args.agents_cmd == "role":
            accounts.set_role(args.name, args.role)
            print(f"{args.name} is now {args.role}")
        elif args.agents_cmd == "remove":
            accounts.remove(args.name)
            print(f"account {args.name!r} removed")
    except AuthFailed as error:
        print(f"carebot agents: {error}", file=sys.stderr)
        return error.code
    except AccountError as error:
        print(f"carebot agents: {error}", file=sys.stderr)
        return 1
    return 0


def _show(ticket: Any, as_json: bool) -> None:
    if as_json:
        _print_json(ticket.to_dict())
        return
    print(_ticket_line(ticket))
    print(f"  tone: {json.dumps(ticket.tone, ensure_ascii=False)}")
    print("  transcript:")
    for turn in ticket.transcript:
        who = turn.get("agent") or turn.get("role")
        print(f"    {who:>9}: {turn.get('text', '')}")
    for note in ticket.notes:
        print(f"     note ({note.get('agent')}): {note.get('text')}")
    print(f"  draft: {ticket.draft}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carebot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the whole product (Redis, bot, actions, web chat)")
    p.add_argument("--no-workspace", action="store_true", help="do not start the agent workspace")
    p.set_defaults(func=cmd_run)

    from bot.faq import cli as faq_cli

    p = sub.add_parser("train", help="train the bot if data or config changed (--reload: hot)")
    faq_cli.add_train_arguments(p)
    p.set_defaults(func=faq_cli.cmd_train)

    p = sub.add_parser("validate", help="rasa data validation, failing on any unexpected warning")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("decide", help="the bot's decision for a message, as JSON (no side effects)")
    p.add_argument("text", nargs="?", help="the follower's message")
    p.add_argument("--file", help="CSV with a 'text' column; one JSON line per row")
    p.add_argument("--out", help="write the JSON lines here instead of stdout")
    p.set_defaults(func=cmd_decide)

    p = sub.add_parser("workspace", help="the agent workspace: web console + HTTP API")
    p.add_argument("--port", type=int, help="default: CAREBOT_WORKSPACE_PORT (8000)")
    p.add_argument("--host", help="default: CAREBOT_WORKSPACE_HOST (127.0.0.1)")
    p.set_defaults(func=cmd_workspace)

    from bot.workspace.accounts import ROLES

    a = sub.add_parser("agents", help="agent accounts and their tokens")
    a.add_argument("--token", help="an admin's token (default: CAREBOT_AGENT_TOKEN); needed "
                   "once an admin account exists")
    asub = a.add_subparsers(dest="agents_cmd", required=True)
    p = asub.add_parser("add", help="create an account and print its token (shown once)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=ROLES)
    p = asub.add_parser("list", help="accounts and roles")
    p.add_argument("--json", action="store_true")
    p = asub.add_parser("rotate", help="print a new token for an account (the old one stops)")
    p.add_argument("name")
    p = asub.add_parser("role", help="change an account's role")
    p.add_argument("name")
    p.add_argument("role", choices=ROLES)
    p = asub.add_parser("remove", help="delete an account")
    p.add_argument("name")
    a.set_defaults(func=cmd_agents)

    q = sub.add_parser("queue", help="work the agent queue from a terminal")
    q.add_argument("--token", help="your agent token (default: CAREBOT_AGENT_TOKEN)")
    q.add_argument("--agent", help="your agent name: must match the token; without accounts "
                   "(development) the name to act as (default: your login name)")
    qs = q.add_subparsers(dest="queue_cmd", required=True)
    p = qs.add_parser("list", help="open tickets in queue order")
    p.add_argument("--json", action="store_true")
    p.add_argument("--status", default="open", choices=["queued", "claimed", "open", "all"])
    p.add_argument("--limit", type=int, default=100)
    p = qs.add_parser("claim", help="claim the next ticket (or a given one)")
    p.add_argument("id", nargs="?")
    p.add_argument("--json", action="store_true")
    p = qs.add_parser("show", help="a ticket with its transcript and draft")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    for name, text_help in (("reply", "reply to the follower"), ("note", "add an internal note")):
        p = qs.add_parser(name, help=text_help)
        p.add_argument("id")
        p.add_argument("text")
    for name, text_help in (
        ("release", "put a ticket back in the queue"),
        ("resolve", "close a ticket; the bot answers again"),
        ("handback", "give the conversation back to the bot"),
    ):
        p = qs.add_parser(name, help=text_help)
        p.add_argument("id")
    q.set_defaults(func=cmd_queue)
    from bot import bench_cli, bench_load_cli, stats_cli

    faq_cli.register(sub)
    bench_cli.register(sub)
    bench_load_cli.register(sub)
    stats_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "status", None) == "open":
        args.status = None
    try:
        return int(args.func(args) or 0)
    except ConfigError as error:
        print(f"carebot: configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
