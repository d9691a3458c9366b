"""``bot.rasa_ext.lock_store.FailSafeRedisLockStore`` on the real Redis: atomic across store
instances, Rasa's key and JSON, Rasa's errors, and in-process locks while Redis is down."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

import pytest
import redis
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext.lock_store import FailSafeRedisLockStore
from bot.redis import params as redis_params


def _store(url: str) -> FailSafeRedisLockStore:
    return FailSafeRedisLockStore(EndpointConfig(url=url))


def _hold_all(store: FailSafeRedisLockStore, conversations: list[str], start: threading.Barrier,
              spans: dict[str, list[tuple[float, float]]], guard: threading.Lock) -> None:
    """In its own thread and event loop: take the lock of every conversation at once, hold it
    for a moment, and note when each hold began and ended."""

    async def hold(conversation: str) -> None:
        async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.01):
            begun = time.monotonic()
            await asyncio.sleep(0.02)
            with guard:
                spans[conversation].append((begun, time.monotonic()))

    async def main() -> None:
        start.wait()
        await asyncio.gather(*[hold(c) for c in conversations])

    asyncio.run(main())


def test_two_lock_stores_never_hold_one_conversation_at_once(redis_client: redis.Redis,
                                                             redis_url: str) -> None:
    """Two stores (two instances), each with its own connection and event loop, take the lock of
    the same 60 conversations at the same moment, three rounds: every conversation is held by
    one of them at a time, and both got every lock."""
    conversations = [f"lock-{uuid.uuid4().hex[:6]}-{i}" for i in range(60)]
    spans: dict[str, list[tuple[float, float]]] = {c: [] for c in conversations}
    guard = threading.Lock()
    for _ in range(3):
        start = threading.Barrier(2)
        threads = [threading.Thread(target=_hold_all,
                                    args=(_store(redis_url), conversations, start, spans, guard))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    for conversation, held in spans.items():
        assert len(held) == 6, conversation
        held.sort()
        for (_, end), (begin, _) in zip(held, held[1:], strict=False):
            assert begin >= end, f"{conversation} held twice at once: {held}"
    store = RedisLockStore(**redis_params(redis_url))
    assert not any(redis_client.exists(store.key_prefix + c) for c in conversations)


def test_rasa_reads_the_lock_it_writes_and_tickets_follow_rasas_numbering(
    redis_client: redis.Redis, redis_url: str
) -> None:
    ours = _store(redis_url)
    rasa = RedisLockStore(**redis_params(redis_url))
    conversation = f"interop-{uuid.uuid4().hex[:6]}"

    async def scenario() -> list[Any]:
        seen: list[Any] = []
        async with ours.lock(conversation, lock_lifetime=30):
            lock = rasa.get_lock(conversation)
            assert lock is not None
            seen.append((lock.conversation_id, [t.number for t in lock.tickets]))
            assert 0 < lock.tickets[0].expires - time.time() <= 30
            seen.append(rasa.issue_ticket(conversation, 30))  # Rasa's store queues behind us
            lock = rasa.get_lock(conversation)
            assert lock is not None
            seen.append([t.number for t in lock.tickets])
            seen.append(lock.is_locked(1))
        lock = rasa.get_lock(conversation)
        assert lock is not None
        seen.append([t.number for t in lock.tickets])  # ours given back, Rasa's is served
        seen.append(lock.is_locked(1))
        rasa.cleanup(conversation, 1)
        return seen

    assert asyncio.run(scenario()) == [(conversation, [0]), 1, [0, 1], True, [1], False]
    assert rasa.get_lock(conversation) is None


def test_a_lock_that_expires_while_waiting_raises_lock_error(redis_client: redis.Redis,
                                                             redis_url: str) -> None:
    """As Rasa: the holder's and the waiter's tickets both expire -> ``LockError``."""
    store = _store(redis_url)
    conversation = f"expire-{uuid.uuid4().hex[:6]}"

    async def scenario() -> None:
        async with store.lock(conversation, lock_lifetime=0.2):
            with pytest.raises(LockError, match=conversation):
                async with store.lock(conversation, lock_lifetime=0.2,
                                      wait_time_in_seconds=0.3):
                    pytest.fail("the waiter must not get the lock")

    asyncio.run(scenario())
    assert not redis_client.exists(store.key_prefix + conversation)


def test_waiters_are_served_in_ticket_order(redis_client: redis.Redis, redis_url: str) -> None:
    store = _store(redis_url)
    conversation = f"order-{uuid.uuid4().hex[:6]}"
    order: list[int] = []

    async def hold(n: int) -> None:
        await asyncio.sleep(0.01 * n)  # ask in the order 0, 1, 2, 3, 4
        async with store.lock(conversation, wait_time_in_seconds=0.01):
            order.append(n)
            await asyncio.sleep(0.03)

    async def scenario() -> None:
        await asyncio.gather(*[hold(n) for n in range(5)])

    asyncio.run(scenario())
    assert order == [0, 1, 2, 3, 4]


def test_redis_down_falls_back_to_in_process_locks() -> None:
    store = FailSafeRedisLockStore(EndpointConfig(url="redis://127.0.0.1:1/0"))
    conversation = "down"
    inside: list[int] = []

    async def hold(n: int) -> None:
        async with store.lock(conversation, wait_time_in_seconds=0.01):
            inside.append(n)
            assert len(inside) == 1, "two holders at once"
            await asyncio.sleep(0.02)
            inside.remove(n)

    async def scenario() -> None:
        await asyncio.gather(*[hold(n) for n in range(3)])

    asyncio.run(scenario())
    assert inside == []
