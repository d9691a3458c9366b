"""Shared pieces of ``carebot faq …`` (:mod:`bot.cli.faq`, :mod:`bot.cli.faq_review`): the
stores, who acts (token and role), ``carebot train [--reload]``, editing YAML in ``$EDITOR``."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import yaml

from bot.settings import get_settings

if TYPE_CHECKING:
    import redis

    from bot.faq.review import ReviewStore
    from bot.faq.store import FaqStore
    from bot.queue import AgentQueue

TRAINER_ROLES = ("trainer", "admin")


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _err(message: str) -> None:
    print(f"carebot faq: {message}", file=sys.stderr)


def _store() -> FaqStore:
    from bot.faq.store import faq_store

    return faq_store(get_settings())


def _redis() -> redis.Redis:
    from bot import redis as bot_redis

    return bot_redis.client(get_settings().redis_url, timeout=10)


def _review() -> ReviewStore:
    from bot.faq.review import ReviewStore

    return ReviewStore(_redis(), prefix=get_settings().queue_prefix)


def _queue() -> AgentQueue:
    from bot.queue.connect import agent_queue

    s = get_settings()
    return agent_queue(s, _redis())


class Denied(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _identity(args: argparse.Namespace, roles: Sequence[str] | None) -> str:
    """Who acts: the token's account (``--token`` / ``CAREBOT_AGENT_TOKEN``) with one of
    ``roles`` (None: any role); without a token only while no account exists (development)."""
    from bot.workspace.accounts import Accounts

    s = get_settings()
    accounts = Accounts(_redis(), prefix=s.queue_prefix, session_seconds=s.session_hours * 3600)
    token = getattr(args, "token", None) or s.agent_token or None
    if token:
        who = accounts.authenticate(token)
        if who is None:
            raise Denied("that token is not valid (CAREBOT_AGENT_TOKEN or --token)")
        if roles is not None and who.role not in roles:
            raise Denied(f"role {who.role!r} may not do this (needs {' or '.join(roles)})", 3)
        return str(who.name)
    if accounts.any():
        raise Denied("sign in first: export CAREBOT_AGENT_TOKEN=<your token> (or --token)")
    name = getattr(args, "agent", None) or getpass.getuser()
    print(f"carebot faq: no accounts yet; acting as {name!r} without a token", file=sys.stderr)
    return str(name)


# -- training --------------------------------------------------------------------------------


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    """``carebot train`` options (the lead wires these into bot/cli.py)."""
    p.add_argument("--force", action="store_true", help="retrain everything")
    p.add_argument("--reload", action="store_true",
                   help="then load the model into the running bot (Rasa PUT /model); "
                        "conversations continue (trackers are in Redis)")
    p.add_argument("--no-progress", action="store_true", help="Rasa's own log, no bar")


def cmd_train(args: argparse.Namespace) -> int:
    from bot.model.rollout import roll_out
    from bot.model.training import ReloadFailed, train

    s = get_settings()
    started = time.monotonic()
    try:
        model = train(s.home, s.models_dir, force=args.force,
                      progress=not getattr(args, "no_progress", False))
    except SystemExit as error:
        print(error, file=sys.stderr)
        return 1
    print(f"carebot: model {model} ({time.monotonic() - started:.1f}s)")
    if getattr(args, "reload", False) and model is not None:
        try:
            took = roll_out(model, s)
        except ReloadFailed as error:
            print(f"carebot: {error}", file=sys.stderr)
            return 1
        print(f"carebot: all {len(took)} bot instance(s) now use {model.name} "
              f"(the last in {max(took.values()):.1f}s)")
    return 0


def _maybe_train(args: argparse.Namespace) -> int:
    if getattr(args, "train", False) or getattr(args, "reload", False):
        ns = argparse.Namespace(force=False, reload=getattr(args, "reload", False),
                                no_progress=False)
        return cmd_train(ns)
    print("  next: carebot faq check && carebot train --reload")
    return 0


def _edit_in_editor(data: dict[str, Any], what: str) -> dict[str, Any] | None:
    """Open ``data`` as YAML in $VISUAL / $EDITOR; the edited mapping (None: unchanged)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    header = (f"# {what}\n# Save and quit to apply; leave unchanged (or empty the file) to "
              "cancel.\n")
    text = header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, encoding="utf-8") as f:
        f.write(text)
        path = f.name
    try:
        subprocess.run([*shlex.split(editor), path], check=True)
        edited = Path(path).read_text("utf-8")
    finally:
        os.unlink(path)
    if edited.strip() == text.strip() or not edited.strip():
        return None
    result = yaml.safe_load(edited)
    if not isinstance(result, dict):
        raise ValueError("expected a mapping")
    return result
