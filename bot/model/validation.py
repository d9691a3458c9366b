"""``carebot validate``: Rasa's own data validation, strict, minus the warnings our design causes.

Every follower message goes to ``action_respond``, which utters the vetted responses itself, so
Rasa's validator reports every response as "not used in any story or rule". Those warnings (and
Rasa's duplicate-retrieval-intent notice caused by merging a domain directory) are expected; any
other warning or error fails validation, as ``rasa data validate --fail-on-warnings`` would.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Sequence

EXPECTED = (
    re.compile(r"The utterance 'utter_[\w/]+' is not used in any story or rule"),
    re.compile(r"duplicated intents have been found across multiple domain files: faq\s*$"),
)


def validate(
    home: Path,
    data: Sequence[str] = ("data/nlu", "data/rules", "data/stories"),
    domain: str = "config/domain",
    config: str = "config/config.yml",
) -> list[str]:
    """Problems found (empty list: the project is valid)."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importer = TrainingDataImporter.load_from_config(
            config_path=str(home / config),
            domain_path=str(home / domain),
            training_data_paths=[str(home / d) for d in data],
        )
        validator = Validator.from_importer(importer)
        if importer.get_domain().is_empty():
            problems.append("the domain is empty")
        checks = {
            "domain": validator.verify_domain_validity(),
            "actions in stories": validator.verify_actions_in_stories_rules(),
            "slot mappings": validator.verify_slot_mappings(),
            "nlu": validator.verify_nlu(True),
            "story structure": validator.verify_story_structure(True, max_history=None),
        }
    for name, ok in checks.items():
        if not ok:
            problems.append(f"rasa validation failed: {name}")
    from rasa.utils.common import EXPECTED_WARNINGS

    rasa_expected = [re.compile(pattern) for _, pattern in EXPECTED_WARNINGS]
    for warning in caught:
        message = str(warning.message).strip()
        if any(pattern.match(message) for pattern in rasa_expected):
            continue
        if issubclass(warning.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        if any(pattern.search(message) for pattern in EXPECTED):
            continue
        if str(warning.filename).find("/rasa/") < 0 and "tensorflow" in str(warning.filename):
            continue
        problems.append(message.splitlines()[0])
    return sorted(set(problems))
