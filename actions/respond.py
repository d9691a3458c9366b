"""``action_respond``: the bot's single decision point for every follower message."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.services import get_services
from bot.escalation.decision import decide
from bot.escalation.handoff import (
    draft_reply,
    handoff_response,
    transcript_from_events,
    wait_text,
)
from bot.queue import Escalation

logger = logging.getLogger(__name__)
FAILURES_SLOT = "carebot_failures"


class ActionRespond(Action):
    """Answer with a vetted response, or hand the conversation to the agent queue and pause."""

    def name(self) -> Text:
        return "action_respond"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        services = get_services()
        parse = tracker.latest_message or {}
        metadata = parse.get("metadata") or {}
        channel = tracker.get_latest_input_channel() or "rest"
        sender = tracker.sender_id

        # A person already owns this conversation (the pause can be lost, e.g. while Redis was
        # down): record the message on the ticket and stay silent.
        ticket_id = services.open_ticket(channel, sender)
        if ticket_id:
            services.queue.add_follower_message(channel, sender, parse.get("text") or "", metadata)
            return [ConversationPaused()]

        failures = int(tracker.get_slot(FAILURES_SLOT) or 0)
        decision = decide(
            parse, services.config, metadata=metadata, previous_failures=failures
        )
        if not decision.escalate:
            dispatcher.utter_message(response=decision.response)
            return [SlotSet(FAILURES_SLOT, 0)]

        responses = domain.get("responses") or {}
        escalation = Escalation(
            channel=channel,
            sender=sender,
            reasons=decision.reasons,
            priority=decision.priority or 4,
            text=parse.get("text") or "",
            draft=draft_reply(decision, responses, services.config),
            tone=decision.tone,
            nlu={
                "intent": decision.intent,
                "faq": decision.faq,
                "confidence": decision.confidence,
                "ranking": decision.ranking,
                "language": decision.language,
            },
            transcript=transcript_from_events(tracker.events),
        )
        ticket, wait = services.escalate(escalation)
        logger.info(f"escalated {channel}:{sender} as {ticket or 'spooled'} {decision.reasons}")
        dispatcher.utter_message(
            response=handoff_response(decision, services.config), wait=wait_text(wait)
        )
        next_failures = failures + 1 if decision.failed else 0
        return [SlotSet(FAILURES_SLOT, next_failures), ConversationPaused()]
