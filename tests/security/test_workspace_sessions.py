"""Attack tests, issue 17 item 6: workspace sessions.

- A live event stream (``GET /api/events``) re-checks its caller's credentials on a fixed
  deadline, also while events keep flowing: a removed account (or an ended session) is cut off
  within that deadline, not whenever the queue happens to fall quiet.
- Behind a TLS proxy the session cookie is ``Secure``: ``X-Forwarded-Proto: https`` is believed
  from a configured proxy address (``CAREBOT_TRUSTED_PROXIES``, default 127.0.0.1) only.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import redis
import requests

from bot.queue import AgentQueue
from bot.settings import Settings
from bot.workspace import events
from bot.workspace.accounts import Accounts
from tests.conftest import make_escalation
from tests.security.workspace_app import InProcessWorkspace

ROOT = Path(__file__).resolve().parents[2]


def settings_for(redis_url: str, tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"REDIS_URL": redis_url, "CAREBOT_HOME": str(ROOT),
                              "CAREBOT_VAR_DIR": str(tmp_path / "var"), **env})


@pytest.fixture
def workspace(redis_url: str, redis_client: redis.Redis, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessWorkspace]:
    monkeypatch.setattr(events, "RECHECK_SECONDS", 1.0, raising=False)
    app = InProcessWorkspace(settings_for(redis_url, tmp_path)).start()
    yield app
    app.stop()


def test_a_removed_account_is_cut_off_while_events_flow(
    workspace: InProcessWorkspace, redis_client: redis.Redis
) -> None:
    accounts = Accounts(redis_client)
    token = accounts.add("ana", "agent")
    res = requests.get(workspace.url + "/api/events", stream=True, timeout=(5, 30),
                       headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200
    stop = threading.Event()
    queue = AgentQueue(redis_client)

    def busy_queue() -> None:  # an event every 0.2 s: the stream is never idle
        n = 0
        while not stop.is_set():
            queue.escalate(make_escalation(f"busy-{n}"))
            n += 1
            time.sleep(0.2)

    threading.Thread(target=busy_queue, daemon=True).start()
    try:
        lines = res.iter_lines(decode_unicode=True)
        while "event: queue" not in (next(lines) or ""):
            pass  # the stream is live
        accounts.remove("ana")
        removed = time.monotonic()
        ended = threading.Event()

        def drain() -> None:
            try:
                for _ in lines:
                    pass
            except requests.RequestException:
                pass
            ended.set()

        threading.Thread(target=drain, daemon=True).start()
        assert ended.wait(8), "the stream kept flowing to a removed account"
        assert time.monotonic() - removed < 8
    finally:
        stop.set()
        res.close()


def _cookie_header(url: str, token: str, headers: dict[str, str]) -> str:
    res = requests.post(url + "/api/session", json={"token": token}, headers=headers, timeout=10)
    assert res.status_code == 200, res.text
    return res.headers["Set-Cookie"]


def test_cookie_is_secure_behind_a_trusted_tls_proxy(
    workspace: InProcessWorkspace, redis_client: redis.Redis
) -> None:
    token = Accounts(redis_client).add("ana", "agent")
    tls = {"X-Forwarded-Proto": "https"}
    assert "secure" in _cookie_header(workspace.url, token, tls).lower()
    assert "secure" not in _cookie_header(workspace.url, token, {}).lower()


def test_forwarded_proto_from_an_untrusted_peer_is_ignored(
    redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    settings = settings_for(redis_url, tmp_path, CAREBOT_TRUSTED_PROXIES="10.9.9.9")
    assert dataclasses.asdict(settings)["trusted_proxies"] == ("10.9.9.9",)
    app = InProcessWorkspace(settings).start()
    try:
        token = Accounts(redis_client).add("ana", "agent")
        cookie = _cookie_header(app.url, token, {"X-Forwarded-Proto": "https"})
        assert "secure" not in cookie.lower()
    finally:
        app.stop()
