"""Attack test, issue 17 item 1: a failed call to Rasa leaves no URL and no token behind.

The reply an agent sends is kept on the ticket when Rasa cannot take it; that note is streamed
to every console. It must name what went wrong (the error's class), never the request URL or
anything secret in it.
"""

from __future__ import annotations

import json

import pytest
import redis

from bot.conversation import deliver_reply
from bot.queue import AgentQueue
from bot.rasa_ext.client import RasaClient, RasaUnavailable
from tests.conftest import make_escalation
from tests.fakes.live_app import free_port

TOKEN = "s3cret-rasa-token-0123456789abcdef"


def test_a_failed_delivery_stores_no_url_and_no_token(
    queue: AgentQueue, redis_client: redis.Redis
) -> None:
    tid = queue.escalate(make_escalation("leaky")).ticket_id
    queue.claim(tid, "ana")
    down = RasaClient(url=f"http://127.0.0.1:{free_port()}", token=TOKEN, timeout=2)
    with pytest.raises(RasaUnavailable) as raised:
        deliver_reply(queue, tid, "ana", "Hello from Ana", rasa=down)
    assert TOKEN not in str(raised.value)
    stored = json.dumps(redis_client.hgetall(f"carebot:ticket:{tid}"))
    stored += json.dumps([e for _, e in queue.events(count=1000)])
    assert "Hello from Ana" in stored  # the reply is kept
    assert TOKEN not in stored
    assert "127.0.0.1" not in stored and "/conversations" not in stored
    assert "ConnectionError" in stored  # the class of what failed
