"""``python -m bot.rasa_ext.serve run …`` (what ``carebot run`` starts): Rasa with the patches, and
when the server stops, the sessions to the action server are closed; ``run`` always gets the API
token, added in the process (never on its command line), and a token passed there is refused.

A real Rasa server on the trained model in ``models/``, its action endpoint a fake action server
(a child process speaking the action server's JSON), in-memory stores.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.rasa_ext.serve import SecretOnCommandLine, rasa_argv
from tests.fakes.live_app import free_port

ROOT = Path(__file__).resolve().parents[2]
ANSWER = "from the fake action server"
FAKE_ACTION_SERVER = f"""
import sys
from aiohttp import web
async def webhook(request):
    await request.json()
    return web.json_response({{"events": [], "responses": [{{"text": "{ANSWER}"}}]}})
app = web.Application()
app.router.add_post("/webhook", webhook)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer in {seconds:.0f} s")


@pytest.fixture
def action_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "actions.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", FAKE_ACTION_SERVER, str(port)],
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/", process, log, 60)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_action_server_sessions_are_closed_when_the_server_stops(
    tmp_path: Path, action_server: str
) -> None:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    assert models, "no trained model in models/: run `carebot train` first"
    (tmp_path / "endpoints.yml").write_text(f'action_endpoint:\n  url: "{action_server}"\n')
    (tmp_path / "credentials.yml").write_text("rest:\n")
    port = free_port()
    log = tmp_path / "rasa.log"
    with log.open("wb") as out:
        rasa = subprocess.Popen(
            [sys.executable, "-m", "bot.rasa_ext.serve", "run", "--enable-api", "--port",
             str(port), "--model", str(models[-1]), "--credentials",
             str(tmp_path / "credentials.yml"), "--endpoints", str(tmp_path / "endpoints.yml")],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/", rasa, log, 240)
        sender = f"serve-{uuid.uuid4().hex[:8]}"
        for text in ("how long does shipping take", "and can i return it"):
            reply = requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                                  json={"sender": sender, "message": text}, timeout=60)
            assert reply.status_code == 200, reply.text
            assert [m.get("text") for m in reply.json()] == [ANSWER]
        rasa.send_signal(signal.SIGINT)
        rasa.wait(timeout=60)
    finally:
        if rasa.poll() is None:
            rasa.kill()
            rasa.wait()
    output = log.read_text(errors="replace")
    assert "Closed 1 HTTP session(s) to the action server." in output, output[-3000:]
    assert "Unclosed client session" not in output and "Unclosed connector" not in output
    assert rasa.returncode == 0, output[-3000:]


def test_run_gets_the_token_as_auth_token_and_jwt_secret() -> None:
    argv = rasa_argv(["run", "--enable-api", "--port", "5005"], "tok")
    assert argv[:5] == ["rasa", "run", "--enable-api", "--port", "5005"]
    assert argv[argv.index("--auth-token") + 1] == "tok"
    assert argv[argv.index("--jwt-secret") + 1] == "tok"
    assert argv[argv.index("--jwt-method") + 1] == "HS256"


def test_other_commands_are_passed_through() -> None:
    assert rasa_argv(["data", "validate"], "tok") == ["rasa", "data", "validate"]


@pytest.mark.parametrize("arg", ["--auth-token", "--auth-token=x", "-t", "--jwt-secret"])
def test_secrets_on_the_command_line_are_refused(arg: str) -> None:
    with pytest.raises(SecretOnCommandLine):
        rasa_argv(["run", arg, "x"], "tok")


def test_the_server_runs_tensorflow_on_one_thread_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sentence encoder's graph runs on TensorFlow: the server asks Rasa (its own
    TF_*_PARALLELISM_THREADS variables) for one thread; a deployment's own value wins."""
    import os

    from bot.rasa_ext.serve import one_tensorflow_thread

    monkeypatch.delenv("TF_INTRA_OP_PARALLELISM_THREADS", raising=False)
    monkeypatch.setenv("TF_INTER_OP_PARALLELISM_THREADS", "3")
    one_tensorflow_thread()
    assert os.environ["TF_INTRA_OP_PARALLELISM_THREADS"] == "1"
    assert os.environ["TF_INTER_OP_PARALLELISM_THREADS"] == "3"
