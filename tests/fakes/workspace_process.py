"""A real workspace process on a free loopback port, for tests that need the HTTP API alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.fakes.live_app import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


@contextmanager
def workspace_process(
    command: list[str], env: dict[str, str], log_path: Path, timeout: float = 60.0
) -> Iterator[str]:
    """Run ``command + [port]`` (it must serve the workspace on that port); yield its URL.

    Waits for ``/healthz``; a process that dies first fails with the end of its log.
    """
    port = free_port()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [*command, str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                assert process.poll() is None, log_path.read_text()[-2000:]
                assert time.monotonic() < deadline, "the workspace did not start"
                try:
                    if requests.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def api_workspace(redis_url: str, tmp: Path, **settings: str) -> Iterator[str]:
    """``python -m bot.workspace`` on ``redis_url`` (queue prefix ``carebot``, state under
    ``tmp/var``, no Rasa behind it), with extra ``settings`` (environment variables); yields its
    URL."""
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "CAREBOT_EMBEDDED_REDIS": "never",
        "CAREBOT_VAR_DIR": str(tmp / "var"),
        "CAREBOT_QUEUE_PREFIX": "carebot",
        "CAREBOT_RASA_URL": "http://127.0.0.1:9",
        **settings,
    }
    with workspace_process([sys.executable, "-m", "bot.workspace", "--port"], env,
                           tmp / "workspace.log") as url:
        yield url
