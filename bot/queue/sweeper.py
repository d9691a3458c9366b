"""Sweeper: the upkeep loop that recovers stale work (expired leases, spooled escalations) and
applies retention (``bot.privacy``: resolved tickets and audit entries older than
``CAREBOT_RETENTION_DAYS``)."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import redis as redis_lib

from bot.queue.queue import AgentQueue
from bot.queue.spool import Spool

if TYPE_CHECKING:
    from bot.privacy import Privacy
    from bot.settings import Settings

log = logging.getLogger(__name__)


class Sweeper:
    """Every ``interval`` seconds: requeue expired leases, age waiting tickets, drain the spool.

    Redis being down is expected (that is what the spool is for): a pass logs and carries on.
    """

    def __init__(self, queue: AgentQueue, spool: Spool | None, interval: float = 5.0,
                 retention: Privacy | None = None, retention_days: int = 90,
                 retention_every: float = 60.0) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0")
        self.queue = queue
        self.spool = spool
        self.interval = float(interval)
        self.retention = retention
        self.retention_days = int(retention_days)
        self.retention_every = float(retention_every)
        self._retained_at = float("-inf")

    def run_once(self) -> dict[str, Any]:
        """One pass; ``{"expired": [ids], "aged": [ids], "drained": n, "spooled": n,
        "errors": [str]}`` (``spooled`` = files still waiting after the pass), with ``"retention":
        {"tickets": [ids], "audit": n}`` when a retention pass ran (at most every
        ``retention_every`` seconds)."""
        result: dict[str, Any] = {
            "expired": [],
            "aged": [],
            "drained": 0,
            "spooled": 0,
            "errors": [],
        }
        try:
            report = self.queue.sweep_report()
            result["expired"], result["aged"] = report.expired, report.aged
            if report.expired:
                log.info("sweeper: leases expired, requeued %s", ", ".join(report.expired))
            if report.aged:
                log.info("sweeper: aged %s", ", ".join(report.aged))
        except redis_lib.RedisError as exc:
            log.warning("sweeper: sweep failed, Redis unavailable? %s", exc)
            result["errors"].append(f"sweep: {exc}")
        if self.retention is not None and time.monotonic() - self._retained_at >= \
                self.retention_every:
            try:
                kept = self.retention.retention_pass(self.retention_days)
                self._retained_at = time.monotonic()
                result["retention"] = {"tickets": kept.tickets, "audit": kept.audit_trimmed}
            except redis_lib.RedisError as exc:
                log.warning("sweeper: retention failed, Redis unavailable? %s", exc)
                result["errors"].append(f"retention: {exc}")
        if self.spool is not None:
            try:
                result["drained"] = self.spool.drain(self.queue)
                result["spooled"] = len(self.spool.pending())
            except OSError as exc:
                log.error("sweeper: spool drain failed: %s", exc)
                result["errors"].append(f"spool: {exc}")
        return result

    def run_forever(self, stop: threading.Event) -> None:
        """Run passes until ``stop`` is set (checked between passes and while waiting)."""
        log.info("sweeper: every %.1fs", self.interval)
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep the loop alive whatever one pass does
                log.exception("sweeper: pass failed")
            stop.wait(self.interval)


def from_settings(settings: Settings) -> Sweeper:
    """The sweeper ``carebot run`` and ``carebot sweeper`` run: the queue and the spool of
    ``settings``, with retention (``CAREBOT_RETENTION_DAYS``, ``bot.privacy``)."""
    from bot.privacy import Privacy
    from bot.queue.connect import agent_queue

    queue = agent_queue(settings)
    privacy = Privacy(queue.redis, settings.queue_prefix, settings.spool_dir)
    return Sweeper(queue, Spool(settings.spool_dir), retention=privacy,
                   retention_days=settings.retention_days)
