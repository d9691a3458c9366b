"""Where the trainers' review list lives in Redis (:class:`ReviewKeys`), and the fingerprint
that identifies one escalated message (never proposed twice).

Redis keys (prefix = ``CAREBOT_QUEUE_PREFIX``, default ``carebot``):

==============================  ======  ===============================================
``{p}:review:seq``              string  INCR counter behind proposal ids (``R-000042``)
``{p}:review:item:{id}``        hash    one proposal (lists as JSON)
``{p}:review:pending``          zset    pending proposal ids, score = created (unix s)
``{p}:review:decided``          zset    accepted / rejected ids, score = decided (unix s)
``{p}:review:seen``             hash    message fingerprint (ticket + normalised text) →
                                        the proposal that holds it (never proposed twice)
``{p}:review:lock:{id}``        string  held while a proposal is being accepted (60 s TTL)
``{p}:review:events``           stream  audit: ``type id actor ts data`` (JSON);
                                        ``MAXLEN ~ 10000``
``{p}:review:training``         string  account training from the workspace
                                        (``POST /api/review/train``; 900 s TTL)
==============================  ======  ===============================================
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class ReviewKeys:
    """The Redis key names of the review list under one prefix (the table above)."""

    prefix: str = "carebot"

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, "review", *parts))

    @property
    def seq(self) -> str:
        return self._k("seq")

    def item(self, pid: str) -> str:
        return self._k("item", pid)

    @property
    def pending(self) -> str:
        return self._k("pending")

    @property
    def decided(self) -> str:
        return self._k("decided")

    @property
    def seen(self) -> str:
        return self._k("seen")

    def lock(self, pid: str) -> str:
        return self._k("lock", pid)

    @property
    def events(self) -> str:
        return self._k("events")

    @property
    def training(self) -> str:
        return self._k("training")


def fingerprint(ticket: str, text: str) -> str:
    """Identity of one escalated message: its ticket and its text as the model sees it."""
    from bot.nlu.text_model import normalise

    return hashlib.sha1(f"{ticket}\x00{normalise(text)}".encode()).hexdigest()[:20]
