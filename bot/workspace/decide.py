"""``POST /api/decide``: the bot's decision for a message, the same as ``carebot decide``.

The trained model is loaded on first use (seconds, and memory the console alone does not need)
and then kept. Loading and parsing run on one dedicated thread: the interpreter keeps its own
event loop, which must stay on one thread, and the server's loop is never blocked.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Mapping

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.escalation.decision import Decision
    from bot.model.interpreter import Interpreter

DECISION_KEYS = ("decision", "faq", "reasons", "confidence", "tone", "intent", "priority",
                 "language")
"""The keys ``carebot decide`` prints, in its order."""


class ModelUnavailable(RuntimeError):
    """No trained model could be loaded."""


def decision_json(decision: Decision) -> dict[str, Any]:
    """A decision in the ``carebot decide`` shape."""
    data = decision.as_json()
    return {k: data[k] for k in DECISION_KEYS}


class Decider:
    """Lazily loaded :class:`bot.model.interpreter.Interpreter` behind one worker thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._interpreter: Interpreter | None = None
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decide")

    def _load(self) -> Interpreter:
        with self._lock:
            if self._interpreter is None:
                from bot.escalation.config import load_escalation_config
                from bot.model.interpreter import Interpreter

                try:
                    config = load_escalation_config(self.settings.escalation_config)
                    self._interpreter = Interpreter.from_models_dir(self.settings.models_dir,
                                                                    config)
                except SystemExit as exc:  # no trained model: from_models_dir exits the CLI
                    raise ModelUnavailable(str(exc)) from None
            return self._interpreter

    def decide_sync(self, text: str, metadata: Mapping[str, Any] | None = None,
                    previous_failures: int = 0) -> dict[str, Any]:
        interpreter = self._load()
        decision = interpreter.decide(text, metadata=dict(metadata or {}),
                                      previous_failures=previous_failures)
        return decision_json(decision)

    async def decide(self, text: str, metadata: Mapping[str, Any] | None = None,
                     previous_failures: int = 0) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self.decide_sync, text, metadata, previous_failures
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
