"""docker-compose.yml: the layout docs/deploy.md promises (nginx the only published service,
an internal backend network, Redis with AOF and a password, Rasa always with a token, every
service with a healthcheck), checked by parsing; `podman-compose config` when it is installed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CAREBOT_SERVICES = ("rasa1", "rasa2", "actions1", "actions2", "workspace", "sweeper")


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def services() -> dict[str, Any]:
    return dict(compose()["services"])


def test_the_expected_services() -> None:
    assert set(services()) == {"redis", "nginx", *CAREBOT_SERVICES}


def test_only_nginx_is_published() -> None:
    published = {name for name, svc in services().items() if svc.get("ports")}
    assert published == {"nginx"}
    for port in services()["nginx"]["ports"]:
        assert port.endswith((":8080", ":8000")), port  # public and agents' servers, not 5005


def test_networks() -> None:
    nets = compose()["networks"]
    assert nets["backend"].get("internal") is True
    for name, svc in services().items():
        assert "backend" in svc["networks"], name
        if name != "nginx":
            assert "edge" not in svc["networks"], name
    assert set(services()["nginx"]["networks"]) == {"edge", "backend"}
    for name in ("redis", "workspace", "sweeper"):
        assert services()[name]["networks"] == ["backend"], name  # no way out


def test_redis_aof_and_password() -> None:
    redis = services()["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "requirepass" in command and "redis-server -" in command  # via stdin, not argv
    assert redis["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")
    for name in CAREBOT_SERVICES:
        url = services()[name]["environment"]["REDIS_URL"]
        assert re.fullmatch(r"redis://:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379/0", url), url


def test_rasa_always_has_a_token() -> None:
    for name in ("rasa1", "rasa2"):
        svc = services()[name]
        command = " ".join(svc["command"])
        assert "exec python -m bot.rasa_ext.serve" in command  # adds the token itself
        assert "--auth-token" not in command  # never on a command line (ps shows it)
        assert "carebot endpoints" in command  # its action server + the workspace's models
        assert svc["environment"]["CAREBOT_RASA_TOKEN"].startswith("${CAREBOT_RASA_TOKEN:?")
        assert svc["environment"]["CAREBOT_ACTION_SERVER"] == name.replace("rasa", "actions")
        assert svc["environment"]["CAREBOT_RASA_URL"] == "http://nginx:5005"
        assert svc["environment"]["CAREBOT_MODEL_SERVER_URL"].startswith("http://workspace:")


def test_healthchecks() -> None:
    for name, svc in services().items():
        assert svc.get("healthcheck", {}).get("test"), name
    for name in CAREBOT_SERVICES:
        env = services()[name]["environment"]
        assert ("CAREBOT_HEALTH_URL" in env) == (name != "sweeper"), name


def test_nginx_upstream_lists_every_rasa_service() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream = re.search(r"upstream carebot_rasa \{(.*?)\}", conf, re.S)
    assert upstream is not None
    assert set(re.findall(r"server (rasa\d+):5005", upstream.group(1))) == {"rasa1", "rasa2"}
    mounts = services()["nginx"]["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in mounts
    assert "./deploy/nginx:/etc/nginx/carebot:ro" in mounts


def test_non_root() -> None:
    assert services()["redis"]["user"] == "999:999"
    assert services()["nginx"]["user"] == "101:101"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER carebot", dockerfile, re.M)
    assert re.search(r"^ARG BASE=python:3\.10-slim$", dockerfile, re.M)
    assert re.search(r"^HEALTHCHECK ", dockerfile, re.M)


def test_the_sentinel_overlay_points_every_carebot_service_at_the_sentinels() -> None:
    """deploy/compose.sentinel.yml: two replicas, three Sentinels, and every carebot service
    (merged over docker-compose.yml's environment) finds the master through them."""
    overlay = yaml.safe_load((ROOT / "deploy" / "compose.sentinel.yml").read_text())
    extra = overlay["services"]
    sentinels = {f"sentinel{i}" for i in (1, 2, 3)}
    assert {"redis-replica", "redis-replica2", *sentinels} <= set(extra)
    for name in ("redis-replica", "redis-replica2"):
        assert f"--replicaof redis 6379 --replica-announce-ip {name}" in extra[name]["command"][2]
    conf = (ROOT / "deploy" / "sentinel" / "sentinel.conf").read_text()
    monitor = re.search(r"^sentinel monitor (\S+) redis 6379 (\d)$", conf, re.M)
    assert monitor is not None and monitor.group(2) == "2"  # quorum: two of three
    for name in CAREBOT_SERVICES:
        env = {**services()[name]["environment"], **extra[name]["environment"]}
        hosts = {h.split(":")[0] for h in env["REDIS_SENTINELS"].split(",")}
        assert hosts == sentinels and all(
            h.endswith(":26379") for h in env["REDIS_SENTINELS"].split(",")), name
        assert env["REDIS_MASTER_NAME"] == monitor.group(1), name
        assert env["REDIS_WAIT_REPLICAS"] == "1", name
        assert env["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?"), name  # password + db
