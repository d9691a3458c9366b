"""Pytest fixtures for the channel tests (imported by the ``test_channels_*`` modules).

They build on ``tests/conftest.py``: ``redis_url`` (db 15 or ``CAREBOT_TEST_REDIS_URL``) and
``redis_client`` (flushes that db before and after each test).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

import pytest
import redis
from rasa.core.channels.channel import InputChannel

from bot.channels.base import WebhookInput
from bot.channels.idempotency import Deduplicator, redis_factory
from bot.channels.outbound import SendClient
from bot.settings import reset_settings
from tests.fakes.channel_env import APP_SECRET, VERIFY_TOKEN, ChannelEnv
from tests.fakes.live_app import FakeAgent, LiveApp, Reply, echo_reply
from tests.fakes.platforms import Credentials, FakePlatform

__all__ = ["APP_SECRET", "VERIFY_TOKEN"]
E = TypeVar("E", bound=ChannelEnv)


@pytest.fixture
def channel_env(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """REDIS_URL → the test db; CAREBOT_VAR_DIR → tmp. Returns the spool directory."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CAREBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CAREBOT_QUEUE_PREFIX", raising=False)
    reset_settings()
    yield tmp_path / "var" / "spool"
    reset_settings()


@pytest.fixture
def dedup(channel_env: Path, redis_url: str) -> Deduplicator:
    """The idempotency store on the test db."""
    return Deduplicator(redis_factory(redis_url))


@pytest.fixture
def creds() -> Credentials:
    return Credentials()


class Stoppable(Protocol):
    def stop(self) -> None: ...


S = TypeVar("S", bound=Stoppable)
P = ParamSpec("P")


def stopped_after(start: Callable[P, S]) -> Iterator[Callable[P, S]]:
    """For a factory fixture (``yield from``): yields ``start``, which starts one thing per call;
    once the test is done, stops every thing it started."""
    started: list[S] = []

    def make(*args: P.args, **kwargs: P.kwargs) -> S:
        thing = start(*args, **kwargs)
        started.append(thing)
        return thing

    yield make
    for thing in started:
        thing.stop()


@pytest.fixture
def platform_factory(creds: Credentials) -> Iterator[Callable[[str], FakePlatform]]:
    """``make("whatsapp")`` → a started fake send API (stopped after the test)."""

    def make(name: str) -> FakePlatform:
        return FakePlatform(name, creds).start()

    yield from stopped_after(make)


@pytest.fixture
def serve() -> Iterator[Callable[..., LiveApp]]:
    """``serve([channel], reply=...)`` → a live Sanic app with Rasa's channel registration."""

    def make(channels: list[InputChannel], reply: Reply | None = echo_reply) -> LiveApp:
        return LiveApp(channels, FakeAgent(reply)).start()

    yield from stopped_after(make)


@pytest.fixture
def serve_channel(
    dedup: Deduplicator,
    platform_factory: Callable[[str], FakePlatform],
    serve: Callable[..., LiveApp],
) -> Callable[..., Any]:
    """``serve_channel(EnvClass, InputClass, settings_for, reply=None, **kwargs)`` → an env.

    Starts the platform's fake, builds the channel with ``settings_for(fake)`` and the test
    deduplicator, and serves it on a live app (echo replies unless ``reply`` is given).
    """

    def make(
        env_cls: type[E],
        input_cls: type[WebhookInput[Any]],
        settings_for: Callable[[FakePlatform], Any],
        reply: Reply | None = None,
        **kwargs: Any,
    ) -> E:
        fake = platform_factory(input_cls.CHANNEL)
        channel = input_cls(settings_for(fake), deduplicator=dedup, **kwargs)
        app = serve([channel], reply=reply) if reply is not None else serve([channel])
        return env_cls(app, fake, channel)

    return make


def env_maker(
    serve_channel: Callable[..., Any],
    env_cls: type[E],
    input_cls: type[WebhookInput[Any]],
    settings_cls: Callable[..., Any],
    **fields: Any,
) -> Callable[..., E]:
    """A module's ``make_env(reply=None, **kwargs)``: serves ``input_cls`` configured with
    ``settings_cls(**fields, api_base=<the fake platform's>)`` and wraps it in ``env_cls``."""

    def settings(fake: FakePlatform) -> Any:
        return settings_cls(**fields, api_base=fake.api_base)

    return lambda reply=None, **kw: serve_channel(env_cls, input_cls, settings, reply, **kw)


@pytest.fixture
def env(make_env: Callable[..., ChannelEnv]) -> ChannelEnv:
    """The module's channel (its ``make_env`` fixture) with echo replies."""
    return make_env()


def fast_client(channel: str, **kwargs: object) -> SendClient:
    """A SendClient with short backoff (retry tests stay fast; Retry-After is still honoured)."""
    options: dict = {"backoff_base": 0.05, "backoff_cap": 0.2, **kwargs}
    return SendClient(channel, **options)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until true (AssertionError after ``timeout``)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
