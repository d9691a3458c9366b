"""An NLU YAML file (``data/nlu/*.yml``) as lines: its intent blocks and their examples, the
header's ``# key = description`` legend, and the small text edits :class:`bot.faq.store.FaqStore`
makes to them (comments, order and quoting of the file survive)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import yaml

from bot.faq.schema import FaqError, unquote

_INTENT_LINE = re.compile(r"^- intent:\s*(.+?)\s*$")
_EXAMPLES_LINE = re.compile(r"^(\s+)examples:\s*\|[-+]?\s*$")
_LEGEND_LINE = re.compile(r"^#\s*([a-z][a-z0-9_]*)(\s*)=\s*(.*)$")


@dataclass
class Example:
    text: str
    path: str
    line: int
    """1-based line number in ``path``."""

    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class IntentBlock:
    """One ``- intent: …`` item of an NLU file (lines ``start`` .. ``end``-1, 0-based)."""

    intent: str
    path: str
    start: int
    end: int
    examples: list[Example] = field(default_factory=list)
    example_indent: str = "    "
    last_example: int | None = None
    """0-based index of the last example line (new examples go after it)."""

    @property
    def line(self) -> int:
        return self.start + 1

    def where(self) -> str:
        return f"{self.path}:{self.line}"


class NluFile:
    """An NLU YAML file as lines, with the position of each intent block."""

    def __init__(self, home: Path, rel: str, text: str | None = None) -> None:
        self.home = home
        self.rel = rel
        self.path = home / rel
        self.exists = self.path.exists() if text is None else True
        self.text = text if text is not None else (self.path.read_text("utf-8") if self.exists
                                                   else "")
        self.lines = self.text.splitlines()
        self.blocks: list[IntentBlock] = []
        self.nlu_line: int | None = None
        self.nlu_end: int | None = None
        self._parse()

    def _parse(self) -> None:
        lines = self.lines
        i = 0
        in_nlu = False
        block: IntentBlock | None = None
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if line and not line[0].isspace() and not line.startswith("- "):
                if block is not None:  # a top-level key or a column-0 comment ends the block
                    self._close(block, i)
                    block = None
                if re.match(r"^nlu:\s*(#.*)?$", line):
                    in_nlu, self.nlu_line = True, i
                elif not line.startswith("#"):
                    in_nlu = False
                i += 1
                continue
            if in_nlu and line.startswith("- "):
                if block is not None:
                    self._close(block, i)
                    block = None
                match = _INTENT_LINE.match(line)
                if match:
                    block = IntentBlock(unquote(match.group(1)), self.rel, i, i + 1)
                self.nlu_end = i + 1
                i += 1
                continue
            if block is not None:
                examples = _EXAMPLES_LINE.match(line)
                if examples:
                    key_indent = len(examples.group(1))
                    j = i + 1
                    while j < len(lines):
                        body = lines[j]
                        if body.strip() and len(body) - len(body.lstrip()) <= key_indent:
                            break
                        text = body.strip()
                        if text.startswith("-"):
                            block.examples.append(Example(text[1:].strip(), self.rel, j + 1))
                            block.example_indent = body[: len(body) - len(body.lstrip())]
                            block.last_example = j
                        j += 1
                    i = j
                    continue
            if in_nlu and stripped and self.nlu_end is not None:
                self.nlu_end = i + 1
            i += 1
        if block is not None:
            self._close(block, len(lines))

    def _close(self, block: IntentBlock, end: int) -> None:
        while end > block.start + 1 and not self.lines[end - 1].strip():
            end -= 1
        block.end = end
        self.nlu_end = max(self.nlu_end or 0, end)
        self.blocks.append(block)

    def verify(self) -> None:
        """:class:`FaqError` unless a YAML parser sees exactly the intents and examples we see."""
        try:
            data = yaml.safe_load(self.text) if self.text.strip() else {}
        except yaml.YAMLError as error:
            raise FaqError(f"{self.rel}: not valid YAML: {error}") from None
        items = (data or {}).get("nlu") or [] if isinstance(data, dict) else None
        if items is None:
            raise FaqError(f"{self.rel}: expected a mapping with an 'nlu' list")
        theirs: list[tuple[str, list[str]]] = []
        for item in items:
            if isinstance(item, dict) and "intent" in item:
                raw = item.get("examples") or ""
                if not isinstance(raw, str):
                    raise FaqError(f"{self.rel}: intent {item['intent']}: examples must be a "
                                   "'|' block (the layout carebot edits)")
                found = [ln.strip()[1:].strip() for ln in raw.splitlines()
                         if ln.strip().startswith("-")]
                theirs.append((str(item["intent"]), found))
        ours = [(b.intent, [e.text for e in b.examples]) for b in self.blocks]
        if ours != theirs:
            raise FaqError(f"{self.rel}: unusual layout; carebot edits only files laid out as "
                           "'- intent: …' / 'examples: |' blocks (edit this one by hand)")

    def block(self, intent: str) -> IntentBlock | None:
        for block in self.blocks:
            if block.intent == intent:
                return block
        return None

    def legend_line(self, key: str) -> int | None:
        """Index of the header comment ``# key = description`` (before ``nlu:``)."""
        limit = self.nlu_line if self.nlu_line is not None else len(self.lines)
        for i in range(limit):
            match = _LEGEND_LINE.match(self.lines[i])
            if match and match.group(1) == key:
                return i
        return None

    def description(self, key: str) -> str:
        """The text of the header comment ``# key = description`` (``""`` if there is none)."""
        line = self.legend_line(key)
        if line is None:
            return ""
        match = _LEGEND_LINE.match(self.lines[line])
        return match.group(3).strip() if match else ""

    def replace_examples(self, block: IntentBlock, examples: Sequence[str]) -> None:
        """The block's example lines become ``examples`` (one line each, same indent)."""
        lines = self.lines
        example_lines = [e.line - 1 for e in block.examples]
        if not example_lines:
            raise FaqError(f"{block.where()}: {block.intent} has no 'examples: |' list to edit")
        first, last = example_lines[0], example_lines[-1]
        if any(lines[i].strip() and i not in set(example_lines) for i in range(first, last + 1)):
            raise FaqError(f"{block.where()}: comments between examples; edit this block by hand")
        lines[first : last + 1] = [f"{block.example_indent}- {t}" for t in examples]

    def add_legend(self, key: str, description: str) -> None:
        """Add ``# key = description`` after the header's last legend line (aligned like it)."""
        limit = self.nlu_line if self.nlu_line is not None else len(self.lines)
        last = None
        column = 0
        for i in range(limit):
            match = _LEGEND_LINE.match(self.lines[i])
            if match:
                last = i
                column = len(match.group(1)) + len(match.group(2))
        pad = " " * max(1, column - len(key)) if last is not None else " "
        line = f"# {key}{pad}= {description}"
        if last is None:
            # after the header comment block that precedes nlu:, else right before nlu:
            at = limit
            while at > 0 and not self.lines[at - 1].strip():
                at -= 1
            self.lines.insert(at, line)
        else:
            self.lines.insert(last + 1, line)
        if self.nlu_line is not None:
            self.nlu_line += 1

    def render(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"
