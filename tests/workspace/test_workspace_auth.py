"""Authentication and roles over HTTP: every API call and page needs a valid token or session;
wrong or missing credentials are 401, a role without the permission 403, and error bodies say
nothing more than a fixed sentence."""

from __future__ import annotations

import re

import pytest
import redis
import requests

from bot.workspace.accounts import Accounts
from bot.workspace.openapi import PATHS
from tests.workspace.test_workspace_support import People, WorkspaceStack, escalate, open_ticket

UNAUTHORIZED = {"error": "unauthorized", "message": "Sign in with your agent token."}
FORBIDDEN = {"error": "forbidden", "message": "Your role does not allow this."}
PUBLIC = {("/api/session", "post")}


def operations() -> list[tuple[str, str, str]]:
    """(method, concrete path, permission) for every documented operation."""
    out = []
    for path, ops in PATHS.items():
        for method, op in ops.items():
            if (path, method) in PUBLIC:
                continue
            out.append(
                (method.upper(), path.replace("{tid}", "T-000001").replace("{aid}", "A-000001"),
                 op.get("x-permission", ""))
            )
    return out


BAD_CREDENTIALS = [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer cbt_not-a-real-token"},
    {"Authorization": "Bearer " + "x" * 5000},
    {"Authorization": "Basic YWRtaW46YWRtaW4="},
    {"Cookie": "carebot_session=forged"},
]


@pytest.mark.parametrize("headers", BAD_CREDENTIALS, ids=lambda h: next(iter(h), "none"))
def test_every_operation_needs_credentials(
    workspace_stack: WorkspaceStack, accounts: Accounts, headers: dict[str, str]
) -> None:
    accounts.add("ana", "agent")
    for method, path, _ in operations():
        res = requests.request(
            method, workspace_stack.url + path, headers=headers, json={}, timeout=10, stream=True
        )
        assert res.status_code == 401, (method, path, res.status_code)
        assert res.json() == UNAUTHORIZED, (method, path)


def test_wrong_token_and_unknown_user_look_the_same(
    workspace_stack: WorkspaceStack, accounts: Accounts
) -> None:
    token = accounts.add("ana", "agent")
    api = workspace_stack.client(token[:-2] + "xx")
    wrong = api.get("/api/me")
    missing = workspace_stack.client(None).get("/api/me")
    assert (wrong.status_code, wrong.text) == (missing.status_code, missing.text)
    assert token not in wrong.text and "ana" not in wrong.text


def test_roles_get_403_for_what_they_may_not_do(people: People, redis_client: redis.Redis) -> None:
    tid = open_ticket(redis_client, escalate(people.stack))
    tim = people.api("tim")  # trainer: reads, notes, decides; never works tickets
    assert tim.get("/api/tickets").status_code == 200
    assert tim.get(f"/api/tickets/{tid}").status_code == 200
    assert tim.post(f"/api/tickets/{tid}/notes", json={"text": "good example"}).status_code == 200
    for action in ("claim", "heartbeat", "reply", "release", "transfer", "resolve", "handback"):
        res = tim.post(f"/api/tickets/{tid}/{action}", json={"text": "x", "to": "ana"})
        assert res.status_code == 403 and res.json() == FORBIDDEN, action
    assert tim.post("/api/tickets/claim-next").json() == FORBIDDEN


def test_roles_match_the_documented_permissions(people: People) -> None:
    me = {name: people.api(name).get("/api/me").json() for name in people.tokens}
    assert me["ana"]["role"] == "agent" and "reassign" not in me["ana"]["permissions"]
    assert "reassign" in me["sue"]["permissions"]
    assert "work" not in me["tim"]["permissions"]
    assert "accounts" in me["ada"]["permissions"]
    for name, op in (("tim", "work"),):
        assert op not in me[name]["permissions"]
    # the answer audit: supervisors and admins mark, trainers read, agents neither
    assert {"audit", "audit_read"} <= set(me["sue"]["permissions"]) & set(me["ada"]["permissions"])
    assert "audit_read" in me["tim"]["permissions"] and "audit" not in me["tim"]["permissions"]
    assert not {"audit", "audit_read"} & set(me["ana"]["permissions"])


def test_rotated_or_removed_accounts_lose_access(
    workspace_stack: WorkspaceStack, accounts: Accounts
) -> None:
    old = accounts.add("ana", "agent")
    new = accounts.rotate("ana")
    assert workspace_stack.client(old).get("/api/me").status_code == 401
    assert workspace_stack.client(new).get("/api/me").status_code == 200
    accounts.remove("ana")
    assert workspace_stack.client(new).get("/api/me").status_code == 401


def test_console_session_cookie_flow(workspace_stack: WorkspaceStack, accounts: Accounts) -> None:
    token = accounts.add("ana", "agent")
    url = workspace_stack.url
    page = requests.get(url + "/", allow_redirects=False, timeout=10)
    assert page.status_code == 302 and page.headers["Location"] == "/login"
    assert requests.get(url + "/login", timeout=10).status_code == 200

    browser = requests.Session()
    assert browser.post(url + "/api/session", json={"token": "cbt_nope"}).status_code == 401
    res = browser.post(url + "/api/session", json={"token": token})
    assert res.status_code == 200 and res.json() == {"name": "ana", "role": "agent"}
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert token not in cookie
    assert browser.get(url + "/").status_code == 200
    assert browser.get(url + "/api/me").json()["name"] == "ana"

    # A change with the cookie needs the CSRF header (a cross-site form cannot send it).
    res = browser.post(url + "/api/tickets/claim-next")
    assert res.status_code == 403 and res.json()["error"] == "csrf"
    res = browser.post(url + "/api/tickets/claim-next", headers={"X-Carebot-CSRF": "1"})
    assert res.status_code == 204  # nothing waiting

    out = browser.delete(url + "/api/session", headers={"X-Carebot-CSRF": "1"})
    assert out.status_code == 204
    assert browser.get(url + "/api/me").status_code == 401
    assert browser.get(url + "/", allow_redirects=False).status_code == 302


def test_rotating_a_token_ends_its_console_sessions(
    workspace_stack: WorkspaceStack, accounts: Accounts
) -> None:
    token = accounts.add("ana", "agent")
    browser = requests.Session()
    browser.post(workspace_stack.url + "/api/session", json={"token": token})
    assert browser.get(workspace_stack.url + "/api/me").status_code == 200
    accounts.rotate("ana")
    assert browser.get(workspace_stack.url + "/api/me").status_code == 401


def test_error_bodies_leak_nothing(people: People, redis_client: redis.Redis) -> None:
    ana = people.api("ana")
    secret_like = re.compile(r"Traceback|redis://|File \"|cbt_|\.py|sanic", re.I)
    responses = [
        ana.get("/api/tickets/T-000999"),
        ana.get("/api/nope"),
        ana.request("PATCH", "/api/me"),
        ana.post(
            "/api/tickets/T-000001/reply",
            data=b"\xff\xfe{",
            headers={"Content-Type": "application/json"},
        ),
        ana.get("/api/tickets?limit=abc"),
        workspace_stack_get(people, "/static/../../bot/settings.py"),
        workspace_stack_get(people, "/static/secret.py"),
    ]
    for res in responses:
        assert res.status_code in (400, 404, 405, 422), (res.request.url, res.status_code)
        assert not secret_like.search(res.text), res.text
        assert set(res.json()) == {"error", "message"}


def workspace_stack_get(people: People, path: str) -> requests.Response:
    return requests.get(people.stack.url + path, timeout=10)


def test_openapi_document_is_served_to_signed_in_callers(people: People) -> None:
    doc = people.api("tim").get("/openapi.json")
    assert doc.status_code == 200
    assert (
        doc.json()["openapi"].startswith("3.") and "/api/tickets/{tid}/reply" in doc.json()["paths"]
    )
