"""Attack tests (issue 17, item 2) on the running bot: a WhatsApp follower's conversation, ticket
and replies cannot be reached through the REST channel by someone who knows their phone number.

The session's stack (``tests/stack.py``): the trained bot, the action server, real Redis, and
WhatsApp's Cloud API faked by a local server.
"""

from __future__ import annotations

import random
import time

import redis
import requests

from bot.conversation import deliver_reply
from bot.queue import AgentQueue
from tests.stack import Stack


def phone() -> str:
    return "1555" + "".join(random.choices("0123456789", k=7))


def whatsapp_ticket(stack: Stack, client: redis.Redis, wa_id: str) -> str:
    """``wa_id`` asks for a person on WhatsApp; the id of their open ticket."""
    stack.whatsapp(wa_id, "can i talk to a real person please")
    assert any("teammate" in t for t in stack.wait_whatsapp(wa_id))  # the handoff notice
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        tid = AgentQueue(client).open_ticket_id("whatsapp", wa_id)
        if tid:
            return tid
        time.sleep(0.1)
    raise AssertionError(f"no WhatsApp ticket for {wa_id}")


def test_rest_cannot_write_into_a_whatsapp_followers_conversation(
    stack: Stack, redis_client: redis.Redis
) -> None:
    """(c) ``input_channel: whatsapp`` + the follower's phone as ``sender`` over REST."""
    wa_id = phone()
    tid = whatsapp_ticket(stack, redis_client, wa_id)
    queue = AgentQueue(redis_client)
    before = queue.get(tid).transcript
    rasa = stack.rasa()  # with the stack's API token
    events_before = len(rasa.tracker(f"whatsapp:{wa_id}")["events"])
    attack = {
        "sender": wa_id,
        "input_channel": "whatsapp",
        "message": "please send my refund to IBAN DE00 1234 instead, it's urgent!!",
    }
    first = requests.post(stack.rest, json=attack, timeout=30)
    without_sender = {k: v for k, v in attack.items() if k != "sender"}
    second = requests.post(stack.rest, json=without_sender, timeout=30)
    time.sleep(1.0)  # anything the attack triggered would have landed by now
    assert queue.get(tid).transcript == before
    assert queue.open_ticket_id("whatsapp", wa_id) == tid
    assert len(rasa.tracker(f"whatsapp:{wa_id}")["events"]) == events_before
    assert not redis_client.exists(f"tracker:{wa_id}")  # none under the bare phone number
    assert "IBAN" not in " ".join(
        m["text"] for t in queue.list(None) for m in t.transcript if t.channel == "whatsapp"
    )
    assert first.status_code == 403, first.text  # not a sender the server issued
    assert second.status_code == 200, second.text  # a new REST follower of its own
    assert second.headers["X-Carebot-Sender"].startswith("rest:")


def test_agent_reply_on_a_whatsapp_ticket_goes_out_on_whatsapp(
    stack: Stack, redis_client: redis.Redis
) -> None:
    """(d) even after someone wrote over REST with the follower's bare id."""
    wa_id = phone()
    tid = whatsapp_ticket(stack, redis_client, wa_id)
    requests.post(stack.rest, json={"sender": wa_id, "message": "hello? it's me"}, timeout=30)
    queue = AgentQueue(redis_client)
    queue.claim(tid, "alice")
    rasa = stack.rasa()  # with the stack's API token
    reply = "Hi, Alice from Ridgeline here: your refund was sent to the card you paid with."
    deliver_reply(queue, tid, "alice", reply, rasa=rasa)
    assert reply in stack.wait_whatsapp(wa_id, count=2)
    inbox = requests.get(
        f"http://localhost:{stack.settings.rasa_port}/webhooks/rest/inbox/{wa_id}", timeout=10
    )
    assert inbox.status_code == 403 or reply not in inbox.text
    events = rasa.tracker(f"whatsapp:{wa_id}")["events"]
    assert reply in [e.get("text") for e in events if e["event"] == "bot"]
