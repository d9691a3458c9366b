"""``carebot privacy export|erase``: an admin's token, the document, ``--yes``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
import redis

from bot.cli.main import main
from bot.queue import AgentQueue
from bot.settings import reset_settings
from tests.conftest import make_escalation


@pytest.fixture
def cli(redis_url: str, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CAREBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CAREBOT_AGENT_TOKEN", raising=False)
    reset_settings()
    yield
    reset_settings()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_export_and_erase_from_the_command_line(
    cli: None, capsys: pytest.CaptureFixture[str], redis_client: redis.Redis, tmp_path: Path
) -> None:
    queue = AgentQueue(redis_client)
    tid = queue.escalate(make_escalation("15550001", text="where is RL-123456")).ticket_id
    admin = run(capsys, "agents", "add", "ada", "--role", "admin")[1].strip()
    agent = run(capsys, "agents", "--token", admin, "add", "ana", "--role", "agent")[1].strip()

    assert run(capsys, "privacy", "export", "whatsapp:15550001")[0] == 2  # no token
    assert run(capsys, "privacy", "--token", agent, "export", "whatsapp:15550001")[0] == 3
    assert run(capsys, "privacy", "--token", admin, "export", "15550001")[0] == 2  # no channel

    code, out, _ = run(capsys, "privacy", "--token", admin, "export", "whatsapp:15550001")
    assert code == 0
    doc = json.loads(out)
    assert [t["id"] for t in doc["tickets"]] == [tid]
    out_file = tmp_path / "export.json"
    assert run(capsys, "privacy", "--token", admin, "export", "whatsapp:15550001",
               "--out", str(out_file))[0] == 0
    assert json.loads(out_file.read_text())["tickets"][0]["text"] == "where is RL-123456"
    assert out_file.stat().st_mode & 0o777 == 0o600

    code, _, err = run(capsys, "privacy", "--token", admin, "erase", "whatsapp:15550001")
    assert code == 1 and "would erase" in err and "1 tickets" in err
    assert redis_client.exists(f"carebot:ticket:{tid}")
    assert run(capsys, "privacy", "--token", agent, "erase", "whatsapp:15550001", "--yes")[0] == 3
    code, out, _ = run(capsys, "privacy", "--token", admin, "erase", "whatsapp:15550001", "--yes")
    assert code == 0 and json.loads(out)["tickets"] == [tid]
    assert not redis_client.exists(f"carebot:ticket:{tid}")
    erased = [e for _, e in queue.events(count=100) if e["type"] == "follower_erased"]
    assert [e["actor"] for e in erased] == ["ada"]
