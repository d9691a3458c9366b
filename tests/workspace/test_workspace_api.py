"""The workspace HTTP API against real Redis and the running bot (Rasa + actions + workspace).

Followers talk to the bot over Rasa's REST channel; agents work their tickets through the API;
replies must reach the follower's channel (the REST inbox) and the Rasa tracker.
"""

from __future__ import annotations

import json
import subprocess
import sys

import redis
import requests

from bot.rasa_ext.client import RasaClient
from tests.workspace.test_workspace_support import People, WorkspaceStack, escalate, open_ticket

FAQ_AGAIN = "how long is delivery usually"


def test_list_view_and_stats_show_what_waits_and_why(
    people: People, redis_client: redis.Redis
) -> None:
    stack = people.stack
    angry = escalate(stack, "this is ridiculous, my order is two weeks late and nobody answers")
    human = escalate(stack)
    ana = people.api("ana")
    res = ana.get("/api/tickets")
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    rows = res.json()["tickets"]
    assert [r["sender"] for r in rows] == [angry, human]  # the angry one is more urgent
    first = rows[0]
    assert first["status"] == "queued" and first["channel"] == "rest"
    assert first["priority"] < rows[1]["priority"] and "negative_tone" in first["reasons"]
    assert first["tone"]["label"] == "negative" and first["tone"]["negative"] >= 0.55
    assert first["waiting_seconds"] >= 0 and first["preview"].startswith("this is ridiculous")
    assert ana.get("/api/tickets?status=claimed").json()["tickets"] == []
    assert ana.get("/api/tickets?status=bogus").status_code == 422

    stats = ana.get("/api/stats").json()
    assert stats["waiting"] == 2 and stats["depth_by_priority"][str(first["priority"])] == 1
    assert stats["oldest_waiting_seconds"] >= 0

    view = ana.get(f"/api/tickets/{first['id']}").json()
    assert view["draft"].strip()
    assert view["nlu"]["ranking"] and "intent" in view["nlu"]
    roles = [m["role"] for m in view["transcript"]]
    assert "follower" in roles and view["transcript"][0]["text"]
    assert view["history"][0]["type"] == "escalated"
    assert ana.get("/api/tickets/T-999999").status_code == 404
    assert ana.get("/api/tickets/..%2F..%2Fetc").status_code == 404


def test_claim_reply_resolve_reaches_follower_and_bot_resumes(
    people: People, redis_client: redis.Redis
) -> None:
    stack = people.stack
    who = escalate(stack)
    ana = people.api("ana")
    claimed = ana.post("/api/tickets/claim-next")
    assert claimed.status_code == 200, claimed.text
    ticket = claimed.json()
    assert ticket["sender"] == who and ticket["claimed_by"] == "ana"
    tid = ticket["id"]
    assert ana.get("/api/me").json()["held"] == [tid]
    assert ana.post(f"/api/tickets/{tid}/heartbeat").json()["lease_until"] > 0

    edited = ticket["draft"] + " — Ana from the care team"
    res = ana.post(f"/api/tickets/{tid}/reply", json={"text": edited})
    assert res.status_code == 200, res.text
    assert res.json()["message"]["agent"] == "ana"
    assert stack.wait_reply(who) == edited  # through the channel it came from
    rasa = RasaClient(url=stack.rasa_url, token=stack.settings.rasa_api_token())
    events = rasa.tracker(stack.conversation(who))["events"]
    agent_turns = [e for e in events if e["event"] == "bot" and e.get("text") == edited]
    assert agent_turns and agent_turns[0]["metadata"]["carebot"]["agent"] == "ana"
    note = ana.post(f"/api/tickets/{tid}/notes", json={"text": "asked for order number"})
    assert note.status_code == 200

    view = ana.get(f"/api/tickets/{tid}").json()
    assert view["transcript"][-1]["role"] == "agent" and view["first_reply_at"]
    assert view["notes"][0]["text"] == "asked for order number"

    closed = ana.post(f"/api/tickets/{tid}/resolve")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "resolved" and closed.json()["outcome"] == "resolved"
    assert "business days" in stack.texts(who, FAQ_AGAIN)[0]  # the bot answers again
    assert ana.post(f"/api/tickets/{tid}/resolve").json()["error"] == "closed"


def test_handback_release_transfer_and_reassign(people: People, redis_client: redis.Redis) -> None:
    stack = people.stack
    who = escalate(stack)
    tid = open_ticket(redis_client, who)
    ana, bob, sue = people.api("ana"), people.api("bob"), people.api("sue")

    assert ana.post(f"/api/tickets/{tid}/claim").status_code == 200
    assert ana.post(f"/api/tickets/{tid}/claim").status_code == 200  # renewing is fine
    taken = bob.post(f"/api/tickets/{tid}/claim")
    assert taken.status_code == 409
    assert taken.json() == {
        "error": "already_claimed",
        "holder": "ana",
        "message": f"{tid} is already claimed by ana.",
    }
    for action in ("reply", "release", "resolve", "handback", "heartbeat"):
        res = bob.post(f"/api/tickets/{tid}/{action}", json={"text": "hi"})
        assert res.status_code == 409 and res.json()["error"] == "not_holder", action

    assert ana.post(f"/api/tickets/{tid}/release").json()["status"] == "queued"
    assert bob.post(f"/api/tickets/{tid}/claim").status_code == 200
    moved = bob.post(f"/api/tickets/{tid}/transfer", json={"to": "ana"})
    assert moved.status_code == 200 and moved.json()["claimed_by"] == "ana"
    assert bob.post(f"/api/tickets/{tid}/transfer", json={"to": "tim"}).status_code == 422
    assert bob.post(f"/api/tickets/{tid}/transfer", json={"to": "nobody"}).status_code == 422

    # An agent cannot take a ticket away; a supervisor reassigns it.
    assert (
        bob.post(f"/api/tickets/{tid}/transfer", json={"to": "bob", "force": True}).status_code
        == 403
    )
    res = sue.post(f"/api/tickets/{tid}/transfer", json={"to": "bob", "force": True})
    assert res.status_code == 200, res.text
    assert bob.get(f"/api/tickets/{tid}").json()["claimed_by"] == "bob"

    back = bob.post(f"/api/tickets/{tid}/handback")
    assert back.status_code == 200 and back.json()["outcome"] == "handed_back"
    assert "business days" in stack.texts(who, FAQ_AGAIN)[0]


def test_supervisor_closes_any_ticket_agents_cannot(
    people: People, redis_client: redis.Redis
) -> None:
    who = escalate(people.stack)
    tid = open_ticket(redis_client, who)
    assert (
        people.api("ana").post(f"/api/tickets/{tid}/resolve", json={"force": True}).status_code
        == 403
    )
    res = people.api("sue").post(f"/api/tickets/{tid}/resolve", json={"force": True})
    assert res.status_code == 200 and res.json()["resolved_by"] == "sue"


def test_follow_up_messages_land_on_the_ticket(people: People, redis_client: redis.Redis) -> None:
    stack = people.stack
    who = escalate(stack)
    tid = open_ticket(redis_client, who)
    assert stack.texts(who, "hello?? anyone there") == []  # the bot stays silent
    view = people.api("ana").get(f"/api/tickets/{tid}").json()
    assert view["transcript"][-1] == {
        **view["transcript"][-1],
        "role": "follower",
        "text": "hello?? anyone there",
    }


def test_bad_requests_are_422_or_400_with_plain_messages(
    people: People, redis_client: redis.Redis
) -> None:
    who = escalate(people.stack)
    tid = open_ticket(redis_client, who)
    ana = people.api("ana")
    ana.post(f"/api/tickets/{tid}/claim")
    cases = [
        ({"text": ""}, 422),
        ({"text": "   "}, 422),
        ({"text": 5}, 422),
        ({}, 422),
        ({"text": "x" * 5001}, 422),
    ]
    for body, status in cases:
        res = ana.post(f"/api/tickets/{tid}/reply", json=body)
        assert res.status_code == status, (body, res.text)
        assert set(res.json()) == {"error", "message"}
    res = ana.post(
        f"/api/tickets/{tid}/reply", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 400 and "Traceback" not in res.text
    res = ana.post(f"/api/tickets/{tid}/reply", json=["a list"])
    assert res.status_code == 400
    assert ana.post(f"/api/tickets/{tid}/resolve", json={"force": "yes"}).status_code == 422


def test_decide_is_the_same_as_the_cli(people: People) -> None:
    text = "great, 3 weeks and still no package, love it 🙄"
    res = people.api("tim").post("/api/decide", json={"text": text})  # trainers may ask
    assert res.status_code == 200, res.text
    cli = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "decide", text],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert res.json() == json.loads(cli.stdout.strip().splitlines()[-1])
    assert res.json()["decision"] == "escalate"
    faq = people.api("ana").post("/api/decide", json={"text": "how long does shipping take"})
    assert faq.status_code == 200, faq.text
    assert faq.json()["decision"] == "answer"
    assert people.api("ana").post("/api/decide", json={"text": 3}).status_code == 422
    bad_meta = people.api("ana").post("/api/decide", json={"text": "x", "metadata": []})
    assert bad_meta.status_code == 422


def test_service_answers_health_and_security_headers(workspace_stack: WorkspaceStack) -> None:
    res = requests.get(workspace_stack.url + "/healthz", timeout=5)
    assert res.json() == {"status": "ok"}
    assert "default-src 'self'" in res.headers["Content-Security-Policy"]
    assert res.headers["X-Frame-Options"] == "DENY"
