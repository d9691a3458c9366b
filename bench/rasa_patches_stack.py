"""Patches bench, the bot in this process (``bench/rasa_patches_bench.py``).

Rasa's ``Agent`` on the trained model with carebot's endpoints: the tracker and lock stores on
Redis (``REDIS_URL``), the real action server (``actions/``) in a child process. It is fed the
load bench's follower mix (``bench/load_followers.py``) one message at a time, as the Rasa server
would handle it (``Agent.handle_message``: lock, tracker load, NLU graph, policy graph, action
call, tracker save), without Sanic and HTTP in front.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.load_followers import conversation

ROOT = Path(__file__).resolve().parent.parent


class BenchSetupError(RuntimeError):
    """The bench cannot run: no model, or the action server did not start."""


def latest_model(models: Path = ROOT / "models") -> Path:
    found = sorted(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise BenchSetupError(f"no trained model in {models}: run `carebot train` first")
    return found[-1]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time process ``pid`` has used so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class ActionServer:
    """The project's action server (``python -m rasa_sdk --actions actions``), a child process."""

    process: subprocess.Popen[bytes]
    url: str

    def cpu_seconds(self) -> float:
        """CPU time the action server has used so far."""
        return process_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_action_server(port: int, log: Path, timeout_s: float = 180.0) -> ActionServer:
    """Start it on ``port`` (environment inherited: ``REDIS_URL``, ``CAREBOT_*``) and wait for
    ``/health``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    server = ActionServer(process, f"http://127.0.0.1:{port}/webhook")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchSetupError(f"the action server exited ({process.returncode}); see {log}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.stop()
    raise BenchSetupError(f"the action server did not answer on :{port} in {timeout_s:.0f} s")


async def load_agent(model: Path, action_url: str, redis_url: str) -> Any:
    """The Agent with ``endpoints.yml``'s stores (on ``redis_url``) and the action server."""
    from rasa.core.agent import load_agent as rasa_load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    endpoints = AvailableEndpoints(
        action=EndpointConfig(action_url),
        tracker_store=EndpointConfig(
            url=redis_url, type="bot.rasa_ext.tracker_store.CarebotTrackerStore"),
        lock_store=EndpointConfig(
            url=redis_url, type="bot.rasa_ext.lock_store.FailSafeRedisLockStore"),
    )
    agent = await rasa_load_agent(model_path=str(model), endpoints=endpoints)
    if not agent.is_ready():
        raise BenchSetupError(f"Rasa could not load {model}")
    return agent


def workload(conversations: int, seed: int) -> list[list[str]]:
    """The load bench's follower mix: ``conversations`` conversations of 1 to 6 messages (FAQ,
    small talk, and messages for a person, after which the conversation is a ticket's)."""
    rng = random.Random(seed)
    return [[text for _kind, text in conversation(rng)] for _ in range(conversations)]


async def play(agent: Any, conversations: list[list[str]], sender_prefix: str) -> int:
    """Every message of every conversation through ``Agent.handle_message``; how many."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    sent = 0
    for i, texts in enumerate(conversations):
        sender = f"{sender_prefix}-c{i}"
        for text in texts:
            await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
            sent += 1
    return sent


def cleanup(redis_url: str, queue_prefix: str, run_prefix: str) -> int:
    """Resolve the tickets of this run's senders and delete their trackers and locks (how many
    keys were deleted); the queue stays usable."""
    import redis

    from bot.queue import AgentQueue, QueueError

    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=10)
    queue = AgentQueue(client, prefix=queue_prefix)
    last = "-"
    while True:
        rows = client.xrange(f"{queue_prefix}:events", min=last, max="+", count=5000)
        rows = rows[1:] if last != "-" else rows
        if not rows:
            break
        for _sid, fields in rows:
            data = json.loads(fields.get("data") or "{}")
            if fields.get("type") == "escalated" and str(data.get("sender", "")).startswith(
                    run_prefix):
                try:
                    queue.resolve(fields.get("ticket", ""), "patches-bench", outcome="resolved",
                                  force=True)
                except QueueError:
                    pass
        last = rows[-1][0]
    deleted = 0
    for pattern in (f"tracker:{run_prefix}*", f"lock:{run_prefix}*",
                    f"{queue_prefix}:paused-msg:{run_prefix}*"):
        keys = list(client.scan_iter(pattern, count=1000))
        for i in range(0, len(keys), 500):
            deleted += int(client.delete(*keys[i:i + 500]))
    return deleted
