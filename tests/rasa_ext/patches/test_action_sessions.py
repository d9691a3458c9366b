"""``bot.rasa_ext.patches.action_sessions``: one keep-alive session per action endpoint and event
loop, the same requests as Rasa's, and every session it opens closed by ``close_sessions``."""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
from typing import Any

import aiohttp
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext import patches
from bot.rasa_ext.patches.action_sessions import close_sessions
from tests.fakes.http_server import serve_post

NAME = "EndpointConfig.session"
BODIES: list[Any] = [
    {"text": "Ça coûte combien? 🙂 https://x.y/z \"quoted\"", "n": 3},
    {"confidence": 1e-08, "third": 1 / 3, "nested": [{"a": [1, {"b": None}]}]},
]


def test_action_calls_reuse_one_connection() -> None:
    peers: list[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        body = await request.json()
        return web.json_response({"echo": body["n"], "auth": request.headers.get("Authorization")})

    async def scenario() -> list[Any]:
        async with serve_post("/webhook", webhook) as url:
            try:
                endpoint = EndpointConfig(f"{url}/webhook",
                                          basic_auth={"username": "u", "password": "p"})
                answers = [await endpoint.request(json={"n": n}, method="post") for n in range(3)]
                other = EndpointConfig(f"{url}/webhook")
                answers.append(await other.request(json={"n": 3}, method="post"))
                async with endpoint.session() as session:
                    assert not session.closed  # borrowed, still open after the block
                assert not session.closed
                return answers
            finally:
                assert await close_sessions() == 2

    answers = asyncio.run(scenario())
    assert [a["echo"] for a in answers] == [0, 1, 2, 3]
    assert answers[0]["auth"] == "Basic dTpw" and answers[3]["auth"] is None
    assert peers[0] == peers[1] == peers[2]  # one connection for the three calls
    assert peers[3] != peers[0]  # another endpoint, another session


def test_rasa_opens_a_connection_per_call() -> None:
    """What the patch removes: with Rasa's own ``session``, every call is a new connection."""
    peers: list[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        return web.json_response({})

    async def scenario() -> None:
        async with serve_post("/webhook", webhook) as url:
            endpoint = EndpointConfig(f"{url}/webhook")
            with patches.disabled(NAME):
                for _ in range(3):
                    await endpoint.request(json={}, method="post")

    asyncio.run(scenario())
    assert len(set(peers)) == 3


def test_requests_carry_the_same_body_as_rasas() -> None:
    received: list[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"events": []})

    async def scenario() -> None:
        async with serve_post("/webhook", webhook) as url:
            endpoint = EndpointConfig(f"{url}/webhook")
            try:
                for body in BODIES:
                    await endpoint.request(json={"v": body}, method="post")
                with patches.disabled(NAME):
                    for body in BODIES:
                        await endpoint.request(json={"v": body}, method="post")
            finally:
                await close_sessions()

    asyncio.run(scenario())
    ours, rasas = received[:len(BODIES)], received[len(BODIES):]
    assert ours == rasas == [json.loads(json.dumps({"v": b})) for b in BODIES]


def test_a_new_event_loop_gets_a_new_session() -> None:
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")

    async def grab() -> Any:
        async with endpoint.session() as session:
            await close_sessions()
            return session

    first = asyncio.run(grab())
    second = asyncio.run(grab())
    assert first is not second


def test_outside_a_running_loop_it_is_rasas_one_off_session() -> None:
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")
    loop = asyncio.new_event_loop()  # set as current, not running
    asyncio.set_event_loop(loop)
    try:
        session = endpoint.session()
        assert isinstance(session, aiohttp.ClientSession)  # not borrowed: Rasa closes it
        assert "_carebot_session" not in endpoint.__dict__
        loop.run_until_complete(session.close())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _sessions_left_open(close: bool) -> tuple[list[bool], list[str]]:
    """Two endpoints make action calls on a loop; then (``close``) ``close_sessions`` runs, as
    at server stop; then every reference goes and the garbage is collected inside the loop.
    Returns whether each session was closed, and what aiohttp reported as left open (its
    ``ResourceWarning`` and the loop's exception handler)."""
    reported: list[str] = []

    async def webhook(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"events": []})

    async def scenario() -> list[bool]:
        asyncio.get_running_loop().set_exception_handler(
            lambda loop, context: reported.append(str(context.get("message"))))
        async with serve_post("/webhook", webhook) as url:
            endpoints = [EndpointConfig(f"{url}/webhook"), EndpointConfig(f"{url}/webhook")]
            sessions = []
            for endpoint in endpoints:
                await endpoint.request(json={"n": 1}, method="post")
                async with endpoint.session() as session:
                    sessions.append(session)
            if close:
                assert await close_sessions() == 2
            closed = [s.closed for s in sessions]
            del endpoints, sessions, session, endpoint
            from bot.rasa_ext.patches import action_sessions

            action_sessions._OPEN.clear()  # nothing of the patch holds them any more either
            gc.collect()
            await asyncio.sleep(0)
            return closed

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        closed = asyncio.run(scenario())
        gc.collect()
    reported += [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    return closed, reported


def test_closing_leaves_no_unclosed_client_session() -> None:
    closed, reported = _sessions_left_open(close=True)
    assert closed == [True, True]
    assert not [r for r in reported if "Unclosed" in r], reported


def test_without_closing_aiohttp_reports_the_sessions_left_open() -> None:
    """The check above would see a leak: without ``close_sessions`` aiohttp reports one."""
    closed, reported = _sessions_left_open(close=False)
    assert closed == [False, False]
    assert any("Unclosed client session" in r for r in reported), reported
