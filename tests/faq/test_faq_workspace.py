"""The trainers' review page and API (bot/workspace/review_routes.py) in a running workspace.

The workspace runs as its own process with the review blueprint mounted (as
``bot.workspace.app.create_app`` does once it is wired in), on real Redis and a temporary copy
of the project data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
import requests
import yaml

from bot.faq.store import FaqStore
from bot.queue import AgentQueue
from bot.workspace.accounts import Accounts
from tests.fakes.project import copy_project
from tests.fakes.workspace_process import workspace_process
from tests.faq.test_faq_review import RENT, RENT2, RENTAL_QUESTIONS, SHIP, SHIPPING_QUESTIONS
from tests.faq.test_faq_review import escalated as make_ticket

LAUNCH = """
import sys
from bot.settings import Settings
from bot.workspace import review_routes
from bot.workspace.app import create_app
app = create_app(Settings.from_env())
if "review" not in app.blueprints:
    app.blueprint(review_routes.bp)
app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1, access_log=False, motd=False)
"""


@pytest.fixture
def workspace(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> Iterator[tuple[str, Path]]:
    home = copy_project(tmp_path / "project")
    env = {
        **os.environ,
        "CAREBOT_HOME": str(home),
        "CAREBOT_VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": redis_url,
        "CAREBOT_EMBEDDED_REDIS": "never",
        "CAREBOT_RASA_URL": "http://127.0.0.1:9",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CAREBOT_AGENT_TOKEN", None)
    command = [sys.executable, "-c", LAUNCH]
    with workspace_process(command, env, tmp_path / "workspace.log") as url:
        yield url, home


class Api:
    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, headers=self.headers, timeout=60)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return requests.post(
            self.url + path,
            json=body if body is not None else {},
            headers=self.headers,
            timeout=120,
        )


def test_trainers_review_and_agents_flag_through_the_workspace(
    workspace: tuple[str, Path], redis_client: redis.Redis
) -> None:
    url, home = workspace
    accounts = Accounts(redis_client)
    tess = Api(url, accounts.add("tess", "trainer"))
    ana = Api(url, accounts.add("ana", "agent"))
    queue = AgentQueue(redis_client)
    for i, text in enumerate(RENTAL_QUESTIONS):
        make_ticket(queue, text, [RENT if i % 2 == 0 else RENT2])
    for text in SHIPPING_QUESTIONS:
        make_ticket(queue, text, [SHIP])
    flagged_ticket = make_ticket(
        queue, "do you sell gift wrap", ["Yes, $5 at checkout."], reasons=["complex_topic"]
    )

    assert Api(url, None).get("/api/review").status_code == 401
    denied = ana.get("/api/review")
    assert denied.status_code == 403, denied.text
    assert ana.post("/api/review/suggest").status_code == 403
    res = ana.post(
        "/api/review/flag", {"ticket": flagged_ticket, "text": "do you sell gift wrap", "faq": None}
    )
    assert res.status_code == 201, res.text
    assert res.json()["kind"] == "new_faq" and res.json()["messages"][0]["flagged_by"] == "ana"
    assert (
        ana.post(
            "/api/review/flag", {"ticket": flagged_ticket, "text": "nope", "faq": "shipping_time"}
        ).status_code
        == 422
    )
    faqs = ana.get("/api/review/faqs").json()["faqs"]
    assert any(f["key"] == "careers" and f["description"] == "jobs" for f in faqs)

    created = tess.post("/api/review/suggest").json()["proposals"]
    assert {p["kind"] for p in created} == {"examples", "new_faq"}
    listed = tess.get("/api/review").json()["proposals"]
    assert len(listed) == 3  # the flag + the two suggestions
    ship = next(p for p in listed if p["kind"] == "examples")
    rental = next(p for p in listed if p["kind"] == "new_faq" and p["source"] == "suggest")
    assert tess.get(f"/api/review/{ship['id']}").json()["key"] == "shipping_time"
    assert tess.get("/api/review/R-999999").status_code == 404
    assert tess.get("/api/review/../etc").status_code == 404

    before = (home / "data/nlu/faq_orders.yml").read_text()
    res = tess.post(f"/api/review/{ship['id']}/accept")
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "accepted" and res.json()["decided_by"] == "tess"
    after = (home / "data/nlu/faq_orders.yml").read_text()
    assert after != before and all(f"    - {t}\n" in after for t in SHIPPING_QUESTIONS)
    assert tess.post(f"/api/review/{ship['id']}/accept").status_code == 409

    res = tess.post(f"/api/review/{rental['id']}/accept")
    assert res.status_code == 422 and "needs at least 10 examples" in res.json()["message"]
    res = tess.post(
        f"/api/review/{rental['id']}/edit",
        {
            "key": "rental_gear",
            "add_examples": [
                "rent a sleeping bag?",
                "can i borrow camping gear for a trip",
                "do you have rental kayaks",
                "how much to rent hiking boots for a week",
                "is renting climbing gear possible at your stores",
            ],
            "topic": "services",
        },
    )
    assert res.status_code == 200 and res.json()["needs_examples"] == 0
    res = tess.post(f"/api/review/{rental['id']}/accept", {"answer": "No rentals, sorry!"})
    assert res.status_code == 200, res.text
    assert FaqStore(home).get("rental_gear").answer == "No rentals, sorry!"

    flag_id = next(p["id"] for p in listed if p["source"] == "flag")
    res = tess.post(f"/api/review/{flag_id}/reject", {"reason": "we don't gift wrap"})
    assert res.status_code == 200 and res.json()["status"] == "rejected"
    decided = tess.get("/api/review?status=decided").json()["proposals"]
    assert {p["id"] for p in decided} == {ship["id"], rental["id"], flag_id}
    assert tess.get("/api/review?status=bogus").status_code == 422

    page = tess.get("/review")
    assert page.status_code == 200 and "FAQ review" in page.text
    assert "/review/review.js" in page.text and "<script>" not in page.text  # CSP: no inline
    assert tess.get("/review/review.js").headers["Content-Type"].startswith("text/javascript")
    assert ana.get("/review").status_code == 403
    assert requests.get(url + "/review", allow_redirects=False, timeout=10).status_code == 302


def test_every_review_route_is_documented_with_its_permission() -> None:
    import re

    from bot.settings import Settings
    from bot.workspace import review_routes
    from bot.workspace.app import create_app

    app = create_app(Settings.from_env({}))
    try:
        if "review" not in app.blueprints:
            app.blueprint(review_routes.bp)
        served = {}
        for route in app.router.routes:
            path = "/" + re.sub(r"<(\w+):\w+>", r"{\1}", route.path)
            if path.startswith(("/api/review", "/review")):
                for method in route.methods:
                    served[(path, method.lower())] = route.handler
    finally:
        app.ctx.workspace.close()
    documented = {(path, m) for path, ops in review_routes.OPENAPI_PATHS.items() for m in ops}
    pages = {(p, "get") for p in review_routes.UNDOCUMENTED_PAGES}
    assert set(served) == documented | pages
    for (path, method), handler in served.items():
        if (path, method) in pages:
            continue
        op = review_routes.OPENAPI_PATHS[path][method]
        assert op["x-permission"] == getattr(handler, "carebot_permission", "any"), path


def test_flag_checks_its_input_and_only_trainers_accept_what_agents_flag(
    workspace: tuple[str, Path],
    redis_client: redis.Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, home = workspace
    accounts = Accounts(redis_client)
    trainer_token = accounts.add("tess", "trainer")
    tess, ana = Api(url, trainer_token), Api(url, accounts.add("ana", "agent"))
    sue = Api(url, accounts.add("sue", "supervisor"))
    queue = AgentQueue(redis_client)
    asked = "hey when does my order get here if i order now"
    tid = make_ticket(queue, asked, [SHIP], reasons=["negative_tone"])
    queued = make_ticket(queue, "where is my parcel", [], outcome="open")

    def flag(api: Api, **body: Any) -> requests.Response:
        return api.post("/api/review/flag", {"ticket": tid, "text": asked, **body})

    # Who: no token 401; every role has `note` (agents, supervisors, trainers, admins) and
    # may flag; reviewing and accepting need `train`.
    assert flag(Api(url, None), faq="shipping_time").status_code == 401
    assert flag(Api(url, "cbt_" + "x" * 43), faq="shipping_time").status_code == 401

    # Bad input: 422 (or 404 / 409) with a message saying what, and nothing is proposed.
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"faq": "no_such_faq"}, 422, "no FAQ 'no_such_faq'"),
        ({"faq": "Not A Key!"}, 422, "key"),
        ({"faq": 7}, 422, "'faq' must be an FAQ key"),
        ({"text": ""}, 422, "'text' must be a non-empty string"),
        ({"text": "   "}, 422, "'text' must be a non-empty string"),
        ({"text": None}, 422, "'text' must be a non-empty string"),
        ({"text": "x" * 5001}, 422, "longer than 5000"),
        ({"text": "a message the follower never sent"}, 422, "no follower message"),
        ({"faq": "shipping_time", "key": "ship_eta"}, 422, "not both"),
        ({"faq": None, "key": "shipping_time"}, 422, "exists already"),
        ({"faq": None, "key": "Bad Key"}, 422, "key"),
        ({"faq": None, "use_reply": "yes"}, 422, "'use_reply' must be true or false"),
        ({"faq": None, "note": "n" * 501}, 422, "longer than 500"),
        ({"ticket": "T-999999"}, 404, "no ticket T-999999"),
        ({"ticket": "../etc/passwd"}, 404, "No such ticket"),
        ({"ticket": queued, "text": "where is my parcel"}, 409, "is queued"),
    ]
    for body, status, words in cases:
        res = flag(ana, **body)
        assert res.status_code == status and words in res.json()["message"], (body, res.text)
    assert tess.get("/api/review").json()["proposals"] == []

    # A good flag; the trainer sees the message and the agent's reply; agents cannot review.
    res = flag(ana, faq="shipping_time", note="same as the shipping FAQ")
    assert res.status_code == 201, res.text
    pid = res.json()["id"]
    assert flag(sue, faq="shipping_time").status_code == 409  # in the list already
    [proposal] = tess.get("/api/review").json()["proposals"]
    assert proposal["id"] == pid and proposal["key"] == "shipping_time"
    assert proposal["messages"][0]["replies"] == [SHIP]
    assert proposal["messages"][0]["note"] == "same as the shipping FAQ"
    before = (home / "data/nlu/faq_orders.yml").read_text()
    for agent in (ana, sue):
        assert agent.get("/api/review").status_code == 403
        assert agent.get(f"/api/review/{pid}").status_code == 403
        assert agent.post(f"/api/review/{pid}/accept").status_code == 403
        assert agent.post(f"/api/review/{pid}/edit", {"key": "x_y"}).status_code == 403
        assert agent.post(f"/api/review/{pid}/reject").status_code == 403
    assert (home / "data/nlu/faq_orders.yml").read_text() == before

    # `carebot faq review` lists it too, with the agent's note.
    monkeypatch.setenv("CAREBOT_HOME", str(home))
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CAREBOT_AGENT_TOKEN", trainer_token)
    from bot.cli import faq as cli
    from bot.settings import reset_settings

    reset_settings()
    try:
        assert cli.main(["faq", "review", "show", pid]) == 0
    finally:
        reset_settings()
    out = capsys.readouterr().out
    assert asked in out and "flagged by ana" in out and "note: same as the shipping FAQ" in out

    # Only the trainer's accept writes data/.
    res = tess.post(f"/api/review/{pid}/accept")
    assert res.status_code == 200 and res.json()["decided_by"] == "tess", res.text
    assert f"    - {asked}\n" in (home / "data/nlu/faq_orders.yml").read_text()


def test_agents_mark_a_tone_call_wrong_and_a_trainer_accepts_it_into_the_tone_corpus(
    workspace: tuple[str, Path], redis_client: redis.Redis
) -> None:
    url, home = workspace
    accounts = Accounts(redis_client)
    tess, ana = Api(url, accounts.add("tess", "trainer")), Api(url, accounts.add("ana", "agent"))
    queue = AgentQueue(redis_client)
    asked = "oh brilliant, the 'two day' delivery is on day eleven"
    tid = make_ticket(queue, asked, [], reasons=["low_confidence"], outcome="open")  # queued
    body = {"ticket": tid, "text": asked, "label": "sarcastic", "note": "scare quotes"}

    assert Api(url, None).post("/api/review/tone-flag", body).status_code == 401
    for bad, status, words in [({"label": "angry"}, 422, "'label' must be one of"),
                               ({"label": "calm"}, 409, "called this message calm already"),
                               ({"text": "never said"}, 422, "no follower message"),
                               ({"ticket": "T-999999"}, 404, "no ticket")]:
        res = ana.post("/api/review/tone-flag", {**body, **bad})
        assert res.status_code == status and words in res.json()["message"], (bad, res.text)
    res = ana.post("/api/review/tone-flag", body)
    assert res.status_code == 201, res.text
    proposal = res.json()
    assert proposal["kind"] == "tone" and proposal["label"] == "sarcastic"
    assert proposal["messages"][0]["was"] == "calm"
    assert ana.post("/api/review/tone-flag", body).status_code == 409  # once
    assert ana.post(f"/api/review/{proposal['id']}/accept").status_code == 403  # trainers only

    [listed] = tess.get("/api/review").json()["proposals"]
    assert listed["id"] == proposal["id"] and listed["messages"][0]["note"] == "scare quotes"
    res = tess.post(f"/api/review/{proposal['id']}/edit", {"label": "bogus"})
    assert res.status_code == 422
    res = tess.post(f"/api/review/{proposal['id']}/accept", {"label": "sarcastic"})
    assert res.status_code == 200 and res.json()["status"] == "accepted", res.text
    rows = yaml.safe_load((home / "data/tone/reviewed.yml").read_text(encoding="utf-8"))["tone"]
    assert rows == [{"text": asked, "label": "negative", "sarcasm": True}]
