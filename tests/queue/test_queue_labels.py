"""Labels on tickets (bot.queue.labels): one Lua script per change, on real Redis."""

from __future__ import annotations

import pytest
import redis

from bot.queue import AgentQueue, Keys, TicketNotFound
from bot.queue.labels import MAX_PER_TICKET, PALETTE, LabelError, Labels, default_colour, normalise
from bot.stats.figures import SpikeRules, summary
from tests.conftest import FakeClock, event_types, make_escalation


@pytest.fixture
def labels(queue: AgentQueue) -> Labels:
    return Labels(queue)


def test_names_are_normalised_or_refused() -> None:
    assert normalise("  VIP   Customer ") == "vip customer"
    assert normalise("bug-report_2") == "bug-report_2"
    for bad in ("", "   ", "a" * 33, "café", "vip!", "a:b", None, 3, "-" * 0):
        with pytest.raises(LabelError):
            normalise(bad)
    assert default_colour("vip") in PALETTE and default_colour("vip") == default_colour("vip")


def test_add_and_remove_keep_ticket_index_registry_and_history(
    queue: AgentQueue, labels: Labels, redis_client: redis.Redis
) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    assert labels.add(tid, "ana", "VIP") == ["vip"]
    assert labels.add(tid, "ana", "refund") == ["refund", "vip"]
    assert labels.add(tid, "bob", "vip") == ["refund", "vip"]  # already there: no change
    assert queue.get(tid).labels == ["refund", "vip"]
    assert queue.list(status="queued")[0].labels == ["refund", "vip"]
    assert redis_client.zrange(Keys().idx_label("vip"), 0, -1) == [tid]
    assert redis_client.hget(Keys().labels, "vip") == default_colour("vip")
    assert labels.remove(tid, "bob", "vip") == ["refund"]
    assert labels.remove(tid, "bob", "vip") == ["refund"]  # not there: no change
    assert redis_client.zrange(Keys().idx_label("vip"), 0, -1) == []
    assert labels.registry() == {"refund": {"colour": default_colour("refund"), "tickets": 1},
                                 "vip": {"colour": default_colour("vip"), "tickets": 0}}
    history = queue.get(tid).history
    changes = [(h["type"], h["actor"], h["data"]) for h in history if "label" in h["type"]]
    assert changes == [("label_added", "ana", {"label": "vip"}),
                       ("label_added", "ana", {"label": "refund"}),
                       ("label_removed", "bob", {"label": "vip"})]
    assert event_types(queue, tid)[-1] == "label_removed"
    assert labels.remove(tid, "bob", "refund") == [] and queue.get(tid).labels == []


def test_limits_and_unknown_tickets(queue: AgentQueue, labels: Labels) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    for i in range(MAX_PER_TICKET):
        labels.add(tid, "ana", f"l{i}")
    with pytest.raises(LabelError, match="at most"):
        labels.add(tid, "ana", "one-more")
    with pytest.raises(TicketNotFound):
        labels.add("T-999999", "ana", "vip")
    with pytest.raises(LabelError):
        labels.add(tid, "ana", "no/slash")
    assert len(queue.get(tid).labels) == MAX_PER_TICKET


def test_closed_tickets_can_be_labelled(queue: AgentQueue, labels: Labels) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    queue.claim(tid, "ana")
    queue.resolve(tid, "ana")
    assert labels.add(tid, "sue", "follow-up") == ["follow-up"]


def test_colours_are_checked_and_kept(labels: Labels, redis_client: redis.Redis) -> None:
    assert labels.set_colour("VIP", "#AABBCC") == {"name": "vip", "colour": "#aabbcc"}
    assert labels.registry()["vip"]["colour"] == "#aabbcc"
    for bad in ("red", "#abc", "#gggggg", 7):
        with pytest.raises(LabelError):
            labels.set_colour("vip", bad)  # type: ignore[arg-type]


def test_added_labels_count_in_the_supervisor_figures(
    queue: AgentQueue, labels: Labels, clock: FakeClock, redis_client: redis.Redis
) -> None:
    a = queue.escalate(make_escalation("u1")).ticket_id
    b = queue.escalate(make_escalation("u2")).ticket_id
    labels.add(a, "ana", "vip")
    labels.add(b, "ana", "vip")
    labels.add(b, "ana", "refund")
    labels.remove(b, "ana", "refund")  # removing does not un-count the add
    figures = summary(redis_client, "carebot", 60, SpikeRules(), now=clock())
    assert figures["labels"] == {"vip": 2, "refund": 1}
    assert figures["messages"] == 0 and figures["outcomes"] == {}  # labels are not messages
    clock.advance(2 * 3600)
    assert summary(redis_client, "carebot", 60, SpikeRules(), now=clock())["labels"] == {}
