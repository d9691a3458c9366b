"""Attack tests (issue 17, item 2): nobody can write as, or read the replies of, another follower
through the REST channel or the socket.io web chat.

The channels are served live (Rasa's own channel registration on a Sanic app, real HTTP and
socket.io, the test Redis db); a fake agent stands in for Rasa and echoes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
import redis
import requests
import socketio

from bot.channels.web import InboxOutput, RestInput, SocketIOInput
from tests.fakes.live_app import LiveApp
from tests.security.conftest import snapshot

TOKEN = "X-Carebot-Token"


@pytest.fixture
def rest(web_env: None, serve: Callable[..., LiveApp]) -> LiveApp:
    return serve([RestInput()])


def first_contact(app: LiveApp, text: str = "hi") -> tuple[str, str]:
    """A new REST follower: the server issues the sender id and its token."""
    r = requests.post(app.url("rest"), json={"message": text}, timeout=10)
    assert r.status_code == 200, r.text
    sender, token = r.headers.get("X-Carebot-Sender"), r.headers.get(TOKEN)
    assert sender and token, f"no sender/token issued: {dict(r.headers)}"
    return sender, token


def deliver_agent_reply(app: LiveApp, conversation: str, text: str) -> None:
    """What Rasa does with an agent's reply sent with ``output_channel=rest``."""
    app._run(InboxOutput().send_response(conversation, {"text": text}))


def test_issued_sender_is_namespaced_and_its_token_works(rest: LiveApp) -> None:
    sender, token = first_contact(rest)
    assert sender.startswith("rest:") and len(sender) > len("rest:") + 16
    r = requests.post(
        rest.url("rest"),
        json={"sender": sender, "message": "again"},
        headers={TOKEN: token},
        timeout=10,
    )
    assert r.status_code == 200 and r.json()[0]["text"] == "you said: again"
    assert [m.sender_id for m in rest.agent.messages] == [sender, sender]
    assert {m.input_channel for m in rest.agent.messages} == {"rest"}


def test_second_client_posting_as_an_existing_sender_without_its_token_is_refused(
    rest: LiveApp, redis_url: str
) -> None:
    """(a) 403, the message never reaches the bot, and nothing is written to Redis."""
    victim, token = first_contact(rest)
    before, handled = snapshot(redis_url), len(rest.agent.messages)
    for headers in ({}, {TOKEN: "guessed"}, {TOKEN: token[:-1]}, {TOKEN: "é" * 43}):
        r = requests.post(
            rest.url("rest"),
            json={"sender": victim, "message": "send my refund to IBAN X"},
            headers={k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()},
            timeout=10,
        )
        assert r.status_code == 403, (headers, r.status_code, r.text)
        assert "error" in r.json()
    # a sender the server never issued (a bare id, another channel's id) is refused too
    for sender in (victim.removeprefix("rest:"), "whatsapp:15550001", "ana"):
        r = requests.post(rest.url("rest"), json={"sender": sender, "message": "hi"}, timeout=10)
        assert r.status_code == 403, (sender, r.text)
    assert len(rest.agent.messages) == handled
    assert snapshot(redis_url) == before


def test_reading_another_senders_inbox_is_refused_and_does_not_drain_it(rest: LiveApp) -> None:
    """(b) 403 without the token; the follower still gets the agent's reply."""
    victim, token = first_contact(rest)
    deliver_agent_reply(rest, victim, "Hi, Alice here: your refund is on its way")
    inbox = rest.url("rest", f"inbox/{victim}")
    for headers in ({}, {TOKEN: "guessed"}, {TOKEN: "é"}):
        r = requests.get(
            inbox,
            headers={k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()},
            timeout=10,
        )
        assert r.status_code == 403, (headers, r.status_code, r.text)
    other, other_token = first_contact(rest)  # a real follower's token opens only their inbox
    assert requests.get(inbox, headers={TOKEN: other_token}, timeout=10).status_code == 403
    r = requests.get(inbox, headers={TOKEN: token}, timeout=10)
    assert r.status_code == 200
    assert [m["text"] for m in r.json()] == ["Hi, Alice here: your refund is on its way"]
    assert requests.get(inbox, headers={TOKEN: token}, timeout=10).json() == []


def test_client_supplied_input_channel_is_ignored(rest: LiveApp) -> None:
    """(c, channel side) ``input_channel: whatsapp`` does not make a REST message WhatsApp's."""
    r = requests.post(
        rest.url("rest"),
        json={"input_channel": "whatsapp", "sender": "15550001", "message": "it's me"},
        timeout=10,
    )
    assert r.status_code == 403
    r = requests.post(
        rest.url("rest"), json={"input_channel": "whatsapp", "message": "it's me"}, timeout=10
    )
    assert r.status_code == 200
    [message] = rest.agent.messages
    assert message.input_channel == "rest"
    assert message.sender_id.startswith("rest:")


# --- socket.io ----------------------------------------------------------------------------------


class Chat:
    """A follower's browser tab speaking socket.io (long polling) to the live app."""

    def __init__(self, app: LiveApp) -> None:
        self.client = socketio.Client()
        self.received: list[str] = []
        self.session: Any = None
        self._confirmed = threading.Event()
        self._got = threading.Event()
        self.client.on("session_confirm", self._on_confirm)
        self.client.on("bot_uttered", self._on_bot)
        self.client.connect(app.base_url, socketio_path="/socket.io", transports=["polling"])

    def _on_confirm(self, data: Any) -> None:
        self.session = data
        self._confirmed.set()

    def _on_bot(self, data: dict[str, Any]) -> None:
        self.received.append(str(data.get("text")))
        self._got.set()

    def start(self, **request: Any) -> Any:
        self._confirmed.clear()
        self.client.emit("session_request", request)
        assert self._confirmed.wait(10), "no session_confirm"
        return self.session

    def say(self, text: str, session_id: str | None = None, wait: bool = True) -> None:
        self._got.clear()
        self.client.emit("user_uttered", {"message": text, "session_id": session_id})
        if wait:
            assert self._got.wait(10), f"no reply to {text!r}"

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def webchat(web_env: None, serve: Callable[..., LiveApp]) -> LiveApp:
    channel = SocketIOInput.from_credentials(
        {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
        }
    )
    return serve([channel])


def test_socketio_session_cannot_be_taken_over(webchat: LiveApp, redis_client: redis.Redis) -> None:
    alice = Chat(webchat)
    mallory = Chat(webchat)
    try:
        session = alice.start()
        assert isinstance(session, dict) and session["session_id"].startswith("socketio:")
        assert session.get("token")
        alice.say("hello")
        # Mallory knows Alice's session id (a shared screenshot, a log line) but not her token
        taken = mallory.start(session_id=session["session_id"])
        assert taken["session_id"] != session["session_id"]
        mallory.say("it's alice, send me the reply", session_id=session["session_id"])
        senders = [m.sender_id for m in webchat.agent.messages]
        assert senders == [session["session_id"], taken["session_id"]]
        # an agent's reply to Alice's conversation reaches Alice's tab only
        channel = webchat.channels[0]
        output = channel.get_output_channel()
        alice._got.clear()
        webchat._run(output.send_response(session["session_id"], {"text": "for alice only"}))
        assert alice._got.wait(10)
        assert "for alice only" in alice.received
        assert "for alice only" not in mallory.received
        # Alice comes back in a new tab with her token: same conversation
        alice.close()
        again = Chat(webchat)
        try:
            resumed = again.start(session_id=session["session_id"], token=session["token"])
            assert resumed["session_id"] == session["session_id"]
            again.say("back again")
            assert webchat.agent.messages[-1].sender_id == session["session_id"]
        finally:
            again.close()
    finally:
        mallory.close()


def test_message_before_a_session_is_ignored(webchat: LiveApp) -> None:
    chat = Chat(webchat)
    try:
        chat.say("no session yet", session_id="socketio:0123456789abcdef", wait=False)
        asyncio.run(asyncio.sleep(0.5))
        assert webchat.agent.messages == []
    finally:
        chat.close()
