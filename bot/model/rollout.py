"""One model for every instance: after training, every Rasa instance answers with the new model.

Two ways a model reaches an instance, both used:

- **pull** (always on when ``CAREBOT_MODEL_SERVER_URL`` is set, the default with the
  workspace): every instance asks the model server (the workspace's ``GET /internal/model``,
  :mod:`bot.workspace.model_route`) every ``CAREBOT_MODEL_PULL_SECONDS`` for a newer model,
  Rasa's own mechanism (``endpoints.yml`` ``models: url:``). It works across machines and
  containers: nothing needs the trainer's file system.
- **push** (:func:`roll_out`, ``carebot train --reload``): ask each instance to load the file
  now (``PUT /model``); an instance that cannot read the file (another machine) is waited for
  until it has pulled the model.

:func:`roll_out` returns only when every instance reports the new model (``GET /status``), or
raises :class:`bot.model.training.ReloadFailed` naming the ones that did not in time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from bot.model.training import ReloadFailed
from bot.rasa_ext.client import RasaClient, RasaUnavailable
from bot.settings import Settings

ROLLOUT_TIMEOUT_S = 60.0


def loaded_model(client: RasaClient) -> str | None:
    """File name of the model an instance has loaded; None when it cannot say."""
    try:
        status = client.status()
    except RasaUnavailable:
        return None
    loaded = status.get("model_file")
    return Path(str(loaded)).name if loaded else None


def roll_out(
    model: Path,
    settings: Settings,
    timeout: float = ROLLOUT_TIMEOUT_S,
    clients: Callable[[str], RasaClient] | None = None,
) -> dict[str, float]:
    """Every instance of ``settings.rasa_instance_urls`` on ``model``: seconds each took."""
    token = settings.rasa_api_token()
    make = clients or (lambda url: RasaClient(url, token=token, timeout=max(timeout, 30.0)))
    started = time.monotonic()
    done: dict[str, float] = {}
    waiting: dict[str, RasaClient] = {}
    for url in settings.rasa_instance_urls:
        client = make(url)
        if loaded_model(client) != model.name:
            try:
                client.load_model(model.resolve())
            except RasaUnavailable:
                pass  # cannot read the file, or busy: it pulls the model from the server
        if loaded_model(client) == model.name:
            done[url] = time.monotonic() - started
        else:
            waiting[url] = client
    deadline = started + timeout
    while waiting and time.monotonic() < deadline:
        time.sleep(1.0)
        for url, client in list(waiting.items()):
            if loaded_model(client) == model.name:
                done[url] = time.monotonic() - started
                del waiting[url]
    if waiting:
        hint = ("" if settings.model_server_url else
                " (no model server: set CAREBOT_MODEL_SERVER_URL, or restart them)")
        raise ReloadFailed(f"{len(waiting)} of {len(settings.rasa_instance_urls)} bot "
                           f"instances did not load {model.name} within {timeout:.0f}s: "
                           f"{', '.join(waiting)}{hint}")
    return done
