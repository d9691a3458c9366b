"""Shared fixtures of the workspace tests: the running bot plus the workspace, API clients.

``workspace_stack`` starts ``carebot workspace`` (the real CLI, as ``carebot run`` does) on a
test port, next to the session's running bot (the ``stack`` fixture of ``tests/stack.py``:
action server + Rasa on test ports, test Redis db). ``tests/conftest.py`` loads this module as a
plugin, so the fixtures (``*_fixture`` functions registered under their short names) are there
for every test module; test modules import only the helpers. The workspace process itself is a
session-wide singleton.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
import requests

from bot.queue import AgentQueue
from bot.settings import Settings
from bot.workspace.accounts import Accounts
from tests.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE_PORT = int(os.environ.get("CAREBOT_TEST_WORKSPACE_PORT", "18100"))


class WorkspaceStack(Stack):
    """The running product: say things as a follower, read the REST inbox, call the API."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.url = f"http://127.0.0.1:{settings.workspace_port}"

    def wait_inbox(self, sender: str, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        got: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            got += self.inbox(sender)
            if got:
                return got
            time.sleep(0.2)
        return got

    def wait_reply(self, sender: str, timeout: float = 15.0, settle: float = 0.6) -> str:
        """The text a follower got over REST, whole. Rasa's REST channel delivers each paragraph
        (``\\n\\n``) as its own message, so after the first part arrives this keeps reading until
        nothing new comes for ``settle`` seconds, then joins the parts as they were written."""
        got = self.wait_inbox(sender, timeout)
        quiet_since = time.monotonic()
        while got and time.monotonic() - quiet_since < settle:
            more = self.inbox(sender)
            if more:
                got += more
                quiet_since = time.monotonic()
            time.sleep(0.1)
        return "\n\n".join(str(m["text"]) for m in got)

    def client(self, token: str | None) -> Api:
        return Api(self.url, token)


@dataclass
class Api:
    """A tiny API client: ``api.get("/api/me")``, ``api.post(path, json=...)``."""

    url: str
    token: str | None

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, **kw: Any) -> requests.Response:
        return requests.get(
            self.url + path, headers=self._headers(kw.pop("headers", None)), timeout=30, **kw
        )

    def post(self, path: str, **kw: Any) -> requests.Response:
        return requests.post(
            self.url + path, headers=self._headers(kw.pop("headers", None)), timeout=30, **kw
        )

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(
            method,
            self.url + path,
            headers=self._headers(kw.pop("headers", None)),
            timeout=30,
            **kw,
        )


_RUNNING: dict[str, Any] = {}


def _start(settings: Settings, log_path: Path) -> WorkspaceStack:
    env = {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}
    env.pop("CAREBOT_AGENT_TOKEN", None)
    carebot = Path(sys.executable).parent / "carebot"
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [str(carebot), "workspace", "--port", str(settings.workspace_port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _RUNNING["process"] = process
    stack = WorkspaceStack(settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(stack.url + "/healthz", timeout=1).status_code == 200:
                return stack
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"carebot workspace did not start; see {log_path}")


def _stop() -> None:
    process = _RUNNING.pop("process", None)
    _RUNNING.pop("stack", None)
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session", name="workspace_stack")
def workspace_stack_fixture(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[WorkspaceStack]:
    """The session's bot plus a running ``carebot workspace`` (one per test session)."""
    if "stack" not in _RUNNING:
        settings = dataclasses.replace(stack.settings, workspace_port=WORKSPACE_PORT)
        log_path = tmp_path_factory.mktemp("workspace") / "workspace.log"
        request.config.add_cleanup(_stop)
        _RUNNING["stack"] = _start(settings, log_path)
    yield _RUNNING["stack"]


@pytest.fixture(name="accounts")
def accounts_fixture(redis_client: redis.Redis) -> Accounts:
    """Accounts on the (flushed) test db, as the running workspace sees them."""
    return Accounts(redis_client)


@dataclass
class People:
    """One account per role, with tokens and API clients."""

    stack: WorkspaceStack
    tokens: dict[str, str]

    def api(self, name: str) -> Api:
        return self.stack.client(self.tokens[name])


@pytest.fixture(name="people")
def people_fixture(workspace_stack: WorkspaceStack, accounts: Accounts) -> People:
    """ana and bob (agents), sue (supervisor), tim (trainer), ada (admin)."""
    roles = {"ana": "agent", "bob": "agent", "sue": "supervisor", "tim": "trainer", "ada": "admin"}
    return People(workspace_stack, {name: accounts.add(name, role) for name, role in roles.items()})


HANDOFF_WORDS = ("teammate", "care team")


def escalate(stack: WorkspaceStack, text: str = "get me a real person please") -> str:
    """A fresh REST follower who gets escalated; their sender id."""
    who = stack.sender()
    texts = stack.texts(who, text)
    assert len(texts) == 1 and any(w in texts[0] for w in HANDOFF_WORDS), texts
    return who


def open_ticket(client: redis.Redis, who: str, channel: str = "rest") -> str:
    """Id of the follower's open ticket (fails the test when there is none)."""
    tid = AgentQueue(client).open_ticket_id(channel, who)
    assert tid, f"no open ticket for {channel}:{who}"
    return tid
