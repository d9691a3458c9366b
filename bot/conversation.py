"""A conversation a person owns: what happens to the follower's messages, to the agent's
replies, and when the agent gives the conversation back.

- ``on_follower_message``: a follower wrote while a ticket is open (the tracker is paused, or the
  pause was lost): the message goes on the open ticket, raising its reasons and priority when it
  is angrier or more serious; the bot says nothing. The one place for this rule: the action
  server (``actions/respond.py``) and Rasa's tracker store (``bot.rasa_ext.tracker_store``, for
  paused trackers, where no action runs) both call it.
- ``deliver_reply``: record the reply on the ticket, then append it to the conversation's Rasa
  tracker and send it through the ticket's own channel (Rasa's HTTP API, ``output_channel`` =
  ``ticket.channel``; the tracker is ``<channel>:<sender>``, ``bot.channels.ids``), so the
  transcript stays whole and the bot has the context when it resumes. Never the channel the
  conversation used last: that was how a REST caller with a WhatsApp follower's phone number as
  sender received the agent's reply. A reply that cannot be delivered is recorded
  on the ticket (``record_delivery_failure``), never dropped.
- ``close_ticket``: resolve or hand back, then resume the bot (``ConversationResumed``).
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from bot.channels.ids import conversation_id
from bot.escalation.config import EscalationConfig
from bot.escalation.decision import Decision, decide
from bot.escalation.handoff import record_while_waiting
from bot.queue import AgentQueue, Ticket
from bot.rasa_ext.client import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)


def on_follower_message(
    queue: AgentQueue,
    parse: Mapping[str, Any],
    config: EscalationConfig,
    *,
    channel: str,
    sender: str,
    metadata: Mapping[str, Any],
    responses: Mapping[str, Any],
    ts: float | None = None,
    decision: Decision | None = None,
) -> Decision:
    """Put a follower's message on the conversation's open ticket (the bot stays silent).

    ``decision``: the message's decision when the caller already made it. Returns it.
    Raises ``redis.RedisError`` when the queue is unreachable (the caller logs it)."""
    if decision is None:
        decision = decide(parse, config, metadata=metadata)
    record_while_waiting(
        queue,
        decision,
        channel=channel,
        sender=sender,
        text=str(parse.get("text") or ""),
        metadata=metadata,
        responses=responses,
        config=config,
        ts=ts,
    )
    return decision


def deliver_reply(
    queue: AgentQueue, ticket_id: str, agent: str, text: str, rasa: RasaClient | None = None
) -> dict[str, Any]:
    text = text.strip()
    if not text:
        raise ValueError("an empty reply cannot be sent")
    entry = queue.reply(ticket_id, agent, text)
    ticket = queue.get(ticket_id)
    try:
        (rasa or RasaClient()).agent_message(
            conversation_id(ticket.channel, ticket.sender), text, agent, ticket.channel
        )
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
) -> Ticket:
    ticket = queue.resolve(ticket_id, agent, outcome=outcome, force=force)
    try:
        (rasa or RasaClient()).resume(conversation_id(ticket.channel, ticket.sender))
    except RasaUnavailable as error:
        # The ticket is closed; the action server also answers again once no ticket is open,
        # but the paused tracker needs the resume event: say so loudly.
        logger.error(f"{ticket_id} closed but the bot could not be resumed: {error}")
        raise
    return ticket
