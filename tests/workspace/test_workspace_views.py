"""bot/workspace/views.py and errors.py: what a queue row and an error look like."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import redis

from bot.queue import (
    AgentQueue,
    AlreadyClaimed,
    NotHolder,
    TicketClosed,
    TicketNotFound,
    TicketSummary,
)
from bot.rasa_ext.client import RasaUnavailable
from bot.workspace import views
from bot.workspace.errors import JsonErrorHandler
from tests.conftest import FakeClock, make_escalation


def test_summary_counts_waiting_until_the_first_reply(
    redis_client: redis.Redis, clock: FakeClock
) -> None:
    queue = AgentQueue(redis_client, clock=clock)
    tid = queue.escalate(
        make_escalation(
            transcript=[
                {"role": "follower", "text": "first", "ts": 1.0},
                {"role": "bot", "text": "hi", "ts": 2.0},
                {"role": "follower", "text": "second, angrier", "ts": 3.0},
            ]
        )
    ).ticket_id
    [listed] = queue.summaries("queued")
    row = views.summary(listed, clock.now + 90)
    assert row["waiting_seconds"] == 90 and row["preview"] == "second, angrier"
    assert row["tone"] == {"label": "negative", "negative": 0.9, "sarcasm": 0.1}
    assert row["messages"] == 3 and row["last_message_at"] == 3.0
    # the list's row (Redis sends no transcript) is the whole ticket's
    assert row == views.summary(TicketSummary.of(queue.get(tid)), clock.now + 90)
    clock.advance(30)
    queue.claim(tid, "ana")
    clock.advance(30)
    queue.reply(tid, "ana", "hello")
    queue.add_note(tid, "ana", "vip")
    [listed] = queue.summaries(None)
    row = views.summary(listed, clock.now + 1000)
    assert row["waiting_seconds"] == 60 and row["claimed_by"] == "ana"
    assert (row["messages"], row["notes"]) == (4, 1)
    assert row == views.summary(TicketSummary.of(queue.get(tid)), clock.now + 1000)
    detail = views.detail(queue.get(tid), clock.now)
    assert detail["summary"]["id"] == tid and detail["transcript"][-1]["role"] == "agent"


def test_the_list_preview_is_cut_on_a_character_boundary(redis_client: redis.Redis) -> None:
    queue = AgentQueue(redis_client)
    long_text = "é" + "🙄" * 2000  # 2 + 4 * 2000 bytes: Lua cuts bytes, never inside a character
    queue.escalate(make_escalation(text=long_text,
                                   transcript=[{"role": "follower", "text": long_text, "ts": 1.0}]))
    [listed] = queue.summaries("queued")
    row = views.summary(listed, 2.0)
    assert row["preview"] == long_text[:views.PREVIEW_CHARS]
    assert listed.ticket.text == long_text[: len(listed.ticket.text)]
    assert listed.ticket.draft == "" and listed.ticket.nlu == {} and listed.ticket.transcript == []


def _error(exc: Exception) -> tuple[int, dict[str, Any]]:
    request: Any = SimpleNamespace(method="POST", path="/api/x")
    res = JsonErrorHandler().default(request, exc)
    assert res.body is not None
    return res.status, json.loads(res.body)


def test_queue_errors_become_plain_sentences() -> None:
    assert _error(TicketNotFound("T-000001")) == (
        404,
        {"error": "not_found", "message": "No ticket T-000001."},
    )
    status, body = _error(AlreadyClaimed("T-000001", "bob"))
    assert status == 409 and body["holder"] == "bob" and "already claimed by bob" in body["message"]
    assert _error(NotHolder("T-000001", "ana", None))[1]["error"] == "not_holder"
    assert _error(TicketClosed("T-000001"))[1]["error"] == "closed"


def test_internal_details_never_reach_the_body() -> None:
    status, body = _error(RasaUnavailable("Rasa server unreachable at http://10.1.2.3:5005"))
    assert status == 502 and "10.1.2.3" not in json.dumps(body)
    status, body = _error(redis.ConnectionError("redis://:hunter2@db:6379"))
    assert status == 503 and "hunter2" not in json.dumps(body)
    status, body = _error(RuntimeError("secret stack detail"))
    assert status == 500 and "secret" not in json.dumps(body)
