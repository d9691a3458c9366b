"""Attacks on the reply-image upload (``POST /api/tickets/{id}/images``): every one gets a clear
4xx and leaves nothing stored.

Oversize bodies (declared and streamed without a length), HTML named ``.png`` and sent as
``image/png``, a GIF/HTML polyglot, SVG with a script, an empty body; a role that cannot reply, no
credentials, a conversation the caller does not hold (queued, or someone else's claim), and an
image id of another conversation on a reply.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from bot.queue import AgentQueue
from bot.settings import Settings
from bot.workspace.accounts import Accounts
from tests.conftest import make_escalation
from tests.fakes.images import GIF_POLYGLOT, HTML_AS_PNG, SVG, png
from tests.security.workspace_app import InProcessWorkspace

ROOT = Path(__file__).resolve().parents[2]
CAP_KB = 16


@pytest.fixture
def workspace(redis_url: str, redis_client: redis.Redis,
              tmp_path: Path) -> Iterator[InProcessWorkspace]:
    settings = Settings.from_env({"REDIS_URL": redis_url, "CAREBOT_HOME": str(ROOT),
                                  "CAREBOT_VAR_DIR": str(tmp_path / "var"),
                                  "CAREBOT_RASA_URL": "http://127.0.0.1:9",
                                  "CAREBOT_REPLY_IMAGE_MAX_KB": str(CAP_KB)})
    app = InProcessWorkspace(settings).start()
    yield app
    app.stop()


def stored(client: redis.Redis) -> list[str]:
    return [str(k) for k in client.scan_iter("carebot:reply-image:*")]


def post(app: InProcessWorkspace, tid: str, token: str | None, data: Any,
         content_type: str = "image/png") -> requests.Response:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(f"{app.url}/api/tickets/{tid}/images", data=data, headers=headers,
                         timeout=30)


def test_uploads_that_are_not_plain_images_or_too_big_are_refused(
    workspace: InProcessWorkspace, redis_client: redis.Redis
) -> None:
    queue = AgentQueue(redis_client)
    tid = queue.escalate(make_escalation("15550001", channel="telegram")).ticket_id
    token = Accounts(redis_client).add("ana", "agent")
    queue.claim(tid, "ana")

    cases = [
        (HTML_AS_PNG, "image/png", 415),  # HTML named .png
        (GIF_POLYGLOT, "image/gif", 415),  # a GIF header in front of a script
        (SVG, "image/svg+xml", 415),
        (png() + b"<script>alert(1)</script>", "image/png", 415),  # a PNG carrying a script
        (b"%PDF-1.7\n1 0 obj", "image/png", 415),
        (b"", "image/png", 422),
        (png() + b"\0" * (CAP_KB * 1024), "image/png", 413),  # declared length over the cap
    ]
    for data, content_type, status in cases:
        r = post(workspace, tid, token, data, content_type)
        assert r.status_code == status, (data[:20], r.status_code, r.text)
        body = r.json()
        assert body["error"] in ("unsupported_image", "invalid", "too_large") and body["message"]
    # streamed without a Content-Length (chunked): cut off at the cap, not buffered
    big = png() + b"\0" * (CAP_KB * 1024)
    chunks = (big[i:i + 4096] for i in range(0, len(big), 4096))
    r = post(workspace, tid, token, chunks)
    assert (r.status_code, r.json()["error"]) == (413, "too_large")
    assert stored(redis_client) == []
    # and a plain PNG under the cap is taken
    r = post(workspace, tid, token, png(), "application/octet-stream")
    assert r.status_code == 201 and r.json()["image"]["content_type"] == "image/png"
    assert len(stored(redis_client)) == 1


def test_only_the_holder_with_a_role_that_replies_can_upload(
    workspace: InProcessWorkspace, redis_client: redis.Redis
) -> None:
    queue = AgentQueue(redis_client)
    accounts = Accounts(redis_client)
    ana, bob = accounts.add("ana", "agent"), accounts.add("bob", "agent")
    tim = accounts.add("tim", "trainer")
    queued = queue.escalate(make_escalation("15550001", channel="whatsapp")).ticket_id
    held = queue.escalate(make_escalation("15550002", channel="whatsapp")).ticket_id
    queue.claim(held, "bob")

    assert post(workspace, held, None, png()).status_code == 401
    r = post(workspace, held, tim, png())
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    r = post(workspace, queued, ana, png())  # nobody's claim
    assert (r.status_code, r.json()["error"]) == (409, "not_holder")
    assert "Claim " + queued in r.json()["message"]
    r = post(workspace, held, ana, png())  # someone else's claim
    assert (r.status_code, r.json()["error"]) == (409, "not_holder")
    assert "bob holds it" in r.json()["message"]
    assert post(workspace, "T-999999", ana, png()).status_code == 404
    assert stored(redis_client) == []

    # bob's upload cannot ride on another conversation's reply
    image = post(workspace, held, bob, png()).json()["image"]["id"]
    other = queue.escalate(make_escalation("15550003", channel="whatsapp")).ticket_id
    queue.claim(other, "bob")
    r = requests.post(f"{workspace.url}/api/tickets/{other}/reply", timeout=30,
                      headers={"Authorization": f"Bearer {bob}"},
                      json={"text": "look", "image_id": image})
    assert (r.status_code, r.json()["error"]) == (422, "invalid")
    r = requests.post(f"{workspace.url}/api/tickets/{other}/reply", timeout=30,
                      headers={"Authorization": f"Bearer {bob}"},
                      json={"text": "look", "image_id": "../../carebot:ticket:T-000001"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid")
    assert [m["role"] for m in queue.get(other).transcript] == ["follower"]  # nothing sent
