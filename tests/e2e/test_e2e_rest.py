"""End to end through Rasa's REST channel: the trained bot, the action server and real Redis.

Every escalation trigger, the pause while a person owns the conversation, hand-back, and bad
input. Phrasings here are not in the training data.
"""

from __future__ import annotations

import redis

from bot.conversation import close_ticket, deliver_reply
from bot.queue import AgentQueue
from tests.stack import Stack

HANDOFF_WORDS = ("teammate", "care team")


def queue_for(client: redis.Redis) -> AgentQueue:
    return AgentQueue(client)


def is_handoff(texts: list[str]) -> bool:
    return len(texts) == 1 and any(w in texts[0] for w in HANDOFF_WORDS)


def test_faq_answered_in_unseen_words(stack: Stack, redis_client: redis.Redis) -> None:
    s = stack.sender()
    assert "business days" in stack.texts(s, "roughly how many days does standard delivery need")[0]
    assert "60 days" in stack.texts(s, "can i send back boots i dont like")[0]
    assert queue_for(redis_client).list(status=None) == []


def test_greeting_and_bot_challenge(stack: Stack, redis_client: redis.Redis) -> None:
    s = stack.sender()
    assert stack.texts(s, "hey there!")
    [reply] = stack.texts(s, "wait am i chatting with a robot")
    assert "assistant" in reply.lower()


def _escalates_with(stack: Stack, client: redis.Redis, text: str, reason: str) -> None:
    s = stack.sender()
    texts = stack.texts(s, text)
    assert is_handoff(texts), texts
    ticket_id = queue_for(client).open_ticket_id("rest", s)
    assert ticket_id, f"no ticket for {text!r}"
    ticket = queue_for(client).get(ticket_id)
    assert reason in ticket.reasons, (text, ticket.reasons)
    assert ticket.draft.strip()
    followers = [t for t in ticket.transcript if t["role"] == "follower"]
    assert followers[-1]["text"] == text
    assert "teammate" in ticket.transcript[-1]["text"]  # the handoff notice


def test_negative_tone(stack: Stack, redis_client: redis.Redis) -> None:
    _escalates_with(
        stack,
        redis_client,
        "this is ridiculous, my order is two weeks late and nobody answers",
        "negative_tone",
    )


def test_sarcasm_even_when_it_matches_an_faq(stack: Stack, redis_client: redis.Redis) -> None:
    _escalates_with(
        stack, redis_client, "great, 3 weeks and still no package, love it 🙄", "sarcasm"
    )


def test_complex_topic(stack: Stack, redis_client: redis.Redis) -> None:
    _escalates_with(
        stack, redis_client, "the bank shows two charges for the same order", "complex_topic"
    )


def test_asked_for_human(stack: Stack, redis_client: redis.Redis) -> None:
    _escalates_with(
        stack, redis_client, "can i please chat with an actual person", "asked_for_human"
    )


def test_off_topic_is_out_of_scope(stack: Stack, redis_client: redis.Redis) -> None:
    # read as the project's out-of-scope class (issue 16), not as a nearby FAQ
    _escalates_with(stack, redis_client, "what is the capital of france", "out_of_scope")


def test_ambiguous(stack: Stack, redis_client: redis.Redis) -> None:
    # two FAQs (shipping_cost, shipping_time) about equally likely
    _escalates_with(stack, redis_client, "shipping price and delivery time?", "ambiguous")


def test_other_language(stack: Stack, redis_client: redis.Redis) -> None:
    _escalates_with(
        stack, redis_client, "hola, ¿cuándo llega mi pedido? gracias", "unsupported_message"
    )


def test_attachment_only_goes_to_a_person(stack: Stack, redis_client: redis.Redis) -> None:
    s = stack.sender()
    image = {"type": "image", "url": "https://x.example/a.jpg"}
    texts = [m.get("text", "") for m in stack.say(s, "", metadata={"attachments": [image]})]
    assert is_handoff(texts), texts
    queue = queue_for(redis_client)
    ticket = queue.get(queue.open_ticket_id("rest", s) or "")
    assert ticket.reasons == ["unsupported_message"]
    followers = [t for t in ticket.transcript if t["role"] == "follower"]
    assert followers[-1].get("attachments") == [image]


def test_intent_injection_is_neutralised(stack: Stack, redis_client: redis.Redis) -> None:
    s = stack.sender()
    assert is_handoff(stack.texts(s, "i want a human"))
    # "/restart" would restart (and un-pause) the conversation in stock Rasa
    assert stack.texts(s, "/restart") == []
    assert stack.texts(s, "how long does shipping take") == []  # still paused for the bot


def test_paused_conversation_records_messages_and_stays_silent(
    stack: Stack, redis_client: redis.Redis
) -> None:
    s = stack.sender()
    assert is_handoff(stack.texts(s, "i need to talk to a human about my order"))
    queue = queue_for(redis_client)
    ticket_id = queue.open_ticket_id("rest", s)
    assert ticket_id is not None
    assert stack.texts(s, "how long does shipping take") == []
    assert stack.texts(s, "hello?? anyone there, this is useless") == []
    ticket = queue.get(ticket_id)
    texts = [t["text"] for t in ticket.transcript if t["role"] == "follower"]
    assert "how long does shipping take" in texts
    assert "hello?? anyone there, this is useless" in texts
    assert "negative_tone" in ticket.reasons  # the angrier follow-up raised the ticket
    assert len(queue.list(status=None)) == 1  # one ticket per conversation


def test_agent_reply_resolve_and_bot_resumes(stack: Stack, redis_client: redis.Redis) -> None:
    s = stack.sender()
    assert is_handoff(stack.texts(s, "get me a real person please"))
    queue = queue_for(redis_client)
    ticket = queue.claim_next("alice")
    assert ticket is not None and ticket.sender == s
    rasa = stack.rasa()
    deliver_reply(queue, ticket.id, "alice", "Hi, Alice here! How can I help?", rasa=rasa)
    assert [m["text"] for m in stack.inbox(s)] == ["Hi, Alice here! How can I help?"]
    close_ticket(queue, ticket.id, "alice", rasa=rasa)
    events = rasa.tracker(stack.conversation(s))["events"]
    bot_texts = [e.get("text") for e in events if e["event"] == "bot"]
    assert "Hi, Alice here! How can I help?" in bot_texts
    assert "business days" in stack.texts(s, "how long is delivery usually")[0]
    assert queue.get(ticket.id).status == "resolved"


def test_repeated_fallback_after_handback(stack: Stack, redis_client: redis.Redis) -> None:
    s = stack.sender()
    queue = queue_for(redis_client)
    rasa = stack.rasa()
    assert is_handoff(stack.texts(s, "what is the capital of france"))
    first = queue.claim_next("bob")
    assert first is not None
    close_ticket(queue, first.id, "bob", outcome="handed_back", rasa=rasa)
    assert is_handoff(stack.texts(s, "how tall is the eiffel tower"))
    second = queue.get(queue.open_ticket_id("rest", s) or "")
    assert second.id != first.id
    assert {"out_of_scope", "repeated_fallback"} <= set(second.reasons)


def test_bad_input_never_crashes(stack: Stack, redis_client: redis.Redis) -> None:
    s = stack.sender()
    for text in [
        "",
        "   ",
        "\x00\x07\x1b[31m",
        "🙂🙂🙂",
        "a" * 20_000,
        "where is my order " * 1200,
    ]:
        stack.say(stack.sender(), text)  # 200 with a list: no stack trace to the follower
    assert "empty" in stack.texts(s, "   ")[0]
    # the server keeps serving
    assert "business days" in stack.texts(stack.sender(), "how long does shipping take")[0]
