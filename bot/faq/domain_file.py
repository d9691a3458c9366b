"""A domain YAML file (``config/domain/*.yml``) as lines: the position and texts of each
response, and the small text edits :class:`bot.faq.store.FaqStore` makes to them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.faq.schema import FaqError, unquote

_RESPONSE_LINE = re.compile(r"^(\s+)(utter_[^\s:]+|\"utter_[^\"]+\"|'utter_[^']+'):\s*$")


@dataclass
class Response:
    name: str
    path: str
    start: int
    end: int
    texts: list[str]
    variants: list[Any]
    indent: str = "  "

    @property
    def line(self) -> int:
        return self.start + 1

    def where(self) -> str:
        return f"{self.path}:{self.line}"


class DomainFile:
    """A domain YAML file as lines, with the position of each response."""

    def __init__(self, home: Path, rel: str, text: str | None = None) -> None:
        self.home = home
        self.rel = rel
        self.path = home / rel
        self.text = text if text is not None else self.path.read_text("utf-8")
        self.lines = self.text.splitlines()
        try:
            self.data = yaml.safe_load(self.text) or {}
        except yaml.YAMLError as error:
            raise FaqError(f"{self.rel}: not valid YAML: {error}") from None
        if not isinstance(self.data, dict):
            raise FaqError(f"{self.rel}: expected a mapping")
        self.responses: list[Response] = []
        self.responses_line: int | None = None
        self.responses_end: int | None = None
        self._parse()

    def _parse(self) -> None:
        data = self.data.get("responses") or {}
        lines = self.lines
        in_responses = False
        current: Response | None = None
        entry_indent: int | None = None
        for i, line in enumerate(lines):
            if line and not line[0].isspace() and not line.startswith("#"):
                if current is not None:
                    self._close(current, i)
                    current = None
                in_responses = bool(re.match(r"^responses:\s*(#.*)?$", line))
                if in_responses:
                    self.responses_line = i
                    self.responses_end = i + 1
                continue
            if not in_responses:
                continue
            match = _RESPONSE_LINE.match(line)
            indent = len(line) - len(line.lstrip())
            if match and (entry_indent is None or indent == entry_indent):
                entry_indent = indent
                if current is not None:
                    self._close(current, i)
                name = unquote(match.group(2))
                variants = data.get(name) or []
                texts = [
                    str(v.get("text") or "") if isinstance(v, dict) else str(v or "")
                    for v in (variants if isinstance(variants, list) else [variants])
                ]
                current = Response(name, self.rel, i, i + 1, texts,
                                   variants if isinstance(variants, list) else [variants],
                                   indent=match.group(1))
        if current is not None:
            self._close(current, len(lines))

    def _close(self, response: Response, end: int) -> None:
        while end > response.start + 1 and (
            not self.lines[end - 1].strip() or self.lines[end - 1].lstrip().startswith("#")
        ):
            end -= 1
        response.end = end
        self.responses_end = max(self.responses_end or 0, end)
        self.responses.append(response)

    def response(self, name: str) -> Response | None:
        for response in self.responses:
            if response.name == name:
                return response
        return None

    def verify(self) -> None:
        data = self.data.get("responses") or {}
        names = [r.name for r in self.responses]
        if sorted(names) != sorted(str(k) for k in data) or len(set(names)) != len(names):
            raise FaqError(f"{self.rel}: unusual layout of 'responses:' (edit it by hand)")

    def append_response(self, name: str, answer: str) -> None:
        """A new response ``name`` with one text at the end of ``responses:`` (added if none)."""
        indent = self.responses[-1].indent if self.responses else "  "
        entry = answer_lines(name, answer, indent)
        if self.responses_line is None:
            self.lines += ["", "responses:"] + entry
            return
        at = self.responses_end if self.responses_end is not None else self.responses_line + 1
        gap = [""] if self.responses else []
        self.lines[at:at] = gap + entry

    def render(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


def answer_lines(name: str, answer: str, indent: str = "  ") -> list[str]:
    """A response entry with one text variant, quoted as a JSON string (valid YAML)."""
    return [f"{indent}{name}:", f"{indent}  - text: {json.dumps(answer, ensure_ascii=False)}"]
