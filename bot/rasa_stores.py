"""Rasa's tracker store on Redis, configured from ``REDIS_URL`` (``endpoints.yml``).

``CarebotTrackerStore``: Rasa's RedisTrackerStore that also forwards follower messages written
while a human owns the conversation (the tracker is paused) to the open ticket, so the agent sees
them (the bot itself stays silent), and counts them (``paused`` in ``bot.metrics``). Its save
skips Rasa's merge when the stored tracker is a prefix of the one saved (see ``_save_tracker``).

The lock store is ``bot.rasa_lock.FailSafeRedisLockStore``. Importing this module (Rasa does,
from ``endpoints.yml``, before it handles a message; ``bot.rasa_lock`` imports it too) applies
``bot.rasa_speedups`` to the Rasa process.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlparse

import redis
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import metrics, rasa_speedups
from bot.escalation.config import load_escalation_config
from bot.escalation.decision import decide
from bot.escalation.handoff import record_while_waiting
from bot.settings import get_settings

logger = logging.getLogger(__name__)

rasa_speedups.apply()


def redis_params(url: str | None = None) -> dict[str, Any]:
    """host/port/db/password of a ``redis://`` URL (default: ``REDIS_URL``)."""
    parsed = urlparse(url or get_settings().redis_url)
    db = (parsed.path or "/0").lstrip("/") or "0"
    return {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or 6379,
        "db": int(db),
        "password": parsed.password,
    }


class CarebotTrackerStore(RedisTrackerStore):
    """RedisTrackerStore that hands follower messages in paused conversations to the ticket."""

    def __init__(self, domain: Domain, host: str | None = None, **kwargs: Any) -> None:
        params = redis_params(host if host and "://" in str(host) else None)
        kwargs.pop("port", None)
        kwargs.pop("db", None)
        super().__init__(
            domain,
            host=params["host"],
            port=params["port"],
            db=params["db"],
            password=params["password"],
            **kwargs,
        )
        self._queue: Any = None

    def _agent_queue(self) -> Any:
        if self._queue is None:
            from bot.queue import AgentQueue

            settings = get_settings()
            self._queue = AgentQueue(
                redis.Redis.from_url(settings.redis_url, decode_responses=True, socket_timeout=2),
                prefix=settings.queue_prefix,
            )
        return self._queue

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        await self._save_tracker(tracker, timeout)
        if not tracker.is_paused() or not tracker.events:
            return
        last = tracker.events[-1]
        if not isinstance(last, UserUttered):
            return
        channel = last.input_channel or tracker.get_latest_input_channel() or "rest"
        marker = f"{get_settings().queue_prefix}:paused-msg:{tracker.sender_id}:{last.timestamp}"
        try:
            if not self.red.set(marker, "1", nx=True, ex=86400):
                return  # this message was already forwarded
            metrics.record(self.red, get_settings().queue_prefix, "paused")
            config = load_escalation_config(get_settings().escalation_config)
            metadata = {"message_id": last.message_id, **(last.metadata or {})}
            decision = decide(last.parse_data or {"text": last.text}, config, metadata=metadata)
            record_while_waiting(
                self._agent_queue(),
                decision,
                channel=channel,
                sender=tracker.sender_id,
                text=last.text or "",
                metadata=metadata,
                responses=self.domain.responses if self.domain else {},
                config=config,
                ts=last.timestamp,
            )
        except redis.RedisError as error:
            logger.error(f"Could not forward a follower message to the ticket: {error}")


    async def _save_tracker(self, tracker: DialogueStateTracker, timeout: float | None) -> None:
        """``RedisTrackerStore.save`` without its merge when the stored tracker's events start
        this one's (the usual case: the lock store lets one instance at a time process a
        conversation, and the saved tracker is the one loaded plus new events). Rasa's save
        deserialises the stored tracker and replays it to find that out: 2-5x the cost of the
        save itself. Otherwise (another session stored first, a concurrent writer) Rasa's merge
        runs as before."""
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        key = self.key_prefix + tracker.sender_id
        stored = self.red.get(key)
        if stored is not None and not stored_is_prefix(stored, tracker):
            prior = self.deserialise_tracker(tracker.sender_id, stored)
            if prior is not None:
                tracker = self._merge_trackers(prior, tracker)
        self.red.set(key, self.serialise_tracker(tracker), ex=timeout)


def stored_is_prefix(stored: str | bytes, tracker: DialogueStateTracker) -> bool:
    """Whether the stored tracker's events start ``tracker``'s (same types and timestamps; then
    Rasa's merge returns ``tracker`` unchanged)."""
    try:
        events = json.loads(stored).get("events") or []
    except (ValueError, AttributeError):
        return False
    if len(events) > len(tracker.events):
        return False
    for event, mine in zip(events, tracker.events, strict=False):  # a deque: no indexing
        if event.get("event") != mine.type_name or event.get("timestamp") != mine.timestamp:
            return False
    return True
