"""The docs name only modules, names and files that exist (README.md, docs/architecture.md),
and the package keeps the dependency rules docs/architecture.md states."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "docs/architecture.md", "docs/channels.md", "docs/trainers.md",
        "docs/workspace.md", "docs/audit.md"]
DOTTED = re.compile(r"(?<![\w/.-])((?:bot|actions|bench)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
PATH = re.compile(r"`((?:bot|actions|bench|config|data|deploy|docs|tests|scripts)/[^`\s*<>{]*)`")


def _module_file(parts: list[str]) -> Path | None:
    base = ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _names(path: Path) -> tuple[frozenset[str], dict[str, str]]:
    """Every name a module defines, at any depth (functions, classes, assignments), and the
    names it imports from other carebot modules (name -> ``module.name``)."""
    names: set[str] = set()
    imported: dict[str, str] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return frozenset(names), imported


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        found = _module_file(parts[:cut])
        if found is None:
            continue
        rest = parts[cut:]
        if not rest:
            return True
        defined, imported = _names(found)
        if rest[0] in imported:  # re-exported: follow it to where it is defined
            return _resolves(".".join([imported[rest[0]], *rest[1:]]))
        return all(name in defined for name in rest)
    return False


@pytest.mark.parametrize("doc", DOCS)
def test_every_module_and_name_the_docs_mention_exists(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    missing = sorted({d for d in DOTTED.findall(text) if not _resolves(d.rstrip("."))})
    assert not missing, f"{doc} names what does not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_file_the_docs_mention_exists(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    missing = sorted({p for p in PATH.findall(text) if not (ROOT / p.rstrip("/")).exists()})
    assert not missing, f"{doc} names files that do not exist: {missing}"


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
    return out


def test_the_decision_is_pure_and_bench_stays_out_of_the_product() -> None:
    for name in ("reasons", "decision", "priority", "config"):
        own = {m for m in _imports(ROOT / "bot" / "escalation" / f"{name}.py")
               if m.split(".")[0] in ("bot", "rasa", "rasa_sdk", "redis")}
        assert all(m.startswith("bot.escalation.") for m in own), (name, own)
    assert not _imports(ROOT / "bot" / "escalation" / "reasons.py") - {"__future__", "enum"}
    for path in (ROOT / "bot").rglob("*.py"):
        if path != ROOT / "bot" / "cli" / "bench.py":
            bench = {m for m in _imports(path) if m.split(".")[0] == "bench"}
            assert not bench, f"{path.relative_to(ROOT)} imports {bench}"
