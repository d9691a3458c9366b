"""bot.stats.figures: minute/hour buckets, windows, deflection, spike and long-wait alerts
(real Redis)."""

from __future__ import annotations

import json

import pytest
import redis

from bot.cli import stats as stats_cli
from bot.queue import AgentQueue, Escalation
from bot.queue.keys import Keys
from bot.settings import ConfigError, Settings
from bot.stats import figures as stats
from bot.stats.figures import Counts, SpikeRules, add_to_pipeline, detect_spikes, summary
from bot.stats.metrics import record
from tests.conftest import FakeClock

NOON = 1_790_000_000.0  # a fixed UTC time; buckets are computed from it, not from the clock
MIN = 60.0
HOUR = 3600.0


def count(client: redis.Redis, outcome: str, at: float, reasons: tuple[str, ...] = ()) -> None:
    pipe = client.pipeline(transaction=False)
    add_to_pipeline(pipe, "carebot", outcome, reasons, now=at)
    pipe.execute()


def test_a_message_lands_in_its_minute_and_hour_bucket_with_expiry(
    redis_client: redis.Redis,
) -> None:
    count(redis_client, "escalated", NOON, ("negative_tone", "sarcasm", "sarcasm"))
    keys = Keys("carebot")
    at = stats._utc(NOON)
    minute, hour = keys.stats_minute(at), keys.stats_hour(at)
    assert (minute, hour) == (f"carebot:stats:m:{at:%Y%m%d%H%M}", f"carebot:stats:h:{at:%Y%m%d%H}")
    for key, ttl in ((minute, stats.MINUTE_TTL), (hour, stats.HOUR_TTL)):
        assert redis_client.hgetall(key) == {
            "messages": "1",
            "escalated": "1",
            "reason:negative_tone": "1",
            "reason:sarcasm": "1",
        }
        assert ttl - 5 <= redis_client.ttl(key) <= ttl


def test_metrics_record_also_fills_the_buckets(redis_client: redis.Redis) -> None:
    record(redis_client, "carebot", "answered", response="utter_faq/returns")
    record(redis_client, "carebot", "escalated", reasons=["asked_for_human"])
    now = stats.window(redis_client, "carebot", 2)
    assert (now.messages, now.answered, now.escalated) == (2, 1, 1)
    assert now.reasons == {"asked_for_human": 1}


def test_window_counts_only_its_minutes_and_deflection(redis_client: redis.Redis) -> None:
    for i in range(6):
        count(redis_client, "answered", NOON - i * MIN)  # 6 in the last 6 minutes
    count(redis_client, "escalated", NOON - 2 * MIN, ("low_confidence",))
    count(redis_client, "silent", NOON - MIN)
    count(redis_client, "answered", NOON - 20 * MIN)  # outside a 10-minute window
    w = stats.window(redis_client, "carebot", 10, now=NOON)
    assert (w.messages, w.answered, w.escalated) == (8, 6, 1)
    assert w.outcomes["silent"] == 1
    assert w.deflection_rate == pytest.approx(6 / 7, abs=1e-4)  # silent is not a decision
    assert Counts().deflection_rate is None


def test_steady_traffic_raises_no_alert_but_a_surge_of_one_reason_does(
    redis_client: redis.Redis,
) -> None:
    rules = SpikeRules(window_minutes=15, ratio=2.0, min_count=10)
    # 24 hours of steady traffic: 40 messages an hour, 4 of them delivery complaints
    for h in range(1, 25):
        for i in range(40):
            reasons = ("complex_topic",) if i < 4 else ()
            count(
                redis_client, "escalated" if reasons else "answered", NOON - h * HOUR + i, reasons
            )
    # the last 15 minutes look normal: 10 messages, 1 complaint
    for i in range(10):
        reasons = ("complex_topic",) if i == 0 else ()
        count(redis_client, "escalated" if reasons else "answered", NOON - i * MIN, reasons)
    quiet = summary(redis_client, "carebot", 15, rules, now=NOON)
    assert quiet["alerts"] == []
    # an outage: 30 angry followers in the last 10 minutes
    for i in range(30):
        count(redis_client, "escalated", NOON - (i % 10) * MIN, ("negative_tone",))
    loud = summary(redis_client, "carebot", 15, rules, now=NOON)
    subjects = {a["subject"]: a for a in loud["alerts"]}
    assert set(subjects) == {"messages", "escalated", "reason:negative_tone"}
    assert subjects["reason:negative_tone"]["count"] == 30
    assert "negative_tone" in subjects["reason:negative_tone"]["message"]
    assert subjects["escalated"]["expected"] == pytest.approx(4 * 24 * 0.25 / 24)


def test_no_history_alerts_only_past_the_minimum_count() -> None:
    rules = SpikeRules(window_minutes=15, ratio=2.0, min_count=10)
    few = Counts(messages=9, outcomes={"escalated": 9}, reasons={"sarcasm": 9})
    assert detect_spikes(few, Counts(), 0, rules) == []
    many = Counts(messages=12, outcomes={"escalated": 12}, reasons={"sarcasm": 12})
    alerts = detect_spikes(many, Counts(), 0, rules)
    assert {a.subject for a in alerts} == {"messages", "escalated", "reason:sarcasm"}
    assert all("no history" in a.message for a in alerts)


def test_long_wait_alert_and_queue_figures(redis_client: redis.Redis, clock: FakeClock) -> None:
    queue = AgentQueue(redis_client, prefix="carebot", clock=clock)
    esc = Escalation("rest", "ana", ["asked_for_human"], 2, "a person please", "Hi!")
    queue.escalate(esc)
    rules = SpikeRules(wait_alert_minutes=30)
    clock.advance(29 * MIN)
    early = summary(redis_client, "carebot", 60, rules, queue)
    assert early["alerts"] == []
    assert early["queue_depth_by_priority"]["2"] == 1
    clock.advance(2 * MIN)
    late = summary(redis_client, "carebot", 60, rules, queue)
    [alert] = late["alerts"]
    assert alert["kind"] == "long_wait" and alert["count"] == pytest.approx(31, abs=0.2)
    queue.claim_next("bo")
    claimed = summary(redis_client, "carebot", 60, rules, queue)
    assert claimed["alerts"] == [] and claimed["claim_wait_seconds"]["samples"] == 1
    assert claimed["claim_wait_seconds"]["median"] == pytest.approx(31 * MIN, abs=1)


def test_spike_settings_are_checked() -> None:
    s = Settings.from_env({"CAREBOT_SPIKE_RATIO": "3", "CAREBOT_SPIKE_MIN_COUNT": "25"})
    rules = SpikeRules.from_settings(s)
    assert (rules.ratio, rules.min_count, rules.window_minutes) == (3.0, 25, 15)
    for bad in (
        {"CAREBOT_SPIKE_RATIO": "0.5"},
        {"CAREBOT_SPIKE_WINDOW_MINUTES": "0"},
        {"CAREBOT_WAIT_ALERT_MINUTES": "soon"},
    ):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            Settings.from_env(bad)


def test_cli_prints_the_window_and_fails_on_alert(
    redis_client: redis.Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.settings import reset_settings

    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CAREBOT_SPIKE_MIN_COUNT", "3")
    monkeypatch.delenv("CAREBOT_QUEUE_PREFIX", raising=False)
    reset_settings()
    try:
        for _ in range(3):
            record(redis_client, "carebot", "answered", response="utter_faq/returns")
        parser = __import__("bot.cli.main", fromlist=["build_parser"]).build_parser()
        args = parser.parse_args(["stats", "--json", "--fail-on-alert"])
        assert stats_cli.cmd_stats(args) == 1  # 3 messages, no history: a spike at min 3
        data = json.loads(capsys.readouterr().out)
        assert data["answered"] == 3 and data["deflection_rate"] == 1.0
        args = parser.parse_args(["stats"])
        assert stats_cli.cmd_stats(args) == 0
        out = capsys.readouterr().out
        assert "3 answered by the bot" in out and "ALERT spike" in out
    finally:
        reset_settings()
