"""Outside services the actions use, built lazily on first use (never at import time)."""

from __future__ import annotations

import logging
import time
from functools import cached_property
from typing import Any, Mapping

import redis

from bot import redis as bot_redis
from bot.audit.store import AuditStore, audit_store
from bot.escalation.config import EscalationConfig, load_escalation_config
from bot.escalation.handoff import response_text, wait_text
from bot.queue import AgentQueue, Escalation, Spool
from bot.queue.connect import agent_queue
from bot.queue.spool import SpoolFull
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)


class Services:
    """Redis-backed agent queue, local spool and escalation settings for the action server."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @cached_property
    def config(self) -> EscalationConfig:
        return load_escalation_config(self.settings.escalation_config)

    @cached_property
    def redis(self) -> redis.Redis:
        return bot_redis.client(self.settings.redis_url)

    @cached_property
    def queue(self) -> AgentQueue:
        return agent_queue(self.settings, self.redis)

    @cached_property
    def audit(self) -> AuditStore:
        """The answer audit's queue (``bot.audit``): sampled FAQ answers."""
        return audit_store(self.settings, self.redis)

    @cached_property
    def spool(self) -> Spool:
        return Spool(
            self.settings.spool_dir,
            max_files=self.settings.spool_max_files,
            max_bytes=self.settings.spool_max_mb * 1024 * 1024,
        )

    def open_ticket(self, channel: str, sender: str) -> str | None:
        """The conversation's open ticket id; None when there is none or Redis is down."""
        try:
            return self.queue.open_ticket_id(channel, sender)
        except redis.RedisError as error:
            logger.warning(f"Redis unavailable while checking for an open ticket: {error}")
            return None

    def escalate(self, escalation: Escalation) -> str | None:
        """Store the escalation; with Redis down, spool it locally (delivered later).

        Returns the ticket id, or None when it was spooled.
        """
        try:
            return self.queue.escalate(escalation).ticket_id
        except redis.RedisError as error:
            try:
                path = self.spool.put(escalation)
            except SpoolFull:  # logged by the spool; the follower is still told a person replies
                return None
            logger.error(f"Redis unavailable ({error}); escalation spooled to {path}")
            return None

    def escalate_with_notice(
        self, escalation: Escalation, handoff: str, responses: Mapping[str, Any]
    ) -> tuple[str | None, float]:
        """Escalate, with the follower's handoff notice (as they will see it) at the end of the
        ticket's transcript. Returns ``(ticket id or None if spooled, the typical wait told to
        the follower, in seconds)``."""
        wait = self.wait_estimate()
        template = response_text(responses, handoff)
        if template:
            notice = template.replace("{wait}", wait_text(wait))
            escalation.transcript.append({"role": "bot", "text": notice, "ts": time.time()})
        return self.escalate(escalation), wait

    def wait_estimate(self) -> float:
        """The typical wait for a person (median of recent claim waits), in seconds; the
        configured default when the queue has none to measure or Redis is down."""
        default_wait = self.config.default_wait_minutes * 60
        try:
            wait = self.queue.typical_wait_seconds(default=default_wait)
        except redis.RedisError:
            return default_wait
        return default_wait if wait is None else wait


_services: Services | None = None


def get_services() -> Services:
    global _services
    if _services is None:
        _services = Services()
    return _services


def reset_services(services: Services | None = None) -> None:
    """Replace the process-wide services (tests point them at their own Redis db)."""
    global _services
    _services = services
