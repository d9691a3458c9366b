"""The ``endpoints.yml`` a Rasa instance runs with: the project's file, plus this instance's
action server and, when a model server is configured, where it pulls the newest model from
(``bot.model.rollout``). One function for ``carebot run`` and for containers
(``carebot endpoints``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings


def endpoints(settings: Settings, actions_url: str, model_server: bool) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((settings.home / "endpoints.yml").read_text()) or {}
    data["action_endpoint"] = {"url": actions_url}
    if model_server and settings.model_server_url:
        data["models"] = {
            "url": settings.model_server_url,
            "wait_time_between_pulls": settings.model_pull_seconds,
            "headers": {"Authorization": f"Bearer {settings.rasa_api_token()}"},
        }
    return data


def write_endpoints(settings: Settings, actions_url: str, path: Path, model_server: bool) -> Path:
    """Write :func:`endpoints` to ``path`` (mode 0600: it may hold the internal token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(yaml.safe_dump(endpoints(settings, actions_url, model_server),
                                   sort_keys=False))
    return path
