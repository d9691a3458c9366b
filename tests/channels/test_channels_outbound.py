"""Outbound delivery: splitting, retries, rate limits, failure recording, blocking sends."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import requests

from bot.channels.failures import record_failure, spool_path
from bot.channels.idempotency import Deduplicator
from bot.channels.messenger import MessengerInput
from bot.channels.outbound import DeliveryFailed, SendClient, split_message, utf8_len
from bot.channels.settings import MessengerSettings, TelegramSettings
from bot.channels.telegram import TelegramOutput, telegram_throttle
from bot.channels.x import x_throttle
from bot.queue import AgentQueue, Ticket
from tests.fakes.fixtures import APP_SECRET, VERIFY_TOKEN, fast_client
from tests.fakes.live_app import LiveApp, Reply
from tests.fakes.payloads import body_of, messenger_text, meta_signature, post
from tests.fakes.platforms import Credentials, FakePlatform

CLOSED_REDIS = "redis://127.0.0.1:1/0"

PlatformFactory = Callable[[str], FakePlatform]

pytest_plugins = ["tests.fakes.fixtures"]


# --- split_message ----------------------------------------------------------------------------


def test_split_prefers_paragraphs_then_sentences_then_words() -> None:
    text = "First paragraph here.\n\nSecond one is here. It has two sentences."
    assert split_message(text, 100) == [text]
    assert split_message(text, 45) == [
        "First paragraph here.",
        "Second one is here. It has two sentences.",
    ]
    assert split_message(text, 25) == [
        "First paragraph here.",
        "Second one is here.",
        "It has two sentences.",
    ]
    assert split_message("alpha beta gamma delta", 11) == ["alpha beta", "gamma delta"]


def test_split_never_cuts_words_unless_longer_than_limit() -> None:
    words = ("supercalifragilistic expialidocious " * 40).strip()
    parts = split_message(words, 50)
    assert all(len(p) <= 50 for p in parts)
    assert " ".join(parts).split() == words.split()  # no word was cut
    assert split_message("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_message("   ", 10) == []


def test_split_with_byte_measure_keeps_code_points_whole() -> None:
    text = "\U0001f600" * 10  # 40 UTF-8 bytes, one "word"
    parts = split_message(text, 9, utf8_len)
    assert parts == ["\U0001f600\U0001f600"] * 5
    assert "".join(parts) == text


# --- SendClient against the fake platforms -------------------------------------------------------


def test_5xx_then_success_is_retried(platform_factory: PlatformFactory) -> None:
    fake = platform_factory("messenger")
    fake.fail_next(2, status=503)
    client = SendClient("messenger")
    body = {"recipient": {"id": "1"}, "message": {"text": "hi"}}
    answer = client.post_json(
        f"{fake.api_base}/me/messages", body, params={"access_token": "test-token"}
    )
    assert answer["recipient_id"] == "1"
    assert [r.status for r in fake.requests] == [503, 503, 200]


def test_connection_reset_then_success(platform_factory: PlatformFactory) -> None:
    fake = platform_factory("telegram")
    fake.reset_next(1)
    client = SendClient("telegram")
    url = f"{fake.api_base}/bot{fake.creds.token}/sendMessage"
    assert client.post_json(url, {"chat_id": "5", "text": "hi"})["ok"] is True
    assert [r.status for r in fake.requests] == [-1, 200]


def test_exhausted_retries_raise_delivery_failed(platform_factory: PlatformFactory) -> None:
    fake = platform_factory("whatsapp")
    fake.fail_next(10, status=500)
    client = fast_client("whatsapp")
    url = f"{fake.api_base}/{fake.creds.phone_number_id}/messages"
    with pytest.raises(DeliveryFailed) as info:
        client.post_json(
            url, {"messaging_product": "whatsapp"}, headers={"Authorization": "Bearer test-token"}
        )
    assert info.value.attempts == 4 and info.value.status == 500
    assert len(fake.requests) == 4
    assert "test-token" not in str(info.value)


def test_permanent_4xx_is_not_retried(platform_factory: PlatformFactory) -> None:
    fake = platform_factory("messenger")
    client = SendClient("messenger")
    with pytest.raises(DeliveryFailed) as info:
        client.post_json(
            f"{fake.api_base}/me/messages",
            {"recipient": {"id": "1"}, "message": {"text": "x" * 2001}},
            params={"access_token": "test-token"},
        )
    assert info.value.status == 400 and "must be less than or equal to 2000" in info.value.detail
    assert len(fake.requests) == 1


def test_429_retry_after_header_honoured(platform_factory: PlatformFactory) -> None:
    fake = platform_factory("messenger")
    fake.throttle_next(seconds=1)
    client = SendClient("messenger")
    client.post_json(
        f"{fake.api_base}/me/messages",
        {"recipient": {"id": "1"}, "message": {"text": "hi"}},
        params={"access_token": "test-token"},
    )
    first, second = fake.requests
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0


def test_telegram_429_retry_after_in_body_honoured(platform_factory: PlatformFactory) -> None:
    fake = platform_factory("telegram")
    fake.throttle_next(seconds=1)
    client = SendClient("telegram", throttle_hook=telegram_throttle)
    client.post_json(
        f"{fake.api_base}/bot{fake.creds.token}/sendMessage", {"chat_id": "5", "text": "hi"}
    )
    first, second = fake.requests
    assert "retry-after" not in first.headers and first.status == 429
    assert second.at - first.at >= 1.0


def test_x_429_rate_limit_reset_honoured(
    platform_factory: PlatformFactory, creds: Credentials
) -> None:
    from requests_oauthlib import OAuth1

    fake = platform_factory("x")
    fake.throttle_next(seconds=1)
    client = SendClient("x", throttle_hook=x_throttle)
    auth = OAuth1(
        creds.consumer_key, creds.consumer_secret, creds.access_token, creds.access_token_secret
    )
    client.post_json(
        f"{fake.api_base}/2/dm_conversations/with/42/messages", {"text": "hi"}, auth=auth
    )
    first, second = fake.requests
    assert first.status == 429 and second.status == 201
    assert second.at >= 1.0 + int(first.at) - 0.001  # not before the window reset


def test_retry_after_beyond_cap_fails_at_once(platform_factory: PlatformFactory) -> None:
    fake = platform_factory("messenger")
    fake.throttle_next(seconds=120)
    client = SendClient("messenger", retry_after_cap=30)
    started = time.time()
    with pytest.raises(DeliveryFailed, match="wait 120s"):
        client.post_json(f"{fake.api_base}/me/messages", {}, params={"access_token": "test-token"})
    assert time.time() - started < 5 and len(fake.requests) == 1


# --- through the channel: retries, non-blocking, recorded failures ------------------------------


MessengerParts = tuple[FakePlatform, LiveApp, Callable[[str, str], requests.Response]]


@pytest.fixture
def messenger(
    dedup: Deduplicator,
    platform_factory: PlatformFactory,
    serve: Callable[..., LiveApp],
    creds: Credentials,
) -> Callable[..., MessengerParts]:
    """``messenger(client=None, reply=None)`` → (fake Graph, live app, ``send(text, mid)``)."""

    def make(client: SendClient | None = None, reply: Reply | None = None) -> MessengerParts:
        fake = platform_factory("messenger")
        settings = MessengerSettings(creds.token, APP_SECRET, VERIFY_TOKEN, fake.api_base)
        channel = MessengerInput(settings, deduplicator=dedup, client=client)
        app = serve([channel]) if reply is None else serve([channel], reply=reply)

        def send(text: str, mid: str) -> requests.Response:
            body = body_of(messenger_text("4242", text, mid))
            return post(
                app.url("messenger"),
                body,
                {"X-Hub-Signature-256": meta_signature(body, APP_SECRET)},
            )

        return fake, app, send

    return make


def test_round_trip_retries_5xx_and_webhook_answers_fast(
    messenger: Callable[..., MessengerParts],
) -> None:
    fake, app, send = messenger()
    fake.throttle_next(seconds=1)
    fake.fail_next(1, status=500)
    started = time.time()
    assert send("first", "m_o1").status_code == 200
    fake.wait_for(1, accepted=False)
    # while the reply waits out the 429, the server keeps answering webhooks at once
    t0 = time.time()
    assert send("second", "m_o2").status_code == 200
    assert time.time() - t0 < 0.5
    app.drain()
    assert sorted(fake.texts()) == ["you said: first", "you said: second"]
    assert time.time() - started >= 1.0
    assert 429 in [r.status for r in fake.requests] and 500 in [r.status for r in fake.requests]


def _ticket_for(redis_client: redis.Redis, sender: str) -> Ticket:
    queue = AgentQueue(redis_client)
    [ticket] = [t for t in queue.list(None) if t.sender == sender]
    return queue.get(ticket.id)


def test_undeliverable_reply_lands_on_a_ticket(
    messenger: Callable[..., MessengerParts],
    redis_client: redis.Redis,
) -> None:
    fake, app, send = messenger(client=fast_client("messenger"))
    fake.fail_next(4, status=500)
    assert send("where is my refund", "m_fail").status_code == 200
    app.drain()
    assert app.agent.errors == []  # the failure was recorded, not raised into Rasa
    ticket = _ticket_for(redis_client, "4242")
    assert ticket.channel == "messenger" and "delivery_failed" in ticket.reasons
    system = [m for m in ticket.transcript if m.get("role") == "system"]
    assert system and system[-1]["reply"] == "you said: where is my refund"
    assert "HTTP 500" in system[-1]["error"]


def test_permanent_refusal_is_recorded_once(
    messenger: Callable[..., MessengerParts],
    redis_client: redis.Redis,
) -> None:
    fake, app, send = messenger()
    fake.fail_next(1, status=403)  # e.g. outside Messenger's 24-hour window
    send("hello?", "m_perm")
    app.drain()
    assert len(fake.requests) == 1
    ticket = _ticket_for(redis_client, "4242")
    assert "outside of allowed window" in ticket.transcript[-1]["error"]


def test_failure_spooled_when_redis_is_down(
    channel_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        assert (
            record_failure(
                "whatsapp",
                "1555",
                "your refund is on its way",
                "whatsapp: boom",
                redis_url=CLOSED_REDIS,
            )
            is None
        )
    lines = Path(spool_path()).read_text().splitlines()
    assert Path(spool_path()).parent == channel_env
    record = json.loads(lines[-1])
    assert (record["channel"], record["sender"], record["text"]) == (
        "whatsapp",
        "1555",
        "your refund is on its way",
    )
    assert record["error"] == "whatsapp: boom" and record["kind"] == "delivery_failure"
    assert "UNDELIVERABLE REPLY" in caplog.text


def test_record_failure_returns_ticket_id(channel_env: Path, redis_client: redis.Redis) -> None:
    ticket_id = record_failure("telegram", "77", "hi", "telegram: Forbidden")
    assert ticket_id and AgentQueue(redis_client).get(ticket_id).sender == "77"


# --- blocking sends ----------------------------------------------------------------------------


@pytest.fixture
def telegram_fake() -> Iterator[FakePlatform]:
    fake = FakePlatform("telegram", Credentials(token="7345123456:AAHdqTcvCH1vGWJxfSeof")).start()
    yield fake
    fake.stop()


def test_deliver_sync_sends_natively_and_raises_when_refused(
    channel_env: Path, telegram_fake: FakePlatform, redis_client: redis.Redis
) -> None:
    fake = telegram_fake
    settings = TelegramSettings.from_env(
        env={}, overrides={"bot_token": fake.creds.token, "secret_token": "abc",
                           "api_base": fake.api_base},
    )
    output = TelegramOutput(settings, fast_client("telegram"))
    output.deliver_sync("5", "Hi, Ana from support here", [{"title": "Thanks"}])
    [sent] = fake.wait_for(1)
    assert sent.json["text"] == "Hi, Ana from support here"
    assert sent.json["reply_markup"]["inline_keyboard"] == [
        [{"text": "Thanks", "callback_data": "Thanks"}]
    ]
    fake.fail_next(1, status=403)
    with pytest.raises(DeliveryFailed):
        output.deliver_sync("5", "are you there?")
    assert AgentQueue(redis_client).list(None) == []  # deliver_sync raises; it records nothing


def test_spooled_failure_reaches_the_queue_when_redis_returns(
    channel_env: Path, redis_client: redis.Redis
) -> None:
    from bot.queue import AgentQueue, Spool

    record_failure(
        "whatsapp", "1666", "your parcel ships today", "whatsapp: 503", redis_url=CLOSED_REDIS
    )
    queue = AgentQueue(redis_client)
    assert Spool(channel_env).drain(queue) == 1
    ticket = queue.get(queue.open_ticket_id("whatsapp", "1666") or "")
    assert ticket.reasons == ["delivery_failed"]
    assert "your parcel ships today" in ticket.transcript[-1]["text"]
