"""Attack test, issue 17 item 6: no synchronous Redis call inside an async handler.

One slow Redis round trip inside a handler stalls every request of the process (the console's
live streams, sign-ins, webhooks) for as long as it takes. Here the workspace reaches the real
test Redis over a link that holds each command for a second; while a trainer's request is in
progress, ``/healthz`` (which needs no Redis) must keep answering at once.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import redis
import requests

from bot.settings import Settings
from bot.workspace.accounts import Accounts
from tests.security.slow_redis import SlowRedis
from tests.security.workspace_app import InProcessWorkspace

ROOT = Path(__file__).resolve().parents[2]
DELAY = 1.0


@pytest.fixture
def slow_workspace(redis_url: str, redis_client: redis.Redis,
                   tmp_path: Path) -> Iterator[InProcessWorkspace]:
    link = SlowRedis(redis_url, DELAY).start()
    settings = Settings.from_env({"REDIS_URL": link.url, "CAREBOT_HOME": str(ROOT),
                                  "CAREBOT_VAR_DIR": str(tmp_path / "var")})
    app = InProcessWorkspace(settings).start()
    yield app
    app.stop()
    link.stop()


def test_a_slow_redis_does_not_stall_other_requests(
    slow_workspace: InProcessWorkspace, redis_client: redis.Redis
) -> None:
    token = Accounts(redis_client).add("tim", "trainer")
    redis_client.set("carebot:review:training", "someone", ex=60)  # a training runs: 409
    done = threading.Event()
    answer: list[int] = []

    def train() -> None:
        res = requests.post(slow_workspace.url + "/api/review/train", timeout=60,
                            headers={"Authorization": f"Bearer {token}",
                                     "X-Carebot-CSRF": "1"})
        answer.append(res.status_code)
        done.set()

    threading.Thread(target=train, daemon=True).start()
    worst = 0.0
    while not done.is_set():
        started = time.monotonic()
        assert requests.get(slow_workspace.url + "/healthz", timeout=30).status_code == 200
        worst = max(worst, time.monotonic() - started)
        time.sleep(0.05)
    assert answer == [409]
    assert worst < DELAY / 2, f"/healthz waited {worst:.2f} s behind a Redis call"
