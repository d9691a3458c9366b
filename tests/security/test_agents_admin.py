"""Attack test, issue 17 item 6: ``carebot agents`` needs an admin's token once any account
exists.

The first account ever may be created without a token (someone has to be first). After that,
an agent (or anyone with the command line and no token) must not be able to create an admin
just because no admin exists yet.
"""

from __future__ import annotations

from typing import Iterator

import pytest
import redis

from bot.cli.main import main
from bot.settings import reset_settings
from bot.workspace.accounts import Accounts


@pytest.fixture
def cli(
    redis_url: str, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("CAREBOT_AGENT_TOKEN", raising=False)
    reset_settings()
    yield
    reset_settings()


def test_no_admin_is_created_without_a_token_once_accounts_exist(
    cli: None, redis_client: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    people = Accounts(redis_client)
    agent = people.add("ana", "agent")
    assert main(["agents", "add", "mallory", "--role", "admin"]) != 0
    assert main(["agents", "--token", agent, "add", "mallory", "--role", "admin"]) != 0
    assert people.get("mallory") is None
    assert "mallory" not in capsys.readouterr().out
    assert main(["agents", "remove", "ana"]) != 0
    assert people.get("ana") is not None


def test_the_first_account_needs_no_token(cli: None, redis_client: redis.Redis,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agents", "add", "ada", "--role", "admin"]) == 0
    admin = capsys.readouterr().out.strip()
    assert main(["agents", "add", "bob", "--role", "agent"]) != 0
    assert main(["agents", "--token", admin, "add", "bob", "--role", "agent"]) == 0
