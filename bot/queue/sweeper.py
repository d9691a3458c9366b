"""Sweeper: the upkeep loop that recovers stale work (expired leases, spooled escalations)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis as redis_lib

from bot.queue.queue import AgentQueue
from bot.queue.spool import Spool

log = logging.getLogger(__name__)


class Sweeper:
    """Every ``interval`` seconds: requeue expired leases, age waiting tickets, drain the spool.

    Redis being down is expected (that is what the spool is for): a pass logs and carries on.
    """

    def __init__(self, queue: AgentQueue, spool: Spool | None, interval: float = 5.0) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0")
        self.queue = queue
        self.spool = spool
        self.interval = float(interval)

    def run_once(self) -> dict[str, Any]:
        """One pass; ``{"expired": [ids], "aged": [ids], "drained": n, "spooled": n,
        "errors": [str]}`` (``spooled`` = files still waiting after the pass)."""
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
