"""``action_respond``: the bot's single decision point for every follower message."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

import redis
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import get_services
from bot.audit import record as audit
from bot.channels import ids
from bot.conversation import on_follower_message
from bot.escalation.decision import decide
from bot.escalation.handoff import (
    build_escalation,
    handoff_response,
    transcript_from_events,
    wait_text,
)
from bot.stats import metrics

logger = logging.getLogger(__name__)
FAILURES_SLOT = "carebot_failures"


class ActionRespond(Action):
    """Answer with a vetted response, or hand the conversation to the agent queue and pause."""

    def name(self) -> str:
        return "action_respond"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        services = get_services()
        parse = tracker.latest_message or {}
        text = str(parse.get("text") or "")
        metadata = parse.get("metadata") or {}
        # the channel is part of the conversation id, never a client's say (bot.channels.ids)
        channel, sender = ids.split(tracker.sender_id)
        responses = domain.get("responses") or {}
        failures = int(tracker.get_slot(FAILURES_SLOT) or 0)
        decision = decide(parse, services.config, metadata=metadata, previous_failures=failures)

        # A person already owns this conversation (the pause can be lost, e.g. while Redis was
        # down): the message goes on the ticket and the bot stays silent.
        if services.open_ticket(channel, sender):
            try:
                on_follower_message(
                    services.queue, parse, services.config, channel=channel, sender=sender,
                    metadata=metadata, responses=responses, decision=decision,
                )
                metrics.hook(services, "on_ticket", decision)
                return [ConversationPaused()]
            except redis.RedisError as error:
                logger.error(f"could not record a message on the open ticket: {error}")

        if not decision.escalate:
            if decision.response:  # None: nothing to say (e.g. a reaction to an answer)
                dispatcher.utter_message(response=decision.response)
            metrics.hook(services, "answered" if decision.response else "silent", decision)
            # a sample of the FAQ answers (and every low-confidence one) for the supervisors
            audit.hook(services, parse, decision, channel=channel, sender=sender,
                       responses=responses, events=tracker.events)
            return [SlotSet(FAILURES_SLOT, 0)]

        handoff = handoff_response(decision, services.config)
        transcript = transcript_from_events(tracker.events)
        escalation = build_escalation(
            decision,
            channel=channel,
            sender=sender,
            text=text,
            transcript=transcript,
            responses=responses,
            config=services.config,
        )
        ticket, wait = services.escalate_with_notice(escalation, handoff, responses)
        reasons = ", ".join(decision.reasons)
        logger.info(f"escalated {channel}:{sender} as {ticket or 'spooled'} ({reasons})")
        dispatcher.utter_message(response=handoff, wait=wait_text(wait))
        metrics.hook(services, "escalated", decision)
        next_failures = failures + 1 if decision.failed else 0
        return [SlotSet(FAILURES_SLOT, next_failures), ConversationPaused()]
