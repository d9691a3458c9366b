"""Attack tests, issue 17 item 1: Rasa's HTTP API answers nobody without the token.

Against the running stack (``tests/stack.py``): anonymous callers cannot read a tracker, append
events (un-pausing a conversation, or ``output_channel=latest`` to message a follower through
the brand's accounts) or replace / unload the model; a browser page from another origin gets no
CORS grant; the token lives in a 0600 file, never on a command line or in a log, and travels
in a header (``bot.rasa_ext.client``), never in a URL.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import requests

from bot.rasa_ext.client import RasaClient
from tests.stack import Stack

REFUSED = (401, 403)


def _base(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.settings.rasa_port}"


def test_anonymous_tracker_read_is_refused(stack: Stack) -> None:
    who = stack.sender()
    stack.say(who, "hello")
    res = requests.get(f"{_base(stack)}/conversations/{who}/tracker", timeout=10)
    assert res.status_code in REFUSED, res.text[:200]
    assert "hello" not in res.text


def test_anonymous_event_append_and_send_is_refused(stack: Stack) -> None:
    who = stack.sender()
    stack.say(who, "hello")
    forged = [{"event": "bot", "text": "Your refund is ready: http://evil.example/claim"}]
    res = requests.post(
        f"{_base(stack)}/conversations/{who}/tracker/events",
        params={"output_channel": "latest", "execute_side_effects": "true"},
        json=forged, timeout=10,
    )
    assert res.status_code in REFUSED, res.text[:200]
    resume = requests.post(f"{_base(stack)}/conversations/{who}/tracker/events",
                           json=[{"event": "resume"}], timeout=10)
    assert resume.status_code in REFUSED


def test_anonymous_model_replace_is_refused(stack: Stack) -> None:
    res = requests.put(f"{_base(stack)}/model", json={"model_file": "/tmp/evil.tar.gz"},
                       timeout=30)
    assert res.status_code in REFUSED, res.text[:200]


def test_wrong_token_in_the_url_or_header_is_refused(stack: Stack) -> None:
    url = f"{_base(stack)}/status"
    assert requests.get(url, params={"token": "guess"}, timeout=10).status_code in REFUSED
    bearer = {"Authorization": "Bearer guess"}
    assert requests.get(url, headers=bearer, timeout=10).status_code in REFUSED


def test_the_token_opens_the_api_from_a_header(stack: Stack) -> None:
    """carebot's own client still works: the token, in a header, never in the URL."""
    who = stack.sender()
    stack.say(who, "hello")
    sent: list[str] = []
    client = RasaClient(url=_base(stack), token=stack.settings.rasa_api_token())
    client._session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request.url))
    events = client.tracker(stack.conversation(who))["events"]
    assert any(e.get("text") == "hello" for e in events)
    assert sent and all("token" not in url for url in sent)


def test_other_origins_get_no_cors_grant(stack: Stack) -> None:
    evil = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    pre = requests.options(f"{_base(stack)}/webhooks/rest/webhook", headers=evil, timeout=10)
    assert pre.headers.get("Access-Control-Allow-Origin") not in ("*", "https://evil.example")
    res = requests.get(f"{_base(stack)}/version", headers={"Origin": "https://evil.example"},
                       timeout=10)
    assert res.headers.get("Access-Control-Allow-Origin") not in ("*", "https://evil.example")
    chat = f"http://localhost:{stack.settings.webchat_port}"
    ok = requests.get(f"{_base(stack)}/version", headers={"Origin": chat}, timeout=10)
    assert ok.headers.get("Access-Control-Allow-Origin") == chat


def test_the_token_is_private(stack: Stack) -> None:
    """A generated token: a 0600 file under var/, on no command line, in no log."""
    token = stack.settings.rasa_api_token()
    assert len(token) >= 32
    path = stack.settings.var_dir / "secrets" / "rasa-token"
    assert path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            assert token.encode() not in cmdline, f"the token is on process {pid}'s command line"
    for log in (stack.settings.var_dir / "log").glob("*.log"):
        assert token not in log.read_text(errors="replace"), log


def test_anonymous_model_unload_is_refused(stack: Stack) -> None:
    """Last: before the fix this unloads the session's model."""
    res = requests.delete(f"{_base(stack)}/model", timeout=30)
    assert res.status_code in REFUSED, res.text[:200]
    assert "business days" in stack.texts(stack.sender(), "how long does shipping take")[0]
