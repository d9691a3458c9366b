"""Sentence embeddings of the last training, kept on disk so the next training re-encodes only
what changed.

Encoding the bot's ~1,300 training examples costs ~10 s of the ~30 s an FAQ change takes to
reach the running bot; ``faq add`` changes a dozen of them. ``EmbeddingCache.encode(texts)``
returns the stored rows for texts seen in earlier trainings and encodes the rest, then stores
this training's texts first and, after them, the rows of earlier trainings up to ``max_rows``
in all (default 50,000 rows, ~77 MB: BANKING77, CLINC150 and the bot's own set together, so
benchmarks and the bot do not evict each other; a set larger than that is kept whole).

File: ``$CAREBOT_VAR_DIR/cache/embeddings-<name>.npz`` (``bot.settings``: default ``var/`` of
``CAREBOT_HOME``): ``keys`` (SHA-1 of each text, 40 ASCII bytes) and ``vectors`` (float32).
Written to a temporary file and renamed, so a reader never sees half a file; an unreadable
file is ignored (and replaced). A cache only: deleting it costs one full encoding.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bot.settings import Settings

logger = logging.getLogger(__name__)


def default_directory() -> Path:
    """``$CAREBOT_VAR_DIR/cache``, from the environment as it is now (``bot.settings``)."""
    return Settings.from_env().var_dir / "cache"


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).hexdigest().encode("ascii")


class EmbeddingCache:
    """``encode(texts)`` through ``encoder``, reusing the rows stored by the previous call."""

    def __init__(
        self,
        name: str,
        encoder: Callable[[Sequence[str]], np.ndarray],
        directory: Path | None = None,
        max_rows: int = 50_000,
    ) -> None:
        self.encoder = encoder
        self.max_rows = max_rows
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        self.path = (directory or default_directory()) / f"embeddings-{safe}.npz"

    def _read(self) -> dict[bytes, np.ndarray]:
        try:
            with np.load(self.path) as stored:
                keys, vectors = stored["keys"], stored["vectors"]
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError) as error:
            logger.warning("embedding cache %s unreadable (%s); re-encoding", self.path, error)
            return {}
        return {bytes(k): v for k, v in zip(keys, vectors, strict=False)}

    def _write(self, keys: list[bytes], vectors: np.ndarray) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz.tmp")
            with os.fdopen(handle, "wb") as out:
                np.savez(out, keys=np.array(keys, dtype="S40"), vectors=vectors)
            os.replace(tmp, self.path)
        except OSError as error:  # a read-only project still trains, only slower next time
            logger.warning("embedding cache %s not written: %s", self.path, error)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        known = self._read()
        keys = [text_key(t) for t in texts]
        new = {k: t for k, t in zip(keys, texts, strict=True) if k not in known}
        if new:
            encoded = self.encoder(list(new.values()))
            known.update(zip(new, encoded, strict=True))
        logger.info("embeddings: %d cached, %d encoded", len(keys) - len(new), len(new))
        unique = list(dict.fromkeys(keys))
        mine = set(unique)
        older = [k for k in known if k not in mine][: max(self.max_rows - len(unique), 0)]
        kept = unique + older  # this training's first, then the most recent others
        if new or len(kept) != len(known):
            self._write(kept, np.stack([known[k] for k in kept]) if kept else np.zeros(0))
        return np.stack([known[k] for k in keys]).astype(np.float32) if keys else np.zeros(0)
