"""Canned responses (bot.workspace.canned): the store on real Redis, the FAQ answers as
read-only responses, variables filled for a ticket, blanks that block a send."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis

from bot.faq.reader import FaqReader
from bot.queue import AgentQueue
from bot.workspace.canned import (
    MAX_CANNED,
    CannedError,
    CannedStore,
    blank,
    render,
    ticket_values,
    unfilled,
)
from tests.conftest import make_escalation

ROOT = Path(__file__).resolve().parents[2]
GREETING = "Hi {{first_name}}! I'm {{agent_name}}. Order {{ order_number }} ships today."


@pytest.fixture
def store(redis_client: redis.Redis) -> CannedStore:
    return CannedStore(redis_client, faqs=FaqReader(ROOT).faqs, clock=lambda: 1000.0)


def test_create_edit_list_and_delete(store: CannedStore, redis_client: redis.Redis) -> None:
    made = store.create("ships-today", "Ships today", GREETING, "sue")
    assert made.key == "ships-today" and made.created_by == "sue" and made.uses == 0
    assert made.to_dict()["variables"] == ["first_name", "agent_name", "order_number"]
    assert made.to_dict()["editable"] is True
    with pytest.raises(CannedError) as exists:
        store.create("ships-today", "Again", "text", "sue")
    assert exists.value.status == 409
    edited = store.update("ships-today", "tim", text="Hello {{first_name}}, on its way!")
    assert edited.text.startswith("Hello") and edited.updated_by == "tim"
    assert edited.title == "Ships today" and edited.created_by == "sue"
    keys = [c.key for c in store.list()]
    assert keys[0] == "ships-today" and "faq/shipping_time" in keys
    assert [c.key for c in store.list("ships")][0] == "ships-today"
    assert [c.key for c in store.list("track")][:1] == ["faq/track_order"]  # key first
    assert store.list("zzz-nothing") == []
    store.delete("ships-today")
    with pytest.raises(CannedError) as gone:
        store.get("ships-today")
    assert gone.value.status == 404
    assert redis_client.keys("carebot:canned:item:*") == []


def test_bad_input_is_refused(store: CannedStore) -> None:
    for key, title, text in [
        ("Bad Key", "t", "x"), ("faq/shipping_time", "t", "x"), ("", "t", "x"),
        ("ok", "", "x"), ("ok", "t", "   "), ("ok", "t" * 81, "x"), ("ok", "t", "x" * 2001),
        ("ok", "t", "Hi {{name}}"), ("ok", "t", "Hi {{first_name}"), ("ok", "t", "⟦x⟧ left"),
        ("ok", "t", "bell\x07"), ("ok", 5, "x"),
    ]:
        with pytest.raises(CannedError) as info:
            store.create(key, title, text, "sue")
        assert info.value.status == 422, (key, title, text)
    with pytest.raises(CannedError) as faq:
        store.update("faq/shipping_time", "sue", text="mine now")
    assert faq.value.status == 403
    with pytest.raises(CannedError) as nothing:
        store.update("nope", "sue", text="x")
    assert nothing.value.status == 404


def test_the_store_is_capped(store: CannedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.workspace.canned.MAX_CANNED", 2)
    store.create("a", "A", "x", "sue")
    store.create("b", "B", "x", "sue")
    with pytest.raises(CannedError, match="2 canned"):
        store.create("c", "C", "x", "sue")
    assert MAX_CANNED == 500


def test_uses_are_counted_for_team_and_faq_responses(store: CannedStore) -> None:
    store.create("thanks", "Thanks", "Thanks {{first_name}}!", "sue")
    store.use("thanks")
    store.use("thanks")
    store.use("faq/shipping_time")
    assert store.get("thanks").uses == 2 and store.get("thanks").last_used_at == 1000.0
    assert store.get("faq/shipping_time").uses == 1
    listed = {c.key: c for c in store.list()}
    assert listed["faq/shipping_time"].uses == 1 and listed["faq/shipping_time"].source == "faq"
    store.use("deleted-meanwhile")  # nothing to count: no error, no key
    assert not store.redis.exists("carebot:canned:item:deleted-meanwhile")


def ticket(**fields: Any) -> Any:
    return SimpleNamespace(**{"transcript": [], "nlu": {}, **fields})


def test_variables_come_from_the_ticket_and_the_agent(queue: AgentQueue) -> None:
    tid = queue.escalate(make_escalation("u1", nlu={"entities": [
        {"entity": "order_number", "value": "RO-1001"},
        {"entity": "tracking_number", "value": "1Z999"},
        {"entity": "order_number", "value": "RO-2002"},
    ]}, transcript=[{"role": "follower", "text": "hi", "ts": 1.0,
                     "metadata": {"profile": {"name": "Marta Quintana"}}}])).ticket_id
    values = ticket_values(queue.get(tid), "ana")
    assert values == {"first_name": "Marta", "order_number": "RO-2002",
                      "tracking_number": "1Z999", "agent_name": "Ana"}
    done = render(GREETING, values)
    assert done.text == "Hi Marta! I'm Ana. Order RO-2002 ships today."
    assert done.missing == [] and unfilled(done.text) == []


def test_unknown_values_become_blanks_that_block_a_send() -> None:
    values = ticket_values(ticket(nlu={"entities": {"order_number": ["", "{{x}}"]}}), "bob")
    assert values["first_name"] is None and values["order_number"] is None
    done = render(GREETING, values)
    assert done.text == "Hi ⟦first name⟧! I'm Bob. Order ⟦order number⟧ ships today."
    assert done.missing == ["first_name", "order_number"]
    assert unfilled(done.text) == [blank("first_name"), blank("order_number")]
    assert unfilled("Hi {{ first_name }}") == ["{{ first_name }}"]
    assert unfilled("Hi Marta, order [1234] ships {today}") == []
    # a name the channel gives as first_name wins; odd values are not used
    assert ticket_values(ticket(transcript=[{"role": "follower", "metadata": {
        "first_name": "Zoë", "name": "Someone Else"}}]), "x")["first_name"] == "Zoë"
    assert ticket_values(ticket(transcript=[{"role": "follower", "metadata": {
        "name": "\x00evil"}}]), "x")["first_name"] is None
    assert ticket_values(ticket(profile={"first_name": "Lee"}), "x")["first_name"] == "Lee"
