"""Read and write the FAQ: examples in ``data/nlu/faq_*.yml``, answers in ``config/domain/faq.yml``.

An FAQ ``KEY`` is the retrieval intent ``faq/KEY`` (its examples, in one topic file under
``data/nlu/``) plus the response ``utter_faq/KEY`` (its vetted answer, in
``config/domain/faq.yml``). Edits are careful *text* edits, not a YAML dump: comments, order,
quoting and blank lines of the files survive and a change is the smallest possible diff
(a new FAQ appends one block to a topic file and one response to the domain; a new example
is one added line). Every edited file is parsed again before it replaces the old one and
must hold exactly the intended data, else nothing is written (:class:`FaqError`).

Layout this module writes (and the one the project's files use)::

    nlu:                                    responses:
    - intent: faq/KEY                         utter_faq/KEY:
      examples: |                               - text: "the answer"
        - an example
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import yaml

FAQ_PREFIX = "faq/"
RESPONSE_PREFIX = "utter_faq/"
NLU_DIR = "data/nlu"
DOMAIN_DIR = "config/domain"
DOMAIN_FILE = "config/domain/faq.yml"
DEFAULT_TOPIC = "misc"
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
TOPIC_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_EXAMPLE_CHARS = 1000
ENTITY_MARKUP = re.compile(r"\[[^\]\n]*\]\s*[({]")

_INTENT_LINE = re.compile(r"^- intent:\s*(.+?)\s*$")
_EXAMPLES_LINE = re.compile(r"^(\s+)examples:\s*\|[-+]?\s*$")
_LEGEND_LINE = re.compile(r"^#\s*([a-z][a-z0-9_]*)(\s*)=\s*(.*)$")
_RESPONSE_LINE = re.compile(r"^(\s+)(utter_[^\s:]+|\"utter_[^\"]+\"|'utter_[^']+'):\s*$")


class FaqError(ValueError):
    """An FAQ operation that cannot be done (unknown key, bad input, file layout)."""


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def clean_example(text: str) -> str:
    """An example as one tidy line; :class:`FaqError` if it cannot be a training example."""
    if not isinstance(text, str):
        raise FaqError("an example must be a string")
    line = " ".join(text.split())
    if not line:
        raise FaqError("an example is empty")
    if len(line) > MAX_EXAMPLE_CHARS:
        raise FaqError(f"an example is longer than {MAX_EXAMPLE_CHARS} characters: {line[:60]!r}…")
    if ENTITY_MARKUP.search(line):
        raise FaqError(
            f"example {line!r} contains '[…](…)', which Rasa reads as an entity annotation; "
            "rephrase it without brackets"
        )
    return line


def clean_answer(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise FaqError("the answer is empty")
    lines = [" ".join(part.split()) for part in text.strip().splitlines()]
    return "\n".join(lines)


def check_key(key: str) -> str:
    key = (key or "").strip()
    if key.startswith(FAQ_PREFIX):
        key = key[len(FAQ_PREFIX) :]
    if not KEY_PATTERN.match(key):
        raise FaqError(
            f"FAQ key {key!r}: use 2-60 lower-case letters, digits and _ (e.g. 'rental_gear')"
        )
    return key


def topic_file(topic: str | None) -> str:
    """``None`` → ``data/nlu/faq_misc.yml``; ``"shipping"``, ``"faq_shipping"`` or
    ``"faq_shipping.yml"`` → ``data/nlu/faq_shipping.yml``."""
    name = (topic or DEFAULT_TOPIC).strip()
    name = name.rsplit("/", 1)[-1]
    if name.endswith(".yml"):
        name = name[:-4]
    if name.startswith("faq_"):
        name = name[4:]
    if not TOPIC_PATTERN.match(name):
        raise FaqError(f"topic {topic!r}: use lower-case letters, digits and _ (e.g. 'orders')")
    return f"{NLU_DIR}/faq_{name}.yml"


# -- the NLU files ---------------------------------------------------------------------------


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
                    block = IntentBlock(_unquote(match.group(1)), self.rel, i, i + 1)
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

    def render(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


# -- the domain ------------------------------------------------------------------------------


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
                name = _unquote(match.group(2))
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

    def render(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


def answer_lines(name: str, answer: str, indent: str = "  ") -> list[str]:
    """A response entry with one text variant, quoted as a JSON string (valid YAML)."""
    return [f"{indent}{name}:", f"{indent}  - text: {json.dumps(answer, ensure_ascii=False)}"]


# -- the store -------------------------------------------------------------------------------


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


@dataclass
class Change:
    """What an operation wrote: files changed, and a one-line summary per change."""

    files: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "summary": self.summary}


class FaqStore:
    """The FAQ of one project directory (``CAREBOT_HOME``)."""

    def __init__(self, home: Path, lock_path: Path | None = None) -> None:
        self.home = Path(home)
        self.lock_path = lock_path or self.home / "var" / "faq.lock"

    # -- reading ------------------------------------------------------------------------------

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
                legend = f.legend_line(key)
                description = ""
                if legend is not None:
                    match = _LEGEND_LINE.match(f.lines[legend])
                    description = match.group(3).strip() if match else ""
                out[key] = Faq(key, f.rel, block.line, list(block.examples),
                               response.texts if response else [],
                               response.where() if response else None, description)
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

    # -- writing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, files: Sequence[NluFile | DomainFile], deleted: Sequence[Path] = ()) -> None:
        """Verify every new text, then replace the files (each atomically)."""
        texts = []
        for f in files:
            text = f.render()
            again: NluFile | DomainFile = (
                NluFile(self.home, f.rel, text) if isinstance(f, NluFile)
                else DomainFile(self.home, f.rel, text)
            )
            again.verify()
            texts.append((f.path, text))
        for path, text in texts:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o777)
            else:
                os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        for path in deleted:
            path.unlink(missing_ok=True)

    def _find_block(self, key: str) -> tuple[NluFile, IntentBlock]:
        for f in self.nlu_files():
            block = f.block(FAQ_PREFIX + key)
            if block is not None:
                f.verify()
                return f, block
        raise FaqError(f"no FAQ {key!r} in {NLU_DIR}/ (see 'carebot faq list')")

    def _find_response(self, key: str) -> tuple[DomainFile, Response] | None:
        for f in self.domain_files():
            response = f.response(RESPONSE_PREFIX + key)
            if response is not None:
                f.verify()
                return f, response
        return None

    def _domain_file(self) -> DomainFile:
        path = self.home / DOMAIN_FILE
        if not path.exists():
            text = ('version: "3.1"\n\n# Vetted FAQ answers (one per faq/<key> retrieval intent).'
                    "\n\nintents:\n  - faq\n\nresponses:\n")
            return DomainFile(self.home, DOMAIN_FILE, text)
        domain = DomainFile(self.home, DOMAIN_FILE)
        domain.verify()
        return domain

    def add(
        self,
        key: str,
        answer: str,
        examples: Iterable[str],
        topic: str | None = None,
        description: str | None = None,
    ) -> Change:
        """A new FAQ: its block at the end of the topic file, its answer at the end of the
        domain's responses. :class:`FaqError` if the key exists or the input is unusable."""
        key = check_key(key)
        answer = clean_answer(answer)
        cleaned = _unique([clean_example(e) for e in examples])
        if not cleaned:
            raise FaqError(f"faq/{key}: give at least one example")
        rel = topic_file(topic)
        with self._locked():
            if key in self.faqs():
                raise FaqError(f"FAQ {key!r} exists already (use 'carebot faq edit {key}')")
            nlu = NluFile(self.home, rel)
            if nlu.exists:
                nlu.verify()
            block = [f"- intent: {FAQ_PREFIX}{key}", "  examples: |"]
            block += [f"    - {e}" for e in cleaned]
            if not nlu.exists or nlu.nlu_line is None:
                name = rel.rsplit("/", 1)[-1][4:-4].replace("_", " ")
                header = ['version: "3.1"', "", f"# FAQ retrieval intents: {name}."]
                if nlu.exists and nlu.text.strip():
                    raise FaqError(f"{rel} exists but has no 'nlu:' list (fix it by hand)")
                legend = [f"# {key} = {description.strip()}"] if description else []
                nlu.lines = header + legend + ["", "nlu:"] + block
            else:
                at = nlu.nlu_end if nlu.nlu_end is not None else nlu.nlu_line + 1
                gap = [""] if nlu.blocks else []
                nlu.lines[at:at] = gap + block
                if description:
                    _add_legend(nlu, key, description.strip())
            domain = self._domain_file()
            if self._find_response(key) is not None:
                raise FaqError(f"{RESPONSE_PREFIX}{key} exists already in {DOMAIN_DIR}/ "
                               "without examples; remove it first")
            _append_response(domain, RESPONSE_PREFIX + key, answer)
            self._write([nlu, domain])
        return Change([rel, DOMAIN_FILE], [
            f"added faq/{key} with {len(cleaned)} examples to {rel}",
            f"added {RESPONSE_PREFIX}{key} to {DOMAIN_FILE}",
        ])

    def add_examples(self, key: str, examples: Iterable[str]) -> Change:
        """New examples at the end of the key's block (ones it has already are skipped)."""
        return self.edit(key, add=examples)

    def edit(
        self,
        key: str,
        *,
        answer: str | None = None,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        examples: Sequence[str] | None = None,
        description: str | None = None,
    ) -> Change:
        """Change an FAQ: its answer, examples added/removed (or all replaced), description."""
        key = check_key(key)
        to_add = [clean_example(e) for e in add]
        to_remove = [" ".join(e.split()) for e in remove]
        replace = None if examples is None else _unique([clean_example(e) for e in examples])
        if replace is not None and not replace:
            raise FaqError(f"faq/{key}: an FAQ needs examples (use 'carebot faq remove {key}')")
        change = Change()
        with self._locked():
            nlu, block = self._find_block(key)
            current = [e.text for e in block.examples]
            nlu_changed = False
            if replace is not None:
                _replace_examples(nlu, block, replace)
                nlu_changed = replace != current
                if nlu_changed:
                    change.summary.append(f"faq/{key}: examples replaced ({len(replace)})")
            else:
                missing = [t for t in to_remove if t not in current]
                if missing:
                    raise FaqError(f"faq/{key} has no example {missing[0]!r} ({block.where()})")
                keep = [t for t in current if t not in set(to_remove)]
                fresh = [t for t in _unique(to_add) if t not in set(keep)]
                if not keep and not fresh:
                    raise FaqError(f"faq/{key}: that would remove every example "
                                   f"(use 'carebot faq remove {key}')")
                if to_remove:
                    _replace_examples(nlu, block, keep + fresh)
                    nlu_changed = True
                    change.summary.append(f"faq/{key}: removed {len(to_remove)} example(s)")
                elif fresh:
                    after = block.last_example if block.last_example is not None \
                        else block.end - 1
                    nlu.lines[after + 1 : after + 1] = [
                        f"{block.example_indent}- {t}" for t in fresh
                    ]
                    nlu_changed = True
                if fresh:
                    change.summary.append(f"faq/{key}: added {len(fresh)} example(s)")
            if description is not None:
                line = nlu.legend_line(key)
                if line is not None:
                    del nlu.lines[line]
                    if nlu.nlu_line is not None:
                        nlu.nlu_line -= 1
                if description.strip():
                    _add_legend(nlu, key, description.strip())
                nlu_changed = True
                change.summary.append(f"faq/{key}: description set")
            files: list[NluFile | DomainFile] = [nlu] if nlu_changed else []
            if nlu_changed:
                change.files.append(nlu.rel)
            if answer is not None:
                text = clean_answer(answer)
                found = self._find_response(key)
                if found is None:
                    domain = self._domain_file()
                    _append_response(domain, RESPONSE_PREFIX + key, text)
                else:
                    domain, response = found
                    if response.texts != [text]:
                        domain.lines[response.start : response.end] = answer_lines(
                            response.name, text, response.indent
                        )
                    else:
                        domain = None  # type: ignore[assignment]
                if domain is not None:
                    files.append(domain)
                    change.files.append(domain.rel)
                    change.summary.append(f"{RESPONSE_PREFIX}{key}: answer changed")
            if files:
                self._write(files)
        if not change.summary:
            change.summary.append(f"faq/{key}: nothing to change")
        return change

    def remove(self, key: str) -> Change:
        """Delete the FAQ's block, its legend comment, and its answer."""
        key = check_key(key)
        change = Change()
        with self._locked():
            files: list[NluFile | DomainFile] = []
            deleted: list[Path] = []
            try:
                nlu, block = self._find_block(key)
            except FaqError:
                nlu = None  # type: ignore[assignment]
            if nlu is not None:
                start, end = block.start, block.end
                if start > 0 and not nlu.lines[start - 1].strip():
                    start -= 1
                elif end < len(nlu.lines) and not nlu.lines[end].strip():
                    end += 1
                del nlu.lines[start:end]
                legend = nlu.legend_line(key)
                if legend is not None:
                    del nlu.lines[legend]
                change.files.append(nlu.rel)
                change.summary.append(f"removed faq/{key} from {nlu.rel}")
                rest = NluFile(self.home, nlu.rel, nlu.render())
                if not rest.blocks and nlu.rel.rsplit("/", 1)[-1].startswith("faq_"):
                    deleted.append(nlu.path)
                    change.summary.append(f"deleted {nlu.rel} (no intents left)")
                else:
                    files.append(nlu)
            found = self._find_response(key)
            if found is not None:
                domain, response = found
                start, end = response.start, response.end
                if start > 0 and not domain.lines[start - 1].strip():
                    start -= 1
                del domain.lines[start:end]
                files.append(domain)
                change.files.append(domain.rel)
                change.summary.append(f"removed {response.name} from {domain.rel}")
            if not change.files:
                raise FaqError(f"no FAQ {key!r} (see 'carebot faq list')")
            self._write(files, deleted)
        return change


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _replace_examples(nlu: NluFile, block: IntentBlock, examples: Sequence[str]) -> None:
    lines = nlu.lines
    example_lines = [e.line - 1 for e in block.examples]
    if not example_lines:
        raise FaqError(f"{block.where()}: {block.intent} has no 'examples: |' list to edit")
    first, last = example_lines[0], example_lines[-1]
    if any(lines[i].strip() and i not in set(example_lines) for i in range(first, last + 1)):
        raise FaqError(f"{block.where()}: comments between examples; edit this block by hand")
    lines[first : last + 1] = [f"{block.example_indent}- {t}" for t in examples]


def _add_legend(nlu: NluFile, key: str, description: str) -> None:
    """Add ``# key = description`` after the header's last legend line (aligned like it)."""
    limit = nlu.nlu_line if nlu.nlu_line is not None else len(nlu.lines)
    last = None
    column = 0
    for i in range(limit):
        match = _LEGEND_LINE.match(nlu.lines[i])
        if match:
            last = i
            column = len(match.group(1)) + len(match.group(2))
    pad = " " * max(1, column - len(key)) if last is not None else " "
    line = f"# {key}{pad}= {description}"
    if last is None:
        # after the header comment block that precedes nlu:, else right before nlu:
        at = limit
        while at > 0 and not nlu.lines[at - 1].strip():
            at -= 1
        nlu.lines.insert(at, line)
    else:
        nlu.lines.insert(last + 1, line)
    if nlu.nlu_line is not None:
        nlu.nlu_line += 1


def _append_response(domain: DomainFile, name: str, answer: str) -> None:
    indent = domain.responses[-1].indent if domain.responses else "  "
    entry = answer_lines(name, answer, indent)
    if domain.responses_line is None:
        domain.lines += ["", "responses:"] + entry
        return
    at = domain.responses_end if domain.responses_end is not None else domain.responses_line + 1
    gap = [""] if domain.responses else []
    domain.lines[at:at] = gap + entry


def load_faq_file(path: Path) -> list[dict[str, Any]]:
    """FAQs from a ``--from-file`` YAML: one mapping or a list of them, each with ``key``,
    ``answer``, ``examples`` (list) and optional ``topic`` and ``description``. A Rasa-style
    file (``nlu:`` with ``- intent: faq/KEY`` blocks and ``responses:``) works too."""
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise FaqError(f"{path}: {error}") from None
    items: list[dict[str, Any]] = []
    if isinstance(data, dict) and "nlu" in data:
        responses = data.get("responses") or {}
        for item in data.get("nlu") or []:
            intent = str(item.get("intent", ""))
            if not intent.startswith(FAQ_PREFIX):
                continue
            key = intent[len(FAQ_PREFIX) :]
            raw = item.get("examples") or ""
            examples = ([ln.strip()[1:].strip() for ln in raw.splitlines()
                         if ln.strip().startswith("-")] if isinstance(raw, str) else list(raw))
            variants = responses.get(RESPONSE_PREFIX + key) or []
            answer = variants[0].get("text", "") if variants and isinstance(variants[0], dict) \
                else ""
            items.append({"key": key, "answer": answer, "examples": examples,
                          "topic": data.get("topic")})
        return items
    for entry in data if isinstance(data, list) else [data]:
        if not isinstance(entry, dict) or not {"key", "answer", "examples"} <= set(entry):
            raise FaqError(f"{path}: each FAQ needs key, answer and examples (a list)")
        if not isinstance(entry["examples"], list):
            raise FaqError(f"{path}: {entry['key']}: examples must be a list")
        items.append(entry)
    return items
