"""Attack tests, issue 17 item 6: follower-supplied ``attachments`` cannot break the console.

Any follower can put anything in a REST or socket.io message's ``metadata``. ``attachments``
that are not a list of small objects (a string, a number, ten thousand entries, objects with
made-up keys) are normalised before they reach a ticket: what the console renders is always a
short list of ``{"type", "url"?, "media_id"?, "emoji"?}`` with text values. (A REST front door
that refuses oversized metadata outright, 400/413, is fine too.)
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis
import requests

from bot.queue import AgentQueue
from bot.workspace import views
from tests.stack import Stack

ALLOWED_KEYS = {"type", "url", "media_id", "emoji"}
MAX_ATTACHMENTS = 10


def _post(stack: Stack, sender: str, text: str, metadata: Any) -> requests.Response:
    return requests.post(stack.rest, json={"sender": stack.conversation(sender), "message": text,
                                           "metadata": metadata},
                         headers=stack.headers(sender), timeout=60)


def _console_json_is_sound(ticket: Any) -> None:
    view = json.loads(json.dumps(views.detail(ticket, time.time())))
    for message in view["transcript"]:
        for holder in (message, message.get("metadata") or {}):
            if "attachments" not in holder:
                continue
            attachments = holder["attachments"]
            assert isinstance(attachments, list), attachments
            assert len(attachments) <= MAX_ATTACHMENTS
            for item in attachments:
                assert isinstance(item, dict) and set(item) <= ALLOWED_KEYS, item
                assert all(isinstance(v, str) and len(v) <= 2048 for v in item.values()), item


def test_malformed_attachments_are_normalised(stack: Stack, redis_client: redis.Redis) -> None:
    who = stack.sender()
    res = _post(stack, who, "can i talk to a real person please", {"attachments": "x"})
    assert res.status_code in (200, 400), res.text  # normalised, or refused by the REST caps
    if res.status_code == 400:
        res = _post(stack, who, "can i talk to a real person please", {})
        assert res.status_code == 200, res.text
    queue = AgentQueue(redis_client)
    tid = queue.open_ticket_id("rest", who)
    assert tid is not None
    _console_json_is_sound(queue.get(tid))

    flood = [{"type": "image", "url": "javascript:alert(1)", "evil": {"deep": [1, 2]}}] * 10_000
    for metadata in ({"attachments": flood}, {"attachments": [1, "a", None, [{}]]},
                     {"attachments": {"type": "image"}}, {"attachments": 42}):
        res = _post(stack, who, "hello? any news on my order", metadata)
        assert res.status_code in (200, 400, 413), res.status_code
    res = _post(stack, who, "this is ridiculous, nobody answers!!", {"attachments": flood})
    assert res.status_code in (200, 400, 413), res.status_code
    ticket = queue.get(tid)
    _console_json_is_sound(ticket)
    assert len(json.dumps(ticket.transcript)) < 100_000


def test_escalating_with_a_flood_of_attachments(stack: Stack, redis_client: redis.Redis) -> None:
    who = stack.sender()
    flood = [{"type": "image", "url": "https://cdn.example/p.png"}] * 10_000
    res = _post(stack, who, "", {"attachments": flood})
    if res.status_code in (400, 413):
        return  # refused at the door
    assert res.status_code == 200, res.text
    queue = AgentQueue(redis_client)
    tid = queue.open_ticket_id("rest", who)
    assert tid is not None
    ticket = queue.get(tid)
    _console_json_is_sound(ticket)
    assert "unsupported_message" in ticket.reasons
