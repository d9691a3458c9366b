"""Rasa's tracker store on Redis, configured from ``REDIS_URL`` (``endpoints.yml``).

``CarebotTrackerStore``: Rasa's RedisTrackerStore whose trackers expire
``CAREBOT_CONVERSATION_TTL_DAYS`` (default 90) after their last save (``record_exp``; a value in
endpoints.yml wins), and that also forwards follower messages written
while a human owns the conversation (the tracker is paused) to the open ticket, so the agent sees
them (the bot itself stays silent), and counts them (``paused`` in ``bot.stats.metrics``). It stores
exactly what Rasa's store would, with less work per message:

- a tracker it loaded (or saved) remembers the SHA-1 of the stored JSON; saving it again is one
  compare-and-set script (store the new JSON if the stored one is still that one), instead of
  Rasa's GET + deserialise + replay of the stored tracker to merge it. If the stored tracker
  changed meanwhile, Rasa's merge runs, as before;
- without that memory, the merge is skipped when the stored events are a prefix of the saved
  tracker's (then Rasa's merge returns the tracker unchanged);
- loading a single-session tracker does not rebuild it per session only to return the original;
- the JSON is written by ujson (:func:`bot.rasa_ext.fast_json.dumps`, 3x faster than
  ``json.dumps`` on a tracker); Rasa's own store reads it as it reads its own.

It overrides private methods of Rasa's store (``_retrieve``, ``_save_tracker``): constructing it on
any Rasa but :data:`bot.rasa_ext.version.RASA_VERSION` raises
:class:`bot.rasa_ext.version.RasaVersionMismatch`. The lock store is
``bot.rasa_ext.lock_store.FailSafeRedisLockStore``. Importing either changes nothing in Rasa: the
patches of Rasa's internals are applied at start-up by ``bot.rasa_ext.serve``
(``python -m bot.rasa_ext.serve run …``, what ``carebot run`` starts).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import redis
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered, split_events
from rasa.shared.core.trackers import DialogueStateTracker
from redis.commands.core import Script

from bot import redis as bot_redis
from bot.channels import ids
from bot.conversation import on_follower_message
from bot.escalation.config import load_escalation_config
from bot.queue import AgentQueue
from bot.queue.keys import Keys
from bot.rasa_ext.fast_json import dumps
from bot.rasa_ext.version import require_rasa_version
from bot.settings import get_settings
from bot.stats import metrics

logger = logging.getLogger(__name__)


class CarebotTrackerStore(RedisTrackerStore):
    """RedisTrackerStore that hands follower messages in paused conversations to the ticket."""

    def __init__(self, domain: Domain, host: str | None = None, **kwargs: Any) -> None:
        require_rasa_version("CarebotTrackerStore (overrides RedisTrackerStore._retrieve and "
                             "._save_tracker)")
        url = host if host and "://" in str(host) else None
        params = bot_redis.params(url)
        kwargs.pop("port", None)
        kwargs.pop("db", None)
        if not kwargs.get("record_exp"):  # conversations expire (CAREBOT_CONVERSATION_TTL_DAYS)
            kwargs["record_exp"] = get_settings().conversation_ttl_seconds
        super().__init__(
            domain,
            host=params["host"],
            port=params["port"],
            db=params["db"],
            password=params["password"],
            **kwargs,
        )
        # Rasa's own client (never connected: redis-py connects lazily) is replaced by ours:
        # the same server and db, with timeouts, and through Sentinel when configured.
        self.red = bot_redis.client(url, timeout=5.0)
        self._queue: AgentQueue | None = None
        self._cas: Script | None = None

    @staticmethod
    def serialise_tracker(tracker: DialogueStateTracker) -> str:
        """Rasa's serialisation (``as_dialogue().as_dict()``), written by ujson."""
        return dumps(tracker.as_dialogue().as_dict())

    def _agent_queue(self) -> AgentQueue:
        if self._queue is None:
            from bot.queue.connect import agent_queue

            settings = get_settings()
            self._queue = agent_queue(settings)
        return self._queue

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        await self._save_tracker(tracker, timeout)
        if not tracker.is_paused() or not tracker.events:
            return
        last = tracker.events[-1]
        if not isinstance(last, UserUttered):
            return
        channel, sender = ids.split(tracker.sender_id)
        marker = Keys(get_settings().queue_prefix).paused_message(tracker.sender_id, last.timestamp)
        try:
            if not self.red.set(marker, "1", nx=True, ex=86400):
                return  # this message was already forwarded
            metrics.record(self.red, get_settings().queue_prefix, "paused")
            config = load_escalation_config(get_settings().escalation_config)
            metadata = {"message_id": last.message_id, **(last.metadata or {})}
            on_follower_message(
                self._agent_queue(),
                {"text": last.text or "", **(last.parse_data or {})},
                config,
                channel=channel,
                sender=sender,
                metadata=metadata,
                responses=self.domain.responses if self.domain else {},
                ts=last.timestamp,
            )
        except redis.RedisError as error:
            logger.error(f"Could not forward a follower message to the ticket: {error}")

    async def _retrieve(
        self, sender_id: str, fetch_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's ``_retrieve``; the tracker remembers what was stored (see the module doc)."""
        stored = self.red.get(self.key_prefix + sender_id)
        if stored is None:
            return None
        tracker = self.deserialise_tracker(sender_id, stored)
        if tracker is None or fetch_all_sessions:
            _remember(tracker, stored)
            return tracker
        sessions = split_events(tracker.events, ActionExecuted,
                                {"action_name": ACTION_SESSION_START_NAME},
                                include_splitting_event=True)
        if len(sessions) <= 1:
            _remember(tracker, stored)
            return tracker
        return DialogueStateTracker.from_events(  # the last session, as Rasa builds it
            tracker.sender_id, sessions[-1], tracker.slots.values(),
            sender_source=tracker.sender_source, max_event_history=tracker._max_event_history)

    async def _save_tracker(self, tracker: DialogueStateTracker, timeout: float | None) -> None:
        """``RedisTrackerStore.save``: same result, less work (see the module doc)."""
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        key = self.key_prefix + tracker.sender_id
        serialised = self.serialise_tracker(tracker)
        expected = _remembered(tracker)
        if expected is not None:
            if self._cas is None:
                self._cas = self.red.register_script(SAVE_IF_UNCHANGED)
            stored = self._cas(keys=[key], args=[expected, serialised, int(timeout or 0)])
            if stored == 1:
                _remember(tracker, serialised)
                self._replicated(tracker.sender_id)
                return
        else:
            stored = self.red.get(key)
        merged = tracker
        if stored is not None and not stored_is_prefix(stored, tracker):
            prior = self.deserialise_tracker(tracker.sender_id, stored)
            if prior is not None:
                merged = self._merge_trackers(prior, tracker)
                serialised = self.serialise_tracker(merged)
        self.red.set(key, serialised, ex=timeout)
        _remember(tracker, serialised if merged is tracker else None)
        self._replicated(tracker.sender_id)

    def _replicated(self, sender_id: str) -> None:
        """With ``REDIS_WAIT_REPLICAS`` > 0: wait until that many replicas have the saved tracker
        (``WAIT``, as the queue does), so a failover does not lose the follower's messages. A
        save not replicated in time is logged and the conversation goes on: the bot's answer is
        already decided, and failing here would lose the message on the master too."""
        settings = get_settings()
        if settings.redis_wait_replicas <= 0:
            return
        acked = int(self.red.wait(settings.redis_wait_replicas, 1000))
        if acked < settings.redis_wait_replicas:
            logger.warning(f"The tracker of {sender_id} reached {acked} of "
                           f"{settings.redis_wait_replicas} replicas within 1000 ms")


SAVE_IF_UNCHANGED = """
local stored = redis.call('GET', KEYS[1])
if stored and redis.sha1hex(stored) ~= ARGV[1] then return stored end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
"""
"""KEYS[1] tracker key; ARGV: SHA-1 of the JSON the tracker was loaded from (or last saved as),
the new JSON, expiry seconds (0: none). Stores the new JSON and returns 1 if the stored JSON is
still that one (or none is stored: Rasa stores without merging then), else returns the stored
JSON (the caller merges, as Rasa does)."""

_MEMO = "_carebot_stored"


def _remember(tracker: DialogueStateTracker | None, stored: str | bytes | None) -> None:
    """Note on ``tracker`` which JSON is stored for it: its SHA-1, and how many events it had
    then with the last one (so a tracker whose events were replaced is not taken for it)."""
    if tracker is None:
        return
    if stored is None or tracker.events.maxlen is not None:
        tracker.__dict__.pop(_MEMO, None)
        return
    raw = stored.encode("utf-8") if isinstance(stored, str) else stored
    count = len(tracker.events)
    last = tracker.events[-1] if count else None
    tracker.__dict__[_MEMO] = (hashlib.sha1(raw).hexdigest(), count, last)


def _remembered(tracker: DialogueStateTracker) -> str | None:
    """The SHA-1 noted by :func:`_remember` if ``tracker`` still starts with the events it had."""
    memo = tracker.__dict__.get(_MEMO)
    if memo is None:
        return None
    digest, count, last = memo
    events = tracker.events
    if len(events) < count or (count and events[count - 1] is not last):
        return None
    return str(digest)


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
