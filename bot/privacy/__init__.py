"""Privacy controls: export and erase everything held about one follower, and retention.

One module behind ``carebot privacy export|erase <channel:sender>`` (``bot.cli.privacy``) and
``GET /api/followers/{id}/export`` (``bot.workspace.privacy_route``); the sweeper runs
:meth:`Privacy.retention_pass`.

What one follower's data is (``bot.privacy.store``): the Rasa tracker (``tracker:<channel>:
<sender>``, or ``tracker:<sender>`` from before conversation ids carried their channel), every
ticket of ``(channel, sender)`` with its transcript, notes and history, the open-conversation
index entry, the REST inbox, the audit stream entries of those tickets, the paused-message
markers, FAQ review proposals quoting those tickets (or, from the answer audit, the
conversation), the bot's answers on the answer audit (``bot.audit``), and spooled escalations.
Statistics and metrics are counts only and are kept.

- **export** returns all of it as one JSON document.
- **erase** deletes the tracker, tickets (atomically out of every queue index, Lua), inbox,
  markers and spool files, deletes the tickets' audit entries (``XDEL``), removes the ticket
  reference from review proposals (the quoted question stays, anonymous), then records the
  erasure itself as an audit event ``follower_erased`` whose data holds counts and ticket ids,
  never the follower's id or words.
- **retention** (``CAREBOT_RETENTION_DAYS``, default 90): resolved tickets whose resolve time is
  older are deleted (``{p}:resolved`` zset, in batches), and audit entries older are trimmed
  (``XTRIM MINID``) from ``{p}:events`` and ``{p}:review:events``. Conversations (trackers)
  expire by themselves (Rasa ``record_exp``, ``CAREBOT_CONVERSATION_TTL_DAYS``).

Finding a follower's tickets scans the ticket hashes (``SCAN``; tickets have no per-follower
index), in pipelined batches: about 4 s per 100,000 tickets (measured on the 2-core dev
machine), fine for access and erasure requests.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import redis as redis_lib

from bot.privacy import scripts
from bot.privacy.store import LOCK_PREFIX, Follower, FollowerData, FollowerIdError
from bot.queue.models import text_of

if TYPE_CHECKING:
    from bot.audit.store import AuditStore

__all__ = ["Follower", "FollowerIdError", "Privacy", "RetentionReport"]

log = logging.getLogger(__name__)
ERASED_EVENT = "follower_erased"
FORMAT = "carebot-follower-export/1"


@dataclass
class RetentionReport:
    """What one retention pass removed."""

    tickets: list[str] = field(default_factory=list)
    audit_trimmed: int = 0
    review_audit_trimmed: int = 0


class Privacy:
    """Export, erasure and retention on one Redis (and the local escalation spool)."""

    def __init__(self, redis: redis_lib.Redis[Any], prefix: str = "carebot",
                 spool_dir: Path | None = None, clock: Callable[[], float] = time.time,
                 events_maxlen: int = 100_000) -> None:
        self.redis = redis
        self.prefix = prefix
        self.data = FollowerData(redis, prefix, spool_dir)
        self.clock = clock
        self.events_maxlen = events_maxlen
        self._erase = redis.register_script(scripts.ERASE_TICKETS)
        self._expire = redis.register_script(scripts.EXPIRE_RESOLVED)

    # -- export ------------------------------------------------------------------------

    def export(self, follower: str | Follower) -> dict[str, Any]:
        """Everything held about the follower, as one JSON-ready document."""
        who = follower if isinstance(follower, Follower) else Follower.parse(follower)
        d = self.data
        ids = d.ticket_ids(who)
        open_id = self.redis.hget(d.keys.open, d.keys.conversation(who.channel, who.sender))
        return {
            "format": FORMAT,
            "follower": who.id,
            "channel": who.channel,
            "sender": who.sender,
            "exported_at": self.clock(),
            "conversations": d.trackers(who),
            "tickets": [t.to_dict() for t in d.tickets(ids)],
            "open_ticket": text_of(open_id) if open_id is not None else None,
            "inbox": d.inbox(who),
            "audit": [{"id": i, **f, "data": _json(f.get("data"))}
                      for i, f in d.audit_entries(set(ids))],
            "review_mentions": [{"id": r["id"], "messages": r["messages"]}
                                for r in d.review_mentions(set(ids), who.id)],
            "answer_audit": self._audit().of_conversation(who.id),
            "spooled_escalations": [data for _, data in d.spooled(who)],
        }

    # -- erase -------------------------------------------------------------------------

    def erase(self, follower: str | Follower, actor: str) -> dict[str, Any]:
        """Delete or anonymise everything held about the follower; what was removed (counts
        and ticket ids). The erasure is logged as a ``follower_erased`` audit event."""
        who = follower if isinstance(follower, Follower) else Follower.parse(follower)
        d = self.data
        ids = d.ticket_ids(who)
        audit = [i for i, _ in d.audit_entries(set(ids))]
        mentions = d.review_mentions(set(ids), who.id)
        audited = [item["id"] for item in self._audit().of_conversation(who.id)]
        trackers = d.tracker_keys(who)
        inboxes = d.inbox_keys(who)
        markers = d.marker_keys(who)
        if ids:
            from bot.queue import AgentQueue
            from bot.queue.index import script_head
            from bot.queue.search import SearchIndex

            # out of the search index first: it is built from the data erased next
            head = script_head(AgentQueue(self.redis, prefix=self.prefix))
            SearchIndex(self.redis, prefix=self.prefix).forget(ids, head)
            self._erase(args=[self.prefix, *ids])
        for start in range(0, len(audit), 500):
            self.redis.xdel(d.keys.events, *audit[start : start + 500])
        locks = [LOCK_PREFIX + c for c in who.conversation_ids]
        doomed = trackers + inboxes + markers + locks
        for start in range(0, len(doomed), 500):
            self.redis.delete(*doomed[start : start + 500])
        for mention in mentions:
            self._anonymise_review(mention["key"], set(ids), who.id)
        self._audit().forget(audited)
        spooled = 0
        for path, _ in d.spooled(who):
            path.unlink(missing_ok=True)
            spooled += 1
        report = {
            "tickets": ids,
            "conversations": len(trackers),
            "inbox_lists": len(inboxes),
            "audit_entries": len(audit),
            "review_mentions": len(mentions),
            "audited_answers": len(audited),
            "spooled_escalations": spooled,
        }
        self._log_erasure(actor, report)
        log.info("privacy: erased a follower's data on request by %s: %s tickets, %s audit "
                 "entries", actor, len(ids), len(audit))
        return report

    def _audit(self) -> AuditStore:
        from bot.audit.store import AuditStore

        return AuditStore(self.redis, prefix=self.prefix)

    def _anonymise_review(self, key: str, ticket_ids: set[str], conversation: str = "") -> None:
        raw = self.redis.hget(key, "messages")
        messages = json.loads(text_of(raw)) if raw else []
        for message in messages:
            if isinstance(message, dict) and (message.get("ticket") in ticket_ids or (
                    conversation and message.get("conversation") == conversation)):
                message["ticket"] = ""
                message.pop("conversation", None)
                for name in ("replies", "reply", "flagged_by", "note"):
                    message.pop(name, None)
        self.redis.hset(key, "messages", json.dumps(messages, ensure_ascii=False))

    def _log_erasure(self, actor: str, report: dict[str, Any]) -> None:
        data = {k: v for k, v in report.items()}
        self.redis.xadd(self.data.keys.events, {
            "type": ERASED_EVENT, "ticket": "", "actor": actor, "ts": repr(self.clock()),
            "data": json.dumps(data, separators=(",", ":")),
        }, maxlen=self.events_maxlen, approximate=True)

    # -- retention ---------------------------------------------------------------------

    def retention_pass(self, days: int, batch: int = 200, rounds: int = 5) -> RetentionReport:
        """Remove resolved tickets resolved more than ``days`` ago (at most ``batch`` x
        ``rounds``; the next pass goes on) and audit entries older than that."""
        cutoff = self.clock() - days * 86400.0
        report = RetentionReport()
        for _ in range(rounds):
            ids = [text_of(i) for i in self._expire(args=[self.prefix, repr(cutoff), batch])]
            report.tickets += ids
            if len(ids) < batch:
                break
        minid = f"{int(cutoff * 1000)}-0"
        for stream, name in ((self.data.keys.events, "audit_trimmed"),
                             (f"{self.prefix}:review:events", "review_audit_trimmed")):
            setattr(report, name, int(self.redis.xtrim(stream, minid=minid, approximate=False)))
        if report.tickets or report.audit_trimmed:
            log.info("retention: removed %s resolved tickets and %s audit entries older than "
                     "%s days", len(report.tickets), report.audit_trimmed, days)
        return report


def _json(value: str | None) -> Any:
    try:
        return json.loads(value or "{}")
    except ValueError:
        return value
