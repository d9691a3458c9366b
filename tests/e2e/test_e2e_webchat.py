"""The web chat: the page is served, and the socket.io channel answers and hands over."""

from __future__ import annotations

import threading
from typing import Any

import redis
import requests
import socketio

from bot.queue import AgentQueue
from tests.stack import Stack


def _chat(port: int, messages: list[str], wait: float = 15.0) -> tuple[str, list[str]]:
    """A follower's browser, speaking socket.io (long-polling transport) to Rasa: the session
    the server issued, and the replies."""
    client = socketio.Client()
    received: list[str] = []
    confirmed = threading.Event()
    got = threading.Event()
    session: dict[str, str] = {}

    @client.on("session_confirm")
    def on_confirm(data: Any) -> None:
        session.update(data)
        confirmed.set()

    @client.on("bot_uttered")
    def on_bot(data: dict[str, Any]) -> None:
        received.append(str(data.get("text", "")))
        got.set()

    client.connect(f"http://localhost:{port}", socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {})
        assert confirmed.wait(wait), "no session_confirm"
        assert session["session_id"].startswith("socketio:") and session["token"]
        for message in messages:
            got.clear()
            client.emit("user_uttered", {"message": message})
            assert got.wait(wait), f"no reply to {message!r}"
    finally:
        client.disconnect()
    return session["session_id"], received


def test_page_is_served_with_the_rasa_port(stack: Stack) -> None:
    page = requests.get(f"http://localhost:{stack.settings.webchat_port}/", timeout=10)
    assert page.status_code == 200
    assert f":{stack.settings.rasa_port}" in page.text and "socket.io.min.js" in page.text
    js = requests.get(
        f"http://localhost:{stack.settings.webchat_port}/socket.io.min.js", timeout=10
    )
    assert js.status_code == 200 and "Socket.IO" in js.text[:200]


def test_socketio_answers_and_hands_over(stack: Stack, redis_client: redis.Redis) -> None:
    session, replies = _chat(
        stack.settings.rasa_port,
        ["what are your opening hours on sunday", "can i talk to someone from your team please"],
    )
    assert "11am" in replies[0]
    assert "teammate" in replies[1]
    platform_id = session.removeprefix("socketio:")
    ticket_id = AgentQueue(redis_client).open_ticket_id("socketio", platform_id)
    assert ticket_id is not None
    assert AgentQueue(redis_client).get(ticket_id).reasons == ["asked_for_human"]
