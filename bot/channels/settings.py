"""Typed channel settings: what each social channel needs, checked.

Each platform has a frozen dataclass whose fields map to environment variables (``ENV``), which
``bot.settings.channel_env`` reads (the one module that reads the environment). A channel builds
its settings only when it is enabled (listed in ``config/credentials.social.yml``), and then fails
loudly on missing or malformed values, naming every variable at fault.

Process-wide settings (``REDIS_URL``, ``CAREBOT_QUEUE_PREFIX``, ``CAREBOT_VAR_DIR``) come from
``bot.settings``; the helpers at the end of this module expose what the channels need of them,
and raise ``bot.settings.ConfigError`` when those settings are invalid.

Values given in the credentials file (keyed by field name, e.g. ``page_access_token``) take
precedence over the environment; empty values count as missing. Unknown credential keys are an
error (typos).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from bot.settings import channel_env, get_settings

GRAPH_API_BASE = "https://graph.facebook.com/v19.0"
X_API_BASE = "https://api.twitter.com"
TELEGRAM_API_BASE = "https://api.telegram.org"

_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_DIGITS = re.compile(r"^\d+$")
_TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

S = TypeVar("S", bound="_EnvSettings")


class ChannelConfigError(ValueError):
    """A channel is enabled but its configuration is missing or malformed."""


def _url(value: str) -> str | None:
    return None if _URL.match(value) else "must be an http(s) URL"


def _digits(value: str) -> str | None:
    return None if _DIGITS.match(value) else "must be numeric"


def _telegram_token(value: str) -> str | None:
    return None if _TELEGRAM_TOKEN.match(value) else "must look like '123456:ABC-DEF…'"


def _telegram_secret(value: str) -> str | None:
    ok = _TELEGRAM_SECRET.match(value)
    return None if ok else "must be 1-256 characters of A-Z, a-z, 0-9, '_' and '-'"


@dataclass(frozen=True)
class _EnvSettings:
    """Base: load fields from env vars named in ``ENV``; fields with defaults are optional.

    ``CHECKS`` validate a field's value; every platform's ``api_base`` must be an http(s) URL
    (its trailing slash dropped), with no entry in ``CHECKS``."""

    ENV: ClassVar[dict[str, str]] = {}
    CHECKS: ClassVar[dict[str, Callable[[str], str | None]]] = {}
    CHANNEL: ClassVar[str] = ""

    @classmethod
    def from_env(
        cls: type[S],
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> S:
        """Build the settings from ``overrides`` (credentials file) then ``env`` (default: the
        process environment, ``bot.settings.channel_env``).

        Raises:
            ChannelConfigError: listing every missing or malformed variable.
        """
        source = channel_env() if env is None else env
        given = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
        unknown = sorted(set(given) - set(cls.ENV))
        problems: list[str] = [f"unknown credential key {k!r}" for k in unknown]
        values: dict[str, str] = {}
        for field in dataclasses.fields(cls):
            var = cls.ENV[field.name]
            raw = given.get(field.name, source.get(var, ""))
            value = str(raw).strip()
            if not value:
                if field.default is dataclasses.MISSING:
                    problems.append(f"{var} is not set")
                continue
            check = _url if field.name == "api_base" else cls.CHECKS.get(field.name)
            error = check(value) if check else None
            if error:
                problems.append(f"{var} {error}")
                continue
            values[field.name] = value.rstrip("/") if field.name == "api_base" else value
        if problems:
            raise ChannelConfigError(
                f"{cls.CHANNEL} channel is enabled but misconfigured: " + "; ".join(problems)
            )
        return cls(**values)


@dataclass(frozen=True)
class MessengerSettings(_EnvSettings):
    """Facebook Messenger (a Page's inbox through the Messenger Platform)."""

    page_access_token: str
    app_secret: str
    verify_token: str
    api_base: str = GRAPH_API_BASE

    CHANNEL: ClassVar[str] = "messenger"
    ENV: ClassVar[dict[str, str]] = {
        "page_access_token": "MESSENGER_PAGE_ACCESS_TOKEN",
        "app_secret": "MESSENGER_APP_SECRET",
        "verify_token": "MESSENGER_VERIFY_TOKEN",
        "api_base": "MESSENGER_API_BASE",
    }

    @property
    def send_token(self) -> str:
        """The token the Send API takes."""
        return self.page_access_token


@dataclass(frozen=True)
class InstagramSettings(_EnvSettings):
    """Instagram Direct (Messenger Platform webhooks for an Instagram professional account)."""

    access_token: str
    app_secret: str
    verify_token: str
    api_base: str = GRAPH_API_BASE

    CHANNEL: ClassVar[str] = "instagram"
    ENV: ClassVar[dict[str, str]] = {
        "access_token": "INSTAGRAM_ACCESS_TOKEN",
        "app_secret": "INSTAGRAM_APP_SECRET",
        "verify_token": "INSTAGRAM_VERIFY_TOKEN",
        "api_base": "INSTAGRAM_API_BASE",
    }

    @property
    def send_token(self) -> str:
        """The token the Send API takes."""
        return self.access_token


@dataclass(frozen=True)
class WhatsAppSettings(_EnvSettings):
    """WhatsApp Cloud API (a business phone number)."""

    access_token: str
    app_secret: str
    verify_token: str
    phone_number_id: str
    api_base: str = GRAPH_API_BASE

    CHANNEL: ClassVar[str] = "whatsapp"
    ENV: ClassVar[dict[str, str]] = {
        "access_token": "WHATSAPP_ACCESS_TOKEN",
        "app_secret": "WHATSAPP_APP_SECRET",
        "verify_token": "WHATSAPP_VERIFY_TOKEN",
        "phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
        "api_base": "WHATSAPP_API_BASE",
    }
    CHECKS: ClassVar[dict[str, Callable[[str], str | None]]] = {"phone_number_id": _digits}


@dataclass(frozen=True)
class XSettings(_EnvSettings):
    """X (Twitter) direct messages: Account Activity webhook in, DM API v2 out (OAuth 1.0a)."""

    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str
    user_id: str
    api_base: str = X_API_BASE

    CHANNEL: ClassVar[str] = "x"
    ENV: ClassVar[dict[str, str]] = {
        "consumer_key": "X_CONSUMER_KEY",
        "consumer_secret": "X_CONSUMER_SECRET",
        "access_token": "X_ACCESS_TOKEN",
        "access_token_secret": "X_ACCESS_TOKEN_SECRET",
        "user_id": "X_USER_ID",
        "api_base": "X_API_BASE",
    }
    CHECKS: ClassVar[dict[str, Callable[[str], str | None]]] = {"user_id": _digits}


@dataclass(frozen=True)
class TelegramSettings(_EnvSettings):
    """Telegram Bot API (webhook with a secret token)."""

    bot_token: str
    secret_token: str
    bot_name: str = ""
    api_base: str = TELEGRAM_API_BASE

    CHANNEL: ClassVar[str] = "telegram"
    ENV: ClassVar[dict[str, str]] = {
        "bot_token": "TELEGRAM_BOT_TOKEN",
        "secret_token": "TELEGRAM_SECRET_TOKEN",
        "bot_name": "TELEGRAM_BOT_NAME",
        "api_base": "TELEGRAM_API_BASE",
    }
    CHECKS: ClassVar[dict[str, Callable[[str], str | None]]] = {
        "bot_token": _telegram_token,
        "secret_token": _telegram_secret,
    }


def redis_url() -> str:
    """The Redis URL for idempotency keys and the agent queue (``REDIS_URL``)."""
    return get_settings().redis_url


def queue_prefix() -> str:
    """The prefix of carebot's Redis keys (``CAREBOT_QUEUE_PREFIX``)."""
    return get_settings().queue_prefix


def queue_caps() -> tuple[int, int]:
    """A ticket's list caps for ``AgentQueue``: ``CAREBOT_TICKET_MAX_MESSAGES``, ``…_HISTORY``."""
    core = get_settings()
    return (core.ticket_max_messages, core.ticket_max_history)


def spool_dir() -> str:
    """Where undeliverable replies are spooled when Redis is down (``$CAREBOT_VAR_DIR/spool``)."""
    return str(get_settings().spool_dir)
