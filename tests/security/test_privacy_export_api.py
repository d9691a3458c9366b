"""Privacy, issue 17: ``GET /api/followers/{id}/export`` gives one follower's data to admins
only (401 without credentials, 403 for other roles), refuses malformed ids with a 422, and
writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import redis
import requests

from bot.queue import AgentQueue
from bot.settings import Settings
from bot.workspace.accounts import Accounts
from tests.conftest import make_escalation
from tests.security.workspace_app import InProcessWorkspace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(redis_url: str, redis_client: redis.Redis,
              tmp_path: Path) -> Iterator[InProcessWorkspace]:
    settings = Settings.from_env({"REDIS_URL": redis_url, "CAREBOT_HOME": str(ROOT),
                                  "CAREBOT_VAR_DIR": str(tmp_path / "var")})
    app = InProcessWorkspace(settings).start()
    yield app
    app.stop()


def test_only_admins_export_a_follower(workspace: InProcessWorkspace,
                                       redis_client: redis.Redis) -> None:
    people = Accounts(redis_client)
    tokens = {role: people.add(role[:3] + "x", role)
              for role in ("agent", "supervisor", "trainer", "admin")}
    tid = AgentQueue(redis_client).escalate(make_escalation("15550001")).ticket_id
    AgentQueue(redis_client).escalate(make_escalation("15559999"))
    url = workspace.url + "/api/followers/whatsapp:15550001/export"

    assert requests.get(url, timeout=10).status_code == 401
    for role in ("agent", "supervisor", "trainer"):
        res = requests.get(url, headers={"Authorization": f"Bearer {tokens[role]}"}, timeout=10)
        assert res.status_code == 403, role
        assert "15550001" not in res.text
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    res = requests.get(url, headers=admin, timeout=10)
    assert res.status_code == 200
    assert res.headers["Cache-Control"] == "no-store"
    doc = res.json()
    assert doc["follower"] == "whatsapp:15550001"
    assert [t["id"] for t in doc["tickets"]] == [tid]
    assert "15559999" not in res.text

    before = {k: redis_client.type(k) for k in redis_client.scan_iter()}
    for bad in ["15550001", "WHATSAPP:1", "%3Arest", "x" * 600 + ":1"]:
        res = requests.get(workspace.url + f"/api/followers/{bad}/export", headers=admin,
                           timeout=10)
        assert res.status_code in (404, 422), (bad, res.status_code)
        assert "Traceback" not in res.text
    assert {k: redis_client.type(k) for k in redis_client.scan_iter()} == before
