"""The answer audit end to end: the running bot answers a follower's FAQ and records the answer
(the test stack audits every answer: ``CAREBOT_AUDIT_RATE=1``), the workspace lists it to
supervisors and trainers, a supervisor marks it, a wrong verdict reaches the trainers' review
list, and the precision shows in ``/api/audit/precision``, ``/api/overview`` and ``/metrics``."""

from __future__ import annotations

import time
from typing import Any

import redis

from bot.audit.store import Answer, AuditStore
from bot.stats.metrics import parse_prometheus
from tests.workspace.test_workspace_support import People, WorkspaceStack

FORBIDDEN = {"error": "forbidden", "message": "Your role does not allow this."}


def wait_items(stack: WorkspaceStack, token: str, count: int,
               timeout: float = 15.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        res = stack.client(token).get("/api/audit")
        assert res.status_code == 200, res.text
        items = list(res.json()["items"])
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.2)


def seed(client: redis.Redis, text: str = "how long does shipping take",
         faq: str = "shipping_time", *, sampled: bool = True, low: bool = False) -> str:
    return AuditStore(client).record(
        Answer(text=text, conversation="whatsapp:15550001", channel="whatsapp", faq=faq,
               response=f"utter_faq/{faq}", answer="3-5 days", confidence=0.97,
               intent_confidence=0.98, answer_confidence=0.99, model_id="m-1"),
        sampled=sampled, low=low)


def test_the_bot_s_answer_is_audited_and_a_wrong_one_reaches_the_trainers(
        people: People, redis_client: redis.Redis) -> None:
    stack = people.stack
    follower = stack.sender()
    texts = stack.texts(follower, "how long does shipping take?")
    assert texts and "business days" in texts[0], texts  # the bot answered itself
    [item] = wait_items(stack, people.tokens["sue"], 1)
    assert item["text"] == "how long does shipping take?" and item["faq"] == "shipping_time"
    assert item["conversation"] == f"rest:{follower}" and item["channel"] == "rest"
    assert item["response"] == "utter_faq/shipping_time" and item["answer"] == texts[0]
    assert item["model_id"] and item["sampled"] and item["status"] == "pending"
    assert 0 < item["confidence"] <= 1 and item["ranking"]
    # an escalation is never audited
    assert stack.texts(stack.sender(), "get me a real person please")
    assert len(wait_items(stack, people.tokens["sue"], 2, timeout=1.5)) == 1

    # trainers read, agents do not; only supervisors (and admins) mark
    tim, ana = people.api("tim"), people.api("ana")
    assert tim.get("/api/audit").status_code == 200
    assert tim.get(f"/api/audit/{item['id']}").json()["id"] == item["id"]
    assert tim.post(f"/api/audit/{item['id']}/mark", json={"verdict": "right"}).json() \
        == FORBIDDEN
    for path in ("/api/audit", f"/api/audit/{item['id']}", "/api/audit/precision"):
        assert ana.get(path).json() == FORBIDDEN, path
    assert ana.post(f"/api/audit/{item['id']}/mark", json={"verdict": "right"}).json() \
        == FORBIDDEN

    sue = people.api("sue")
    res = sue.post(f"/api/audit/{item['id']}/mark",
                   json={"verdict": "wrong", "correct": "track_order",
                         "note": "they asked where their parcel is"})
    assert res.status_code == 200, res.text
    marked = res.json()
    assert marked["status"] == "wrong" and marked["decided_by"] == "sue"
    assert marked["proposal"].startswith("R-")
    proposal = people.api("tim").get(f"/api/review/{marked['proposal']}").json()
    assert proposal["kind"] == "examples" and proposal["key"] == "track_order"
    assert proposal["examples"] == ["how long does shipping take?"]
    assert proposal["messages"][0]["audit"] == item["id"]
    again = sue.post(f"/api/audit/{item['id']}/mark", json={"verdict": "right"})
    assert again.status_code == 409
    assert sue.get("/api/audit").json() == {"items": [], "pending": 0}
    assert [i["id"] for i in sue.get("/api/audit?status=wrong").json()["items"]] == [item["id"]]


def test_precision_in_the_audit_api_the_overview_and_metrics(
        people: People, redis_client: redis.Redis) -> None:
    sue = people.api("sue")
    ids = [seed(redis_client, f"question {i}") for i in range(10)]
    extra = seed(redis_client, "near the threshold", sampled=False, low=True)
    for aid in ids[:9]:
        assert sue.post(f"/api/audit/{aid}/mark", json={"verdict": "right"}).status_code == 200
    assert sue.post(f"/api/audit/{ids[9]}/mark",
                    json={"verdict": "wrong", "correct": "negative"}).status_code == 200
    assert sue.post(f"/api/audit/{extra}/mark",
                    json={"verdict": "wrong", "correct": "new_faq"}).status_code == 200
    report = people.api("tim").get("/api/audit/precision?days=7").json()
    assert report["precision"]["right"] == 9 and report["precision"]["verdicts"] == 10
    assert report["precision"]["precision"] == 0.9
    assert 0.59 < report["precision"]["low"] < 0.6 and 0.98 < report["precision"]["high"] < 0.99
    assert report["low_confidence_precision"]["wrong"] == 1  # apart from the estimate
    overview = sue.get("/api/overview?minutes=60&audit_days=7").json()
    assert overview["audit"]["precision"] == report["precision"]
    assert sue.get("/api/overview?audit_days=0").status_code == 422
    metrics = parse_prometheus(sue.get("/metrics").text)
    assert metrics['carebot_audit_verdicts_total{sample="rate",verdict="right"}'] == 9
    assert metrics['carebot_audit_verdicts_total{sample="rate",verdict="wrong"}'] == 1
    assert metrics['carebot_audit_verdicts_total{sample="low_confidence",verdict="wrong"}'] == 1
    assert metrics['carebot_audit_answers_total{why="rate"}'] == 10
    assert metrics["carebot_audit_pending"] == 0


def test_bad_input_gets_a_4xx_and_changes_nothing(people: People,
                                                  redis_client: redis.Redis) -> None:
    sue = people.api("sue")
    aid = seed(redis_client)
    for body, status in (
        ({}, 422), ({"verdict": "maybe"}, 422), ({"verdict": ["right"]}, 422),
        ({"verdict": "wrong"}, 422),  # wrong: what should it have been?
        ({"verdict": "wrong", "correct": "no_such_faq"}, 422),
        ({"verdict": "wrong", "correct": "shipping_time"}, 422),  # the answer it gave
        ({"verdict": "wrong", "correct": 7}, 422),
        ({"verdict": "right", "correct": "track_order"}, 422),
        ({"verdict": "right", "note": "x" * 501}, 422),
        ({"verdict": "wrong", "correct": "x" * 61}, 422),
    ):
        res = sue.post(f"/api/audit/{aid}/mark", json=body)
        assert res.status_code == status, (body, res.status_code, res.text)
        assert res.json()["error"] == "invalid"
    raw = sue.post(f"/api/audit/{aid}/mark", data=b"[1, 2]",
                   headers={"Content-Type": "application/json"})
    assert raw.status_code == 400
    for bad in ("A-999999", "T-000001", "A-1", "..%2F..%2Fetc"):
        assert sue.post(f"/api/audit/{bad}/mark", json={"verdict": "right"}).status_code == 404
        assert sue.get(f"/api/audit/{bad}").status_code == 404
    for query in ("status=open", "limit=0", "limit=x", "limit=501"):
        assert sue.get(f"/api/audit?{query}").status_code == 422, query
    for query in ("days=0", "days=366", "days=x"):
        assert sue.get(f"/api/audit/precision?{query}").status_code == 422, query
    assert sue.get(f"/api/audit/{aid}").json()["status"] == "pending"
    assert redis_client.hgetall("carebot:audit:totals") == {"sampled": "1"}
