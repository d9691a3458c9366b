"""``carebot``: run the product, train, ask the bot's decision, and work the agent queue."""

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


def cmd_train(args: argparse.Namespace) -> int:
    from bot.training import train

    s = get_settings()
    model = train(s.home, s.models_dir, force=args.force)
    print(f"carebot: model {model}")
    return 0


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
    return str(args.agent or getpass.getuser())


def _ticket_line(t: Any) -> str:
    import time

    reasons = ",".join(t.reasons)
    waited = int((time.time() - float(t.enqueued_at)) // 60) if t.enqueued_at else 0
    who = f"{t.channel}:{t.sender}"
    return f"{t.id}  P{t.priority}  {t.status:<8} {waited:>4}m  {who}  [{reasons}]  {t.text[:60]!r}"


def cmd_queue(args: argparse.Namespace) -> int:
    from bot.queue.errors import QueueError

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
    except QueueError as error:
        print(f"carebot queue: {error}", file=sys.stderr)
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

    p = sub.add_parser("train", help="train the bot if data or config changed")
    p.add_argument("--force", action="store_true", help="retrain everything")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("validate", help="rasa data validation, failing on any unexpected warning")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("decide", help="the bot's decision for a message, as JSON (no side effects)")
    p.add_argument("text", nargs="?", help="the follower's message")
    p.add_argument("--file", help="CSV with a 'text' column; one JSON line per row")
    p.add_argument("--out", help="write the JSON lines here instead of stdout")
    p.set_defaults(func=cmd_decide)

    q = sub.add_parser("queue", help="work the agent queue from a terminal")
    q.add_argument("--agent", help="your agent name (default: your login name)")
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
