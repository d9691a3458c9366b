"""Read the FAQ of a project as the bot will: every ``faq/KEY`` with its examples, answer and
description (:class:`Faq`), and every intent's examples. :class:`bot.faq.store.FaqStore` adds
the edits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.faq.domain_file import DomainFile, Response
from bot.faq.nlu_file import Example, IntentBlock, NluFile
from bot.faq.schema import (
    DOMAIN_DIR,
    FAQ_PREFIX,
    NLU_DIR,
    RESPONSE_PREFIX,
    FaqError,
    check_key,
)


@dataclass
class Faq:
    key: str
    path: str
    line: int
    examples: list[Example]
    answers: list[str]
    answer_where: str | None
    description: str = ""

    @property
    def answer(self) -> str:
        return self.answers[0] if self.answers else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "file": self.path,
            "line": self.line,
            "description": self.description,
            "answer": self.answer,
            "answers": list(self.answers),
            "answer_file": self.answer_where,
            "examples": [e.text for e in self.examples],
        }


class FaqReader:
    """The FAQ of one project directory (``CAREBOT_HOME``), read-only."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)

    def nlu_files(self) -> list[NluFile]:
        return [NluFile(self.home, str(p.relative_to(self.home)))
                for p in sorted((self.home / NLU_DIR).glob("**/*.yml"))]

    def domain_files(self) -> list[DomainFile]:
        return [DomainFile(self.home, str(p.relative_to(self.home)))
                for p in sorted((self.home / DOMAIN_DIR).glob("*.yml"))]

    def intents(self) -> list[IntentBlock]:
        return [b for f in self.nlu_files() for b in f.blocks]

    def responses(self) -> dict[str, Response]:
        out: dict[str, Response] = {}
        for f in self.domain_files():
            for r in f.responses:
                out.setdefault(r.name, r)
        return out

    def faqs(self) -> dict[str, Faq]:
        """Every FAQ key in file order; a key without examples but with an answer is listed too."""
        responses = self.responses()
        out: dict[str, Faq] = {}
        for f in self.nlu_files():
            for block in f.blocks:
                if not block.intent.startswith(FAQ_PREFIX):
                    continue
                key = block.intent[len(FAQ_PREFIX) :]
                response = responses.get(RESPONSE_PREFIX + key)
                if key in out:
                    out[key].examples.extend(block.examples)
                    continue
                out[key] = Faq(key, f.rel, block.line, list(block.examples),
                               response.texts if response else [],
                               response.where() if response else None, f.description(key))
        for name, response in responses.items():
            if name.startswith(RESPONSE_PREFIX) and name[len(RESPONSE_PREFIX) :] not in out:
                key = name[len(RESPONSE_PREFIX) :]
                out[key] = Faq(key, "", 0, [], response.texts, response.where())
        return out

    def get(self, key: str) -> Faq:
        key = check_key(key)
        faq = self.faqs().get(key)
        if faq is None:
            raise FaqError(f"no FAQ {key!r} (see 'carebot faq list')")
        return faq

    def all_examples(self) -> dict[str, list[Example]]:
        """Every intent's examples (``faq/key`` and the others), as Rasa reads them."""
        out: dict[str, list[Example]] = {}
        for block in self.intents():
            out.setdefault(block.intent, []).extend(block.examples)
        return out
