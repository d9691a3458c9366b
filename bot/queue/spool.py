"""Spool: escalations kept on local disk while Redis is unreachable, delivered later.

The bot keeps answering when Redis is down; an escalation it could not enqueue is written here
(one JSON file each, atomically and durably) and :meth:`Spool.drain` enqueues the files
oldest-first once Redis is back. Delivery is idempotent (``escalation_id``), so a file whose
deletion was interrupted is harmless when drained again.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import redis as redis_lib

from bot.queue.models import Escalation
from bot.queue.queue import AgentQueue

log = logging.getLogger(__name__)

STALE_TMP_SECONDS = 3600.0
"""A temporary file older than this was left by a crash mid-``put`` and is removed by drain."""


class Spool:
    """A directory of spooled escalations: ``<put time ns>-<escalation_id>.json``."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def put(self, esc: Escalation) -> Path:
        """Write the escalation durably (tmp file, fsync, rename, fsync dir); its final path."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{esc.escalation_id}.json"
        final = self.directory / name
        tmp = self.directory / f".{name}.tmp"
        data = json.dumps(esc.to_dict(), ensure_ascii=False).encode("utf-8")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._fsync_dir()
        return final

    def pending(self) -> list[Path]:
        """Spooled escalations, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.json"))

    def drain(self, queue: AgentQueue) -> int:
        """Escalate spooled items oldest-first; the number delivered.

        A file is deleted only after Redis accepted its escalation. A file that is not a valid
        escalation is renamed to ``*.bad`` (logged). Stops at the first connection error and
        leaves the rest for the next drain.
        """
        self._remove_stale_tmp()
        delivered = 0
        for path in self.pending():
            try:
                esc = Escalation.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except FileNotFoundError:
                continue  # another drainer took it
            except (ValueError, TypeError, UnicodeDecodeError) as exc:
                bad = path.with_name(path.name + ".bad")
                log.error("spool: %s is not a valid escalation (%s); moved to %s", path, exc, bad)
                os.replace(path, bad)
                continue
            try:
                result = queue.escalate(esc)
            except (redis_lib.ConnectionError, redis_lib.TimeoutError) as exc:
                log.warning("spool: Redis unreachable (%s); %s left", exc, len(self.pending()))
                break
            except redis_lib.RedisError as exc:
                log.error("spool: Redis refused %s (%s); stopping this drain", path.name, exc)
                break
            path.unlink(missing_ok=True)
            delivered += 1
            log.info("spool: delivered %s as %s", esc.escalation_id, result.ticket_id)
        if delivered:
            self._fsync_dir()
        return delivered

    def _fsync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _remove_stale_tmp(self) -> None:
        if not self.directory.is_dir():
            return
        cutoff = time.time() - STALE_TMP_SECONDS
        for tmp in self.directory.glob(".*.tmp"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
            except FileNotFoundError:
                pass
