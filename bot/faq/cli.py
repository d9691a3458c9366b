"""``carebot faq …`` (trainers) and ``carebot train [--reload]``.

``register(subparsers)`` adds the ``faq`` command to carebot's parser; ``add_train_arguments``
and ``cmd_train`` give ``carebot train`` its ``--reload`` / progress options. For tests and
before the lead wires it in: ``python -m bot.faq.cli faq list`` (same arguments).

Exit codes (as ``carebot``): 0 done, 1 refused or failed (the message says what and where),
2 usage or configuration error, or no valid token, 3 the role may not do this.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import yaml

from bot.settings import ConfigError, get_settings

TRAINER_ROLES = ("trainer", "admin")


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _err(message: str) -> None:
    print(f"carebot faq: {message}", file=sys.stderr)


def _store() -> Any:
    from bot.faq.review import faq_store

    return faq_store(get_settings())


def _redis() -> Any:
    import redis

    return redis.Redis.from_url(get_settings().redis_url, decode_responses=True,
                                socket_timeout=10, socket_connect_timeout=3)


def _review() -> Any:
    from bot.faq.review import ReviewStore

    return ReviewStore(_redis(), prefix=get_settings().queue_prefix)


def _queue() -> Any:
    from bot.queue import AgentQueue

    s = get_settings()
    return AgentQueue(_redis(), prefix=s.queue_prefix, lease_seconds=s.lease_seconds)


class Denied(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _identity(args: argparse.Namespace, roles: Sequence[str] | None) -> str:
    """Who acts: the token's account (``--token`` / ``CAREBOT_AGENT_TOKEN``) with one of
    ``roles`` (None: any role); without a token only while no account exists (development)."""
    from bot.workspace.accounts import Accounts

    s = get_settings()
    accounts = Accounts(_redis(), prefix=s.queue_prefix, session_seconds=s.session_hours * 3600)
    token = getattr(args, "token", None) or s.agent_token or None
    if token:
        who = accounts.authenticate(token)
        if who is None:
            raise Denied("that token is not valid (CAREBOT_AGENT_TOKEN or --token)")
        if roles is not None and who.role not in roles:
            raise Denied(f"role {who.role!r} may not do this (needs {' or '.join(roles)})", 3)
        return str(who.name)
    if accounts.any():
        raise Denied("sign in first: export CAREBOT_AGENT_TOKEN=<your token> (or --token)")
    name = getattr(args, "agent", None) or getpass.getuser()
    print(f"carebot faq: no accounts yet; acting as {name!r} without a token", file=sys.stderr)
    return str(name)


# -- training --------------------------------------------------------------------------------


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    """``carebot train`` options (the lead wires these into bot/cli.py)."""
    p.add_argument("--force", action="store_true", help="retrain everything")
    p.add_argument("--reload", action="store_true",
                   help="then load the model into the running bot (Rasa PUT /model); "
                        "conversations continue (trackers are in Redis)")
    p.add_argument("--no-progress", action="store_true", help="Rasa's own log, no bar")


def cmd_train(args: argparse.Namespace) -> int:
    from bot.training import ReloadFailed, reload_model, train

    s = get_settings()
    started = time.monotonic()
    try:
        model = train(s.home, s.models_dir, force=args.force,
                      progress=not getattr(args, "no_progress", False))
    except SystemExit as error:
        print(error, file=sys.stderr)
        return 1
    print(f"carebot: model {model} ({time.monotonic() - started:.1f}s)")
    if getattr(args, "reload", False) and model is not None:
        try:
            seconds = reload_model(model, s.rasa_url, s.rasa_token)
        except ReloadFailed as error:
            print(f"carebot: {error}", file=sys.stderr)
            return 1
        print(f"carebot: the running bot at {s.rasa_url} now uses {model.name} "
              f"(loaded in {seconds:.1f}s)")
    return 0


def _maybe_train(args: argparse.Namespace) -> int:
    if getattr(args, "train", False) or getattr(args, "reload", False):
        ns = argparse.Namespace(force=False, reload=getattr(args, "reload", False),
                                no_progress=False)
        return cmd_train(ns)
    print("  next: carebot faq check && carebot train --reload")
    return 0


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
    from bot.faq.store import check_key

    problems = precheck(_store(), check_key(key), examples, answer, new=new)
    for problem in problems:
        _err(problem)
    if problems:
        _err("nothing written (fix the above, or --no-check to write anyway)")
    return not problems


def cmd_add(args: argparse.Namespace) -> int:
    from bot.faq.store import clean_example, load_faq_file

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


def _edit_in_editor(data: dict[str, Any], what: str) -> dict[str, Any] | None:
    """Open ``data`` as YAML in $VISUAL / $EDITOR; the edited mapping (None: unchanged)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    header = (f"# {what}\n# Save and quit to apply; leave unchanged (or empty the file) to "
              "cancel.\n")
    text = header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, encoding="utf-8") as f:
        f.write(text)
        path = f.name
    try:
        subprocess.run([*shlex.split(editor), path], check=True)
        edited = Path(path).read_text("utf-8")
    finally:
        os.unlink(path)
    if edited.strip() == text.strip() or not edited.strip():
        return None
    result = yaml.safe_load(edited)
    if not isinstance(result, dict):
        raise ValueError("expected a mapping")
    return result


def cmd_edit(args: argparse.Namespace) -> int:
    from bot.faq.store import clean_example

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
                   rasa=not args.no_rasa)
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


# -- suggestions and review --------------------------------------------------------------------


def _proposal_text(p: dict[str, Any], full: bool = False) -> str:
    what = ("new examples for faq/" + p["key"]) if p["kind"] == "examples" else \
        f"NEW FAQ {p['key'] or '(key?)'}"
    lines = [f"{p['id']}  {p['status']:<8} {what}  ({len(p['messages'])} messages, "
             f"source {p['source']})"]
    if not full:
        first = p["messages"][0]["text"] if p["messages"] else ""
        return lines[0] + f"  e.g. {first[:50]!r}"
    if p.get("needs_examples"):
        lines.append(f"  needs {p['needs_examples']} more examples before it can be accepted "
                     f"(faq review edit {p['id']} --add-example …)")
    lines.append("  examples to add:")
    lines += [f"    - {e}" for e in p["examples"]]
    if p["kind"] == "new_faq":
        lines.append(f"  proposed answer ({p.get('answer_source') or 'none'}) — vet it:")
        lines.append(f"    {p.get('answer') or '(none: give one with --answer)'}")
        if p.get("topic"):
            lines.append(f"  topic file: {p['topic']}")
    lines.append("  escalated messages:")
    for m in p["messages"]:
        who = f" flagged by {m['flagged_by']}" if m.get("flagged_by") else ""
        lines.append(f"    {m.get('ticket', '')} [{','.join(m.get('reasons') or [])}]{who}: "
                     f"{m['text']}")
        if m.get("note"):
            lines.append(f"        note: {m['note']}")
        for reply in m.get("replies") or []:
            lines.append(f"        agent: {reply}")
    if p.get("alternatives"):
        alts = ", ".join(f"{a['key']} {a['score']:.2f}" for a in p["alternatives"])
        lines.append(f"  closest FAQs: {alts}")
    if p["status"] != "pending":
        lines.append(f"  {p['status']} by {p.get('decided_by')} {p.get('note') or ''}".rstrip())
        for line in (p.get("result") or {}).get("summary", []):
            lines.append(f"    {line}")
    return "\n".join(lines)


def cmd_suggest(args: argparse.Namespace) -> int:
    from bot.faq.suggest import suggest

    since = time.time() - args.since_days * 86400 if args.since_days else None
    proposals = suggest(_queue(), _review(), _store(), since=since, limit=args.limit,
                        min_similarity=args.min_similarity, dry_run=args.dry_run)
    if args.json:
        _print_json(proposals)
        return 0
    for p in proposals:
        if args.dry_run:
            what = "examples for faq/" + p["key"] if p["kind"] == "examples" else \
                f"new FAQ {p['key']}"
            print(f"(dry run) {what}: {p['examples']}")
        else:
            print(_proposal_text(p, full=True))
            print()
    if not proposals:
        print("no new suggestions (no unreviewed low-confidence/ambiguous escalations that "
              "agents resolved)")
    elif not args.dry_run:
        print(f"{len(proposals)} proposal(s) waiting for review: carebot faq review")
    return 0


def _interactive(args: argparse.Namespace, review: Any, store: Any, actor: str) -> int:
    pending = review.list("pending", limit=1000)
    if not pending:
        print("nothing to review")
        return 0
    accepted = 0
    for item in pending:
        print()
        print(_proposal_text(item, full=True))
        while True:
            choice = input("[a]ccept  [e]dit  [r]eject  [s]kip  [q]uit > ").strip().lower()[:1]
            if choice == "a":
                try:
                    done = review.accept(item["id"], actor, store)
                    for line in done["result"].get("summary", []):
                        print(f"  {line}")
                    accepted += 1
                    break
                except Exception as error:  # ReviewError: show and ask again
                    print(f"  refused: {error}")
            elif choice == "e":
                edited = _edit_in_editor(
                    {"kind": item["kind"], "key": item["key"], "answer": item.get("answer", ""),
                     "topic": item.get("topic", ""), "examples": item["examples"]},
                    f"proposal {item['id']}")
                if edited is not None:
                    item = review.edit(item["id"], actor, kind=edited.get("kind"),
                                       key=edited.get("key"),
                                       answer=edited.get("answer") or None,
                                       examples=[str(e) for e in edited.get("examples") or []],
                                       topic=edited.get("topic") or None)
                print(_proposal_text(item, full=True))
            elif choice == "r":
                reason = input("  reason (optional) > ")
                review.reject(item["id"], actor, reason)
                break
            elif choice == "s":
                break
            elif choice == "q":
                return _after_review(args, accepted)
    return _after_review(args, accepted)


def _after_review(args: argparse.Namespace, accepted: int) -> int:
    if accepted:
        print(f"{accepted} accepted")
        return _maybe_train(args)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from bot.faq.review import ReviewError

    review = _review()
    action = args.review_cmd or "list"
    try:
        if action == "list":
            status = getattr(args, "status", "pending")
            items = review.list(status, limit=getattr(args, "limit", 100))
            if getattr(args, "json", False):
                _print_json(items)
            else:
                for item in items:
                    print(_proposal_text(item))
                if not items:
                    print(f"(no {status} proposals)")
            return 0
        if action == "show":
            item = review.get(args.id)
            _print_json(item) if args.json else print(_proposal_text(item, full=True))
            return 0
        actor = _identity(args, TRAINER_ROLES)
        store = _store()
        if action == "interactive":
            return _interactive(args, review, store, actor)
        if action == "accept":
            item = review.accept(args.id, actor, store, key=args.key, answer=args.answer,
                                 examples=args.example, topic=args.topic)
            print(_proposal_text(item, full=True))
            return _maybe_train(args)
        if action == "edit":
            item = review.edit(args.id, actor, kind=args.kind, key=args.key, answer=args.answer,
                               examples=args.example, add_examples=args.add_example or [],
                               remove_examples=args.remove_example or [], topic=args.topic)
            print(_proposal_text(item, full=True))
            return 0
        if action == "reject":
            item = review.reject(args.id, actor, args.reason or "")
            print(_proposal_text(item))
            return 0
    except ReviewError as error:
        _err(str(error))
        return 1
    except Denied as error:
        _err(str(error))
        return error.code
    return 2


def cmd_flag(args: argparse.Namespace) -> int:
    from bot.faq.review import ReviewError

    if bool(args.faq) == bool(args.new):
        _err("give --faq KEY (\"should have been FAQ KEY\") or --new (\"new FAQ\")")
        return 2
    try:
        agent = _identity(args, None)
        item = _review().flag(_queue(), args.ticket, args.message, agent,
                              faq=args.faq, store=_store(), key=args.key,
                              note=args.note or "", use_reply=not args.no_reply)
    except ReviewError as error:
        _err(str(error))
        return 1
    except Denied as error:
        _err(str(error))
        return error.code
    print(_proposal_text(item))
    return 0


# -- the parser --------------------------------------------------------------------------------


def _safe(fn: Any) -> Any:
    """``fn`` with the expected errors turned into a message and an exit code."""

    def wrapped(args: argparse.Namespace) -> int:
        from bot.faq.review import ReviewError
        from bot.faq.store import FaqError

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


def register(subparsers: Any) -> argparse.ArgumentParser:
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
    _training_flags(p)
    p = rs.add_parser("edit")
    p.add_argument("id")
    p.add_argument("--kind", choices=["examples", "new_faq"])
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
