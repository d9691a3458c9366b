"""``carebot agents …``: agent accounts and their tokens."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli.common import AuthFailed, accounts, print_json, token
from bot.settings import get_settings

if TYPE_CHECKING:
    from bot.cli.common import Subparsers
    from bot.workspace.accounts import Accounts


def check_admin(args: argparse.Namespace, people: Accounts) -> None:
    """Managing accounts needs an admin's token once any account exists: only the very first
    account may be created without one (whatever its role). Without an admin among the
    accounts, someone with Redis access promotes one (``docs/workspace.md``)."""
    if not people.any():
        return
    who = people.authenticate(token(args))
    if who is None:
        raise AuthFailed("managing accounts needs an admin's token "
                         "(CAREBOT_AGENT_TOKEN or --token)")
    if not who.can("accounts"):
        raise AuthFailed(f"role {who.role!r} may not manage accounts", code=3)


def cmd_agents(args: argparse.Namespace) -> int:
    from bot.workspace.accounts import AccountError

    people = accounts()
    try:
        check_admin(args, people)
        if args.agents_cmd == "list":
            found = people.list()
            if args.json:
                print_json([{"name": p.name, "role": p.role} for p in found])
            for p in [] if args.json else found:
                print(f"{p.name:<24} {p.role}")
            if not found and not args.json:
                print("(no accounts yet: carebot agents add NAME --role admin)")
        elif args.agents_cmd in ("add", "rotate"):
            if args.agents_cmd == "add":
                new_token = people.add(args.name, args.role)
                what = f"account {args.name!r} ({args.role}) created"
            else:
                new_token = people.rotate(args.name)
                what = f"new token for {args.name!r}; the old one no longer works"
            print(new_token)
            s = get_settings()
            print(f"carebot agents: {what}. This token is shown once and stored only hashed.\n"
                  f"  console: http://localhost:{s.workspace_port}/login  (paste the token)\n"
                  f"  terminal: export CAREBOT_AGENT_TOKEN=<the token>", file=sys.stderr)
        elif args.agents_cmd == "role":
            people.set_role(args.name, args.role)
            print(f"{args.name} is now {args.role}")
        elif args.agents_cmd == "remove":
            people.remove(args.name)
            print(f"account {args.name!r} removed")
    except AuthFailed as error:
        print(f"carebot agents: {error}", file=sys.stderr)
        return error.code
    except AccountError as error:
        print(f"carebot agents: {error}", file=sys.stderr)
        return 1
    return 0


def register(subparsers: Subparsers) -> None:
    from bot.workspace.accounts import ROLES

    a = subparsers.add_parser("agents", help="agent accounts and their tokens")
    a.add_argument("--token", help="an admin's token (default: CAREBOT_AGENT_TOKEN); needed "
                   "once any account exists")
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
