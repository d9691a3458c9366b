"""bot/channels/ratelimit.py and ids.py: token buckets, the client address, conversation ids."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bot.channels.ids import ForeignConversation, conversation_id, platform_id, split
from bot.channels.ratelimit import RateLimiter, client_address, parse_networks
from tests.conftest import FakeClock


def test_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(60, clock=clock)  # 1 a second, bursts of 60
    assert [limiter.acquire("a") for _ in range(60)] == [0.0] * 60
    assert limiter.acquire("a") == pytest.approx(1.0)
    assert limiter.acquire("b") == 0.0  # one bucket per key
    clock.advance(2.5)
    assert limiter.acquire("a") == 0.0 and limiter.acquire("a") == 0.0
    assert limiter.acquire("a") == pytest.approx(0.5)
    assert RateLimiter(0, clock=clock).acquire("a") == 0.0  # 0: no limit


def test_bucket_memory_is_bounded() -> None:
    limiter = RateLimiter(10, clock=FakeClock(0.0), max_keys=100)
    for i in range(1000):
        limiter.acquire(f"ip-{i}")
    assert len(limiter._buckets) == 100


def _request(ip: str, forwarded: str | None = None) -> Any:
    headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
    return SimpleNamespace(ip=ip, headers=headers)


def test_client_address_believes_only_trusted_proxies() -> None:
    trusted = parse_networks("127.0.0.1/8, ::1, 10.0.0.0/8")
    # a follower connecting directly cannot choose its address with the header
    assert client_address(_request("203.0.113.9", "1.2.3.4"), trusted) == "203.0.113.9"
    # the local proxy appended the client's address: the right-most untrusted hop counts
    assert client_address(_request("127.0.0.1", "1.2.3.4, 203.0.113.9"), trusted) == "203.0.113.9"
    assert client_address(_request("127.0.0.1", "203.0.113.9, 10.1.2.3"), trusted) == "203.0.113.9"
    assert client_address(_request("::1"), trusted) == "::1"
    assert client_address(_request("127.0.0.1", "garbage"), trusted) == "garbage"
    with pytest.raises(ValueError, match="nginx"):
        parse_networks("127.0.0.1, nginx")


def test_conversation_ids_carry_their_channel() -> None:
    assert conversation_id("whatsapp", "15550001") == "whatsapp:15550001"
    assert split("whatsapp:15550001") == ("whatsapp", "15550001")
    assert split("telegram:-1001234") == ("telegram", "-1001234")
    assert split("15550001") == ("unknown", "15550001")  # from before namespacing
    assert conversation_id("unknown", "15550001") == "15550001"
    assert platform_id("rest", "rest:abc") == "abc"
    for foreign in ("whatsapp:abc", "abc", "rest:", "restx:abc"):
        with pytest.raises(ForeignConversation):
            platform_id("rest", foreign)
    with pytest.raises(ValueError):
        conversation_id("Bad Channel", "x")
