"""bot.stats.metrics: Redis counters, the audit-stream fold and the Prometheus rendering
(prometheus_client over real Redis)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from types import SimpleNamespace
from typing import Any, Callable

import pytest
import redis
import requests

from bot.queue import AgentQueue, Escalation
from bot.settings import Settings
from bot.stats import metrics
from bot.stats.metrics import MetricsKeys, fold_events, parse_prometheus, record, render_prometheus
from tests.conftest import FakeClock

SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? '
    r"(-?[0-9.e+-]+|\+Inf|-Inf|NaN)$"
)


def check_exposition(text: str) -> dict[str, str]:
    """Assert the text is valid Prometheus exposition; the TYPE of each family."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in types, f"family {name} declared twice"
            types[name] = kind
            continue
        assert SAMPLE.match(line), line
        name = re.split(r"[{ ]", line, maxsplit=1)[0]
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or family in types, f"{name} has no TYPE"
    return types


def test_record_counts_messages_answers_and_reasons(redis_client: redis.Redis) -> None:
    record(redis_client, "carebot", "answered", response="utter_faq/shipping_time")
    record(redis_client, "carebot", "answered", response="utter_faq/shipping_time")
    record(redis_client, "carebot", "answered", response="utter_greet")
    record(redis_client, "carebot", "escalated", reasons=["negative_tone", "sarcasm", "sarcasm"])
    record(redis_client, "carebot", "escalated", reasons=["asked_for_human"])
    record(redis_client, "carebot", "on_ticket")
    k = MetricsKeys("carebot")
    assert redis_client.hgetall(k.messages) == {"answered": "3", "escalated": "2", "on_ticket": "1"}
    assert redis_client.hgetall(k.answers) == {"utter_faq/shipping_time": "2", "utter_greet": "1"}
    assert redis_client.hgetall(k.escalations) == {
        "negative_tone": "1",
        "sarcasm": "1",
        "asked_for_human": "1",
    }
    assert all(
        key.startswith(("carebot:metrics:", "carebot:stats:")) for key in redis_client.keys("*")
    )


def test_metrics_use_the_queue_prefix(redis_client: redis.Redis) -> None:
    record(redis_client, "brand2", "answered", response="utter_greet")
    keys = set(redis_client.keys("*"))
    assert {k for k in keys if ":metrics:" in k} == {
        "brand2:metrics:messages",
        "brand2:metrics:answers",
    }
    assert all(k.startswith(("brand2:metrics:", "brand2:stats:")) for k in keys) and len(keys) == 4
    text = render_prometheus(redis_client, "brand2")
    assert parse_prometheus(text)['carebot_messages_total{outcome="answered"}'] == 1
    assert (
        parse_prometheus(render_prometheus(redis_client, "carebot"))[
            'carebot_messages_total{outcome="answered"}'
        ]
        == 0
    )


def test_a_metrics_failure_never_raises_and_warns_once_a_minute(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    caplog.set_level("WARNING", logger=metrics.logger.name)
    monkeypatch.setattr(metrics, "_last_warning", 0.0)
    record(dead, "carebot", "answered", response="utter_greet")  # no exception
    assert len(caplog.records) == 1
    assert caplog.records[0].getMessage().startswith("metrics not recorded (ConnectionError: ")
    assert "127.0.0.1:1" in caplog.records[0].getMessage()
    # within the minute: still no exception, and no second warning
    broken = SimpleNamespace(redis=dead, settings=SimpleNamespace(queue_prefix="carebot"))
    metrics.hook(broken, "escalated", SimpleNamespace(reasons=["x"], response=None))
    assert len(caplog.records) == 1
    # a minute later the next failure is logged again: here services without a Redis client
    monkeypatch.setattr(metrics, "_last_warning", time.monotonic() - 61)
    metrics.hook(SimpleNamespace(), "answered", None)
    assert len(caplog.records) == 2
    assert caplog.records[1].getMessage().startswith("metrics not recorded (AttributeError: ")
    # the failures left nothing half-written, and a working client still counts
    record(redis_client, "carebot", "answered", response="utter_greet")
    assert redis_client.hgetall("carebot:metrics:messages") == {"answered": "1"}


def test_a_scrape_with_redis_down_raises_instead_of_reporting_zeros() -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with pytest.raises(redis.ConnectionError):
        render_prometheus(dead, "carebot")


def test_print_once_from_the_command_line(redis_client: redis.Redis, redis_url: str) -> None:
    record(redis_client, "carebot", "escalated", reasons=["sarcasm"])
    env = {**os.environ, "REDIS_URL": redis_url, "CAREBOT_QUEUE_PREFIX": "carebot"}
    out = subprocess.run(
        [sys.executable, "-m", "bot.stats.metrics"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    check_exposition(out)
    assert parse_prometheus(out)['carebot_escalations_total{reason="sarcasm"}'] == 1


def test_hook_takes_response_and_reasons_from_the_decision(redis_client: redis.Redis) -> None:
    services = SimpleNamespace(redis=redis_client, settings=SimpleNamespace(queue_prefix="cb"))
    decision = SimpleNamespace(reasons=["negative_tone"], response="utter_faq/returns")
    metrics.hook(services, "escalated", decision)
    metrics.hook(services, "answered", SimpleNamespace(reasons=[], response="utter_greet"))
    metrics.hook(services, "silent", SimpleNamespace(reasons=[], response=None))
    assert redis_client.hgetall("cb:metrics:messages") == {
        "escalated": "1",
        "answered": "1",
        "silent": "1",
    }
    assert redis_client.hgetall("cb:metrics:answers") == {"utter_greet": "1"}
    assert redis_client.hgetall("cb:metrics:escalations") == {"negative_tone": "1"}


def _esc(sender: str, priority: int = 3) -> Escalation:
    return Escalation(
        channel="rest",
        sender=sender,
        reasons=["negative_tone"],
        priority=priority,
        text="late!",
        draft="sorry",
        transcript=[{"role": "follower", "text": "x", "ts": 1.0}],
    )


def test_fold_claim_to_first_reply_and_undelivered(
    redis_client: redis.Redis, clock: FakeClock
) -> None:
    q = AgentQueue(redis_client, lease_seconds=100_000, clock=clock)
    a = q.escalate(_esc("a")).ticket_id
    b = q.escalate(_esc("b")).ticket_id
    c = q.escalate(_esc("c")).ticket_id
    clock.advance(100)
    q.claim(a, "ana")
    clock.advance(45)
    q.reply(a, "ana", "hi")  # 45 s after the claim -> bucket le=60
    clock.advance(500)
    q.reply(a, "ana", "again")  # not a first reply: not counted
    q.claim(b, "bo")
    clock.advance(20)
    q.release(b, "bo")  # released without a reply: nothing
    clock.advance(1000)
    q.claim(b, "cy")
    clock.advance(5)
    q.transfer(b, "cy", "di")
    clock.advance(7)
    q.reply(b, "di", "hello")  # counts from the transfer: 7 s -> le=10
    q.claim(c, "ed")
    clock.advance(9000)
    q.reply(c, "ed", "sorry, late")  # 9000 s -> +Inf
    q.record_delivery_failure("rest", "a", "hi", "Rasa down")
    q.record_delivery_failure("rest", "zz", "hello", "Rasa down")

    assert fold_events(redis_client, "carebot") > 0
    assert fold_events(redis_client, "carebot") == 0  # nothing new: nothing counted twice
    values = parse_prometheus(render_prometheus(redis_client, "carebot"))
    h = "carebot_claim_to_first_reply_seconds"
    assert values[f'{h}_bucket{{le="10"}}'] == 1
    assert values[f'{h}_bucket{{le="30"}}'] == 1
    assert values[f'{h}_bucket{{le="60"}}'] == 2
    assert values[f'{h}_bucket{{le="7200"}}'] == 2
    assert values[f'{h}_bucket{{le="+Inf"}}'] == 3
    assert values[f"{h}_count"] == 3
    assert values[f"{h}_sum"] == pytest.approx(45 + 7 + 9000)
    assert values["carebot_replies_undelivered_total"] == 2
    # working state is cleaned up once a first reply or a resolve happened
    assert redis_client.hlen("carebot:metrics:claims") == 0


def test_concurrent_folds_never_double_count(redis_client: redis.Redis, clock: FakeClock) -> None:
    q = AgentQueue(redis_client, lease_seconds=3600, clock=clock)
    for i in range(300):
        tid = q.escalate(_esc(f"s{i}")).ticket_id
        q.claim(tid, "ana")
        clock.advance(1)
        q.reply(tid, "ana", "hi")
        q.record_delivery_failure("rest", f"s{i}", "hi", "down")
    metrics_fold = metrics.FOLD_BATCH
    metrics.FOLD_BATCH = 50  # many small batches, so the folders interleave
    try:
        threads = [
            threading.Thread(target=fold_events, args=(redis_client, "carebot")) for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        metrics.FOLD_BATCH = metrics_fold
    assert redis_client.hget("carebot:metrics:first_reply", "count") == "300"
    assert redis_client.get("carebot:metrics:undelivered") == "300"


def test_render_has_queue_gauges_and_is_valid_exposition(
    redis_client: redis.Redis, clock: FakeClock
) -> None:
    q = AgentQueue(redis_client, clock=clock)
    q.escalate(_esc("p1", priority=1))
    q.escalate(_esc("p3a", priority=3))
    q.escalate(_esc("p3b", priority=3))
    tid = q.escalate(_esc("p4", priority=4)).ticket_id
    q.claim(tid, "ana")
    record(redis_client, "carebot", "answered", response='utter_"odd"\\name')
    record(redis_client, "carebot", "escalated", reasons=["complex_topic"])
    text = render_prometheus(redis_client, "carebot")
    types = check_exposition(text)
    assert types["carebot_messages_total"] == "counter"
    assert types["carebot_queue_depth"] == "gauge"
    assert types["carebot_claim_to_first_reply_seconds"] == "histogram"
    values = parse_prometheus(text)
    assert values['carebot_queue_depth{priority="1"}'] == 1
    assert values['carebot_queue_depth{priority="3"}'] == 2
    assert values['carebot_queue_depth{priority="4"}'] == 0
    assert values["carebot_queue_claimed"] == 1
    assert values["carebot_queue_oldest_waiting_seconds"] >= 0
    assert values['carebot_escalations_total{reason="complex_topic"}'] == 1
    assert values['carebot_answers_total{response="utter_\\"odd\\"\\\\name"}'] == 1
    assert values["carebot_answers_sent_total"] == 1
    for outcome in metrics.OUTCOMES:  # every outcome is present from the start (rate() works)
        assert f'carebot_messages_total{{outcome="{outcome}"}}' in values


def test_empty_redis_renders_zeros(redis_client: redis.Redis) -> None:
    values = parse_prometheus(render_prometheus(redis_client, "carebot"))
    assert values["carebot_queue_oldest_waiting_seconds"] == 0
    assert values['carebot_claim_to_first_reply_seconds_bucket{le="+Inf"}'] == 0
    assert values["carebot_replies_undelivered_total"] == 0


def test_render_works_with_a_non_decoding_client(redis_url: str, redis_client: redis.Redis) -> None:
    record(redis_client, "carebot", "answered", response="utter_greet")
    raw = redis.Redis.from_url(redis_url)  # bytes replies
    values = parse_prometheus(render_prometheus(raw, "carebot"))
    assert values['carebot_answers_total{response="utter_greet"}'] == 1
    raw.close()


# -- the workspace route ------------------------------------------------------------------------


class _Accounts:
    def authenticate(self, token: str | None) -> object | None:
        return object() if token == "cbt_agent" else None

    def session(self, cookie: str) -> None:
        return None


class _Workspace:
    def __init__(self, settings: Settings, client: redis.Redis) -> None:
        self.settings = settings
        self.redis = client
        self.accounts = _Accounts()

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def _serve_route(settings: Settings, client: redis.Redis) -> tuple[str, Callable[[], None]]:
    from sanic import Sanic

    from bot.workspace import metrics_route
    from tests.fakes.live_app import free_port

    Sanic.test_mode = True
    app = Sanic(f"carebot_metrics_{uuid.uuid4().hex[:8]}")
    app.config.MOTD = False
    app.ctx.workspace = _Workspace(settings, client)
    app.blueprint(metrics_route.bp)
    port = free_port()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def boot() -> Any:
        server = await app.create_server(
            host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
        )
        assert server is not None  # return_asyncio_server=True: never None
        await server.startup()
        await server.after_start()
        return server

    server = asyncio.run_coroutine_threadsafe(boot(), loop).result(15)

    def stop() -> None:
        async def down() -> None:
            server.close()
            await server.wait_closed()
            for conn in list(server.connections):
                conn.close_if_idle()

        asyncio.run_coroutine_threadsafe(down(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)

    return f"http://127.0.0.1:{port}", stop


@pytest.mark.parametrize("token", ["", "s3cret"])
def test_workspace_metrics_route(redis_client: redis.Redis, redis_url: str, token: str) -> None:
    settings = Settings.from_env({"REDIS_URL": redis_url, "CAREBOT_METRICS_TOKEN": token})
    record(redis_client, "carebot", "escalated", reasons=["sarcasm"])
    base, stop = _serve_route(settings, redis_client)
    try:
        res = requests.get(f"{base}/metrics", timeout=10)
        if not token:  # no scrape token: a workspace account is needed, like everywhere else
            assert res.status_code == 401
            res = requests.get(
                f"{base}/metrics", timeout=10, headers={"Authorization": "Bearer cbt_agent"}
            )
        if token:
            assert res.status_code == 401
            res = requests.get(
                f"{base}/metrics", timeout=10, headers={"Authorization": f"Bearer {token}"}
            )
            wrong = requests.get(
                f"{base}/metrics", timeout=10, headers={"Authorization": "Bearer nope"}
            )
            assert wrong.status_code == 401
        assert res.status_code == 200
        assert res.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        check_exposition(res.text)
        assert parse_prometheus(res.text)['carebot_escalations_total{reason="sarcasm"}'] == 1
    finally:
        stop()
