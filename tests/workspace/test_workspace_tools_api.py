"""The agents' daily tools over HTTP: canned responses, labels and search, on a real workspace
process and real Redis (no bot needed: tickets are escalated straight into the queue)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from bot.queue import AgentQueue
from bot.workspace.accounts import Accounts
from tests.conftest import make_escalation
from tests.fakes.workspace_process import api_workspace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def workspace_url(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[str]:
    with api_workspace(redis_url, tmp_path_factory.mktemp("tools")) as url:
        yield url


class Client:
    def __init__(self, url: str, token: str | None) -> None:
        self.url, self.token = url, token

    def __call__(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return requests.request(method, self.url + path, headers=headers, timeout=15, **kw)


@pytest.fixture
def people(workspace_url: str, redis_client: redis.Redis) -> dict[str, Client]:
    accounts = Accounts(redis_client)
    roles = {"ana": "agent", "sue": "supervisor", "tim": "trainer", "ada": "admin"}
    return {name: Client(workspace_url, accounts.add(name, role)) for name, role in roles.items()}


def escalate(client: redis.Redis, sender: str, text: str, **extra: Any) -> str:
    queue = AgentQueue(client)
    esc = make_escalation(sender, transcript=[{"role": "follower", "text": text, "ts": 1.0}],
                          **extra)
    return queue.escalate(esc).ticket_id


def test_canned_responses_roles_render_and_usage(
    people: dict[str, Client], redis_client: redis.Redis, workspace_url: str
) -> None:
    ana, sue, tim = people["ana"], people["sue"], people["tim"]
    body = {"key": "order-ships", "title": "Order ships today",
            "text": "Hi {{first_name}}, {{agent_name}} here: order {{order_number}} ships today."}
    assert Client(workspace_url, None)("GET", "/api/canned").status_code == 401
    assert ana("POST", "/api/canned", json=body).status_code == 403  # agents use, not write
    made = sue("POST", "/api/canned", json=body)
    assert made.status_code == 201 and made.json()["created_by"] == "sue"
    assert sue("POST", "/api/canned", json=body).json()["error"] == "conflict"
    bad = tim("POST", "/api/canned", json={**body, "key": "x", "text": "Hi {{nickname}}"})
    assert bad.status_code == 422 and "nickname" in bad.json()["message"]
    assert tim("POST", "/api/canned", data="[1]").status_code == 400
    assert tim("PUT", "/api/canned/order-ships", json={"title": "Ships today"}).status_code == 200
    listed = ana("GET", "/api/canned").json()
    keys = [c["key"] for c in listed["canned"]]
    assert "order-ships" in keys and "faq/return_policy" in keys and not listed["can_edit"]
    assert [c["key"] for c in ana("GET", "/api/canned?q=ships").json()["canned"]][0] == \
        "order-ships"

    tid = escalate(redis_client, "u1", "where is my order", nlu={
        "entities": [{"entity": "order_number", "value": "RO-5521"}]})
    done = ana("POST", f"/api/tickets/{tid}/canned/order-ships/render")
    assert done.status_code == 200, done.text
    assert done.json()["text"] == "Hi ⟦first name⟧, Ana here: order RO-5521 ships today."
    assert done.json()["missing"] == ["first_name"]
    faq = ana("POST", f"/api/tickets/{tid}/canned/faq/return_policy/render").json()
    assert faq["key"] == "faq/return_policy" and faq["text"].startswith("You can return")
    assert tim("POST", f"/api/tickets/{tid}/canned/order-ships/render").status_code == 403
    assert ana("POST", f"/api/tickets/{tid}/canned/nope/render").status_code == 404
    assert ana("POST", "/api/tickets/T-999999/canned/order-ships/render").status_code == 404
    assert ana("POST", f"/api/tickets/{tid}/canned/faq/nope/render").status_code == 404
    uses = {c["key"]: c["uses"] for c in ana("GET", "/api/canned").json()["canned"]}
    assert uses["order-ships"] == 1 and uses["faq/return_policy"] == 1

    # a reply that still holds a blank (or a {{variable}}) never leaves
    ana("POST", f"/api/tickets/{tid}/claim")
    refused = ana("POST", f"/api/tickets/{tid}/reply", json={"text": done.json()["text"]})
    assert refused.status_code == 422 and "⟦first name⟧" in refused.json()["message"]
    raw = ana("POST", f"/api/tickets/{tid}/reply", json={"text": "Hi {{first_name}}"})
    assert raw.status_code == 422
    assert [m["role"] for m in ana("GET", f"/api/tickets/{tid}").json()["transcript"]] == [
        "follower"]

    assert ana("DELETE", "/api/canned/order-ships").status_code == 403
    assert sue("DELETE", "/api/canned/order-ships").status_code == 204
    assert sue("DELETE", "/api/canned/order-ships").status_code == 404


def test_labels_on_tickets_colours_and_the_list_filter(
    people: dict[str, Client], redis_client: redis.Redis
) -> None:
    ana, sue, tim = people["ana"], people["sue"], people["tim"]
    vip = escalate(redis_client, "u1", "hello")
    other = escalate(redis_client, "u2", "hello again")
    added = ana("POST", f"/api/tickets/{vip}/labels", json={"label": " VIP  Customer"})
    assert added.status_code == 200 and added.json()["labels"] == ["vip customer"]
    assert tim("POST", f"/api/tickets/{other}/labels", json={"label": "bug"}).status_code == 200
    for bad in ({"label": "no!"}, {"label": ""}, {"label": "x" * 40}, {}, {"label": 3}):
        res = ana("POST", f"/api/tickets/{vip}/labels", json=bad)
        assert res.status_code == 422, bad
    assert ana("POST", "/api/tickets/T-999999/labels", json={"label": "x"}).status_code == 404
    assert ana("POST", "/api/tickets/nope/labels", json={"label": "x"}).status_code == 404

    rows = ana("GET", "/api/tickets?label=VIP%20customer").json()["tickets"]
    assert [r["id"] for r in rows] == [vip] and rows[0]["labels"] == ["vip customer"]
    assert [r["id"] for r in ana("GET", "/api/tickets").json()["tickets"]] == [vip, other]
    assert ana("GET", "/api/tickets?label=bad!").status_code == 422
    assert ana("GET", "/api/tickets?label=nobody").json()["tickets"] == []

    listed = {lb["name"]: lb for lb in ana("GET", "/api/labels").json()["labels"]}
    assert listed["vip customer"]["tickets"] == 1 and listed["bug"]["colour"].startswith("#")
    assert ana("PUT", "/api/labels/bug", json={"colour": "#ff0000"}).status_code == 403
    assert sue("PUT", "/api/labels/bug", json={"colour": "red"}).status_code == 422
    assert sue("PUT", "/api/labels/bug", json={"colour": "#FF0000"}).json() == {
        "name": "bug", "colour": "#ff0000"}

    removed = ana("DELETE", f"/api/tickets/{vip}/labels/vip%20customer")
    assert removed.status_code == 200 and removed.json()["labels"] == []
    history = ana("GET", f"/api/tickets/{vip}").json()["history"]
    assert [h["type"] for h in history][-2:] == ["label_added", "label_removed"]
    overview = sue("GET", "/api/overview?minutes=5").json()
    assert overview["labels"] == {"bug": 1, "vip customer": 1}


def test_search_finds_tickets_and_checks_its_arguments(
    people: dict[str, Client], redis_client: redis.Redis
) -> None:
    ana = people["ana"]
    zip_ = escalate(redis_client, "u1", "The zipper of my parka broke", channel="instagram")
    late = escalate(redis_client, "u2", "My parka is two weeks late", reasons=["sarcasm"])
    ana("POST", f"/api/tickets/{late}/labels", json={"label": "late-delivery"})
    found = ana("GET", "/api/search?q=parka").json()
    assert [t["id"] for t in found["tickets"]] == [late, zip_] and found["total"] == 2
    assert found["engine"] in ("index", "redisearch") and found["words"] == ["parka"]
    assert "parka" in found["tickets"][0]["snippet"]
    assert [t["id"] for t in ana("GET", "/api/search?q=zip").json()["tickets"]] == [zip_]
    assert [t["id"] for t in ana(
        "GET", "/api/search?q=parka&channel=instagram").json()["tickets"]] == [zip_]
    assert [t["id"] for t in ana(
        "GET", "/api/search?label=late-delivery&status=open&reason=sarcasm").json()[
        "tickets"]] == [late]
    assert ana("GET", "/api/search?q=parka&from=2001-01-01&to=2001-12-31").json()[
        "tickets"] == []
    assert len(ana("GET", "/api/search?q=parka&from=2020-01-01").json()["tickets"]) == 2
    assert ana("GET", "/api/search?agent=ana").json()["tickets"] == []
    for bad in ("status=done", "from=yesterday", "limit=0", "limit=x", "agent=Not%20A%20Name",
                "label=bad!", "channel=a:b", "from=2024-05-02&to=2024-05-01",
                "q=" + "x" * 201):
        res = ana("GET", "/api/search?" + bad)
        assert res.status_code == 422, bad
        assert res.json()["error"] == "invalid"
    assert Client(ana.url, None)("GET", "/api/search?q=parka").status_code == 401
