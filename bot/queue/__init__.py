"""The agent queue: escalated conversations waiting for human care agents (Redis, Lua)."""

from bot.queue.errors import AlreadyClaimed, NotHolder, QueueError, TicketClosed, TicketNotFound
from bot.queue.keys import Keys
from bot.queue.models import EscalateResult, Escalation, SweepReport, Ticket, TicketSummary
from bot.queue.queue import AgentQueue
from bot.queue.spool import Spool
from bot.queue.sweeper import Sweeper

__all__ = [
    "AgentQueue",
    "AlreadyClaimed",
    "EscalateResult",
    "Escalation",
    "Keys",
    "NotHolder",
    "QueueError",
    "Spool",
    "SweepReport",
    "Sweeper",
    "Ticket",
    "TicketSummary",
    "TicketClosed",
    "TicketNotFound",
]
