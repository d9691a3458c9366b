"""bot/workspace/events.py: live queue changes as server-sent events, from the Redis stream."""

from __future__ import annotations

import json
import queue as stdqueue
import socket
import threading
import time
from typing import Any, Callable

import redis
import requests

from bot.queue import AgentQueue
from bot.workspace.events import Event, parse_id
from tests.conftest import make_escalation
from tests.workspace.test_workspace_support import People, escalate, open_ticket


class EventReader:
    """Reads an SSE stream on a thread; ``wait(pred)`` returns the first matching event."""

    def __init__(self, url: str, token: str, last_id: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        if last_id:
            headers["Last-Event-ID"] = last_id
        self.response = requests.get(
            url + "/api/events", headers=headers, stream=True, timeout=(5, 60)
        )
        assert self.response.status_code == 200
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.events: stdqueue.Queue[dict[str, Any]] = stdqueue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        current: dict[str, str] = {}
        try:
            for raw in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                if raw == "":
                    if "data" in current:
                        self.events.put(
                            {
                                **json.loads(current["data"]),
                                "sse_id": current.get("id"),
                                "sse_event": current.get("event"),
                            }
                        )
                    current = {}
                elif not raw.startswith(":"):
                    key, _, value = raw.partition(": ")
                    current[key] = value
        except (requests.RequestException, AttributeError, ValueError):
            pass

    def wait(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except stdqueue.Empty:
                break
            if pred(event):
                return event
        raise AssertionError("no matching event")

    def close(self) -> None:
        """Hang up now (closing alone would wait for the reader's next keep-alive line)."""
        connection = getattr(self.response.raw, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.response.close()


def test_escalations_follow_ups_and_claims_arrive_live(
    people: People, redis_client: redis.Redis
) -> None:
    reader = EventReader(people.stack.url, people.tokens["tim"])
    try:
        time.sleep(0.3)
        who = escalate(people.stack)
        tid = open_ticket(redis_client, who)
        event = reader.wait(lambda e: e["type"] == "escalated")
        assert event["ticket"] == tid and event["sse_event"] == "queue"
        assert event["sse_id"] == event["id"] and event["data"]["sender"] == who
        people.stack.texts(who, "hello? still there?")
        assert reader.wait(lambda e: e["type"] == "follower_message")["ticket"] == tid
        people.api("ana").post(f"/api/tickets/{tid}/claim")
        claimed = reader.wait(lambda e: e["type"] == "claimed")
        assert claimed["actor"] == "ana" and claimed["ticket"] == tid
    finally:
        reader.close()


def test_reconnecting_with_last_event_id_replays_what_was_missed(
    people: People, redis_client: redis.Redis
) -> None:
    queue = AgentQueue(redis_client)
    reader = EventReader(people.stack.url, people.tokens["ana"])
    try:
        time.sleep(0.3)
        first = queue.escalate(make_escalation("u1")).ticket_id
        seen = reader.wait(lambda e: e["ticket"] == first)
    finally:
        reader.close()
    missed = [queue.escalate(make_escalation(f"u{i}")).ticket_id for i in (2, 3)]
    queue.claim(missed[0], "bob")
    again = EventReader(people.stack.url, people.tokens["ana"], last_id=seen["id"])
    try:
        got = [again.wait(lambda e: True) for _ in range(3)]
        assert [(e["type"], e["ticket"]) for e in got] == [
            ("escalated", missed[0]),
            ("escalated", missed[1]),
            ("claimed", missed[0]),
        ]
        assert parse_id(got[0]["id"]) > parse_id(seen["id"])
    finally:
        again.close()


def test_events_need_a_token(people: People) -> None:
    res = requests.get(people.stack.url + "/api/events", timeout=5)
    assert res.status_code == 401


def test_event_formatting() -> None:
    event = Event.from_entry(
        "17-2", {"type": "note", "ticket": "T-000001", "actor": "ana", "ts": "12.5", "data": "[]"}
    )
    assert event.data == {} and event.ts == 12.5
    text = event.sse()
    assert text.startswith("id: 17-2\nevent: queue\ndata: {") and text.endswith("\n\n")
    assert json.loads(text.split("data: ", 1)[1])["actor"] == "ana"
    assert "\n" not in text.split("data: ", 1)[1].strip()  # one data line, even with newlines
    assert parse_id("17-2") < parse_id("17-10") < parse_id("18-0")
