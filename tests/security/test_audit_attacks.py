"""Attacks on the answer audit's API (``/api/audit…``, ``bot.workspace.audit_routes``): only a
supervisor or an admin marks, agents read nothing, a cookie session needs the CSRF header, bad
ids and verdicts are a 4xx, oversize notes and keys are refused, a verdict cannot be replaced,
and a refused request writes nothing (Redis snapshot)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import redis
import requests

from bot.audit.store import Answer, AuditStore
from bot.settings import Settings
from bot.workspace.accounts import Accounts
from tests.security.fuzzing import check_response, snapshot
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


def seed(client: redis.Redis, text: str = "how long does shipping take") -> str:
    return AuditStore(client).record(
        Answer(text=text, conversation="whatsapp:15550001", channel="whatsapp",
               faq="shipping_time", response="utter_faq/shipping_time", answer="3-5 days"),
        sampled=True, low=False)


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_only_supervisors_and_admins_mark_and_agents_read_nothing(
        workspace: InProcessWorkspace, redis_client: redis.Redis) -> None:
    people = Accounts(redis_client)
    tokens = {role: people.add(role[:3] + "x", role)
              for role in ("agent", "supervisor", "trainer", "admin")}
    aid = seed(redis_client)
    before = snapshot(redis_client)
    for role in ("agent", "trainer"):
        res = requests.post(f"{workspace.url}/api/audit/{aid}/mark", json={"verdict": "right"},
                            headers=headers(tokens[role]), timeout=10)
        assert res.status_code == 403, role
    for path in ("/api/audit", f"/api/audit/{aid}", "/api/audit/precision", "/audit"):
        res = requests.get(workspace.url + path, headers=headers(tokens["agent"]), timeout=10)
        assert res.status_code == 403, path
        assert "shipping" not in res.text
    res = requests.post(f"{workspace.url}/api/audit/{aid}/mark", json={"verdict": "right"},
                        timeout=10)
    assert res.status_code == 401
    assert snapshot(redis_client) == before  # nothing written by the refused requests
    for role in ("supervisor", "admin"):
        res = requests.post(f"{workspace.url}/api/audit/{seed(redis_client)}/mark",
                            json={"verdict": "right"}, headers=headers(tokens[role]),
                            timeout=10)
        assert res.status_code == 200 and res.json()["decided_by"] == role[:3] + "x"


def test_a_cookie_session_needs_the_csrf_header(workspace: InProcessWorkspace,
                                                redis_client: redis.Redis) -> None:
    token = Accounts(redis_client).add("sue", "supervisor")
    aid = seed(redis_client)
    session = requests.Session()
    assert session.post(workspace.url + "/api/session", json={"token": token},
                        timeout=10).status_code == 200
    forged = session.post(f"{workspace.url}/api/audit/{aid}/mark",
                          json={"verdict": "wrong", "correct": "negative"}, timeout=10)
    assert forged.status_code == 403 and forged.json()["error"] == "csrf"
    assert AuditStore(redis_client).get(aid)["status"] == "pending"
    ok = session.post(f"{workspace.url}/api/audit/{aid}/mark", json={"verdict": "right"},
                      headers={"X-Carebot-CSRF": "1"}, timeout=10)
    assert ok.status_code == 200


def test_hostile_input_is_a_4xx_and_writes_nothing(workspace: InProcessWorkspace,
                                                   redis_client: redis.Redis) -> None:
    token = Accounts(redis_client).add("sue", "supervisor")
    aid = seed(redis_client)
    before = snapshot(redis_client)
    url = f"{workspace.url}/api/audit/{aid}/mark"
    bodies = [
        {"verdict": "right", "note": "x" * 501},  # oversize note
        {"verdict": "right", "note": "x" * 200_000},
        {"verdict": "wrong", "correct": "negative", "note": "y" * 5000},
        {"verdict": "wrong", "correct": "new_faq", "key": "k" * 61},
        {"verdict": "wrong", "correct": "../../etc/passwd"},
        {"verdict": "wrong", "correct": "faq/track_order\nX-Injected: 1"},
        {"verdict": "wrong", "correct": {"$ne": 1}},
        {"verdict": "RIGHT"}, {"verdict": None}, {"verdict": 1}, {"verdict": "right ", },
        {"verdict": "right", "note": ["a"]},
    ]
    for body in bodies:
        res = requests.post(url, json=body, headers=headers(token), timeout=10)
        check_response(res, str(body)[:60])
        assert res.status_code == 422, (body, res.status_code, res.text[:200])
    for raw in (b"not json", b"[]", b"\xff\xfe", b'"right"', b"{" * 10_000):
        res = requests.post(url, data=raw, timeout=10,
                            headers={**headers(token), "Content-Type": "application/json"})
        check_response(res, repr(raw[:20]))
        assert 400 <= res.status_code < 500, (raw[:20], res.status_code)
    too_big = requests.post(url, data=b'{"verdict": "right", "note": "' + b"x" * 1_100_000
                            + b'"}', timeout=10,
                            headers={**headers(token), "Content-Type": "application/json"})
    assert too_big.status_code == 413
    for bad in ("A-999999", "A-", "A-00000x", "R-000001", "T-000001", "%00", "A-000001%0a",
                "A-" + "1" * 40, "*"):
        for method, path in (("POST", f"/api/audit/{bad}/mark"), ("GET", f"/api/audit/{bad}")):
            res = requests.request(method, workspace.url + path, json={"verdict": "right"},
                                   headers=headers(token), timeout=10)
            check_response(res, path)
            assert res.status_code == 404, (path, res.status_code)
    for query in ("status=pending'", "status=all", "limit=-1", "limit=99999999999999999999",
                  "limit=1e3"):
        res = requests.get(f"{workspace.url}/api/audit?{query}", headers=headers(token),
                           timeout=10)
        assert res.status_code == 422, query
    assert snapshot(redis_client) == before


def test_a_verdict_cannot_be_replaced(workspace: InProcessWorkspace,
                                      redis_client: redis.Redis) -> None:
    people = Accounts(redis_client)
    sue, sam = people.add("sue", "supervisor"), people.add("sam", "supervisor")
    aid = seed(redis_client)
    url = f"{workspace.url}/api/audit/{aid}/mark"
    assert requests.post(url, json={"verdict": "right"}, headers=headers(sue),
                         timeout=10).status_code == 200
    before = snapshot(redis_client)
    res = requests.post(url, json={"verdict": "wrong", "correct": "negative"},
                        headers=headers(sam), timeout=10)
    assert res.status_code == 409
    assert snapshot(redis_client) == before
    item = AuditStore(redis_client).get(aid)
    assert (item["status"], item["decided_by"]) == ("right", "sue")
    assert AuditStore(redis_client).report(30)["precision"]["verdicts"] == 1


def test_the_follower_s_text_is_data_not_markup(workspace: InProcessWorkspace,
                                                redis_client: redis.Redis) -> None:
    """The page renders with textContent only; the API returns the text as JSON, and the page
    itself never embeds it (a static file)."""
    token = Accounts(redis_client).add("sue", "supervisor")
    seed(redis_client, "<img src=x onerror=alert(1)>")
    page = requests.get(workspace.url + "/audit", headers=headers(token), timeout=10)
    assert page.status_code == 200 and "onerror" not in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    script = requests.get(workspace.url + "/audit/audit.js", timeout=10).text
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    items = requests.get(workspace.url + "/api/audit", headers=headers(token), timeout=10)
    assert items.json()["items"][0]["text"] == "<img src=x onerror=alert(1)>"
    assert requests.get(workspace.url + "/audit/../app.py", timeout=10).status_code == 404
