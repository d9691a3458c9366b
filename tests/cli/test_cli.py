"""The `carebot` command: `decide` (the stable JSON interface) and `queue` (agents' terminal)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis

from bot.queue import AgentQueue, Escalation

ROOT = Path(__file__).resolve().parents[2]
CAREBOT = str(Path(sys.executable).with_name("carebot"))


def carebot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CAREBOT, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_decide_prints_one_json_object() -> None:
    done = carebot("decide", "how long does shipping take to ohio?")
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(done.stdout)
    assert data["decision"] == "answer"
    assert data["faq"] == "shipping_time"  # the bare key
    assert data["reasons"] == []
    assert 0.0 <= data["confidence"] <= 1.0
    assert {"negative", "sarcasm", "signals"} <= set(data["tone"])


def test_decide_file_writes_one_line_per_row(tmp_path: Path) -> None:
    csv = tmp_path / "messages.csv"
    csv.write_text(
        'text,extra\n"great, 3 weeks and still no package, love it 🙄",x\n'
        "can i speak to a person,y\n,z\n"
    )
    done = carebot("decide", "--file", str(csv))
    assert done.returncode == 0, done.stderr[-2000:]
    rows: list[dict[str, Any]] = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 3
    assert rows[0]["decision"] == "escalate" and "sarcasm" in rows[0]["reasons"]
    assert rows[0]["faq"] in (None, "track_order", "shipping_time")
    assert rows[1]["reasons"] == ["asked_for_human"]
    assert rows[2]["decision"] == "answer"  # empty text: a prompt, not a ticket


def test_decide_needs_text_or_file() -> None:
    assert carebot("decide").returncode == 2


def test_decide_rejects_csv_without_text_column(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("message\nhello\n")
    done = carebot("decide", "--file", str(csv))
    assert done.returncode == 2 and "text" in done.stderr


def test_queue_list_json_claim_show(redis_client: redis.Redis, redis_url: str) -> None:
    queue = AgentQueue(redis_client)
    for sender, priority in (("ana", 4), ("ben", 1)):
        queue.escalate(
            Escalation(
                channel="rest",
                sender=sender,
                reasons=["low_confidence"],
                priority=priority,
                text=f"hi from {sender}",
                draft="Hi!",
            )
        )
    env = {"REDIS_URL": redis_url}
    listed = carebot("queue", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    tickets = json.loads(listed.stdout)
    assert [t["sender"] for t in tickets] == ["ben", "ana"]  # priority 1 first
    claimed = carebot("queue", "--agent", "zoe", "claim", "--json", env=env)
    assert json.loads(claimed.stdout)["sender"] == "ben"
    shown = carebot("queue", "show", tickets[0]["id"], env=env)
    assert "hi from ben" in shown.stdout and "draft: Hi!" in shown.stdout
    other = carebot("queue", "--agent", "max", "claim", tickets[0]["id"], env=env)
    assert other.returncode == 1 and "zoe" in other.stderr  # told who holds it


def test_bad_environment_is_reported_not_a_traceback() -> None:
    done = carebot("queue", "list", env={"CAREBOT_RASA_PORT": "nope"})
    assert done.returncode == 2
    assert "CAREBOT_RASA_PORT" in done.stderr and "Traceback" not in done.stderr


def test_conversations_expire_legacy_gives_old_trackers_an_expiry(
    redis_client: redis.Redis, redis_url: str
) -> None:
    """Trackers saved before conversation ids carried their channel never expire; the upgrade
    command gives them the conversation TTL (or deletes them) and leaves the others alone."""
    redis_client.set("tracker:15550001", "{}")  # before the upgrade: no expiry
    redis_client.set("tracker:whatsapp:15550001", "{}", ex=3600)  # after: record_exp
    redis_client.set("carebot:open", "x")  # not a tracker
    env = {"REDIS_URL": redis_url, "CAREBOT_CONVERSATION_TTL_DAYS": "30"}
    done = carebot("conversations", "expire-legacy", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 conversations looked at; 1 from before the upgrade" in done.stdout
    assert 29 * 86400 < redis_client.ttl("tracker:15550001") <= 30 * 86400
    assert redis_client.ttl("tracker:whatsapp:15550001") <= 3600
    assert redis_client.ttl("carebot:open") == -1
    redis_client.set("tracker:ana", "{}")
    done = carebot("conversations", "expire-legacy", "--delete", env=env)
    assert done.returncode == 0 and "1 from before the upgrade deleted" in done.stdout
    assert not redis_client.exists("tracker:ana") and redis_client.exists("tracker:15550001")


def test_the_trained_bot_hands_faq_topic_sarcasm_to_a_person(tmp_path: Path) -> None:
    """The shipped model end to end (NLU pipeline + decide()): sarcasm about an FAQ topic goes
    to a person even though the FAQ matches; the sincere question on the same topic does not."""
    from tests.nlu.test_tone import FAQ_SARCASM

    csv = tmp_path / "messages.csv"
    rows = [*FAQ_SARCASM, "how long does shipping take to ohio?"]
    csv.write_text("text\n" + "".join('"' + t.replace('"', '""') + '"\n' for t in rows))
    done = carebot("decide", "--file", str(csv))
    assert done.returncode == 0, done.stderr[-2000:]
    decisions = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(decisions) == len(rows)
    for text, data in zip(rows[:-1], decisions[:-1], strict=True):
        assert data["decision"] == "escalate", (text, data["reasons"], data["tone"])
        assert {"sarcasm", "negative_tone"} & set(data["reasons"]), (text, data["reasons"])
        assert data["tone"]["signals"], text  # the agent sees why
    assert decisions[-1]["decision"] == "answer" and decisions[-1]["faq"] == "shipping_time"
