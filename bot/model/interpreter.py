"""Load a trained Rasa model and parse messages with it, outside the running server.

Used by ``carebot decide`` and the benchmarks: the same model and the same decision code
(``bot.escalation.decision.decide``) the running bot uses, with no side effects.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from bot.escalation.config import EscalationConfig
from bot.escalation.decision import Decision, decide
from bot.model.training import latest_model


def quiet_rasa_logging() -> None:
    """Rasa logs every parse through structlog to stdout; keep stdout for our JSON."""
    import structlog

    logging.getLogger("rasa").setLevel(logging.ERROR)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


class Interpreter:
    """A loaded model: ``parse(text)`` → Rasa parse data, ``decide(text)`` → Decision."""

    def __init__(self, model: Path, config: EscalationConfig) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        quiet_rasa_logging()
        from rasa.core.agent import Agent

        self.model = model
        self.config = config
        self.agent = Agent.load(str(model))
        self._loop = asyncio.new_event_loop()

    @classmethod
    def from_models_dir(cls, models_dir: Path, config: EscalationConfig) -> Interpreter:
        model = latest_model(models_dir)
        if model is None:
            raise SystemExit(f"carebot: no trained model in {models_dir}; run 'carebot train'")
        return cls(model, config)

    @property
    def responses(self) -> dict[str, Any]:
        domain = self.agent.domain
        return dict(domain.responses) if domain is not None else {}

    def parse(self, text: str) -> dict[str, Any]:
        result = self._loop.run_until_complete(self.agent.parse_message(text))
        return dict(result)

    def decide(
        self, text: str, metadata: dict[str, Any] | None = None, previous_failures: int = 0
    ) -> Decision:
        return decide(
            self.parse(text), self.config, metadata=metadata, previous_failures=previous_failures
        )
