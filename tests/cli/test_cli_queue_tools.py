"""``carebot queue canned|label|labels|search|reindex`` and ``reply --canned`` in-process,
against real Redis, with the API's permissions."""

from __future__ import annotations

import json
from typing import Iterator

import pytest
import redis

from bot.cli.main import main
from bot.queue import AgentQueue
from bot.settings import reset_settings
from bot.workspace.accounts import Accounts
from tests.conftest import make_escalation


@pytest.fixture
def tokens(redis_url: str, redis_client: redis.Redis,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CAREBOT_RASA_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("CAREBOT_AGENT_TOKEN", raising=False)
    reset_settings()
    accounts = Accounts(redis_client)
    yield {name: accounts.add(name, role) for name, role in
           (("ana", "agent"), ("sue", "supervisor"), ("ada", "admin"))}
    reset_settings()


def run(capsys: pytest.CaptureFixture[str], token: str, *argv: str) -> tuple[int, str, str]:
    code = main(["queue", "--token", token, *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_canned_list_add_and_reply_with_one(
    tokens: dict[str, str], capsys: pytest.CaptureFixture[str], redis_client: redis.Redis
) -> None:
    ana, sue = tokens["ana"], tokens["sue"]
    text = "Hi {{first_name}}, order {{order_number}} is on its way. {{agent_name}}"
    assert run(capsys, ana, "canned", "add", "on-its-way", "--title", "T", "--text", text)[0] == 3
    assert run(capsys, sue, "canned", "add", "on-its-way", "--title", "On its way",
               "--text", text)[0] == 0
    code, out, _ = run(capsys, ana, "canned", "list", "-q", "way")
    assert code == 0 and out.startswith("on-its-way")
    code, out, _ = run(capsys, ana, "canned", "list", "--json")
    assert "faq/shipping_time" in {c["key"] for c in json.loads(out)}

    queue = AgentQueue(redis_client)
    tid = queue.escalate(make_escalation("u1", nlu={"entities": {"order_number": "RO-77"}}))\
        .ticket_id
    queue.claim(tid, "ana")
    code, _, err = run(capsys, ana, "reply", tid, "--canned", "on-its-way")
    assert code == 1 and "⟦first name⟧" in err and "not sent" in err
    assert [m["role"] for m in queue.get(tid).transcript] == ["follower"]
    assert run(capsys, ana, "reply", tid, "--canned", "nope")[0] == 1
    assert run(capsys, ana, "reply", tid, "--canned", "on-its-way", "--set", "nick=x")[0] == 1
    # filled in: recorded on the ticket (the bot server is not running here: delivery fails
    # and is recorded too, exit 1)
    code, _, err = run(capsys, ana, "reply", tid, "--canned", "on-its-way",
                       "--set", "first_name=Marta")
    replies = [m for m in queue.get(tid).transcript if m["role"] == "agent"]
    assert [m["text"] for m in replies] == ["Hi Marta, order RO-77 is on its way. Ana"]
    assert run(capsys, ana, "reply", tid, "Hi {{first_name}}")[0] == 1


def test_labels_and_search_from_the_terminal(
    tokens: dict[str, str], capsys: pytest.CaptureFixture[str], redis_client: redis.Redis
) -> None:
    ana, ada = tokens["ana"], tokens["ada"]
    queue = AgentQueue(redis_client)
    tid = queue.escalate(make_escalation("u1", transcript=[
        {"role": "follower", "text": "my tent pole snapped", "ts": 1.0}])).ticket_id
    code, out, _ = run(capsys, ana, "label", tid, "add", "Warranty")
    assert code == 0 and out.strip() == f"{tid}: warranty"
    assert run(capsys, ana, "label", tid, "add", "bad!")[0] == 1
    assert run(capsys, ana, "label", "T-999999", "add", "x")[0] == 1
    code, out, _ = run(capsys, ana, "labels")
    assert code == 0 and out.startswith("warranty") and "1 tickets" in out
    code, out, _ = run(capsys, ana, "search", "tent", "--label", "warranty")
    assert code == 0 and out.startswith(tid) and "[warranty]" in out
    code, out, _ = run(capsys, ana, "search", "tent", "--status", "resolved", "--json")
    assert code == 0 and json.loads(out)["tickets"] == []
    assert run(capsys, ana, "search", "--from", "someday")[0] == 1
    assert "nothing found" in run(capsys, ana, "search", "kayak")[1]
    code, out, _ = run(capsys, ana, "label", tid, "remove", "warranty")
    assert code == 0 and "(no labels)" in out
    # reindex: admins only
    assert run(capsys, ana, "reindex")[0] == 3
    code, out, _ = run(capsys, ada, "reindex")
    assert code == 0 and out.strip() == "indexed 1 tickets"
