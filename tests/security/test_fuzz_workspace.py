"""Schema-driven fuzzing of the workspace API from its own OpenAPI document (Schemathesis).

A live workspace is started in the test (on a copy of ``config/`` and ``data/``, no model, the
bot's HTTP API unreachable), an admin account is created with ``carebot agents add``, and every
documented operation gets requests generated from its parameters and body schemas, with the
admin's bearer token: never a 500 (a 5xx only where documented: 502 when the bot cannot be
reached, 503 without a model), never a stack trace in a body. Left out: ``POST
/api/review/train`` (runs a real training, minutes of CPU) and ``GET /api/events`` (an endless
event stream; ``tests/workspace/test_workspace_events.py``).

Schemathesis 3.14 (the newest that installs beside Rasa 3.6's jsonschema<4.18 and pytest 8)
reads ``werkzeug.__version__``, which Werkzeug 3 no longer has: set here before the import; its
pytest plugin is off (``-p no:schemathesis`` in pyproject) for the same reason.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
import werkzeug
from hypothesis import given, settings

from bot.audit.store import Answer, AuditStore
from bot.cli.main import main
from bot.queue import AgentQueue
from bot.settings import Settings, reset_settings
from bot.workspace.openapi import document
from tests.conftest import make_escalation
from tests.security.fuzzing import FUZZ, check_response
from tests.security.workspace_app import InProcessWorkspace

if not hasattr(werkzeug, "__version__"):
    werkzeug.__version__ = importlib.metadata.version("werkzeug")  # type: ignore[attr-defined]

import schemathesis  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FUZZ_API = settings(FUZZ, max_examples=30)
"""30 requests per operation: ~30 operations, a few seconds each."""
SKIPPED = {("/api/review/train", "post"), ("/api/events", "get")}
OPERATIONS = sorted((path, method) for path, ops in document()["paths"].items()
                    for method in ops if (path, method) not in SKIPPED)


class Live:
    def __init__(self, app: InProcessWorkspace, token: str, schema: Any) -> None:
        self.app = app
        self.headers = {"Authorization": f"Bearer {token}"}
        self.schema = schema


@pytest.fixture(scope="module")
def live(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    home = tmp_path_factory.mktemp("home")
    shutil.copytree(ROOT / "config", home / "config")
    shutil.copytree(ROOT / "data", home / "data")
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    queue = AgentQueue(client)
    for sender in ("15550001", "15550002", "15550003"):
        queue.escalate(make_escalation(sender, text=f"order #12345{sender[-1]} is late"))
    queue.claim("T-000002", "fuzz")
    audit = AuditStore(client)  # answers on the audit queue: /api/audit… reach a real item
    for i in range(3):
        audit.record(Answer(text=f"how long does shipping take {i}", conversation="rest:f",
                            channel="rest", faq="shipping_time",
                            response="utter_faq/shipping_time"), sampled=True, low=i == 2)
    env = {"REDIS_URL": redis_url, "CAREBOT_HOME": str(home),
           "CAREBOT_VAR_DIR": str(home / "var"), "CAREBOT_RASA_URL": "http://127.0.0.1:9",
           "CAREBOT_MODEL_SERVER_URL": "none"}
    patch = pytest.MonkeyPatch()
    for name, value in env.items():
        patch.setenv(name, value)
    patch.delenv("CAREBOT_AGENT_TOKEN", raising=False)
    reset_settings()
    token = _agents_add("fuzz")
    app = InProcessWorkspace(Settings.from_env(env)).start()
    schema = schemathesis.from_dict(document(), base_url=app.url)
    try:
        yield Live(app, token, schema)
    finally:
        app.stop()
        patch.undo()
        reset_settings()
        client.flushdb()
        client.close()


def _agents_add(name: str) -> str:
    """``carebot agents add NAME --role admin``; the token it prints."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["agents", "add", name, "--role", "admin"]) == 0
    token = out.getvalue().strip()
    assert token.startswith("cbt_")
    return token


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_survives_generated_requests(live: Live, path: str,
                                                     method: str) -> None:
    operation = live.schema[path][method.upper()]
    responses = document()["paths"][path][method]["responses"]
    documented_5xx = frozenset(int(c) for c in responses if c.startswith("5") and c != "500")

    seen: list[int] = []

    @FUZZ_API
    @given(case=operation.as_strategy())
    def call(case: Any) -> None:
        res = case.call(headers=live.headers, timeout=30)
        seen.append(res.status_code)
        check_response(res, f"{method.upper()} {path}", documented_5xx)
        assert str(res.status_code) in responses or res.status_code in (400, 404, 405, 413), (
            path, method, res.status_code, res.text[:300])

    call()
    if document()["paths"][path][method].get("x-permission") == "internal":  # not an agent token
        assert set(seen) == {401}, (path, method, seen)
        return
    # the requests reached the handler: the admin's token was good (not all 401/403)
    assert [s for s in seen if s not in (401, 403)], (path, method, seen)


def test_every_documented_operation_is_fuzzed() -> None:
    documented = {(p, m) for p, ops in document()["paths"].items() for m in ops}
    assert set(OPERATIONS) | SKIPPED == documented
    assert len(OPERATIONS) >= 25
