"""Attack tests (issue 17, item 4): anonymous input cannot make storage grow without bound.

REST bodies and metadata are capped and allow-listed, one IP or one sender cannot flood the
bot, conversations expire, a ticket's message list and history stay at their caps, the ticket
list sends no transcripts, and the spool stops at its cap, saying so in the log.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
import requests
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.web import RestInput
from bot.queue import AgentQueue, Spool
from bot.rasa_ext.tracker_store import CarebotTrackerStore
from bot.settings import reset_settings
from tests.conftest import make_escalation
from tests.fakes.live_app import LiveApp
from tests.security.conftest import snapshot
from tests.workspace.test_workspace_support import People

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "X-Carebot-Token"


@pytest.fixture
def rest(web_env: None, serve: Callable[..., LiveApp]) -> LiveApp:
    return serve([RestInput()])


def limits(monkeypatch: pytest.MonkeyPatch, per_ip: int, per_sender: int) -> None:
    from bot.channels import ratelimit

    monkeypatch.setenv("CAREBOT_RATE_LIMIT_PER_IP", str(per_ip))
    monkeypatch.setenv("CAREBOT_RATE_LIMIT_PER_SENDER", str(per_sender))
    reset_settings()
    ratelimit.reset()


# --- REST bodies and metadata --------------------------------------------------------------------


def test_one_megabyte_of_metadata_is_refused_and_nothing_is_stored(
    rest: LiveApp, redis_url: str
) -> None:
    before = snapshot(redis_url)
    huge = {"message": "hi", "metadata": {"attachments": [], "blob": "x" * 1_000_000}}
    r = requests.post(rest.url("rest"), json=huge, timeout=10)
    assert r.status_code == 413, r.text
    # under the body cap but over the metadata cap
    big = {
        "message": "hi",
        "metadata": {"attachments": [{"type": "image", "url": "https://a.b/" + "x" * 10_000}]},
    }
    r = requests.post(rest.url("rest"), json=big, timeout=10)
    assert r.status_code == 413, r.text
    assert rest.agent.messages == []
    assert snapshot(redis_url) == before


def test_metadata_is_allow_listed(rest: LiveApp, redis_url: str) -> None:
    before = snapshot(redis_url)
    for metadata in ({"message_id": "forged"}, {"channel": "whatsapp"}, ["attachments"], "x"):
        r = requests.post(
            rest.url("rest"), json={"message": "hi", "metadata": metadata}, timeout=10
        )
        assert r.status_code == 400, (metadata, r.text)
        assert "metadata" in r.json()["error"]
    assert rest.agent.messages == [] and snapshot(redis_url) == before
    image = {"type": "image", "url": "https://x.example/a.jpg"}
    r = requests.post(
        rest.url("rest"), json={"message": "", "metadata": {"attachments": [image]}}, timeout=10
    )
    assert r.status_code == 200
    assert rest.agent.messages[0].metadata == {"attachments": [image]}


def test_a_body_over_64_kb_is_refused(rest: LiveApp, redis_url: str) -> None:
    before = snapshot(redis_url)
    r = requests.post(rest.url("rest"), json={"message": "a" * 70_000}, timeout=10)
    assert r.status_code == 413
    chunked = requests.post(  # no Content-Length: the cap holds while reading
        rest.url("rest"), data=iter([b'{"message": "', b"a" * 70_000, b'"}']), timeout=10
    )
    assert chunked.status_code == 413
    big = b"x" * 1_000_000  # no route buffers a large body: the session and inbox neither
    assert requests.post(rest.url("rest", "session"), data=big, timeout=10).status_code == 413
    inbox = rest.url("rest", "inbox/rest:0123")
    assert requests.get(inbox, data=big, timeout=10).status_code == 413
    for bad in (b"not json", b"[1, 2]", b'{"message": 5}', b'{"message": "hi", "sender": 7}'):
        r = requests.post(rest.url("rest"), data=bad, timeout=10)
        assert r.status_code == 400, (bad, r.text)
    assert rest.agent.messages == [] and snapshot(redis_url) == before


# --- rate limits ---------------------------------------------------------------------------------


def test_a_flood_from_one_ip_gets_429_with_retry_after(
    rest: LiveApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits(monkeypatch, per_ip=10, per_sender=1000)
    statuses = [
        requests.post(rest.url("rest"), json={"message": f"hi {i}"}, timeout=10) for i in range(14)
    ]
    assert [r.status_code for r in statuses[:10]] == [200] * 10
    refused = statuses[10:]
    assert {r.status_code for r in refused} == {429}
    assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)
    assert len(rest.agent.messages) == 10
    # the inbox is behind the same limit
    assert requests.get(rest.url("rest", "inbox/rest:x"), timeout=10).status_code == 429
    # behind the local proxy (a loopback peer), the forwarded client address counts
    fwd = {"X-Forwarded-For": "203.0.113.7"}
    assert (
        requests.post(rest.url("rest"), json={"message": "hi"}, headers=fwd, timeout=10).status_code
        == 200
    )


def test_a_flood_from_one_sender_gets_429(rest: LiveApp, monkeypatch: pytest.MonkeyPatch) -> None:
    limits(monkeypatch, per_ip=1000, per_sender=5)
    r = requests.post(rest.url("rest"), json={"message": "hi"}, timeout=10)
    sender, token = r.headers["X-Carebot-Sender"], r.headers[TOKEN]
    codes = [
        requests.post(
            rest.url("rest"),
            json={"sender": sender, "message": f"again {i}"},
            headers={TOKEN: token},
            timeout=10,
        )
        for i in range(6)
    ]
    assert [c.status_code for c in codes] == [200] * 4 + [429] * 2
    assert int(codes[-1].headers["Retry-After"]) >= 1
    other = requests.post(rest.url("rest"), json={"message": "hi"}, timeout=10)
    assert other.status_code == 200  # another follower on the same IP is not affected


def test_platform_webhooks_are_rate_limited_per_ip(
    web_env: None, serve: Callable[..., LiveApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.channels.settings import WhatsAppSettings
    from bot.channels.whatsapp import WhatsAppInput

    limits(monkeypatch, per_ip=5, per_sender=1000)
    settings = WhatsAppSettings(
        access_token="t", app_secret="s" * 16, verify_token="v", phone_number_id="1065"
    )
    app = serve([WhatsAppInput(settings)])
    codes = [
        requests.post(app.url("whatsapp"), data=b"{}", timeout=10).status_code for _ in range(8)
    ]
    assert codes == [403] * 5 + [429] * 3


# --- conversations and tickets -------------------------------------------------------------------


def test_conversations_expire(web_env: None, redis_client: redis.Redis, redis_url: str) -> None:
    store = CarebotTrackerStore(Domain.load(str(ROOT / "config" / "domain")), host=redis_url)
    tracker = DialogueStateTracker.from_events("rest:abc", [UserUttered("hi")])
    asyncio.run(store.save(tracker))
    ttl = redis_client.ttl(store.key_prefix + "rest:abc")
    assert 89 * 86400 < ttl <= 90 * 86400


def test_ten_thousand_messages_on_one_ticket_stay_at_the_cap(redis_client: redis.Redis) -> None:
    queue = AgentQueue(redis_client)
    esc = make_escalation("15550001", transcript=[{"role": "follower", "text": "first", "ts": 1}])
    tid = queue.escalate(esc).ticket_id
    for i in range(10_000):
        queue.add_follower_message("whatsapp", "15550001", f"spam {i}")
    cap = queue.max_messages
    assert redis_client.llen(queue.keys.messages(tid)) == cap
    assert redis_client.llen(queue.keys.history(tid)) == queue.max_history
    ticket = queue.get(tid)
    texts = [m["text"] for m in ticket.transcript]
    assert texts[0] == "first"  # the message that was escalated is kept
    assert texts[1:] == [f"spam {i}" for i in range(10_000 - cap + 1, 10_000)]  # the newest
    assert ticket.trimmed_messages == 10_001 - cap
    assert ticket.history[0]["type"] == "escalated"
    queue.claim(tid, "alice")
    queue.reply(tid, "alice", "hello")
    assert redis_client.llen(queue.keys.messages(tid)) == cap
    assert queue.get(tid).transcript[-1]["text"] == "hello"


def test_the_ticket_list_sends_no_transcripts(people: People, redis_client: redis.Redis) -> None:
    """Every console refetches the list on every queue event: it must stay small."""
    queue = AgentQueue(redis_client)
    long_messages = [{"role": "follower", "text": "x" * 2000, "ts": float(i)} for i in range(300)]
    ids = [
        queue.escalate(make_escalation(f"1555000{i:04d}", transcript=long_messages)).ticket_id
        for i in range(20)
    ]
    for tid in ids:
        queue.add_note(tid, "ana", "n" * 2000)
    ana = people.api("ana")
    sent_before = int(redis_client.info("stats")["total_net_output_bytes"])
    r = ana.get("/api/tickets?status=open&limit=1000")
    sent = int(redis_client.info("stats")["total_net_output_bytes"]) - sent_before
    assert r.status_code == 200
    assert sorted(t["id"] for t in r.json()["tickets"]) == sorted(ids)
    assert len(r.content) < 40_000
    assert sent < 100_000, f"Redis sent {sent} bytes for a list of 20 tickets"
    one = ana.get(f"/api/tickets/{ids[0]}").json()  # the transcript, on demand
    assert len(one["transcript"]) == 300 and one["notes"][0]["text"] == "n" * 2000


# --- the spool -----------------------------------------------------------------------------------


def test_the_spool_refuses_escalations_beyond_its_cap_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.queue.spool import SpoolFull

    spool = Spool(tmp_path, max_files=5)
    for i in range(5):
        spool.put(make_escalation(f"u{i}"))
    with caplog.at_level(logging.ERROR), pytest.raises(SpoolFull):
        spool.put(make_escalation("u5"))
    assert len(spool.pending()) == 5
    assert "spool full" in caplog.text and "u5" in caplog.text
    small = Spool(tmp_path / "bytes", max_bytes=3000)
    small.put(make_escalation("a"))
    with pytest.raises(SpoolFull):
        small.put(
            make_escalation("b", transcript=[{"role": "follower", "text": "x" * 5000, "ts": 1.0}])
        )
    assert json.loads(small.pending()[0].read_text())["sender"] == "a"


def test_with_redis_down_a_full_spool_does_not_break_the_bot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from actions.services import Services
    from bot.settings import Settings

    settings = Settings.from_env(
        {
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "CAREBOT_VAR_DIR": str(tmp_path),
            "CAREBOT_HOME": str(ROOT),
            "CAREBOT_SPOOL_MAX_FILES": "2",
        }
    )
    services = Services(settings)
    with caplog.at_level(logging.ERROR):
        results = [services.escalate(make_escalation(f"u{i}")) for i in range(4)]
    assert results == [None] * 4
    assert len(services.spool.pending()) == 2
    assert caplog.text.count("spool full") == 2


def test_a_flood_from_one_platform_follower_is_dropped_beyond_the_sender_limit(
    web_env: None,
    serve: Callable[..., LiveApp],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    redis_url: str,
) -> None:
    """A signed webhook carries several followers' messages: it is accepted, and only the
    flooding follower's excess is dropped (logged)."""
    from bot.channels.idempotency import Deduplicator, redis_factory
    from bot.channels.settings import WhatsAppSettings
    from bot.channels.whatsapp import WhatsAppInput
    from tests.fakes.payloads import body_of, meta_signature, whatsapp_text

    limits(monkeypatch, per_ip=1000, per_sender=5)
    settings = WhatsAppSettings(
        access_token="t",
        app_secret="s" * 16,
        verify_token="v",
        phone_number_id="1065",
        api_base="http://127.0.0.1:9/v19.0",
    )
    dedup = Deduplicator(redis_factory(redis_url))
    app = serve([WhatsAppInput(settings, deduplicator=dedup)], reply=None)
    with caplog.at_level(logging.WARNING):
        for i in range(8):
            for wa_id in ("15550001", "15550002")[: 2 if i < 2 else 1]:
                body = body_of(whatsapp_text("1065", wa_id, f"spam {i}", f"wamid.{wa_id}.{i}"))
                r = requests.post(
                    app.url("whatsapp"),
                    data=body,
                    timeout=10,
                    headers={
                        "X-Hub-Signature-256": meta_signature(body, "s" * 16),
                        "Content-Type": "application/json",
                    },
                )
                assert r.status_code == 200
        app.drain()
    senders = [m.sender_id for m in app.agent.messages]
    assert senders.count("whatsapp:15550001") == 5  # the flood stops at the limit
    assert senders.count("whatsapp:15550002") == 2  # another follower is not affected
    assert caplog.text.count("over CAREBOT_RATE_LIMIT_PER_SENDER") == 3
