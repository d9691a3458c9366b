"""Run a Rasa-registered Sanic app for real, on a loopback port, in a background thread.

``sanic-testing`` is not installed (and not a project dependency), so tests drive the channels the
way a platform does: real HTTP with ``requests`` against ``app.create_server(...)`` running on its
own event loop thread. The channels are mounted with Rasa's own
``rasa.core.channels.channel.register(..., route="/webhooks/")``, exactly as ``rasa run`` does, and
``app.ctx.agent`` is a ``FakeAgent`` standing in for Rasa's ``Agent.handle_message``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic

Reply = Callable[[UserMessage], Awaitable[None]]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def echo_reply(message: UserMessage) -> None:
    """Default bot behaviour: answer "you said: <text>" through the message's output channel,
    addressed to the conversation as Rasa does (``send_response(tracker.sender_id, …)``)."""
    assert message.output_channel is not None
    await message.output_channel.send_response(
        message.sender_id, {"text": f"you said: {message.text}"}
    )


class FakeAgent:
    """Records the UserMessages Rasa would process and replies through their output channel."""

    def __init__(self, reply: Reply | None = echo_reply) -> None:
        self.messages: list[UserMessage] = []
        self.reply = reply
        self.errors: list[BaseException] = []
        self._handled = threading.Event()

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        try:
            if self.reply is not None:
                await self.reply(message)
        except BaseException as exc:  # surfaced by the tests
            self.errors.append(exc)
            raise
        finally:
            self._handled.set()


class LiveApp:
    """A Sanic app with the given input channels, served on a loopback port."""

    def __init__(self, channels: list[InputChannel], agent: FakeAgent) -> None:
        Sanic.test_mode = True
        self.app = Sanic(f"carebot_test_{uuid.uuid4().hex[:10]}")
        self.app.config.MOTD = False
        self.app.ctx.agent = agent
        register(channels, self.app, route="/webhooks/")
        self.channels = channels
        self.agent = agent
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._server: Any = None

    def url(self, channel: str, path: str = "webhook") -> str:
        """URL of a channel's route, e.g. ``/webhooks/whatsapp/webhook``."""
        return f"{self.base_url}/webhooks/{channel}/{path}"

    def _run(self, coro: Awaitable[Any], timeout: float = 15.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> LiveApp:
        self._thread.start()

        async def boot() -> Any:
            server = await self.app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
            )
            assert server is not None  # return_asyncio_server=True: never None
            await server.startup()
            await server.before_start()
            await server.after_start()
            return server

        self._server = self._run(boot())
        return self

    def drain(self, timeout: float = 20.0) -> None:
        """Wait until every channel finished processing the messages it accepted."""

        async def wait_all() -> None:
            for channel in self.channels:
                await channel.drain(timeout)

        self._run(wait_all(), timeout + 5)

    def stop(self) -> None:
        """Stop serving, close keep-alive connections and end the loop thread."""

        async def shutdown() -> None:
            server = self._server
            await server.before_stop()
            server.close()
            await server.wait_closed()
            for connection in list(server.connections):
                connection.close_if_idle()
            await server.after_stop()
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._server is not None:
            self._run(shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self.loop.is_running():
            self.loop.close()
