"""Fixtures of the attack tests: the web channels served live on the test Redis db."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from bot.settings import reset_settings

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture
def web_env(
    redis_client: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """REDIS_URL → the (flushed) test db, default limits, fresh settings before and after."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    for name in (
        "CAREBOT_QUEUE_PREFIX",
        "CAREBOT_RATE_LIMIT_PER_IP",
        "CAREBOT_RATE_LIMIT_PER_SENDER",
    ):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    _reset_limits()
    yield
    reset_settings()
    _reset_limits()


def _reset_limits() -> None:
    try:
        from bot.channels import follower_tokens, ratelimit
    except ImportError:  # before the fix there is no limiter
        return
    ratelimit.reset()
    follower_tokens.reset()


def snapshot(redis_url: str) -> dict[bytes, Any]:
    """Every key of the db with its serialised value and whether it expires: any write shows."""
    raw = redis.Redis.from_url(redis_url)
    try:
        return {key: (raw.dump(key), raw.ttl(key) > 0) for key in raw.scan_iter(count=1000)}
    finally:
        raw.close()
