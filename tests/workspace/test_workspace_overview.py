"""``GET /api/overview`` on a real workspace process (real Redis): auth, window checks, alerts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from bot.stats.metrics import record
from bot.workspace.accounts import Accounts
from tests.fakes.workspace_process import api_workspace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def workspace_url(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[str]:
    with api_workspace(redis_url, tmp_path_factory.mktemp("overview"),
                       CAREBOT_SPIKE_MIN_COUNT="5") as url:
        yield url


def get(url: str, token: str | None, query: str = "") -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{url}/api/overview{query}", headers=headers, timeout=10)


def test_overview_needs_a_token_and_checks_the_window(
    workspace_url: str, redis_client: redis.Redis
) -> None:
    token = Accounts(redis_client).add("sam", "supervisor")
    assert get(workspace_url, None).status_code == 401
    assert get(workspace_url, "cbt_not-a-token").status_code == 401
    for bad in ("?minutes=0", "?minutes=5000", "?minutes=soon"):
        r = get(workspace_url, token, bad)
        assert r.status_code == 422 and "minutes" in r.json()["message"], bad


def test_overview_shows_deflection_reasons_and_a_spike(
    workspace_url: str, redis_client: redis.Redis
) -> None:
    token = Accounts(redis_client).add("sam", "supervisor")
    for _ in range(3):
        record(redis_client, "carebot", "answered", response="utter_faq/returns")
    record(redis_client, "carebot", "escalated", reasons=["asked_for_human"])
    calm = get(workspace_url, token, "?minutes=30").json()
    assert (calm["messages"], calm["answered"], calm["escalated"]) == (4, 3, 1)
    assert calm["deflection_rate"] == 0.75 and calm["escalation_reasons"] == {"asked_for_human": 1}
    assert calm["alerts"] == []
    for _ in range(6):
        record(redis_client, "carebot", "escalated", reasons=["negative_tone"])
    loud = get(workspace_url, token).json()
    assert {"reason:negative_tone", "escalated", "messages"} <= {
        a["subject"] for a in loud["alerts"]
    }
