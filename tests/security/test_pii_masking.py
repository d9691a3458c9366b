"""Attack tests, issue 17 (privacy): a card number a follower pastes is stored nowhere.

Before the fix the full number went into the Rasa tracker (Redis), the ticket's transcript and
text, and on to exports and the spool. Now every input channel masks it as the message arrives
(``bot.nlu.pii.ingress``): REST and socket.io here against the running bot, the social channels
(WhatsApp, Telegram) against a live channel app. Only the last four digits are kept; order
numbers in the same message stay whole and reach the ticket as entities.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, Callable

import pytest
import redis

from bot.channels.settings import TelegramSettings, WhatsAppSettings
from bot.channels.telegram import TelegramInput
from bot.channels.whatsapp import WhatsAppInput
from bot.queue import AgentQueue
from tests.e2e.test_e2e_webchat import _chat
from tests.fakes.channel_env import META_AUTH, ChannelEnv, MetaEnv
from tests.fakes.fixtures import env_maker, wait_until
from tests.fakes.platforms import Credentials
from tests.stack import Stack

pytest_plugins = ["tests.fakes.fixtures"]

CARDS = ["4242 4242 4242 4242", "5555-5555-5555-4444", "378282246310005"]


def leaked(text: str) -> list[str]:
    """Card numbers of :data:`CARDS` whose first twelve digits appear in ``text`` (any
    separators, JSON escapes and all)."""
    digits = re.sub(r"\D", "", text)
    return [c for c in CARDS if re.sub(r"\D", "", c)[:-4] in digits]


def dump(client: redis.Redis, key: str) -> str:
    kind = client.type(key)
    if kind == "string":
        return str(client.get(key))
    if kind == "hash":
        return json.dumps(client.hgetall(key), ensure_ascii=False)
    if kind == "list":
        return json.dumps(client.lrange(key, 0, -1), ensure_ascii=False)
    if kind == "stream":
        return json.dumps(client.xrange(key), ensure_ascii=False)
    if kind == "zset":
        return json.dumps(client.zrange(key, 0, -1))
    return json.dumps(sorted(client.smembers(key)))


def keys_mentioning(client: redis.Redis, marker: str) -> list[str]:
    return [k for k in client.scan_iter(count=1000) if marker in dump(client, k)]


def test_rest_card_numbers_reach_no_tracker_ticket_or_audit(
    stack: Stack, redis_client: redis.Redis
) -> None:
    sender = stack.sender()
    marker = "zq" + uuid.uuid4().hex[:8]
    stack.say(sender, f"this is ridiculous {marker}, you charged my card {CARDS[0]} twice "
                      "for order RL-123456, I want a person now")
    stack.say(sender, f"{marker} and the other card {CARDS[1]} cvv 123 too")
    stack.say(sender, f"{marker} amex {CARDS[2]}")

    touched = keys_mentioning(redis_client, marker)
    assert any(k.startswith("tracker:") for k in touched), touched
    assert any(k.startswith("carebot:ticket:") for k in touched), touched
    everything = {k: dump(redis_client, k) for k in redis_client.scan_iter(count=1000)}
    assert {k: leaked(v) for k, v in everything.items() if leaked(v)} == {}
    tracker = next(v for k, v in everything.items() if k.startswith("tracker:") and marker in v)
    assert "•••• •••• •••• 4242" in tracker and "cvv •••" in tracker
    assert "RL-123456" in tracker

    ticket_key = next(k for k in touched if re.fullmatch(r"carebot:ticket:T-\d+", k))
    ticket = AgentQueue(redis_client).get(ticket_key.rsplit(":", 1)[1])
    texts = [m["text"] for m in ticket.transcript]
    assert any("•••• •••• •••• 4444" in t for t in texts), texts
    assert {"entity": "order_number", "value": "RL-123456"} in ticket.nlu["entities"]


def test_webchat_card_numbers_are_masked_in_the_tracker(
    stack: Stack, redis_client: redis.Redis
) -> None:
    marker = "zq" + uuid.uuid4().hex[:8]
    _chat(stack.settings.rasa_port, [f"hi {marker} my visa is {CARDS[0]}"])
    touched = keys_mentioning(redis_client, marker)
    assert any(k.startswith("tracker:") for k in touched), touched
    for key in touched:
        assert leaked(dump(redis_client, key)) == [], key


@pytest.fixture
def whatsapp(serve_channel: Callable[..., Any], creds: Credentials) -> ChannelEnv:
    fields = {"access_token": "t", "phone_number_id": "1", **META_AUTH}
    return env_maker(serve_channel, MetaEnv, WhatsAppInput, WhatsAppSettings, **fields)()


def test_social_channels_hand_rasa_masked_text(whatsapp: ChannelEnv) -> None:
    payload = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": "1"},
        "contacts": [{"wa_id": "15550001"}],
        "messages": [{"from": "15550001", "id": "wamid.1", "timestamp": "1", "type": "text",
                      "text": {"body": f"card {CARDS[0]} for order #123456"}}]},
        "field": "messages"}]}]}
    assert whatsapp.send(payload).status_code == 200
    wait_until(lambda: bool(whatsapp.messages))
    assert whatsapp.messages[0].text == "card •••• •••• •••• 4242 for order #123456"


def test_telegram_hands_rasa_masked_text(serve_channel: Callable[..., Any],
                                          creds: Credentials) -> None:
    class TelegramEnv(ChannelEnv):
        def headers_for(self, body: bytes, secret: Any) -> dict[str, str]:
            return {"X-Telegram-Bot-Api-Secret-Token": secret or "s3cr3t"}

    env = env_maker(serve_channel, TelegramEnv, TelegramInput, TelegramSettings,
                    bot_token="1:abc", secret_token="s3cr3t", bot_name="b")()
    update = {"update_id": 7, "message": {"message_id": 3, "date": 1, "chat": {"id": 42,
              "type": "private"}, "from": {"id": 42, "is_bot": False, "first_name": "A"},
              "text": f"{CARDS[2]} is my amex"}}
    assert env.send(update).status_code == 200
    wait_until(lambda: bool(env.messages))
    assert env.messages[0].text == "•••• •••• •••• 0005 is my amex"
