"""``carebot agents`` and ``carebot workspace``, and ``carebot queue`` authenticated by token."""

from __future__ import annotations

import pytest
import redis

from bot.cli.main import main
from bot.queue import AgentQueue
from bot.settings import reset_settings
from bot.workspace.accounts import Accounts, digest
from tests.conftest import make_escalation
from tests.workspace.test_workspace_support import WorkspaceStack, escalate, open_ticket


@pytest.fixture
def cli(redis_url: str, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("CAREBOT_AGENT_TOKEN", raising=False)
    reset_settings()
    yield main
    reset_settings()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_agents_add_prints_a_token_stored_hashed(
    cli: object, capsys: pytest.CaptureFixture[str], redis_client: redis.Redis
) -> None:
    code, out, err = run(capsys, "agents", "add", "ana", "--role", "admin")
    token = out.strip()
    assert code == 0 and token.startswith("cbt_") and "\n" not in token
    assert "shown once" in err and "/login" in err
    assert redis_client.hget("carebot:account:ana", "token_sha256") == digest(token)
    assert run(capsys, "agents", "--token", token, "add", "ana", "--role", "agent")[0] == 1
    code, out, _ = run(capsys, "agents", "--token", token, "list")
    assert code == 0 and "ana" in out and "admin" in out
    with pytest.raises(SystemExit):
        main(["agents", "add", "bob", "--role", "root"])


def test_managing_accounts_needs_an_admin_once_there_is_one(
    cli: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = run(capsys, "agents", "add", "ada", "--role", "admin")[1].strip()
    agent = run(capsys, "agents", "--token", admin, "add", "ana", "--role", "agent")[1].strip()
    assert agent.startswith("cbt_")
    code, _, err = run(capsys, "agents", "add", "bob", "--role", "agent")
    assert code == 2 and "admin" in err
    assert run(capsys, "agents", "--token", agent, "add", "bob", "--role", "agent")[0] == 3
    monkeypatch.setenv("CAREBOT_AGENT_TOKEN", admin)
    reset_settings()
    new = run(capsys, "agents", "rotate", "ana")[1].strip()
    assert new.startswith("cbt_") and new != agent
    assert run(capsys, "agents", "role", "ana", "supervisor")[0] == 0
    assert run(capsys, "agents", "remove", "ana")[0] == 0
    assert "ana" not in run(capsys, "agents", "list")[1]


def test_queue_commands_act_as_the_tokens_account(
    cli: object,
    capsys: pytest.CaptureFixture[str],
    redis_client: redis.Redis,
    workspace_stack: WorkspaceStack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAREBOT_RASA_URL", workspace_stack.rasa_url)
    monkeypatch.setenv("CAREBOT_VAR_DIR", str(workspace_stack.settings.var_dir))  # its token
    reset_settings()
    accounts = Accounts(redis_client)
    ana, tim = accounts.add("ana", "agent"), accounts.add("tim", "trainer")
    who = escalate(workspace_stack)
    tid = open_ticket(redis_client, who)

    code, _, err = run(capsys, "queue", "list")
    assert code == 2 and "CAREBOT_AGENT_TOKEN" in err
    assert run(capsys, "queue", "--token", "cbt_wrong", "list")[0] == 2
    assert run(capsys, "queue", "--token", tim, "claim")[0] == 3
    code, out, _ = run(capsys, "queue", "--token", tim, "list")
    assert code == 0 and tid in out
    assert run(capsys, "queue", "--token", ana, "--agent", "bob", "claim")[0] == 2

    monkeypatch.setenv("CAREBOT_AGENT_TOKEN", ana)
    reset_settings()
    code, out, _ = run(capsys, "queue", "claim")
    assert code == 0 and tid in out
    assert AgentQueue(redis_client).get(tid).claimed_by == "ana"
    code, out, _ = run(capsys, "queue", "show", tid)
    assert code == 0 and "draft:" in out
    code, out, _ = run(capsys, "queue", "reply", tid, "Hi, Ana here from the terminal!")
    assert code == 0
    assert [m["text"] for m in workspace_stack.wait_inbox(who)] == [
        "Hi, Ana here from the terminal!"
    ]
    assert run(capsys, "queue", "resolve", tid)[0] == 0
    assert "business days" in workspace_stack.texts(who, "how long is delivery usually")[0]


def test_queue_without_accounts_is_development_mode(
    cli: object, capsys: pytest.CaptureFixture[str], redis_client: redis.Redis
) -> None:
    tid = AgentQueue(redis_client).escalate(make_escalation()).ticket_id
    code, out, err = run(capsys, "queue", "--agent", "dev", "claim")
    assert code == 0 and tid in out and "no agent accounts yet" in err
    assert AgentQueue(redis_client).get(tid).claimed_by == "dev"


def test_workspace_command_is_what_carebot_run_starts() -> None:
    from bot.cli.main import build_parser

    args = build_parser().parse_args(["workspace", "--port", "8123"])
    assert args.port == 8123 and args.func.__name__ == "cmd_workspace"
