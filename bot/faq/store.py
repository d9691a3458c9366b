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

Reading is :class:`bot.faq.reader.FaqReader`; the files are :mod:`bot.faq.nlu_file` and
:mod:`bot.faq.domain_file`; names, paths and input checks are :mod:`bot.faq.schema`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from bot.faq.domain_file import DomainFile, Response, answer_lines
from bot.faq.nlu_file import IntentBlock, NluFile
from bot.faq.reader import FaqReader
from bot.faq.schema import (
    DOMAIN_DIR,
    DOMAIN_FILE,
    FAQ_PREFIX,
    NLU_DIR,
    RESPONSE_PREFIX,
    FaqError,
    check_key,
    clean_answer,
    clean_example,
    topic_file,
)

if TYPE_CHECKING:
    from bot.settings import Settings


@dataclass
class Change:
    """What an operation wrote: files changed, and a one-line summary per change."""

    files: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "summary": self.summary}


class FaqStore(FaqReader):
    """The FAQ of one project directory (``CAREBOT_HOME``): reading (:class:`FaqReader`) and
    the edits, one at a time under ``lock_path``."""

    def __init__(self, home: Path, lock_path: Path | None = None) -> None:
        super().__init__(home)
        self.lock_path = lock_path or self.home / "var" / "faq.lock"

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
                    nlu.add_legend(key, description.strip())
            domain = self._domain_file()
            if self._find_response(key) is not None:
                raise FaqError(f"{RESPONSE_PREFIX}{key} exists already in {DOMAIN_DIR}/ "
                               "without examples; remove it first")
            domain.append_response(RESPONSE_PREFIX + key, answer)
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
                nlu.replace_examples(block, replace)
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
                    nlu.replace_examples(block, keep + fresh)
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
                    nlu.add_legend(key, description.strip())
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
                    domain.append_response(RESPONSE_PREFIX + key, text)
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


def faq_store(settings: Settings) -> FaqStore:
    """The FAQ of the configured project (``settings.home``), locked in ``settings.var_dir``."""
    return FaqStore(Path(settings.home), lock_path=Path(settings.var_dir) / "faq.lock")
