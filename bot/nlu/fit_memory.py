"""The intent models of the last trainings, kept on disk so the next training starts its fits
from them.

A trainer's ``faq add`` changes a dozen of the bot's ~2,500 examples, yet every training fitted
the intent model's four logistic regressions from zero (~100 L-BFGS iterations each). The fits
are convex: started from the previous training's weights (``bot.nlu.logistic``, ``init``), they
stop at the same tolerance around the same optimum, in fewer iterations because a few new
examples move the optimum little (measured in bench/README.md, "Training cost").

``FitMemory.recall(labels, read)`` returns the stored model whose labels overlap ``labels`` most
(at least half of the union: a model of another data set is no help), or ``None``;
``remember(labels, write)`` stores this training's model as the newest of ``keep`` slots.

Files: ``$CAREBOT_VAR_DIR/cache/fits-<name>/<slot>/`` (``labels.json`` + the model's own files,
JSON and ``.npy``, no pickle), written to a temporary directory and renamed. A cache only:
deleting it costs one cold fit; an unreadable slot is skipped (and later replaced).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from bot.settings import Settings

logger = logging.getLogger(__name__)

Model = TypeVar("Model")

MIN_OVERLAP = 0.5
"""Shared labels / all labels of both models below which a stored model is not used."""


def default_directory() -> Path:
    """``$CAREBOT_VAR_DIR/cache``, from the environment as it is now (``bot.settings``)."""
    return Settings.from_env().var_dir / "cache"


def overlap(a: Sequence[str], b: Sequence[str]) -> float:
    """Jaccard overlap of two label sets."""
    first, second = set(a), set(b)
    union = first | second
    return len(first & second) / len(union) if union else 0.0


class FitMemory:
    """The last ``keep`` trained models of one component, with their labels."""

    def __init__(self, name: str, directory: Path | None = None, keep: int = 2) -> None:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        self.root = (directory or default_directory()) / f"fits-{safe}"
        self.keep = keep

    def _slots(self) -> list[Path]:
        """Stored slots, newest first."""
        try:
            slots = [p for p in self.root.iterdir() if (p / "labels.json").is_file()]
        except OSError:
            return []
        return sorted(slots, key=lambda p: p.name, reverse=True)

    def recall(self, labels: Sequence[str], read: Callable[[Path], Model]) -> Model | None:
        best: tuple[float, Path] | None = None
        for slot in self._slots():
            try:
                stored = json.loads((slot / "labels.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            score = overlap(labels, stored)
            if score >= MIN_OVERLAP and (best is None or score > best[0]):
                best = (score, slot)
        if best is None:
            return None
        try:
            model = read(best[1] / "model")
        except Exception as error:  # noqa: BLE001 - a broken cache entry must not stop training
            logger.warning("fit memory %s unreadable (%s); fitting from zero", best[1], error)
            return None
        logger.info("fits start from the model of an earlier training (%s, label overlap %.2f)",
                    best[1].name, best[0])
        return model

    def remember(self, labels: Sequence[str], write: Callable[[Path], None]) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=".tmp-"))
            write(tmp / "model")
            (tmp / "labels.json").write_text(json.dumps(sorted(set(labels))), encoding="utf-8")
            tmp.rename(self.root / f"{time.time_ns():020d}")
            for old in self._slots()[self.keep:]:
                shutil.rmtree(old, ignore_errors=True)
            for stale in self.root.glob(".tmp-*"):
                if time.time() - stale.stat().st_mtime > 3600:
                    shutil.rmtree(stale, ignore_errors=True)
        except OSError as error:  # a read-only project still trains, only slower next time
            logger.warning("fit memory %s not written: %s", self.root, error)
