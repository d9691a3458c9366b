"""Named exceptions of the agent queue; Lua scripts return small codes mapped here."""

from __future__ import annotations

import redis


class QueueError(Exception):
    """Base class of every agent-queue error."""

    def __init__(self, ticket_id: str, message: str = "") -> None:
        self.ticket_id = ticket_id
        super().__init__(message or f"{type(self).__name__}: {ticket_id}")


class TicketNotFound(QueueError):
    """No ticket with this id."""


class AlreadyClaimed(QueueError):
    """Another agent holds the ticket (``holder``)."""

    def __init__(self, ticket_id: str, holder: str) -> None:
        self.holder = holder
        super().__init__(ticket_id, f"{ticket_id} is already claimed by {holder!r}")


class NotHolder(QueueError):
    """The agent does not hold the ticket (never claimed it, or its lease ran out)."""

    def __init__(self, ticket_id: str, agent: str, holder: str | None) -> None:
        self.agent = agent
        self.holder = holder
        super().__init__(
            ticket_id, f"{agent!r} does not hold {ticket_id} (holder: {holder or 'nobody'})"
        )


class TicketClosed(QueueError):
    """The ticket is resolved; nothing more can happen to it (a new escalation opens a new one)."""


# Codes returned by the Lua scripts as the first element of their reply (see scripts.py).
OK = 0
E_NOT_FOUND = 1
E_ALREADY_CLAIMED = 2
E_NOT_HOLDER = 3
E_CLOSED = 4


def raise_for(code: int, ticket_id: str, agent: str = "", holder: str | None = None) -> None:
    """Raise the exception a script's return code stands for; return quietly on ``OK``."""
    if code == OK:
        return
    if code == E_NOT_FOUND:
        raise TicketNotFound(ticket_id)
    if code == E_ALREADY_CLAIMED:
        raise AlreadyClaimed(ticket_id, holder or "")
    if code == E_NOT_HOLDER:
        raise NotHolder(ticket_id, agent, holder or None)
    if code == E_CLOSED:
        raise TicketClosed(ticket_id, f"{ticket_id} is resolved")
    raise QueueError(ticket_id, f"unexpected script code {code} for {ticket_id}")


class NotReplicated(redis.RedisError):
    """A queue write reached the master but not ``REDIS_WAIT_REPLICAS`` replicas in time.

    A ``RedisError`` on purpose: callers treat it as Redis being down (an escalation goes to
    the spool and is applied again later; escalations are idempotent), because the master may
    be about to fail over without it."""
