"""Does a trained bot still answer its own conversation-test phrasings under ``decide()``?

``rasa test core --e2e`` on ``tests/stories`` checks the classifier's top label only; this runs
the real ``decide()`` on every user text of those stories, with the configured confidence
thresholds and with others, and prints one JSON object: per story file, how many user texts are
answered, and the FAQ/small-talk texts that are not (with their reasons and confidence).

    .venv/bin/python -m bench.own_faq_bench [--model models/X.tar.gz] [--thresholds 0.9 0.95]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any, Sequence

import yaml

ROOT = Path(__file__).resolve().parent.parent
ESCALATING_FILES = ("test_handoff.yml",)  # stories written to escalate: answering them is wrong


def story_texts(directory: Path) -> list[tuple[str, str]]:
    """(file name, user text) for every user step of every story file."""
    out = []
    for path in sorted(directory.glob("*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8")).get("stories") or []:
            for step in story.get("steps") or []:
                if "user" in step:
                    out.append((path.name, str(step["user"]).strip()))
    return out


def run(model: Path, escalation: Path, stories: Path, extra: Sequence[float]) -> dict[str, Any]:
    from bench.nlu_eval import Evaluator
    from bot.escalation.config import load_escalation_config
    from bot.escalation.decision import decide

    config = load_escalation_config(escalation)
    evaluator = Evaluator(model)
    rows = story_texts(stories)
    parses = [evaluator.parse(text) for _, text in rows]
    evaluator.close()
    configured = config.thresholds.answer_confidence
    results: dict[str, Any] = {"model": str(model), "configured_threshold": configured}
    for threshold in [None, *extra]:
        cfg = config
        if threshold is not None:
            thresholds = dataclasses.replace(
                config.thresholds, intent_confidence=threshold, answer_confidence=threshold,
                boundary_confidence=threshold,
            )
            cfg = dataclasses.replace(config, thresholds=thresholds)
        answered: dict[str, list[int]] = {}
        missed = []
        for (name, text), parse in zip(rows, parses, strict=True):
            decision = decide(parse, cfg)
            counts = answered.setdefault(name, [0, 0])
            counts[0] += decision.decision == "answer"
            counts[1] += 1
            if decision.decision != "answer" and name not in ESCALATING_FILES:
                missed.append(
                    {"text": text, "reasons": decision.reasons,
                     "confidence": round(float(decision.confidence), 3)}
                )
        key = "configured" if threshold is None else f"t={threshold}"
        results[key] = {
            "answered": {name: f"{a}/{n}" for name, (a, n) in answered.items()},
            "not_answered": missed,
        }
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model .tar.gz (default: newest in models/)")
    parser.add_argument("--escalation", default=str(ROOT / "config" / "escalation.yml"))
    parser.add_argument("--stories", default=str(ROOT / "tests" / "stories"))
    parser.add_argument("--thresholds", type=float, nargs="*", default=[],
                        help="also try intent = answer threshold t")
    args = parser.parse_args(argv)
    model = Path(args.model) if args.model else sorted((ROOT / "models").glob("*.tar.gz"))[-1]
    print(json.dumps(run(model, Path(args.escalation), Path(args.stories), args.thresholds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
