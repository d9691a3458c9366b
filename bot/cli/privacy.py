"""``carebot privacy …``: export or erase everything held about one follower (``bot.privacy``).

A follower is ``<channel>:<sender>`` (``whatsapp:15550001``, ``rest:ana``). Both commands need an
admin's token once any account exists (``CAREBOT_AGENT_TOKEN`` or ``--token``), like the API's
``GET /api/followers/{id}/export``. ``erase`` shows what it would remove unless ``--yes``.

Exit codes: 0 done, 1 nothing erased (no ``--yes``), 2 usage or no valid token, 3 not an admin.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from bot.cli.common import AuthFailed, accounts, token


def actor(args: argparse.Namespace) -> str:
    """Who acts: the admin token's account, or (before any account exists) the login name."""
    people = accounts()
    if not people.any():
        return f"cli:{getpass.getuser()}"
    who = people.authenticate(token(args))
    if who is None:
        raise AuthFailed("privacy commands need an admin's token (CAREBOT_AGENT_TOKEN or --token)")
    if not who.can("privacy"):
        raise AuthFailed(f"role {who.role!r} may not export or erase follower data", code=3)
    return str(who.name)


def cmd_privacy(args: argparse.Namespace) -> int:
    from bot import redis as bot_redis
    from bot.privacy import Follower, FollowerIdError, Privacy
    from bot.settings import get_settings

    try:
        who = Follower.parse(args.follower)
        name = actor(args)
    except FollowerIdError as error:
        print(f"carebot privacy: {error}", file=sys.stderr)
        return 2
    except AuthFailed as error:
        print(f"carebot privacy: {error}", file=sys.stderr)
        return error.code
    s = get_settings()
    privacy = Privacy(bot_redis.client(s.redis_url, timeout=10), s.queue_prefix, s.spool_dir)
    if args.privacy_cmd == "export":
        document = privacy.export(who)
        text = json.dumps(document, ensure_ascii=False, indent=2)
        if args.out:
            args.out.write_text(text + "\n", encoding="utf-8")
            args.out.chmod(0o600)
            print(f"carebot privacy: {who.id}: {len(document['tickets'])} tickets, "
                  f"{len(document['conversations'])} conversations -> {args.out}",
                  file=sys.stderr)
        else:
            print(text)
        return 0
    if not args.yes:
        document = privacy.export(who)
        print(f"carebot privacy: would erase {who.id}: {len(document['conversations'])} "
              f"conversations, {len(document['tickets'])} tickets, {len(document['audit'])} "
              f"audit entries, {len(document['spooled_escalations'])} spooled escalations. "
              "Run again with --yes to erase.", file=sys.stderr)
        return 1
    report = privacy.erase(who, actor=name)
    print(json.dumps({"erased": who.id, **report}, ensure_ascii=False))
    return 0


def register(subparsers: Any) -> None:
    from pathlib import Path

    p = subparsers.add_parser("privacy", help="export or erase everything held about a follower")
    p.add_argument("--token", help="an admin's token (default: CAREBOT_AGENT_TOKEN)")
    sub = p.add_subparsers(dest="privacy_cmd", required=True)
    e = sub.add_parser("export", help="everything held about a follower, as JSON")
    e.add_argument("follower", help="<channel>:<sender>, e.g. whatsapp:15550001")
    e.add_argument("--out", type=Path, help="write to this file (mode 0600) instead of stdout")
    r = sub.add_parser("erase", help="delete or anonymise everything held about a follower")
    r.add_argument("follower", help="<channel>:<sender>, e.g. whatsapp:15550001")
    r.add_argument("--yes", action="store_true", help="really erase (otherwise: what it would)")
    p.set_defaults(func=cmd_privacy)
