"""The ``--from-file`` YAML of ``carebot faq add``: FAQs to add in one go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.faq.schema import FAQ_PREFIX, RESPONSE_PREFIX, FaqError


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
