"""Redis key names, built from one prefix: the one place to look up (or add) a key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

SCORE_BAND = 10**13
"""Width of one priority band in the ``queued`` zset: ``score = priority * SCORE_BAND + ms``."""


@dataclass(frozen=True)
class Keys:
    """Every Redis key carebot writes, for one prefix (``CAREBOT_QUEUE_PREFIX``, default
    ``carebot``): the agent queue's, the other modules' below, and the features with a key class
    of their own (listed at the end).

    Global keys:

    ========================  ======  ==========================================================
    key                       type    content
    ========================  ======  ==========================================================
    ``{p}:seq``               string  INCR counter behind ticket ids (``T-000042``)
    ``{p}:open``              hash    conversation field (see :meth:`conversation`) -> id of its
                                      open (queued or claimed) ticket; removed on resolve
    ``{p}:queued``            zset    queued ticket ids, score ``priority * 10**13 + enqueued_ms``
                                      (priority ascending, then FIFO)
    ``{p}:claimed``           zset    claimed ticket ids, score = lease expiry (unix seconds)
    ``{p}:claimed_order``     zset    claimed ticket ids, score = claim time (unix seconds)
    ``{p}:aging``             zset    queued tickets with priority > 1, score = the time their
                                      current priority level started (aging anchor)
    ``{p}:waits``             list    last 50 claim waits in seconds (newest first)
    ``{p}:resolved``          zset    closed ticket ids, score = resolve time (unix seconds)
    ``{p}:events``            stream  audit log: fields ``type ticket actor ts data`` (JSON);
                                      ``MAXLEN ~ 100000``
    ========================  ======  ==========================================================

    Per-ticket and per-agent keys:

    ==================================  ======  ================================================
    ``{p}:ticket:{id}``                 hash    ticket fields (lists/dicts as JSON)
    ``{p}:ticket:{id}:messages``        list    transcript, one JSON message per item
    ``{p}:ticket:{id}:notes``           list    internal agent notes, JSON
    ``{p}:ticket:{id}:history``         list    this ticket's audit events, JSON (with stream id)
    ``{p}:agent:{agent}``               set     ids of the tickets the agent holds
    ``{p}:escalation:{escalation_id}``  string  ticket id an escalation was applied to
                                                (idempotency; expires after ``idempotency_ttl``)
    ==================================  ======  ================================================

    Search index and labels (``bot.queue.index``, kept by the scripts' ``emit``; labels by
    ``bot.queue.labels``); every ``idx`` zset holds ticket ids scored by creation time:

    ==================================  ======  ================================================
    ``{p}:idx:created``                 zset    every ticket
    ``{p}:idx:status:{status}``         zset    tickets by current status (queued, claimed,
                                                resolved)
    ``{p}:idx:channel:{channel}``       zset    tickets by channel
    ``{p}:idx:reason:{reason}``         zset    tickets by escalation reason
    ``{p}:idx:agent:{agent}``           zset    tickets an agent held or closed
    ``{p}:idx:label:{label}``           zset    tickets carrying a label
    ``{p}:idx:w:{word}``                zset    tickets whose follower/agent messages or
                                                follower id/name hold the word
    ``{p}:idx:words``                   zset    every indexed word, score 0 (prefix lookup)
    ``{p}:idx:doc:{id}``                hash    the index's state of a ticket: ``status``,
                                                ``upto`` (messages indexed), ``words``
    ``{p}:idx:tmp:{n}``                 zset    scratch sets of one search, deleted by the
                                                script that makes them
    ``{p}:labels``                      hash    label name -> colour (``#rrggbb``)
    ==================================  ======  ================================================

    The Lua scripts (``bot.queue.scripts``) build every key name from the prefix themselves, and
    choose ticket ids inside: the queue needs a single Redis (no Cluster).

    Used by other modules (built here):

    ======================================  ======  ============================================
    ``{p}:seen:{channel}:{message_id}``     string  inbound message already handled (TTL;
                                                    ``bot.channels.idempotency``)
    ``{p}:paused-msg:{sender}:{ts}``        string  follower message of a paused conversation
                                                    already put on its ticket (TTL 1 day;
                                                    ``bot.rasa_ext.tracker_store``); ``sender``
                                                    is the conversation id (``whatsapp:155…``)
    ``{p}:inbox:{channel}:{id}``            list    replies for a REST follower sent after
                                                    their request returned (agent replies;
                                                    newest ``INBOX_MAX`` kept; TTL 7 days;
                                                    ``bot.channels.web``); ``id`` is the
                                                    platform id (``rest:`` stripped)
    ``{p}:reply-image:{id}``                hash    an image an agent uploaded for a reply:
                                                    ``body`` (bytes), ``type``, ``ticket``,
                                                    ``agent``, ``created`` (TTL 24 hours;
                                                    ``bot.channels.reply_images``)
    ``{p}:follower-secret``                 string  the key of the HMAC that makes REST and
                                                    web-chat follower tokens (set once, never
                                                    expires; ``bot.channels.follower_tokens``)
    ``{p}:stats:m:{YYYYmmddHHMM}``          hash    follower messages of one UTC minute:
                                                    ``messages``, one field per outcome,
                                                    ``reason:<code>`` per escalation reason,
                                                    ``label:<name>`` per label added
                                                    (``bot.queue.labels``; expires after 2 days;
                                                    ``bot.stats.figures``)
    ``{p}:stats:h:{YYYYmmddHH}``            hash    the same per UTC hour (expires after 8 days)
    ``{p}:audit:seq``                       string  INCR counter behind answer-audit ids
                                                    (``A-000042``; ``bot.audit.store``)
    ``{p}:audit:item:{id}``                 hash    one sampled bot answer: ``text``,
                                                    ``conversation``, ``channel``, ``faq``,
                                                    ``response``, ``answer``, ``confidence``,
                                                    ``model_id``, ``answered_at``, ``sampled`` /
                                                    ``low`` (why it is audited), then the
                                                    verdict (``status`` right | wrong,
                                                    ``decided_by``, ``note``, ``correct``,
                                                    ``proposal``); expires after
                                                    ``CAREBOT_RETENTION_DAYS``
    ``{p}:audit:pending``                   zset    ids waiting for a verdict, score = answered
                                                    at; at most ``CAREBOT_AUDIT_MAX_PENDING``
                                                    (the oldest are dropped)
    ``{p}:audit:decided``                   zset    ids with a verdict, score = decided at
                                                    (trimmed to the retention)
    ``{p}:audit:day:{YYYYmmdd}``            hash    tallies of the answers of one UTC day:
                                                    ``sampled``, ``low``, ``sample:right``,
                                                    ``sample:wrong``, ``low:right``,
                                                    ``low:wrong`` (expires with the retention)
    ``{p}:audit:totals``                    hash    the same since the beginning, plus
                                                    ``dropped`` (Prometheus counters)
    ======================================  ======  ============================================

    Features with a key class of their own, under the same prefix:

    ======================================  ======  ============================================
    ``{p}:review:seq``                      string  INCR counter behind FAQ review proposal ids
                                                    (``R-000042``; ``bot.faq.review``)
    ``{p}:review:item:{id}``                hash    one review proposal (lists as JSON): from
                                                    ``carebot faq suggest`` or an agent's flag
    ``{p}:review:pending``                  zset    pending proposal ids, score = created
    ``{p}:review:decided``                  zset    accepted / rejected ids, score = decided
    ``{p}:review:seen``                     hash    message fingerprint (ticket + normalised
                                                    text) -> proposal id (never proposed or
                                                    flagged twice)
    ``{p}:review:lock:{id}``                string  held while a trainer accepts it (60 s TTL)
    ``{p}:review:events``                   stream  review audit log (``MAXLEN ~ 10000``)
    ``{p}:review:training``                 string  a training started from the workspace
                                                    (``POST /api/review/train``; 900 s TTL)
                                                    — all ``review:`` keys:
                                                    ``bot.faq.review_keys.ReviewKeys``
    ``{p}:accounts``, ``{p}:account:*``,    …       workspace accounts, token index and console
    ``{p}:account_token:*``,                        sessions (``bot.workspace.accounts.Accounts``)
    ``{p}:session:*``
    ``{p}:metrics:*``                       …       Prometheus counters and the audit-stream
                                                    fold (``bot.stats.metrics.MetricsKeys``)
    ``{p}:canned:item:{key}``               hash    a team canned response: ``key title text
                                                    created_by created_at updated_by updated_at
                                                    uses last_used_at``
    ``{p}:canned:index``                    zset    canned response keys, score = last change
    ``{p}:canned:faq_uses``                 hash    FAQ key -> times used as a canned response
                                                    — all ``canned:`` keys:
                                                    ``bot.workspace.canned.CannedKeys``
    ``{p}:follower:{channel}:{sender}``     hash    a follower's profile (name, handle, first /
                                                    last seen, last message id, contact)
    ``{p}:follower:{channel}:{sender}:tickets`` zset  the conversation's ticket ids
    ``{p}:followers:cursor``                string  audit-stream id the ticket index read to
    ``{p}:contacts:seq``, ``{p}:contact:*`` …       contacts linking conversations of one person
    ``{p}:presence:{ticket}``               zset    agents viewing a ticket (+ ``:state`` hash:
                                                    who is typing)
    ``{p}:draft:{ticket}``                  string  the holder's draft lock while typing
    ``{p}:signal:{kind}:{channel}:{sender}`` string last typing indicator / read receipt sent
                                                    — all: ``bot.followers.keys.FollowerKeys``
    ======================================  ======  ============================================

    Rasa's tracker store and lock store keep their own keys (not prefixed) in the same Redis.
    """

    prefix: str = "carebot"

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    @property
    def seq(self) -> str:
        return self._k("seq")

    @property
    def open(self) -> str:
        return self._k("open")

    @property
    def queued(self) -> str:
        return self._k("queued")

    @property
    def claimed(self) -> str:
        return self._k("claimed")

    @property
    def claimed_order(self) -> str:
        return self._k("claimed_order")

    @property
    def aging(self) -> str:
        return self._k("aging")

    @property
    def waits(self) -> str:
        return self._k("waits")

    @property
    def resolved(self) -> str:
        return self._k("resolved")

    @property
    def events(self) -> str:
        return self._k("events")

    def ticket(self, ticket_id: str) -> str:
        return self._k("ticket", ticket_id)

    def messages(self, ticket_id: str) -> str:
        return self._k("ticket", ticket_id, "messages")

    def notes(self, ticket_id: str) -> str:
        return self._k("ticket", ticket_id, "notes")

    def history(self, ticket_id: str) -> str:
        return self._k("ticket", ticket_id, "history")

    def agent(self, agent: str) -> str:
        return self._k("agent", agent)

    def escalation(self, escalation_id: str) -> str:
        return self._k("escalation", escalation_id)

    # -- used by other modules ----------------------------------------------------------------

    def seen(self, channel: str, message_id: str) -> str:
        return self._k("seen", channel, message_id)

    def paused_message(self, sender: str, ts: float) -> str:
        return self._k("paused-msg", sender, str(ts))


    def stats_minute(self, at: datetime) -> str:
        """The bucket of ``at``'s minute (``at`` in UTC)."""
        return self._k("stats", "m", at.strftime("%Y%m%d%H%M"))

    def stats_hour(self, at: datetime) -> str:
        """The bucket of ``at``'s hour (``at`` in UTC)."""
        return self._k("stats", "h", at.strftime("%Y%m%d%H"))

    # -- the answer audit (bot.audit) ------------------------------------------------------------

    @property
    def audit_seq(self) -> str:
        return self._k("audit", "seq")

    def audit_item(self, audit_id: str) -> str:
        return self._k("audit", "item", audit_id)

    @property
    def audit_pending(self) -> str:
        return self._k("audit", "pending")

    @property
    def audit_decided(self) -> str:
        return self._k("audit", "decided")

    def audit_day(self, at: datetime) -> str:
        """The tallies of the answers given on ``at``'s UTC day."""
        return self._k("audit", "day", at.strftime("%Y%m%d"))

    @property
    def audit_totals(self) -> str:
        return self._k("audit", "totals")

    def inbox(self, channel: str, platform_id: str) -> str:
        return self._k("inbox", channel, platform_id)

    @property
    def follower_secret(self) -> str:
        return self._k("follower-secret")

    @staticmethod
    def conversation(channel: str, sender: str) -> str:
        """Field of ``{p}:open`` for one conversation: ``["channel","sender"]`` as compact JSON."""
        return json.dumps([channel, sender], separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def score(priority: int, enqueued_ms: int) -> int:
        """Score of a queued ticket: priority band first, then FIFO by first-enqueue time."""
        return priority * SCORE_BAND + enqueued_ms

    # -- search index and labels (bot.queue.index, bot.queue.labels) ------------------------------

    @property
    def labels(self) -> str:
        return self._k("labels")

    def idx_label(self, label: str) -> str:
        return self._k("idx", "label", label)

    def reply_image(self, image_id: str) -> str:
        """An agent's uploaded reply image (``bot.channels.reply_images``)."""
        return self._k("reply-image", image_id)

    def idx(self, *parts: str) -> str:
        """A key of the search index: ``idx("w", "refund")`` -> ``{p}:idx:w:refund``."""
        return self._k("idx", *parts)
