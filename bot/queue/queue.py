"""AgentQueue: escalated conversations waiting for, and worked by, human care agents.

All state lives in Redis (keys: :class:`bot.queue.keys.Keys`). Every change runs as one Lua script
(:mod:`bot.queue.scripts`) that also appends its audit event to ``{prefix}:events``, so the state
and the log never disagree, and two agents can never hold one ticket.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import time
from typing import Any, Callable, List, Sequence

import redis as redis_lib
from redis.exceptions import NoScriptError

from bot.escalation.reasons import Reason
from bot.queue import scripts
from bot.queue.errors import OK, NotReplicated, QueueError, raise_for
from bot.queue.keys import SCORE_BAND, Keys
from bot.queue.models import (
    OUTCOMES,
    PRIORITIES,
    EscalateResult,
    Escalation,
    SweepReport,
    Ticket,
    TicketSummary,
    decode,
    dumps,
    text_of,
)

LIST_STATUSES = ("queued", "claimed", "resolved", None)
READ_ONLY = frozenset({"get", "list"})
"""Scripts that change nothing (no ``WAIT`` for replicas after them)."""
DEFAULT_MAX_MESSAGES = 500
DEFAULT_MAX_HISTORY = 500


class AgentQueue:
    """The queue of tickets (one per escalated conversation) that care agents claim and work.

    Order: priority ascending (1 = most urgent), then FIFO by first-enqueue time. A claim is a
    lease of ``lease_seconds``, extended by :meth:`heartbeat`; a lease that runs out is lost
    (its holder gets :class:`NotHolder`) and the ticket goes back to the queue at its old place
    (:meth:`sweep`, or the next :meth:`claim_next` / :meth:`claim`). Waiting tickets age: their
    priority rises one level per ``aging_seconds`` waited (0 disables aging).
    ``clock`` gives unix seconds; every timestamp written comes from it. A ticket's transcript
    keeps its first message and the newest ones up to ``max_messages``, its history its first
    event and the newest up to ``max_history`` (``bot.queue.scripts``).
    """

    def __init__(
        self,
        redis: redis_lib.Redis[Any],
        prefix: str = "carebot",
        lease_seconds: float = 120.0,
        clock: Callable[[], float] = time.time,
        aging_seconds: float = 600.0,
        events_maxlen: int = 100_000,
        idempotency_ttl: int = 30 * 24 * 3600,
        sweep_batch: int = 500,
        replicas: int = 0,
        replica_timeout_ms: int = 1000,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        max_history: int = DEFAULT_MAX_HISTORY,
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be > 0")
        if aging_seconds < 0:
            raise ValueError("aging_seconds must be >= 0")
        if idempotency_ttl < 1 or events_maxlen < 1 or sweep_batch < 1:
            raise ValueError("idempotency_ttl, events_maxlen and sweep_batch must be >= 1")
        if max_messages < 2 or max_history < 2:
            raise ValueError("max_messages and max_history must be >= 2")
        self.redis = redis
        self.keys = Keys(prefix)
        self.lease_seconds = float(lease_seconds)
        self.aging_seconds = float(aging_seconds)
        self.events_maxlen = int(events_maxlen)
        self.idempotency_ttl = int(idempotency_ttl)
        self.sweep_batch = int(sweep_batch)
        self.replicas = int(replicas)
        self.replica_timeout_ms = int(replica_timeout_ms)
        self.max_messages = int(max_messages)
        self.max_history = int(max_history)
        self._clock = clock
        self._scripts = {name: redis.register_script(src) for name, src in scripts.ALL.items()}
        self._shas = {
            name: hashlib.sha1(src.encode()).hexdigest() for name, src in scripts.ALL.items()
        }
        pool = getattr(redis, "connection_pool", None)  # decoding clients skip our own decode
        self._decoded = bool(pool and pool.connection_kwargs.get("decode_responses"))

    # -- plumbing ---------------------------------------------------------------------------

    def _now(self) -> float:
        return float(self._clock())

    def _run(self, name: str, now: float, *args: Any) -> list[Any]:
        reply = self._scripts[name](args=[*self._head(now), *args])
        if name not in READ_ONLY:
            self._replicated()
        return list(reply if self._decoded else decode(reply))

    def _head(self, now: float) -> list[Any]:
        """ARGV[1..5] of every script (see ``bot.queue.scripts``)."""
        return [self.keys.prefix, repr(now), self.events_maxlen, self.max_messages,
                self.max_history]

    def _replicated(self) -> None:
        """With ``replicas`` > 0: wait until that many replicas have every write so far
        (``WAIT``), so a failover cannot lose it; :class:`NotReplicated` otherwise."""
        if self.replicas <= 0:
            return
        acked = int(self.redis.wait(self.replicas, self.replica_timeout_ms))
        if acked < self.replicas:
            raise NotReplicated(
                f"a queue write reached {acked} of {self.replicas} replicas within "
                f"{self.replica_timeout_ms} ms"
            )

    def _check(self, reply: list[Any], ticket_id: str, agent: str = "") -> None:
        code = int(reply[0])
        if code != OK:
            holder = reply[1] if len(reply) > 1 and reply[1] else None
            raise_for(code, ticket_id, agent, holder)

    @staticmethod
    def _ticket(payload: str | bytes) -> Ticket:
        return Ticket.from_payload(payload)

    def _escalation_arg(self, esc: Escalation, now: float) -> str:
        """The escalation as the one JSON-array argument ``escalate`` (Lua) expects."""
        esc.__post_init__()  # re-validate: the caller may have changed it since construction
        fields = [
            Keys.conversation(esc.channel, esc.sender),
            esc.channel,
            esc.sender,
            str(esc.priority),
            dumps(list(esc.reasons)),
            esc.text,
            esc.draft,
            dumps(esc.tone),
            dumps(esc.nlu),
            esc.escalation_id,
            repr(float(esc.created_at)),
            str(math.floor(now * 1000)),
            str(self.idempotency_ttl),
            *[dumps(m) for m in esc.transcript],
        ]
        return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)

    # -- escalation side (the bot) ------------------------------------------------------------

    def escalate(self, esc: Escalation) -> EscalateResult:
        """Open a ticket for the conversation, or merge into its open one.

        Merging keeps one ticket per conversation: reasons are united, the more urgent priority
        wins, text/draft/tone/nlu are replaced by the newest, transcript messages not already
        on the ticket are appended. The same ``escalation_id`` applied again changes nothing
        and returns the ticket it was applied to (``created=False``).
        """
        now = self._now()
        reply = self._run("escalate", now, self._escalation_arg(esc, now))
        return EscalateResult(text_of(reply[1]), bool(reply[2]))

    def open_ticket_id(self, channel: str, sender: str) -> str | None:
        """Id of the conversation's open (queued or claimed) ticket, if any."""
        value = self.redis.hget(self.keys.open, Keys.conversation(channel, sender))
        return text_of(value) if value is not None else None

    def add_follower_message(
        self, channel: str, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> str | None:
        """Append a follower message to the conversation's open ticket; its id, or None."""
        now = self._now()
        message: dict[str, Any] = {"role": "follower", "text": text, "ts": now}
        if metadata:
            message["metadata"] = metadata
        reply = self._run(
            "follower_message", now, Keys.conversation(channel, sender), dumps(message)
        )
        return text_of(reply[1]) if reply[1] else None

    def record_delivery_failure(self, channel: str, sender: str, text: str, error: str) -> str:
        """A reply that could not be delivered: attach it to the open ticket as a system message,
        or escalate a new ticket (reason ``delivery_failed``, priority 2). Returns the ticket id.
        """
        now = self._now()
        message = {
            "role": "system",
            "text": f"Reply could not be delivered: {error}",
            "ts": now,
            "reply": text,
            "error": error,
        }
        esc = Escalation(
            channel=channel,
            sender=sender,
            reasons=[Reason.DELIVERY_FAILED.value],
            priority=2,
            text="",
            draft=text,
            transcript=[message],
            created_at=now,
        )
        conv = Keys.conversation(channel, sender)
        args = (dumps(message), error, text, conv, self._escalation_arg(esc, now))
        reply = self._run("delivery_failed", now, *args)
        return text_of(reply[1])

    # -- reading ------------------------------------------------------------------------------

    def get(self, ticket_id: str) -> Ticket:
        """The ticket with its transcript, notes and history; :class:`TicketNotFound`."""
        reply = self._run("get", self._now(), ticket_id)
        self._check(reply, ticket_id)
        return self._ticket(reply[1])

    def list(self, status: str | None = "queued", limit: int = 100) -> list[Ticket]:
        """Tickets by status: ``queued`` in queue order, ``claimed`` by claim time, ``resolved``
        newest first, ``None`` queued then claimed. One atomic snapshot."""
        if status not in LIST_STATUSES:
            raise ValueError(f"status={status!r}: expected one of {LIST_STATUSES}")
        if limit <= 0:
            return []
        reply = self._run("list", self._now(), status or "all", int(limit), "full")
        return [self._ticket(p) for p in reply[1]]

    def summaries(self, status: str | None = "queued", limit: int = 100) -> List[TicketSummary]:
        """:meth:`list` without transcripts, notes, history, drafts or NLU: queue rows, a few
        hundred bytes each whatever the tickets hold (what the workspace lists)."""
        if status not in LIST_STATUSES:
            raise ValueError(f"status={status!r}: expected one of {LIST_STATUSES}")
        if limit <= 0:
            return []
        reply = self._run("list", self._now(), status or "all", int(limit), "summary")
        return [TicketSummary.from_payload(p) for p in reply[1]]

    def agent_tickets(self, agent: str) -> List[str]:
        """Ids of the tickets the agent holds."""
        return sorted(text_of(m) for m in self.redis.smembers(self.keys.agent(agent)))

    def events(self, start: str = "-", count: int = 100) -> List[tuple[str, dict[str, Any]]]:
        """Audit stream entries from ``start`` (a stream id, ``-`` = oldest): ``(id, fields)``
        with fields ``type``, ``ticket``, ``actor``, ``ts`` (float) and ``data`` (dict)."""
        out: List[tuple[str, dict[str, Any]]] = []
        for entry_id, raw in self.redis.xrange(self.keys.events, start, "+", count=count):
            fields = {text_of(k): text_of(v) for k, v in raw.items()}
            event: dict[str, Any] = dict(fields)
            event["ts"] = float(fields.get("ts", 0.0))
            data_obj = json.loads(fields.get("data") or "{}")
            event["data"] = {} if data_obj == [] else data_obj
            out.append((text_of(entry_id), event))
        return out

    # -- agent side ---------------------------------------------------------------------------

    def claim_next(self, agent: str) -> Ticket | None:
        """Claim the head of the queue; None when nothing waits."""
        now = self._now()
        reply = self._run("claim_next", now, agent, repr(now + self.lease_seconds))
        return self._ticket(reply[1]) if len(reply) > 1 else None

    def claim(self, ticket_id: str, agent: str) -> Ticket:
        """Claim one ticket (claiming one you hold renews the lease).

        :class:`AlreadyClaimed` (``.holder``), :class:`TicketClosed`, :class:`TicketNotFound`.
        """
        now = self._now()
        reply = self._run("claim", now, ticket_id, agent, repr(now + self.lease_seconds))
        self._check(reply, ticket_id, agent)
        return self._ticket(reply[1])

    def heartbeat(self, ticket_id: str, agent: str) -> float:
        """Extend the agent's lease; the new ``lease_until``. :class:`NotHolder` if it is lost."""
        now = self._now()
        lease_until = now + self.lease_seconds
        reply = self._run("heartbeat", now, ticket_id, agent, repr(lease_until))
        self._check(reply, ticket_id, agent)
        return lease_until

    def reply(self, ticket_id: str, agent: str, text: str) -> dict[str, Any]:
        """Append the agent's reply to the transcript (the caller delivers it); the message."""
        now = self._now()
        message = {"role": "agent", "agent": agent, "text": text, "ts": now}
        self._check(self._run("reply", now, ticket_id, agent, dumps(message)), ticket_id, agent)
        return message

    def add_note(self, ticket_id: str, agent: str, text: str) -> dict[str, Any]:
        """Add an internal note (any agent, any status); the note."""
        now = self._now()
        note = {"agent": agent, "text": text, "ts": now}
        self._check(self._run("note", now, ticket_id, agent, dumps(note)), ticket_id, agent)
        return note

    def release(self, ticket_id: str, agent: str) -> None:
        """Give the ticket back to the queue at its old place (same priority, same enqueued_at)."""
        self._check(self._run("release", self._now(), ticket_id, agent), ticket_id, agent)

    def transfer(self, ticket_id: str, from_agent: str, to_agent: str, force: bool = False) -> None:
        """Hand the ticket to another agent (fresh lease). ``force`` (supervisors): ``from_agent``
        need not hold it, and a queued ticket is assigned directly."""
        now = self._now()
        reply = self._run(
            "transfer",
            now,
            ticket_id,
            from_agent,
            to_agent,
            "1" if force else "0",
            repr(now + self.lease_seconds),
        )
        self._check(reply, ticket_id, from_agent)

    def resolve(
        self, ticket_id: str, agent: str, outcome: str = "resolved", force: bool = False
    ) -> Ticket:
        """Close the ticket (``resolved``, or ``handed_back`` to the bot); the closed ticket.

        The holder resolves; ``force`` lets anyone close a queued or claimed ticket.
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome={outcome!r}: expected one of {OUTCOMES}")
        args = (ticket_id, agent, outcome, "1" if force else "0", "1")
        reply = self._run("resolve", self._now(), *args)
        self._check(reply, ticket_id, agent)
        return self._ticket(reply[1])

    # -- batches: one round trip for many operations, each still atomic on its own -----------

    def _run_many(self, now: float, calls: List[tuple[str, List[Any]]]) -> List[List[Any]]:
        head = [0, *self._head(now)]
        pipe = self.redis.pipeline(transaction=False)
        for name, args in calls:
            pipe.evalsha(self._shas[name], *head, *args)
        out = []
        for (name, args), reply in zip(calls, pipe.execute(raise_on_error=False), strict=True):
            if isinstance(reply, NoScriptError):  # script cache emptied (server restart)
                out.append(self._run(name, now, *args))  # loads the script, runs it
            elif isinstance(reply, Exception):
                raise reply
            else:
                out.append(list(reply if self._decoded else decode(reply)))
        if any(name not in READ_ONLY for name, _ in calls):
            self._replicated()
        return out

    def escalate_many(self, escalations: Sequence[Escalation]) -> List[EscalateResult]:
        """:meth:`escalate` each (in order) in one round trip."""
        now = self._now()
        calls = [("escalate", [self._escalation_arg(e, now)]) for e in escalations]
        return [EscalateResult(text_of(r[1]), bool(r[2])) for r in self._run_many(now, calls)]

    def claim_next_many(self, agent: str, count: int) -> List[Ticket]:
        """Up to ``count`` :meth:`claim_next` in one round trip (an agent with several slots)."""
        now = self._now()
        calls = [("claim_next", [agent, repr(now + self.lease_seconds)])] * count
        return [self._ticket(r[1]) for r in self._run_many(now, calls) if len(r) > 1]

    def resolve_many(
        self, ticket_ids: Sequence[str], agent: str, outcome: str = "resolved", force: bool = False
    ) -> List[QueueError | None]:
        """:meth:`resolve` each in one round trip; per ticket None or the error it met."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome={outcome!r}: expected one of {OUTCOMES}")
        flag = "1" if force else "0"
        calls = [("resolve", [tid, agent, outcome, flag, "0"]) for tid in ticket_ids]
        errors: List[QueueError | None] = []
        for tid, reply in zip(ticket_ids, self._run_many(self._now(), calls), strict=True):
            try:
                self._check(reply, tid, agent)
                errors.append(None)
            except QueueError as exc:
                errors.append(exc)
        return errors

    # -- upkeep and figures -------------------------------------------------------------------

    def sweep(self) -> List[str]:
        """Requeue tickets whose lease ran out (event ``lease_expired``) and age waiting ones
        (event ``aged``); the ids requeued. See :meth:`sweep_report` for both lists."""
        return self.sweep_report().expired

    def sweep_report(self) -> SweepReport:
        report = SweepReport()
        for _ in range(20):  # bounded: a huge backlog is finished by the next sweeps
            reply = self._run("sweep", self._now(), self.sweep_batch, repr(self.aging_seconds))
            expired = [text_of(i) for i in reply[1]]
            report.expired.extend(expired)
            report.aged.extend(text_of(i) for i in reply[2])
            if len(expired) < self.sweep_batch and int(reply[3]) < self.sweep_batch:
                break
        return report

    def typical_wait_seconds(self, default: float | None = None) -> float | None:
        """Median of the last 50 claim waits (claimed_at - enqueued_at), else ``default``."""
        waits = [float(text_of(w)) for w in self.redis.lrange(self.keys.waits, 0, 49)]
        return statistics.median(waits) if waits else default

    def depth_by_priority(self) -> dict[int, int]:
        """How many tickets wait at each priority."""
        pipe = self.redis.pipeline(transaction=False)
        for p in PRIORITIES:
            pipe.zcount(self.keys.queued, p * SCORE_BAND, (p + 1) * SCORE_BAND - 1)
        return {p: int(n) for p, n in zip(PRIORITIES, pipe.execute(), strict=True)}

    def oldest_waiting_seconds(self) -> float | None:
        """How long the longest-waiting queued ticket has waited (since first enqueued)."""
        pipe = self.redis.pipeline(transaction=False)
        for p in PRIORITIES:
            pipe.zrangebyscore(
                self.keys.queued, p * SCORE_BAND, (p + 1) * SCORE_BAND - 1, 0, 1, withscores=True
            )
        oldest = [
            int(score) - p * SCORE_BAND
            for p, rows in zip(PRIORITIES, pipe.execute(), strict=True)
            for _, score in rows
        ]
        if not oldest:
            return None
        return max(0.0, self._now() - min(oldest) / 1000.0)
