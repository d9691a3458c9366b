"""Pieces every ``carebot`` command group shares: JSON output, the Redis-backed services a
command talks to, and the agent-token checks (with the API's exit-code meanings)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from bot.settings import get_settings

if TYPE_CHECKING:
    from bot.queue import AgentQueue
    from bot.workspace.accounts import Accounts

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
    """What ``bot.cli.main.build_parser`` hands each command group's ``register``."""


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


def queue() -> AgentQueue:
    from bot.queue.connect import agent_queue

    return agent_queue(get_settings(), timeout=5)


def accounts() -> Accounts:
    from bot import redis as bot_redis
    from bot.workspace.accounts import Accounts

    s = get_settings()
    client = bot_redis.client(s.redis_url, timeout=5)
    return Accounts(client, prefix=s.queue_prefix, session_seconds=s.session_hours * 3600)


def token(args: argparse.Namespace) -> str | None:
    return getattr(args, "token", None) or get_settings().agent_token or None


class AuthFailed(Exception):
    """No valid token (exit 2) or a role without the permission (exit 3)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code
