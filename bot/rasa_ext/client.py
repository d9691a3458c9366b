"""Thin client for the Rasa server's HTTP API (``rasa run --enable-api``).

Every request carries the API token as a signed JWT in a header (``bot.rasa_ext.auth``), never
in the URL. A failure is a ``RasaUnavailable`` whose text names only what failed (the error's
class or the HTTP status): that text is stored on tickets and streamed to consoles."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from bot.rasa_ext.auth import auth_headers
from bot.settings import get_settings


class RasaUnavailable(RuntimeError):
    """The Rasa server could not be reached or refused the request."""


class RasaClient:
    """Append events to a conversation, optionally sending bot messages through its channel."""

    def __init__(
        self, url: str | None = None, token: str | None = None, timeout: float = 10.0
    ) -> None:
        settings = get_settings()
        self.url = (url or settings.rasa_url).rstrip("/")
        self.token = token if token is not None else settings.rasa_api_token()
        self.timeout = timeout
        self._session = requests.Session()

    def append_events(
        self,
        sender: str,
        events: list[dict[str, Any]],
        send_bot_messages: bool = False,
        output_channel: str = "latest",
    ) -> dict[str, Any]:
        extra = (
            {"output_channel": output_channel, "execute_side_effects": "true"}
            if send_bot_messages
            else {}
        )
        return self._conversation(
            "POST", sender, "/tracker/events", "the events", json=events,
            params=extra,
        )

    def agent_message(
        self, sender: str, text: str, agent: str, output_channel: str
    ) -> dict[str, Any]:
        """Record an agent's reply in conversation ``sender``'s tracker and deliver it through
        ``output_channel`` (the ticket's channel, never the one the conversation used last)."""
        event = {"event": "bot", "text": text, "metadata": {"carebot": {"agent": agent}}}
        return self.append_events(
            sender, [event], send_bot_messages=True, output_channel=output_channel
        )

    def resume(self, sender: str) -> dict[str, Any]:
        """``ConversationResumed``: the bot answers this conversation again.

        ``action_listen`` follows, so the next follower message starts a fresh turn for the
        rules (without it the first message after a handoff would go unanswered)."""
        return self.append_events(
            sender, [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        )

    def status(self) -> dict[str, Any]:
        """``GET /status``: the loaded model (``model_file``, ``model_id``) among others."""
        return self._request("GET", "/status", "the status request")

    def load_model(self, model: Path) -> None:
        """``PUT /model``: load a model file this server can read (same machine/volume)."""
        self._request("PUT", "/model", "the model", json={"model_file": str(model)},
                      expect_json=False)

    def tracker(self, sender: str) -> dict[str, Any]:
        return self._conversation("GET", sender, "/tracker", "the request")

    def _conversation(
        self, method: str, sender: str, path: str, what: str, **kwargs: Any
    ) -> dict[str, Any]:
        """``method`` on ``/conversations/<sender><path>``, the JSON answer; ``RasaUnavailable``
        when Rasa cannot be reached or refuses ``what`` (named in the error)."""
        # ':' stays as is: Rasa takes the conversation id from the path undecoded
        return self._request(method, f"/conversations/{quote(sender, safe=':')}{path}", what,
                             **kwargs)

    def _request(
        self, method: str, path: str, what: str, expect_json: bool = True, **kwargs: Any
    ) -> dict[str, Any]:
        try:
            response = self._session.request(
                method,
                f"{self.url}{path}",
                timeout=self.timeout,
                headers=auth_headers(self.token),
                **kwargs,
            )
        except requests.RequestException as error:
            raise RasaUnavailable(
                f"Rasa server unreachable ({type(error).__name__})"
            ) from None
        if response.status_code >= 400:
            raise RasaUnavailable(f"Rasa refused {what} (HTTP {response.status_code})")
        return dict(response.json()) if expect_json else {}
