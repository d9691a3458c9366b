"""One model for every instance: ``carebot run`` with two instances and the workspace as their
model server. A newer model in ``models/`` reaches both instances by itself (they pull it from
the workspace, as containers on other machines do), and ``roll_out`` (``carebot train
--reload``) returns only when both report it. Ports: ``CAREBOT_TEST_ROLLOUT_PORT`` (default
16405; instances +1, +2; workspace +90) and ``CAREBOT_TEST_ROLLOUT_ACTIONS_PORT`` (16455).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bot.model.rollout import loaded_model, roll_out
from bot.model.training import latest_model
from bot.process.runner import Runner
from bot.rasa_ext.client import RasaClient
from bot.settings import Settings
from tests.fakes.project import ROOT, copy_project


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Settings]:
    home = copy_project(tmp_path_factory.mktemp("rollout") / "project")
    shutil.copytree(ROOT / "models", home / "models")  # the trained model and its stamp
    port = int(os.environ.get("CAREBOT_TEST_ROLLOUT_PORT", "16405"))
    env = {
        "REDIS_URL": redis_url,
        "CAREBOT_HOME": str(home),
        "CAREBOT_VAR_DIR": str(home / "var"),
        "CAREBOT_RASA_PORT": str(port),
        "CAREBOT_ACTIONS_PORT": os.environ.get("CAREBOT_TEST_ROLLOUT_ACTIONS_PORT", "16455"),
        "CAREBOT_WEBCHAT_PORT": str(port + 80),
        "CAREBOT_WORKSPACE_PORT": str(port + 90),
        "CAREBOT_EMBEDDED_REDIS": "never",
        "CAREBOT_INSTANCES": "2",
        "CAREBOT_MODEL_PULL_SECONDS": "2",
        "CAREBOT_QUEUE_PREFIX": "rollout" + uuid.uuid4().hex[:6],
    }
    settings = Settings.from_env(env)
    runner = Runner(settings, workspace=True, sweeper=False)
    try:
        runner.start()
        yield settings
    finally:
        runner.stop()


def _newer_model(settings: Settings, name: str) -> Path:
    current = latest_model(settings.models_dir)
    assert current is not None
    new = settings.models_dir / name
    shutil.copy(current, new)
    os.utime(new, (time.time() + 5, time.time() + 5))  # the newest by modification time
    return new


def test_every_instance_pulls_a_new_model_from_the_workspace(two: Settings) -> None:
    clients = [RasaClient(url, token=two.rasa_api_token()) for url in two.rasa_instance_urls]
    assert len(clients) == 2
    first = latest_model(two.models_dir)
    assert first is not None
    assert [loaded_model(c) for c in clients] == [first.name] * 2, "both start on the newest"

    new = _newer_model(two, "29990101-000000-pulled.tar.gz")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if [loaded_model(c) for c in clients] == [new.name] * 2:
            break
        time.sleep(1)
    assert [loaded_model(c) for c in clients] == [new.name] * 2, "not pulled within 60 s"


def test_roll_out_returns_when_every_instance_has_it(two: Settings) -> None:
    new = _newer_model(two, "29990102-000000-pushed.tar.gz")
    took = roll_out(new, two, timeout=60)
    assert set(took) == set(two.rasa_instance_urls)
    clients = [RasaClient(u, token=two.rasa_api_token()) for u in two.rasa_instance_urls]
    assert [loaded_model(c) for c in clients] == [new.name] * 2
