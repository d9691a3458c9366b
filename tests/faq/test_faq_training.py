"""bot/training.py additions: code hashed where the package lives, the progress display, and
``roll_out`` (every instance on the new model) against stand-in Rasa servers."""

from __future__ import annotations

import http.server
import io
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from bot.model import training
from bot.model.rollout import roll_out
from bot.model.training import ReloadFailed, inputs
from bot.rasa_ext.client import RasaClient
from bot.settings import Settings
from tests.fakes.project import ROOT, copy_project


def test_a_home_with_only_config_and_data_hashes_like_the_project(tmp_path: Path) -> None:
    home = copy_project(tmp_path / "project")
    assert inputs(home) == inputs(ROOT)
    (home / "data/nlu/faq_orders.yml").write_text(
        (home / "data/nlu/faq_orders.yml").read_text() + "    - one more\n"
    )
    changed = inputs(home)
    assert changed.everything != inputs(ROOT).everything
    assert changed.rasa_invisible == inputs(ROOT).rasa_invisible  # Rasa sees NLU changes


def test_rasa_train_skips_its_own_validation_by_default(tmp_path: Path) -> None:
    command = training.rasa_command(tmp_path, tmp_path / "models", False, validate=False)
    assert "--skip-validation" in command and "--force" not in command
    assert "--skip-validation" not in training.rasa_command(tmp_path, tmp_path, True)


def test_progress_follows_rasa_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [
        "2026-01-01 INFO rasa.engine.training.hooks  - Restored component 'RulePolicy' "
        "from cache.",
        "2026-01-01 INFO rasa.engine.training.hooks  - Starting to train component "
        "'LinearIntentClassifier'.",
        "2026-01-01 INFO rasa.engine.training.hooks  - Finished training component "
        "'LinearIntentClassifier'.",
        "Your Rasa model is trained and saved at 'models/x.tar.gz'.",
    ]
    script = "import time\n" + "".join(
        f"print({line!r}, flush=True); time.sleep(0.05)\n" for line in lines
    )
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    code, durations, trained = training._run_with_progress(
        [sys.executable, "-c", script], tmp_path, tmp_path / "log.txt", {}
    )
    assert code == 0 and trained == ["LinearIntentClassifier"]
    assert "LinearIntentClassifier" in durations and durations["start"] >= 0
    shown = out.getvalue()
    assert "training LinearIntentClassifier" in shown and "%]" in shown
    assert (tmp_path / "log.txt").read_text().count("\n") == len(lines)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_one_bar_that_ends_at_100(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = (
        "import time\n"
        "print(\"Starting to train component 'ToneScorer'.\", flush=True); time.sleep(0.6)\n"
        "print(\"Your Rasa model is trained and saved at 'x'.\", flush=True)\n"
    )
    out = _Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    code, _, trained = training._run_with_progress(
        [sys.executable, "-c", script], tmp_path, tmp_path / "log.txt", {"ToneScorer": 1.0}
    )
    assert code == 0 and trained == ["ToneScorer"]
    frames = [f.strip() for f in out.getvalue().split("\r") if f.strip()]
    assert any("training ToneScorer" in f for f in frames)  # redrawn while the step ran
    assert frames[-1].startswith("[" + "#" * 30 + "] 100%") and frames[-1].endswith("done")
    assert out.getvalue().endswith("\n") and out.getvalue().count("\n") == 1  # one line


def test_a_failed_training_does_not_show_100(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    code, _, _ = training._run_with_progress(
        [sys.executable, "-c", "raise SystemExit(3)"], tmp_path, tmp_path / "log.txt", {}
    )
    last = [f.strip() for f in out.getvalue().split("\r") if f.strip()][-1]
    assert code == 3 and "100%" not in last and last.endswith("FAILED")


def _authorised(header: str, secret: str) -> bool:
    """Rasa's JWT check (``--jwt-secret``): a Bearer JWT signed with the token, admin role."""
    scheme, _, token = header.partition(" ")
    try:
        payload = jwt.decode(token, secret, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return False
    return scheme == "Bearer" and payload["user"]["role"] == "admin"


class _Rasa(http.server.BaseHTTPRequestHandler):
    """A Rasa instance's ``PUT /model`` and ``GET /status``. ``readable``: whether the model
    file is on its disk (else PUT fails and the instance pulls it from the model server after
    ``pull_after`` seconds)."""

    loaded = "models/old.tar.gz"
    readable = True
    pull_after = 0.0
    wanted = ""
    asked_at = 0.0
    token = ""

    def log_message(self, *args: Any) -> None:
        return

    def _send(self, code: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self) -> None:  # noqa: N802
        cls = type(self)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert "token" not in self.path  # never in the URL (logs, error messages)
        if cls.token and not _authorised(self.headers.get("Authorization", ""), cls.token):
            self._send(401, {"message": "unauthorized"})
            return
        if not cls.readable:
            cls.wanted, cls.asked_at = body["model_file"], time.monotonic()
            self._send(400, {"message": "Agent could not be loaded"})
            return
        cls.loaded = body["model_file"]
        self._send(204)

    def do_GET(self) -> None:  # noqa: N802
        cls = type(self)
        if cls.wanted and time.monotonic() - cls.asked_at >= cls.pull_after:
            cls.loaded = cls.wanted  # the periodic pull from the model server
        self._send(200, {"model_file": cls.loaded, "model_id": "x"})


def _instance(**attrs: Any) -> tuple[http.server.ThreadingHTTPServer, type[_Rasa]]:
    handler = type("Instance", (_Rasa,), attrs)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


def _settings(*urls: str) -> Settings:
    return Settings.from_env({"CAREBOT_RASA_INSTANCE_URLS": ",".join(urls)})


def test_roll_out_reaches_every_instance(tmp_path: Path) -> None:
    """One instance loads the file at once (same disk); the other cannot read it and is
    waited for until it has pulled the model from the model server."""
    near, near_state = _instance()
    far, far_state = _instance(readable=False, pull_after=1.5)
    urls = [f"http://127.0.0.1:{s.server_address[1]}" for s in (near, far)]
    model = tmp_path / "20260101-new.tar.gz"
    model.write_bytes(b"x")
    try:
        took = roll_out(model, _settings(*urls), timeout=20)
    finally:
        near.shutdown()
        far.shutdown()
    assert set(took) == set(urls)
    assert near_state.loaded == str(model.resolve())
    assert Path(far_state.loaded).name == model.name and took[urls[1]] >= 1.5


def test_roll_out_names_the_instances_that_did_not_load_it(tmp_path: Path) -> None:
    stuck, _ = _instance(readable=False, pull_after=3600)
    urls = [f"http://127.0.0.1:{stuck.server_address[1]}", "http://127.0.0.1:9"]
    model = tmp_path / "m.tar.gz"
    model.write_bytes(b"x")
    try:
        with pytest.raises(ReloadFailed, match=r"2 of 2 bot instances did not load m.tar.gz"):
            roll_out(model, _settings(*urls), timeout=2)
    finally:
        stuck.shutdown()


def test_roll_out_sends_the_api_token(tmp_path: Path) -> None:
    server, state = _instance(token="s3cret")
    url = f"http://127.0.0.1:{server.server_address[1]}"
    model = tmp_path / "20260102-tok.tar.gz"
    model.write_bytes(b"x")
    try:
        with pytest.raises(ReloadFailed):
            roll_out(model, _settings(url), timeout=1,
                     clients=lambda u: RasaClient(u, token="wrong"))
        roll_out(model, _settings(url), timeout=5, clients=lambda u: RasaClient(u, token="s3cret"))
    finally:
        server.shutdown()
    assert state.loaded == str(model.resolve())
