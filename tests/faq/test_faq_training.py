"""bot/training.py additions: code hashed where the package lives, the progress display, and
``reload_model`` (Rasa's ``PUT /model``) against a stand-in server."""

from __future__ import annotations

import http.server
import io
import json
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.model import training
from bot.model.training import ReloadFailed, inputs, reload_model
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


class _Rasa(http.server.BaseHTTPRequestHandler):
    loaded = "models/old.tar.gz"
    answer = 204
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
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if _Rasa.token and f"token={_Rasa.token}" not in self.path:
            self._send(401, {"message": "unauthorized"})
            return
        if self.__class__.answer == 204:
            _Rasa.loaded = body["model_file"]
        self._send(
            self.__class__.answer,
            None if self.__class__.answer == 204 else {"message": "Agent could not be loaded"},
        )

    def do_GET(self) -> None:  # noqa: N802
        self._send(200, {"model_file": _Rasa.loaded, "model_id": "x"})


@pytest.fixture
def rasa() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Rasa)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Rasa.answer, _Rasa.token = 204, ""
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_reload_puts_the_model_and_checks_status(rasa: str, tmp_path: Path) -> None:
    model = tmp_path / "20260101-new.tar.gz"
    model.write_bytes(b"x")
    assert reload_model(model, rasa) >= 0
    assert _Rasa.loaded == str(model.resolve())
    _Rasa.token = "s3cret"
    with pytest.raises(ReloadFailed, match="refused the model .401."):
        reload_model(model, rasa)
    assert reload_model(model, rasa, token="s3cret") >= 0
    _Rasa.token, _Rasa.answer = "", 400
    with pytest.raises(ReloadFailed, match="refused the model .400."):
        reload_model(model, rasa)


def test_reload_without_a_running_bot(tmp_path: Path) -> None:
    with pytest.raises(ReloadFailed, match="no bot answers at http://127.0.0.1:9"):
        reload_model(tmp_path / "m.tar.gz", "http://127.0.0.1:9")
