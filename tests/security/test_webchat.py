"""Attack test, issue 17 item 6: the web chat talks to its own bot only.

The page used to take the socket.io server from ``?server=``: a link to the brand's chat with
``?server=https://evil.example`` sent the follower's session id (their conversation) and every
message they typed to that host. In real headless Chromium: such a link opens no connection to
the other host.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Iterator

import pytest

from bot.process.runner import start_webchat
from tests.fakes.browser import browser_fixture, playwright_fixture  # noqa: F401 (fixtures)
from tests.fakes.live_app import free_port


class Listener:
    """A TCP port that records every connection made to it (and answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def evil() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


def test_server_parameter_cannot_redirect_the_chat(browser: Any, evil: Listener) -> None:
    port = free_port()
    server = start_webchat(port, free_port())  # the bot itself is down: only the page matters
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/?server=http://127.0.0.1:{evil.port}")
        page.wait_for_selector("#text")
        time.sleep(3)
        context.close()
    finally:
        server.shutdown()
        server.server_close()
    assert evil.connections == 0, "the page connected to the host named in ?server="
