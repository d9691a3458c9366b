"""``carebot audit`` against real Redis, on a temporary copy of the project: list, show, mark
(wrong → a trainer proposal), precision; roles as the API (exit 3 for an agent marking)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
import redis

from bot.audit.store import Answer, AuditStore
from bot.cli.main import main
from bot.faq.review import ReviewStore
from bot.workspace.accounts import Accounts
from tests.fakes.project import project_home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[Path]:
    yield from project_home(tmp_path, monkeypatch, redis_url)


def seed(client: redis.Redis, text: str, low: bool = False) -> str:
    return AuditStore(client).record(
        Answer(text=text, conversation="whatsapp:15550001", channel="whatsapp",
               faq="shipping_time", response="utter_faq/shipping_time", answer="3-5 days",
               confidence=0.96, model_id="m-1"), sampled=not low, low=low)


def test_audit_from_the_terminal(home: Path, redis_client: redis.Redis,
                                 capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = Accounts(redis_client)
    sue, ana = accounts.add("sue", "supervisor"), accounts.add("ana", "agent")
    tim = accounts.add("tim", "trainer")
    a = seed(redis_client, "how long does shipping take")
    b = seed(redis_client, "where is my parcel")
    monkeypatch.setenv("CAREBOT_AGENT_TOKEN", tim)
    from bot.settings import reset_settings

    reset_settings()
    assert main(["audit", "list"]) == 0
    out = capsys.readouterr().out
    assert f"{a}  pending faq/shipping_time (0.96, rate)" in out and "where is my parcel" in out
    assert main(["audit", "mark", a, "right"]) == 3  # a trainer reads, never marks
    assert "may not do this" in capsys.readouterr().err
    assert main(["audit", "list", "--token", ana]) == 3

    assert main(["audit", "mark", a, "right", "--token", sue, "--note", "fine"]) == 0
    assert "right by sue: fine" in capsys.readouterr().out
    assert main(["audit", "mark", b, "wrong", "--token", sue]) == 2  # what should it be?
    assert "needs what it should have been" in capsys.readouterr().err
    assert main(["audit", "mark", b, "wrong", "--faq", "track_order", "--token", sue,
                 "--json"]) == 0
    item = json.loads(capsys.readouterr().out)
    assert item["status"] == "wrong" and item["correct"] == "track_order"
    proposal = ReviewStore(redis_client).get(item["proposal"])
    assert proposal["kind"] == "examples" and proposal["examples"] == ["where is my parcel"]
    assert main(["audit", "mark", b, "right", "--token", sue]) == 1  # marked already
    assert main(["audit", "mark", "A-999999", "right", "--token", sue]) == 1

    assert main(["audit", "precision", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["precision"]["right"] == 1 and report["precision"]["wrong"] == 1
    assert main(["audit", "precision"]) == 0
    assert "production precision 50.0%" in capsys.readouterr().out
    assert main(["stats", "--audit-days", "7"]) == 0
    assert "production precision 50.0% (95% CI" in capsys.readouterr().out
    assert main(["audit", "list", "--status", "wrong"]) == 0
    assert f"→ track_order {item['proposal']}" in capsys.readouterr().out
    reset_settings()
