"""What an agent's action does beyond the queue: reach the follower and the bot.

- ``deliver_reply``: record the reply on the ticket, then append it to the conversation's Rasa
  tracker and send it through the follower's channel (Rasa's HTTP API), so the transcript stays
  whole and the bot has the context when it resumes. A reply that cannot be delivered is recorded
  on the ticket (``record_delivery_failure``), never dropped.
- ``close_ticket``: resolve or hand back, then resume the bot (``ConversationResumed``).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.queue import AgentQueue
from bot.rasa_client import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)


def deliver_reply(
    queue: AgentQueue, ticket_id: str, agent: str, text: str, rasa: RasaClient | None = None
) -> dict[str, Any]:
    text = text.strip()
    if not text:
        raise ValueError("an empty reply cannot be sent")
    entry = queue.reply(ticket_id, agent, text)
    ticket = queue.get(ticket_id)
    try:
        (rasa or RasaClient()).agent_message(ticket.sender, text, agent)
    except RasaUnavailable as error:
        logger.error(f"reply on {ticket_id} not delivered: {error}")
        queue.record_delivery_failure(ticket.channel, ticket.sender, text, str(error))
        raise
    return entry


def close_ticket(
    queue: AgentQueue,
    ticket_id: str,
    agent: str,
    outcome: str = "resolved",
    force: bool = False,
    rasa: RasaClient | None = None,
) -> Any:
    ticket = queue.resolve(ticket_id, agent, outcome=outcome, force=force)
    try:
        (rasa or RasaClient()).resume(ticket.sender)
    except RasaUnavailable as error:
        # The ticket is closed; the action server also answers again once no ticket is open,
        # but the paused tracker needs the resume event: say so loudly.
        logger.error(f"{ticket_id} closed but the bot could not be resumed: {error}")
        raise
    return ticket
