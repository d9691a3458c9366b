"""``carebot train``, ``carebot validate`` and ``carebot decide``: the trained model."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import TYPE_CHECKING, Any

from bot.cli.common import print_json
from bot.settings import get_settings

if TYPE_CHECKING:
    from bot.cli.common import Subparsers
    from bot.escalation.decision import Decision
    from bot.model.interpreter import Interpreter


def cmd_validate(args: argparse.Namespace) -> int:
    from bot.model.validation import validate

    problems = validate(get_settings().home)
    for problem in problems:
        print(f"carebot validate: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("carebot validate: domain, NLU data, rules and stories are valid")
    return 0


def _interpreter() -> Interpreter:
    from bot.escalation.config import load_escalation_config
    from bot.model.interpreter import Interpreter

    s = get_settings()
    return Interpreter.from_models_dir(s.models_dir, load_escalation_config(s.escalation_config))


def _decision_json(decision: Decision) -> dict[str, Any]:
    data = decision.as_json()
    keys = ("decision", "faq", "reasons", "confidence", "tone", "intent", "priority", "language")
    return {k: data[k] for k in keys}


def cmd_decide(args: argparse.Namespace) -> int:
    if (args.text is None) == (args.file is None):
        print("carebot decide: give either TEXT or --file FILE.csv", file=sys.stderr)
        return 2
    interpreter = _interpreter()
    if args.text is not None:
        print_json(_decision_json(interpreter.decide(args.text)))
        return 0
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    with open(args.file, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "text" not in reader.fieldnames:
            print(f"carebot decide: {args.file} has no 'text' column", file=sys.stderr)
            return 2
        for row in reader:
            result = _decision_json(interpreter.decide(row["text"] or ""))
            out.write(json.dumps({"text": row["text"], **result}, ensure_ascii=False) + "\n")
    if out is not sys.stdout:
        out.close()
    return 0


def register(subparsers: Subparsers) -> None:
    from bot.cli import faq_base

    p = subparsers.add_parser("train", help="train the bot if data or config changed "
                              "(--reload: hot)")
    faq_base.add_train_arguments(p)
    p.set_defaults(func=faq_base.cmd_train)

    p = subparsers.add_parser("validate", help="rasa data validation, failing on any unexpected "
                              "warning")
    p.set_defaults(func=cmd_validate)

    p = subparsers.add_parser("decide", help="the bot's decision for a message, as JSON "
                              "(no side effects)")
    p.add_argument("text", nargs="?", help="the follower's message")
    p.add_argument("--file", help="CSV with a 'text' column; one JSON line per row")
    p.add_argument("--out", help="write the JSON lines here instead of stdout")
    p.set_defaults(func=cmd_decide)
