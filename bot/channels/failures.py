"""Recording replies that could not be delivered, so they surface on the conversation's ticket.

``record_failure`` hands the failure to ``bot.queue.AgentQueue.record_delivery_failure`` (Redis at
``REDIS_URL``, key prefix ``CAREBOT_QUEUE_PREFIX``). If the queue cannot be reached (Redis down,
or the queue module unavailable) the failure is appended as one JSON line to
``$CAREBOT_VAR_DIR/spool/delivery_failures.jsonl`` (default ``var/spool/``) and logged at ERROR
level: an undeliverable reply is never silently dropped.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

import redis

from bot import redis as bot_redis
from bot.channels import settings

logger = logging.getLogger(__name__)

SPOOL_FILE = "delivery_failures.jsonl"

_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def _redis_client(url: str) -> redis.Redis:
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = bot_redis.client(url, decode=False)
            _clients[url] = client
        return client


def spool_path(spool_dir: str | None = None) -> str:
    """Path of the JSON-lines spool used when the queue is unreachable."""
    return os.path.join(spool_dir or settings.spool_dir(), SPOOL_FILE)


def _spool(record: dict[str, Any], spool_dir: str | None) -> str:
    path = spool_path(spool_dir)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _lock, open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
    return path


def _spool_for_replay(record: dict[str, Any], spool_dir: str | None) -> None:
    """Also put the failure in the escalation spool, which the sweeper delivers to the queue
    (a ``delivery_failed`` ticket) as soon as Redis answers again."""
    from pathlib import Path

    from bot.escalation.reasons import Reason
    from bot.queue import Escalation, Spool

    note = f"Reply not delivered ({record['error']}): {record['text']}"
    Spool(Path(spool_dir or settings.spool_dir())).put(
        Escalation(
            channel=str(record["channel"]),
            sender=str(record["sender"]),
            reasons=[Reason.DELIVERY_FAILED.value],
            priority=2,
            text=str(record["text"]),
            draft=str(record["text"]),
            transcript=[{"role": "system", "text": note, "ts": record["ts"]}],
        )
    )


def record_failure(
    channel: str,
    sender: str,
    text: str,
    error: str,
    *,
    redis_url: str | None = None,
    prefix: str | None = None,
    spool_dir: str | None = None,
) -> str | None:
    """Record an undeliverable reply; return the ticket id, or None when it was spooled."""
    url = redis_url or settings.redis_url()
    try:
        from bot.queue import AgentQueue  # imported lazily: written and deployed separately

        max_messages, max_history = settings.queue_caps()
        queue = AgentQueue(
            _redis_client(url),
            prefix=prefix or settings.queue_prefix(),
            max_messages=max_messages,
            max_history=max_history,
        )
        ticket_id = queue.record_delivery_failure(channel, sender, text, error)
    except Exception as exc:  # whatever broke (import, Redis, queue), the reply must not be lost
        record = {
            "kind": "delivery_failure",
            "ts": time.time(),
            "channel": channel,
            "sender": sender,
            "text": text,
            "error": error,
            "queue_error": f"{type(exc).__name__}: {exc}",
        }
        try:
            path = _spool(record, spool_dir)
            _spool_for_replay(record, spool_dir)
        except OSError:
            logger.critical(
                "UNDELIVERABLE REPLY LOST: could not queue (%s) nor spool it: %s",
                exc,
                json.dumps(record, ensure_ascii=False),
            )
            return None
        logger.error(
            "UNDELIVERABLE REPLY for %s:%s (%s) could not be queued (%s); spooled to %s",
            channel,
            sender,
            error,
            exc,
            path,
        )
        return None
    logger.error(
        "Undeliverable reply for %s:%s (%s) recorded on ticket %s",
        channel,
        sender,
        error,
        ticket_id,
    )
    return str(ticket_id)
