"""Redis goes away under a running bot: FAQs keep being answered, an escalation is spooled
locally and the follower is still told a person will reply; when Redis returns, the spooled
escalation reaches the queue (the runner's sweeper delivers it)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest
import redis
import requests

from bot.process.embedded_redis import EmbeddedRedis
from bot.process.runner import Runner
from bot.queue import AgentQueue
from bot.settings import Settings
from tests.fakes.live_app import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def private_stack(tmp_path: Path) -> Iterator[tuple[Settings, EmbeddedRedis]]:
    url = f"redis://127.0.0.1:{free_port()}/0"
    server = EmbeddedRedis(url, tmp_path / "redis")
    server.start()
    settings = Settings.from_env(
        {
            "REDIS_URL": url,
            "CAREBOT_HOME": str(ROOT),
            "CAREBOT_VAR_DIR": str(tmp_path / "var"),
            "CAREBOT_RASA_PORT": str(free_port()),
            "CAREBOT_ACTIONS_PORT": str(free_port()),
            "CAREBOT_WEBCHAT_PORT": str(free_port()),
            "CAREBOT_EMBEDDED_REDIS": "never",
        }
    )
    runner = Runner(settings, workspace=False)
    try:
        runner.start()
        yield settings, server
    finally:
        runner.stop()
        server.stop()


class Follower:
    """A REST follower: the first message gets the server-issued id and token."""

    def __init__(self, settings: Settings) -> None:
        self.url = f"http://localhost:{settings.rasa_port}/webhooks/rest/webhook"
        self.sender = ""
        self.token = ""

    def say(self, text: str) -> list[str]:
        body, headers = {"message": text}, {}
        if self.sender:
            body["sender"], headers["X-Carebot-Token"] = self.sender, self.token
        response = requests.post(self.url, json=body, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
        if not self.sender:
            self.sender = response.headers["X-Carebot-Sender"]
            self.token = response.headers["X-Carebot-Token"]
        return [m.get("text", "") for m in response.json()]


def test_redis_down_then_up(private_stack: tuple[Settings, EmbeddedRedis]) -> None:
    settings, server = private_stack
    follower = Follower(settings)
    assert "business days" in follower.say("how long does standard shipping take")[0]

    server.stop()
    # the bot keeps answering FAQs without Redis, to followers old and new (tokens need no Redis
    # once the server knows its secret)
    assert "business days" in follower.say("how long does delivery usually take")[0]
    assert "business days" in Follower(settings).say("how long does delivery usually take")[0]
    # an escalation is kept locally and the follower is still told a person will reply
    [handoff] = follower.say("this is a joke, my parcel is lost and nobody answers")
    assert "teammate" in handoff
    spooled = list(settings.spool_dir.glob("*.json"))
    assert len(spooled) == 1

    server.start()
    queue = AgentQueue(redis.Redis.from_url(settings.redis_url, decode_responses=True))
    deadline = time.monotonic() + 30
    who = follower.sender.removeprefix("rest:")
    while time.monotonic() < deadline and not queue.open_ticket_id("rest", who):
        time.sleep(0.5)
    ticket_id = queue.open_ticket_id("rest", who)
    assert ticket_id, "the spooled escalation never reached the queue"
    ticket = queue.get(ticket_id)
    assert {"negative_tone"} <= set(ticket.reasons) or "complex_topic" in ticket.reasons
    followers = [t["text"] for t in ticket.transcript if t["role"] == "follower"]
    assert followers[-1] == "this is a joke, my parcel is lost and nobody answers"
    assert ticket.transcript[-1]["role"] == "bot"  # the handoff notice the follower saw
    assert list(settings.spool_dir.glob("*.json")) == []
