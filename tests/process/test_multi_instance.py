"""Two real bot instances (Rasa + action server each) on one Redis, behind Debian's nginx with
production's routing (``scripts/render-nginx-conf``: sticky by sender).

``carebot run`` with ``CAREBOT_INSTANCES=2`` on test ports: many followers talk at once, each
message may land on either instance; every conversation's tracker (read back through the HTTP
API) must hold exactly the messages sent, in order, and every escalated conversation exactly one
ticket. Ports: ``CAREBOT_TEST_MULTI_PORT`` (nginx, default 16305; instances +1, +2) and
``CAREBOT_TEST_MULTI_ACTIONS_PORT`` (default 16355; action servers +1, +2).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
import requests

from bot.process.runner import Runner
from bot.rasa_ext.auth import auth_headers
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

FAQ = [  # held-out phrasings the bot answers (carebot decide)
    "is delivery free if i spend 80 dollars",
    "how do i send back a fleece that doesnt suit me",
    "is klarna an option on your website",
    "what are the opening times this saturday",
    "how many years of warranty do jackets have",
    "where can i see the measurements for your pants",
    "what do my reward points get me",
]
SMALLTALK = ["hey hey ridgeline team 👋", "good morning from colorado team"]
ESCALATE = [
    "my new jacket came with a broken zip",
    "i would like to talk to a human please",
    "i see the same charge twice on my card",
]
HANDOFF_MARK = ("I've passed", "I've asked a teammate")


def handoff(reply: dict[str, Any]) -> bool:
    return any(mark in str(reply.get("text", "")) for mark in HANDOFF_MARK)


TOKENS: dict[str, str] = {}  # conversation id -> the token the server issued with it


def post(session: Any, url: str, sender: str, text: str) -> list[dict[str, Any]]:
    res = session.post(url, json={"sender": sender, "message": text},
                       headers={"X-Carebot-Token": TOKENS[sender]}, timeout=60)
    assert res.status_code == 200, res.text
    return list(res.json())


class Multi:
    def __init__(self, settings: Settings, runner: Runner) -> None:
        self.settings = settings
        self.runner = runner
        self.base = f"http://127.0.0.1:{settings.rasa_port}"
        self.rest = f"{self.base}/webhooks/rest/webhook"

    def sender(self) -> str:
        """A new REST follower: the conversation id the server issued (its token kept here)."""
        res = requests.post(f"{self.base}/webhooks/rest/session", timeout=60)
        assert res.status_code == 201, res.text
        data = res.json()
        TOKENS[data["sender"]] = data["token"]
        return str(data["sender"])

    def say(self, session: requests.Session, sender: str, text: str) -> list[dict[str, Any]]:
        return post(session, self.rest, sender, text)

    def user_texts(self, sender: str) -> list[str]:
        """The tracker, read through nginx's internal API port (``CAREBOT_RASA_URL``)."""
        res = requests.get(f"{self.settings.rasa_url}/conversations/{sender}/tracker",
                           timeout=30, headers=auth_headers(self.settings.rasa_api_token()))
        assert res.status_code == 200, res.text
        return [e["text"] for e in res.json()["events"] if e["event"] == "user"]

    def served(self) -> list[list[str]]:
        """For each REST message nginx forwarded so far: the instances it tried, in order
        (``upstream.log``: ``$upstream_addr`` lists a retried request's instances)."""
        log = self.settings.var_dir / "nginx" / "logs" / "upstream.log"
        lines = log.read_text().splitlines() if log.exists() else []
        tried = []
        for line in lines:  # "<addr>[, <addr>…] <status> POST /webhooks/rest/webhook"
            found = re.match(r"^(.*) (\d{3}) POST /webhooks/rest/webhook$", line)
            if found:
                tried.append([a.strip() for a in found.group(1).split(",")])
        return tried

    def instance(self, i: int) -> str:
        return f"127.0.0.1:{self.settings.rasa_port + i}"


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Multi]:
    port = int(os.environ.get("CAREBOT_TEST_MULTI_PORT", "16305"))
    actions = int(os.environ.get("CAREBOT_TEST_MULTI_ACTIONS_PORT", "16355"))
    env = {
        "REDIS_URL": redis_url,
        "CAREBOT_HOME": str(ROOT),
        "CAREBOT_VAR_DIR": str(tmp_path_factory.mktemp("multi-var")),
        "CAREBOT_RASA_PORT": str(port),
        "CAREBOT_ACTIONS_PORT": str(actions),
        "CAREBOT_WEBCHAT_PORT": str(port + 75),
        "CAREBOT_EMBEDDED_REDIS": "never",
        "CAREBOT_INSTANCES": "2",
        "CAREBOT_QUEUE_PREFIX": "multi" + uuid.uuid4().hex[:6],
        "CAREBOT_METRICS_TOKEN": "scrape-" + uuid.uuid4().hex[:8],
        "CAREBOT_RATE_LIMIT_PER_IP": "0",  # every follower here is 127.0.0.1
    }
    settings = Settings.from_env(env)
    runner = Runner(settings, workspace=False)
    try:
        runner.start()
        yield Multi(settings, runner)
    finally:
        runner.stop()


def _follower(multi: Multi, sender: str, seed: int) -> tuple[list[str], bool]:
    """A follower's conversation: texts sent (stops at a hand-off) and whether it escalated."""
    rng = random.Random(seed)
    plan = [rng.choice(SMALLTALK)] + [rng.choice(FAQ) for _ in range(rng.randint(2, 4))]
    if seed % 3 == 0:
        plan.append(rng.choice(ESCALATE))
    sent: list[str] = []
    session = requests.Session()
    for text in plan:
        replies = multi.say(session, sender, text)
        sent.append(text)
        assert replies, f"no reply to {text!r} ({sender})"
        if any(handoff(r) for r in replies):
            return sent, True
    return sent, False


def test_two_instances_share_conversations_without_loss_reordering_or_duplicate_tickets(
    multi: Multi,
) -> None:
    senders = [multi.sender() for _ in range(36)]
    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(
            pool.map(lambda a: _follower(multi, *a), [(s, i) for i, s in enumerate(senders)])
        )
    # every message of every conversation is in its tracker, once, in the order sent
    for sender, (sent, _) in zip(senders, results, strict=True):
        assert multi.user_texts(sender) == sent, sender
    # both instances served traffic
    last = Counter(tried[-1] for tried in multi.served())
    served = [last[multi.instance(1)], last[multi.instance(2)]]
    assert min(served) > 20, served
    # one ticket per escalated conversation: no duplicates, none missing
    client = redis.Redis.from_url(multi.settings.redis_url, decode_responses=True)
    prefix = multi.settings.queue_prefix
    created = Counter(
        "rest:" + json.loads(f["data"])["sender"]
        for _, f in client.xrange(f"{prefix}:events", count=100_000)
        if f["type"] == "escalated"
    )
    escalated = {s for s, (_, esc) in zip(senders, results, strict=True) if esc}
    assert escalated, "the mix must escalate some conversations"
    assert set(created) == escalated
    assert max(created.values()) == 1, created


def _burst(multi: Multi, urls: list[str]) -> None:
    """8 messages of one conversation at once (spread over ``urls``): each stored exactly once,
    each answered by its own action run."""
    sender = multi.sender()
    texts = [*FAQ, "thanks so much for the quick help"]

    def send(i: int) -> list[Any]:
        return post(requests, urls[i % len(urls)], sender, texts[i])

    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(send, range(len(texts))))
    assert all(replies)
    stored = multi.user_texts(sender)
    assert sorted(stored) == sorted(texts) and len(stored) == len(set(stored))
    res = requests.get(f"{multi.settings.rasa_url}/conversations/{sender}/tracker", timeout=30,
                       headers=auth_headers(multi.settings.rasa_api_token())).json()
    actions = [e["name"] for e in res["events"] if e["event"] == "action"]
    assert actions.count("action_respond") == len(texts)


def test_a_burst_in_one_conversation_through_nginx(multi: Multi) -> None:
    """Sender routing keeps the burst on one instance, where Rasa's lock store serialises it."""
    _burst(multi, [multi.rest])


def test_a_burst_in_one_conversation_on_both_instances_at_once(multi: Multi) -> None:
    """The same burst sent straight to both instances, alternately (no nginx in between): the
    atomic lock (``bot.rasa_ext.lock_store``) serialises it across instances. Rasa 3.6's
    RedisLockStore issues tickets with GET then SET, so two instances could both take the first
    ticket."""
    port = multi.settings.rasa_port
    _burst(multi, [f"http://127.0.0.1:{port + i}/webhooks/rest/webhook" for i in (1, 2)])


def test_escalated_conversation_gets_one_ticket_under_concurrent_follow_ups(multi: Multi) -> None:
    sender = multi.sender()
    session = requests.Session()
    client = redis.Redis.from_url(multi.settings.redis_url, decode_responses=True)
    prefix = multi.settings.queue_prefix
    paused_before = int(client.hget(f"{prefix}:metrics:messages", "paused") or 0)
    first = multi.say(session, sender, "my new jacket came with a broken zip")
    assert handoff(first[0])
    follow_ups = [f"hello?? anyone there ({i})" for i in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda t: multi.say(requests.Session(), sender, t), follow_ups))
    # the tracker store counts each follow-up of the paused conversation once
    assert int(client.hget(f"{prefix}:metrics:messages", "paused") or 0) == paused_before + 6
    tickets = [
        f["ticket"]
        for _, f in client.xrange(f"{prefix}:events", count=100_000)
        if f["type"] == "escalated" and "rest:" + json.loads(f["data"])["sender"] == sender
    ]
    assert len(tickets) == 1
    transcript = [
        json.loads(m)["text"]
        for m in client.lrange(f"{prefix}:ticket:{tickets[0]}:messages", 0, -1)
    ]
    for text in follow_ups:  # every follow-up reached the ticket exactly once
        assert transcript.count(text) == 1, (text, transcript)


def test_rasas_api_is_not_public_through_nginx(multi: Multi) -> None:
    token = auth_headers(multi.settings.rasa_api_token())
    for path in ("/status", "/model", "/conversations/x/tracker", "/version", "/"):
        assert requests.get(f"{multi.base}{path}", headers=token, timeout=10).status_code == 404
    assert requests.get(f"{multi.settings.rasa_url}/status", headers=token,
                        timeout=10).status_code == 200  # the internal port, for carebot itself


def test_an_instance_going_down_is_routed_around(multi: Multi) -> None:
    """Last in this module: stops instance 1's Rasa server; every message is still answered,
    nginx passing the ones whose sender picks instance 1 on to instance 2."""
    rasa_1 = dict(multi.runner.children)["rasa-1"]
    senders = [multi.sender() for _ in range(40)]  # issued while both instances are up
    seen = len(multi.served())
    os.killpg(rasa_1.pid, signal.SIGTERM)
    rasa_1.wait(30)
    session = requests.Session()
    for i, sender in enumerate(senders):
        assert multi.say(session, sender, FAQ[i % len(FAQ)])
    deadline = time.monotonic() + 10  # nginx writes its log line after the response
    while len(multi.served()) < seen + len(senders) and time.monotonic() < deadline:
        time.sleep(0.2)
    after = multi.served()[seen:]
    assert len(after) == len(senders)
    assert all(tried[-1] == multi.instance(2) for tried in after), after
    assert any(tried[0] == multi.instance(1) for tried in after)  # some picked instance 1 first
