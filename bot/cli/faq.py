"""``carebot faq …`` (trainers) and ``carebot train [--reload]``.

``register(subparsers)`` adds the ``faq`` command to carebot's parser; ``add_train_arguments``
and ``cmd_train`` (from :mod:`bot.cli.faq_base`) give ``carebot train`` its ``--reload`` /
progress options. The review commands are in :mod:`bot.cli.faq_review`. For tests and
before the lead wires it in: ``python -m bot.cli.faq faq list`` (same arguments).

Exit codes (as ``carebot``): 0 done, 1 refused or failed (the message says what and where),
2 usage or configuration error, or no valid token, 3 the role may not do this.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from bot.cli.faq_base import (  # cmd_train is ``carebot train`` (bot.cli.model)
    Denied,
    _edit_in_editor,
    _err,
    _maybe_train,
    _print_json,
    _store,
    add_train_arguments,
    cmd_train,
)
from bot.cli.faq_review import (
    cmd_flag,
    cmd_review,
    cmd_suggest,
)
from bot.faq.proposal import TONE_LABELS
from bot.settings import ConfigError, get_settings

if TYPE_CHECKING:
    from bot.cli.common import Subparsers

# -- faq list / show / add / edit / remove -----------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    faqs = _store().faqs()
    if args.json:
        _print_json([{**f.to_dict(), "examples": len(f.examples)} for f in faqs.values()])
        return 0
    width = max((len(k) for k in faqs), default=10)
    for key, faq in faqs.items():
        answer = faq.answer.replace("\n", " ")
        print(f"{key:<{width}}  {len(faq.examples):>3} ex  {faq.path or '(no examples)':<26} "
              f"{answer[:60]}{'…' if len(answer) > 60 else ''}")
    print(f"({len(faqs)} FAQs)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    faq = _store().get(args.key)
    if args.json:
        _print_json(faq.to_dict())
        return 0
    print(f"faq/{faq.key}" + (f"  — {faq.description}" if faq.description else ""))
    print(f"  examples: {faq.path}:{faq.line} ({len(faq.examples)})")
    for example in faq.examples:
        print(f"    - {example.text}")
    print(f"  answer: {faq.answer_where or '(none)'}")
    for answer in faq.answers or ["(no answer)"]:
        print(f"    {answer}")
    return 0


def _guard(key: str, examples: Sequence[str], answer: str | None, new: bool,
           args: argparse.Namespace) -> bool:
    """The safety checks of ``faq check`` that need no model (skipped with --no-check)."""
    if getattr(args, "no_check", False):
        return True
    from bot.faq.check import precheck
    from bot.faq.schema import check_key

    problems = precheck(_store(), check_key(key), examples, answer, new=new)
    for problem in problems:
        _err(problem)
    if problems:
        _err("nothing written (fix the above, or --no-check to write anyway)")
    return not problems


def cmd_add(args: argparse.Namespace) -> int:
    from bot.faq.from_file import load_faq_file
    from bot.faq.schema import clean_example

    store = _store()
    if args.from_file:
        if args.key or args.answer or args.example:
            _err("give either KEY --answer --example … or --from-file FILE")
            return 2
        items = load_faq_file(Path(args.from_file))
    else:
        if not (args.key and args.answer and args.example):
            _err("faq add needs KEY, --answer TEXT and --example TEXT (repeat it), "
                 "or --from-file FILE.yml")
            return 2
        items = [{"key": args.key, "answer": args.answer, "examples": args.example,
                  "topic": args.topic, "description": args.description}]
    for item in items:
        examples = [clean_example(str(e)) for e in item["examples"]]
        if not _guard(str(item["key"]), examples, str(item["answer"]), True, args):
            return 1
    for item in items:
        change = store.add(str(item["key"]), str(item["answer"]), item["examples"],
                           topic=item.get("topic") or args.topic,
                           description=item.get("description") or args.description)
        for line in change.summary:
            print(line)
    return _maybe_train(args)


def cmd_edit(args: argparse.Namespace) -> int:
    from bot.faq.schema import clean_example

    store = _store()
    faq = store.get(args.key)
    answer, add, remove, examples = args.answer, args.add_example or [], \
        args.remove_example or [], None
    description = args.description
    if args.editor or not any((answer, add, remove, description is not None)):
        if not sys.stdin.isatty() and not args.editor:
            _err("nothing to change: give --answer, --add-example, --remove-example, "
                 "--description, or --editor")
            return 2
        edited = _edit_in_editor(
            {"answer": faq.answer, "description": faq.description,
             "examples": [e.text for e in faq.examples]}, f"faq/{faq.key} ({faq.path})")
        if edited is None:
            print("unchanged")
            return 0
        answer = str(edited.get("answer") or "")
        examples = [str(e) for e in edited.get("examples") or []]
        description = str(edited.get("description") or "")
        if answer == faq.answer:
            answer = None
        if description == faq.description:
            description = None
    new_examples = [clean_example(e) for e in (examples if examples is not None else add)]
    current = {e.text for e in faq.examples}
    fresh = [e for e in new_examples if e not in current]
    if not _guard(faq.key, fresh, answer, False, args):
        return 1
    if examples is not None:
        change = store.edit(faq.key, answer=answer, examples=examples, description=description)
    else:
        change = store.edit(faq.key, answer=answer, add=add, remove=remove,
                            description=description)
    for line in change.summary:
        print(line)
    return _maybe_train(args) if change.files else 0


def cmd_remove(args: argparse.Namespace) -> int:
    store = _store()
    faq = store.get(args.key)
    if not args.yes and sys.stdin.isatty():
        reply = input(f"remove faq/{faq.key} ({len(faq.examples)} examples) and its answer? "
                      "[y/N] ")
        if reply.strip().lower() not in ("y", "yes"):
            print("kept")
            return 1
    for line in store.remove(faq.key).summary:
        print(line)
    return _maybe_train(args)


# -- faq check ---------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from bot.faq.check import check

    report = check(get_settings().home, min_examples=args.min_examples, folds=args.folds,
                   max_confusion=args.max_confusion, confusion=not args.no_cv,
                   rasa=not args.no_rasa, boundary=not args.no_boundary)
    if args.json:
        _print_json(report.to_dict())
        return 0 if report.ok else 1
    for problem in report.problems:
        print(problem.line(), file=sys.stderr if problem.severity == "error" else sys.stdout)
    stats = report.stats
    cv = (f", cross-validation {stats['cv_accuracy']:.1%} over {stats['examples']} examples "
          f"in {stats['cv_seconds']}s" if "cv_accuracy" in stats else "")
    verdict = "OK" if report.ok else f"FAILED ({len(report.errors)} errors)"
    print(f"carebot faq check: {verdict}: {stats.get('faqs', 0)} FAQs, "
          f"{len(report.warnings)} warnings{cv} ({stats.get('seconds', 0)}s)")
    return 0 if report.ok else 1


# -- the parser --------------------------------------------------------------------------------


def _safe(fn: Callable[[argparse.Namespace], int | None]) -> Callable[[argparse.Namespace], int]:
    """``fn`` with the expected errors turned into a message and an exit code."""

    def wrapped(args: argparse.Namespace) -> int:
        from bot.faq.review import ReviewError
        from bot.faq.schema import FaqError

        try:
            return int(fn(args) or 0)
        except (FaqError, ReviewError) as error:
            _err(str(error))
            return 1
        except Denied as error:
            _err(str(error))
            return error.code
        except ConfigError as error:
            print(f"carebot: configuration error: {error}", file=sys.stderr)
            return 2

    wrapped.__name__ = getattr(fn, "__name__", "command")
    wrapped.__doc__ = fn.__doc__
    return wrapped


def _training_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train", action="store_true", help="then train (only what changed)")
    p.add_argument("--reload", action="store_true",
                   help="then train and load the model into the running bot")


def register(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add ``faq`` to carebot's subcommands (``sub`` in bot/cli.py's build_parser)."""
    f = subparsers.add_parser("faq", help="trainers: add, edit and check FAQs; review "
                              "suggestions from escalations")
    f.add_argument("--token", help="your token (default: CAREBOT_AGENT_TOKEN); review and "
                   "flag need one once accounts exist")
    f.add_argument("--agent", help="without accounts (development): the name to act as")
    fs = f.add_subparsers(dest="faq_cmd", required=True)

    p = fs.add_parser("list", help="every FAQ: key, examples, file, answer")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_safe(cmd_list))

    p = fs.add_parser("show", help="one FAQ's examples and answer")
    p.add_argument("key")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_safe(cmd_show))

    p = fs.add_parser("add", help="add an FAQ (examples to data/nlu/faq_<topic>.yml, answer "
                      "to config/domain/faq.yml)")
    p.add_argument("key", nargs="?", help="e.g. rental_gear")
    p.add_argument("--answer", help="the vetted answer")
    p.add_argument("--example", action="append", help="a follower's phrasing (10 or more)")
    p.add_argument("--topic", help="topic file: data/nlu/faq_<topic>.yml (default: misc)")
    p.add_argument("--description", help="one line for the file's legend comment")
    p.add_argument("--from-file", help="YAML: key, answer, examples[, topic, description] "
                   "(or a list of them)")
    p.add_argument("--no-check", action="store_true", help="write even if checks fail")
    _training_flags(p)
    p.set_defaults(func=_safe(cmd_add))

    p = fs.add_parser("edit", help="change an FAQ's answer or examples (no options: $EDITOR)")
    p.add_argument("key")
    p.add_argument("--answer")
    p.add_argument("--add-example", action="append")
    p.add_argument("--remove-example", action="append")
    p.add_argument("--description")
    p.add_argument("--editor", action="store_true", help="edit answer and examples in $EDITOR")
    p.add_argument("--no-check", action="store_true")
    _training_flags(p)
    p.set_defaults(func=_safe(cmd_edit))

    p = fs.add_parser("remove", help="delete an FAQ (examples and answer)")
    p.add_argument("key")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask")
    _training_flags(p)
    p.set_defaults(func=_safe(cmd_remove))

    p = fs.add_parser("check", help="refuse what would hurt the bot (make test runs it)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--min-examples", type=int, default=10)
    p.add_argument("--folds", type=int, default=3, help="cross-validation folds (3-5)")
    p.add_argument("--max-confusion", type=float, default=0.25,
                   help="share of an intent's examples read as another that fails the check")
    p.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    p.add_argument("--no-rasa", action="store_true", help="skip rasa data validate")
    p.add_argument("--no-boundary", action="store_true",
                   help="skip the FAQ-boundary warnings (they encode every example once)")
    p.set_defaults(func=_safe(cmd_check))

    p = fs.add_parser("suggest", help="cluster escalated questions into proposals to review")
    p.add_argument("--since-days", type=float, help="only tickets resolved in the last N days")
    p.add_argument("--limit", type=int, default=2000, help="newest resolved tickets to read")
    p.add_argument("--min-similarity", type=float, default=0.2,
                   help="how alike two questions must be to share a proposal (0-1)")
    p.add_argument("--dry-run", action="store_true", help="show, do not store")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_safe(cmd_suggest))

    r = fs.add_parser("review", help="the review list: list, show, accept, edit, reject "
                      "(or 'interactive')")
    rs = r.add_subparsers(dest="review_cmd")
    p = rs.add_parser("list")
    p.add_argument("--status", default="pending",
                   choices=["pending", "accepted", "rejected", "decided", "all"])
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p = rs.add_parser("show")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p = rs.add_parser("accept", help="write it to data/ (options edit it first)")
    p.add_argument("id")
    p.add_argument("--key")
    p.add_argument("--answer")
    p.add_argument("--example", action="append", help="replace the examples (repeat)")
    p.add_argument("--topic")
    p.add_argument("--label", choices=list(TONE_LABELS), help="a tone proposal's label")
    _training_flags(p)
    p = rs.add_parser("edit")
    p.add_argument("id")
    p.add_argument("--kind", choices=["examples", "new_faq"])
    p.add_argument("--label", choices=list(TONE_LABELS), help="a tone proposal's label")
    p.add_argument("--key")
    p.add_argument("--answer")
    p.add_argument("--example", action="append", help="replace the examples (repeat)")
    p.add_argument("--add-example", action="append")
    p.add_argument("--remove-example", action="append")
    p.add_argument("--topic")
    p = rs.add_parser("reject")
    p.add_argument("id")
    p.add_argument("--reason")
    p = rs.add_parser("interactive", help="walk through the pending proposals")
    _training_flags(p)
    r.set_defaults(func=_safe(cmd_review))

    p = fs.add_parser("flag", help="agents: a claimed or resolved conversation's message "
                      "should have been an FAQ")
    p.add_argument("ticket")
    p.add_argument("--message", required=True, help="the follower's message, as in the ticket")
    p.add_argument("--faq", help="the FAQ it should have been")
    p.add_argument("--new", action="store_true", help="it calls for a new FAQ")
    p.add_argument("--key", help="with --new: a suggested key for the new FAQ")
    p.add_argument("--note", help="a note for the trainer")
    p.add_argument("--no-reply", action="store_true",
                   help="with --new: do not propose the agent's reply as the answer")
    p.set_defaults(func=_safe(cmd_flag))
    return f


def run(args: argparse.Namespace) -> int:
    """Run a parsed ``faq`` / ``train`` command (its ``func`` handles expected errors)."""
    return int(args.func(args) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carebot")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    p = sub.add_parser("train", help="train if data or config changed")
    add_train_arguments(p)
    p.set_defaults(func=_safe(cmd_train))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    args = build_parser().parse_args(argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
