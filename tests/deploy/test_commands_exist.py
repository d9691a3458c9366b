"""Every ``carebot <command>`` the deployment runs (compose, Kubernetes, the image, the test
scripts) is a command of the CLI: a merge that drops one from ``bot/cli/main.py`` would otherwise
be found only by ``make test-deploy`` (containers exiting with "invalid choice")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "docker-compose.yml", ROOT / "deploy" / "compose.sentinel.yml",
         ROOT / "Dockerfile", ROOT / "scripts" / "test-deploy",
         *sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))]
# `carebot X` in a command: exec form (["carebot", "X", ...]) or shell form (... && carebot X ...)
EXEC = re.compile(r'\[\s*"carebot"\s*,\s*"([a-z][a-z-]*)"')
SHELL = re.compile(r"(?:^|[\s;&|(])carebot ([a-z][a-z-]*)(?=[\s\"']|$)")


def _commands() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in FILES:
        for line in path.read_text().splitlines():
            if line.lstrip().startswith("#"):
                continue  # comments (their examples are checked by reading, not here)
            for name in EXEC.findall(line) + SHELL.findall(line):
                found.setdefault(name, set()).add(path.name)
    return found


def _cli_commands() -> set[str]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]  # noqa: SLF001
    return set(sub.choices)  # type: ignore[arg-type]


def test_the_deployment_runs_the_commands_it_needs() -> None:
    used = _commands()
    for name in ("endpoints", "sweeper", "workspace", "train", "agents"):
        assert name in used, (name, sorted(used))


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_the_deployment_runs_exists(name: str) -> None:
    assert name in _cli_commands(), f"carebot {name} (used in {sorted(_commands()[name])})"
