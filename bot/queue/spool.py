"""Spool: escalations kept on local disk while Redis is unreachable, delivered later.

The bot keeps answering when Redis is down; an escalation it could not enqueue is written here
(one JSON file each, atomically and durably) and :meth:`Spool.drain` enqueues the files
oldest-first once Redis is back. Delivery is idempotent (``escalation_id``), so a file whose
deletion was interrupted is harmless when drained again.

The spool is bounded (``CAREBOT_SPOOL_MAX_FILES`` files, ``CAREBOT_SPOOL_MAX_MB`` megabytes): a
long outage plus a flood of escalations cannot fill the disk. Beyond the cap ``put`` refuses the
new escalation (:class:`SpoolFull`, logged at ERROR as "spool full" with the conversation); the
ones already spooled are kept, oldest first, for delivery.
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
DEFAULT_MAX_FILES = 10_000
DEFAULT_MAX_BYTES = 100 * 1024 * 1024


class SpoolFull(OSError):
    """The spool is at its cap: the escalation was not written."""


class Spool:
    """A directory of spooled escalations: ``<put time ns>-<escalation_id>.json``."""

    def __init__(
        self,
        directory: Path | str,
        max_files: int = DEFAULT_MAX_FILES,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if max_files < 1 or max_bytes < 1:
            raise ValueError("max_files and max_bytes must be >= 1")
        self.directory = Path(directory)
        self.max_files = max_files
        self.max_bytes = max_bytes

    def usage(self) -> tuple[int, int]:
        """How many escalations are spooled, and their bytes."""
        files = size = 0
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return 0, 0
        for entry in entries:
            if entry.name.endswith(".json"):
                try:
                    size += entry.stat().st_size
                except FileNotFoundError:
                    continue  # drained meanwhile
                files += 1
        return files, size

    def put(self, esc: Escalation) -> Path:
        """Write the escalation durably (tmp file, fsync, rename, fsync dir); its final path.

        Raises:
            SpoolFull: the spool holds ``max_files`` escalations or would exceed ``max_bytes``.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{esc.escalation_id}.json"
        final = self.directory / name
        tmp = self.directory / f".{name}.tmp"
        data = json.dumps(esc.to_dict(), ensure_ascii=False).encode("utf-8")
        files, size = self.usage()
        if files >= self.max_files or size + len(data) > self.max_bytes:
            log.error(
                "spool full (%d escalations, %d bytes; caps %d, %d): escalation of %s:%s "
                "refused, not written",
                files, size, self.max_files, self.max_bytes, esc.channel, esc.sender,
            )
            raise SpoolFull(f"spool full at {self.directory}")
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
