"""``CarebotTrackerStore`` stores exactly what Rasa's ``RedisTrackerStore`` stores, on the real
Redis: each scenario runs once through each store (two keys) and the stored trackers are
compared event by event."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any, Callable, Coroutine

import pytest
import redis
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext.tracker_store import CarebotTrackerStore
from bot.redis import params as redis_params

ROOT = Path(__file__).resolve().parents[2]
Scenario = Callable[[Any, Any, str, list[float]], Coroutine[Any, Any, None]]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "config" / "domain"))


def _events(n: int, clock: list[float], text: str = "how long is shipping") -> list[Event]:
    out: list[Event] = []
    for i in range(n):
        clock[0] += 1.0
        out.append(UserUttered(f"{text} {i}", {"intent": {"name": "faq", "confidence": 0.9},
                                               "entities": []}, timestamp=clock[0]))
        clock[0] += 1.0
        out.append(ActionExecuted("action_respond", timestamp=clock[0]))
        clock[0] += 1.0
        out.append(BotUttered(f"answer {i}", timestamp=clock[0]))
        clock[0] += 1.0
        out.append(ActionExecuted("action_listen", timestamp=clock[0]))
    return out


def _session(clock: list[float]) -> list[Event]:
    clock[0] += 1.0
    start = ActionExecuted("action_session_start", timestamp=clock[0])
    clock[0] += 1.0
    return [start, SessionStarted(timestamp=clock[0]),
            ActionExecuted("action_listen", timestamp=clock[0] + 0.5)]


def _stored(client: redis.Redis, store: Any, sender: str) -> list[dict[str, Any]]:
    raw = client.get(store.key_prefix + sender)
    assert raw is not None
    return list(json.loads(raw)["events"])


def _same_in_both(scenario: Scenario, domain: Domain, redis_url: str,
                  client: redis.Redis) -> list[dict[str, Any]]:
    params = redis_params(redis_url)
    ours = CarebotTrackerStore(domain, host=redis_url)
    rasa = RedisTrackerStore(domain, host=params["host"], port=params["port"], db=params["db"],
                             password=params["password"])
    stored = []
    for store in (ours, rasa):
        sender = f"ts-{uuid.uuid4().hex[:8]}"
        clock = [1_700_000_000.0]
        asyncio.run(scenario(store, rasa, sender, clock))
        stored.append(_stored(client, store, sender))
    assert stored[0] == stored[1]
    return stored[0]


async def _load(store: Any, sender: str) -> DialogueStateTracker:
    """The stored tracker or a new one (``get_or_create_tracker`` would add a timestamp of now)."""
    return await store.retrieve(sender) or store.init_tracker(sender)


async def _grow(store: Any, sender: str, clock: list[float], turns: int) -> None:
    tracker = await _load(store, sender)
    for event in _events(turns, clock):
        tracker.update(event)
    await store.save(tracker)


def test_new_then_growing_conversation(domain: Domain, redis_url: str,
                                       redis_client: redis.Redis) -> None:
    async def scenario(store: Any, rasa: Any, sender: str, clock: list[float]) -> None:
        for turns in (1, 2, 1):  # load, add, save - three messages
            await _grow(store, sender, clock, turns)

    stored = _same_in_both(scenario, domain, redis_url, redis_client)
    assert [e["text"] for e in stored if e["event"] == "user"] == [
        "how long is shipping 0", "how long is shipping 0", "how long is shipping 1",
        "how long is shipping 0"]


def test_a_tracker_saved_twice_in_one_message(domain: Domain, redis_url: str,
                                              redis_client: redis.Redis) -> None:
    """As Rasa on a new session: saved once after the session start, once at the end."""
    async def scenario(store: Any, rasa: Any, sender: str, clock: list[float]) -> None:
        tracker = await _load(store, sender)
        for event in _session(clock):
            tracker.update(event)
        await store.save(tracker)
        for event in _events(2, clock):
            tracker.update(event)
        tracker.update(SlotSet("failures", 1.0, timestamp=clock[0] + 1))
        await store.save(tracker)

    stored = _same_in_both(scenario, domain, redis_url, redis_client)
    assert stored[-1]["event"] == "slot"


def test_someone_else_wrote_between_load_and_save(domain: Domain, redis_url: str,
                                                  redis_client: redis.Redis) -> None:
    """The stored tracker changed after this one was loaded (another writer): Rasa's merge."""
    async def scenario(store: Any, rasa: Any, sender: str, clock: list[float]) -> None:
        await _grow(store, sender, clock, 1)
        mine = await store.retrieve(sender)
        other = await store.retrieve(sender)
        other.update(ConversationPaused(timestamp=clock[0] + 0.5))
        await rasa.save(other) if store is not rasa else await store.save(other)
        for event in _events(1, clock, text="and returns"):
            mine.update(event)
        await store.save(mine)

    stored = _same_in_both(scenario, domain, redis_url, redis_client)
    assert [e["event"] for e in stored].count("pause") == 1
    assert any(e.get("text") == "and returns 0" for e in stored)


def test_a_conversation_of_two_sessions_keeps_both(domain: Domain, redis_url: str,
                                                   redis_client: redis.Redis) -> None:
    """``retrieve`` gives the last session only; saving it merges the earlier one back."""
    async def scenario(store: Any, rasa: Any, sender: str, clock: list[float]) -> None:
        tracker = await _load(store, sender)
        for event in [*_session(clock), *_events(2, clock), *_session(clock),
                      *_events(1, clock)]:
            tracker.update(event)
        await store.save(tracker)
        last = await store.retrieve(sender)
        assert [e.type_name for e in last.events][:2] == ["action", "session_started"]
        assert len(last.events) == 3 + 4
        full = await store.retrieve_full_tracker(sender)
        assert len(full.events) == 2 * 3 + 3 * 4
        for event in _events(1, clock, text="second session"):
            last.update(event)
        await store.save(last)

    stored = _same_in_both(scenario, domain, redis_url, redis_client)
    assert [e["event"] for e in stored].count("session_started") == 2
    assert any(e.get("text") == "second session 0" for e in stored)


def test_a_tracker_rebuilt_from_events_is_merged_as_rasa_does(
    domain: Domain, redis_url: str, redis_client: redis.Redis
) -> None:
    """A new tracker object (e.g. the HTTP API replacing events) is never taken for the stored
    one, even with the stored one's remembered in the store."""
    async def scenario(store: Any, rasa: Any, sender: str, clock: list[float]) -> None:
        await _grow(store, sender, clock, 2)
        await store.retrieve(sender)
        rebuilt = DialogueStateTracker.from_events(sender, _events(1, clock, text="replaced"),
                                                   slots=domain.slots)
        await store.save(rebuilt)

    stored = _same_in_both(scenario, domain, redis_url, redis_client)
    assert [e["text"] for e in stored if e["event"] == "user"] == [
        "how long is shipping 0", "how long is shipping 1", "replaced 0"]


def test_the_compare_and_set_path_is_taken(domain: Domain, redis_url: str,
                                           redis_client: redis.Redis) -> None:
    """A loaded tracker saves with one script call, and no GET of the stored tracker."""
    store = CarebotTrackerStore(domain, host=redis_url)
    sender = f"cas-{uuid.uuid4().hex[:8]}"
    clock = [1_700_000_000.0]
    asyncio.run(_grow(store, sender, clock, 1))
    calls: list[str] = []
    original = store.red.execute_command

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(str(args[0]))
        return original(*args, **kwargs)

    store.red.execute_command = counting  # type: ignore[method-assign]

    async def one_message() -> None:
        tracker = await store.retrieve(sender)
        for event in _events(1, clock):
            tracker.update(event)
        await store.save(tracker)

    asyncio.run(one_message())
    assert calls[0] == "GET" and calls[1:] in (["EVALSHA"], ["EVALSHA", "EVAL"]), calls
