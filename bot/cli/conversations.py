"""``carebot conversations expire-legacy``: the conversations of before the upgrade to
channel-namespaced conversation ids (``whatsapp:15550001``; ``bot.channels.ids``).

Trackers saved before that upgrade are keyed by a bare sender id and never expire; no channel
reads them any more. Since the upgrade every tracker is saved with an expiry (``record_exp``,
``CAREBOT_CONVERSATION_TTL_DAYS``), so a tracker without one is a tracker of before: this command
gives each the conversation TTL (``--delete``: removes it now). Open tickets are not touched; they
keep working (they store the channel and the platform id). Safe to run again, and while the bot
runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.settings import get_settings

TRACKER_PREFIX = "tracker:"  # Rasa's RedisTrackerStore default key prefix

# KEYS[1] a tracker key; ARGV[1] 'delete' | seconds  -> 1 if changed (it had no expiry), else 0
EXPIRE_IF_PERMANENT = """
if redis.call('TTL', KEYS[1]) ~= -1 then return 0 end
if ARGV[1] == 'delete' then return redis.call('DEL', KEYS[1]) end
return redis.call('EXPIRE', KEYS[1], ARGV[1])
"""


def expire_legacy(client: Any, ttl_seconds: int, delete: bool = False,
                  prefix: str = TRACKER_PREFIX) -> tuple[int, int]:
    """(trackers looked at, trackers without expiry given one or deleted)."""
    script = client.register_script(EXPIRE_IF_PERMANENT)
    action = "delete" if delete else str(int(ttl_seconds))
    seen = changed = 0
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        seen += 1
        changed += int(script(keys=[key], args=[action]))
    return seen, changed


def cmd_conversations(args: argparse.Namespace) -> int:
    from bot import redis as bot_redis

    settings = get_settings()
    client = bot_redis.client(settings.redis_url, timeout=10)
    seen, changed = expire_legacy(client, settings.conversation_ttl_seconds, args.delete,
                                  args.key_prefix)
    done = "deleted" if args.delete else f"set to expire in {settings.conversation_ttl_days} days"
    print(f"{seen} conversations looked at; {changed} from before the upgrade {done}")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("conversations", help="conversation upkeep (upgrades)")
    sub = p.add_subparsers(dest="conversations_cmd", required=True)
    legacy = sub.add_parser(
        "expire-legacy",
        help="conversations of before channel-namespaced ids: set their expiry (or --delete)",
    )
    legacy.add_argument("--delete", action="store_true", help="delete them now instead")
    legacy.add_argument("--key-prefix", default=TRACKER_PREFIX,
                        help=f"Rasa's tracker key prefix (default {TRACKER_PREFIX!r})")
    legacy.set_defaults(func=cmd_conversations)
