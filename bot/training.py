"""Training the bot: only when data or config changed, with Rasa's own fingerprinting.

Rasa caches trained components by their config and the NLU/Core data. The tone corpus and the
lexicons are inputs Rasa does not see, so a change to them forces a full retrain. When nothing
at all changed since the last successful training, Rasa is not even started (a few seconds
saved on every ``make run``).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

STAMP = ".carebot-train.json"
DATA_DIRS = ("data/nlu", "data/rules", "data/stories")


@dataclass(frozen=True)
class Inputs:
    """Hashes of what a trained model depends on."""

    everything: str
    rasa_invisible: str  # tone corpus, lexicons and the NLU component code


def _hash_files(root: Path, patterns: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def inputs(home: Path) -> Inputs:
    invisible = ("data/tone/**/*.yml", "bot/nlu/lexicons/*.txt", "bot/nlu/*.py")
    visible = (
        "config/config.yml",
        "config/domain/*.yml",
        "data/nlu/**/*.yml",
        "data/rules/**/*.yml",
        "data/stories/**/*.yml",
    )
    return Inputs(
        everything=_hash_files(home, visible + invisible),
        rasa_invisible=_hash_files(home, invisible),
    )


def latest_model(models_dir: Path) -> Path | None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def _read_stamp(models_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((models_dir / STAMP).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def needs_training(home: Path, models_dir: Path) -> bool:
    model = latest_model(models_dir)
    stamp = _read_stamp(models_dir)
    return (
        model is None
        or stamp.get("everything") != inputs(home).everything
        or stamp.get("model") != model.name
    )


def rasa_command(home: Path, models_dir: Path, force: bool, extra: Iterable[str] = ()) -> list[str]:
    rasa = str(Path(sys.executable).with_name("rasa"))
    command = [
        rasa,
        "train",
        "--config",
        "config/config.yml",
        "--domain",
        "config/domain",
        "--data",
        *DATA_DIRS,
        "--out",
        str(models_dir),
    ]
    if force:
        command.append("--force")
    return command + list(extra)


def train(
    home: Path, models_dir: Path, *, force: bool = False, quiet: bool = False, keep: int = 3
) -> Path | None:
    """Train if anything changed (or ``force``); returns the model in use."""
    current = inputs(home)
    stamp = _read_stamp(models_dir)
    if not force and not needs_training(home, models_dir):
        if not quiet:
            print(f"carebot: model is up to date ({latest_model(models_dir)})")
        return latest_model(models_dir)
    force = force or stamp.get("rasa_invisible") != current.rasa_invisible
    models_dir.mkdir(parents=True, exist_ok=True)
    command = rasa_command(home, models_dir, force)
    if not quiet:
        print("carebot: training:", " ".join(command[1:]))
    result = subprocess.run(command, cwd=home, stdout=subprocess.DEVNULL if quiet else None)
    if result.returncode != 0:
        raise SystemExit(f"carebot: training failed (exit {result.returncode})")
    model = latest_model(models_dir)
    if model is None:
        raise SystemExit("carebot: training produced no model")
    (models_dir / STAMP).write_text(
        json.dumps(
            {
                "everything": current.everything,
                "rasa_invisible": current.rasa_invisible,
                "model": model.name,
            }
        )
    )
    for old in sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[:-keep]:
        old.unlink(missing_ok=True)
    return model
