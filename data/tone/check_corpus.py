# ruff: noqa: E501  (the category table reads better one row per line)
"""Checks every tone corpus file in ``data/tone/`` and prints its counts; exits 1 on a problem.

    .venv/bin/python data/tone/check_corpus.py                 # check + counts
    .venv/bin/python data/tone/check_corpus.py --write-meta    # also rewrite the meta counts

What is checked (every ``data/tone/*.yml``):
- schema: a ``tone:`` list of mappings with ``text`` (non-empty string), ``label``
  (negative|neutral|positive), ``sarcasm`` (bool), no other keys than those and ``category``;
  a sarcastic row must be labelled negative;
- categories: a file with a ``meta:`` block (the categorised corpora, e.g. ``care.yml``) must give
  every row a ``category`` from ``CATEGORIES`` below, with a label/sarcasm the category allows;
  its ``meta.counts`` must match the rows (``--write-meta`` rewrites them);
- duplicates across ALL files: two rows whose normalised text (lowercase, NFKC, punctuation and
  whitespace collapsed, emoji kept) is the same are an error, and so is the same normalised text
  with two different labels;
- near-duplicates inside the categorised files: rows with the same label and sarcasm that differ
  only in @handles, links, numbers, #hashtags or emoji (the same "skeleton") are an error there; in
  the older uncategorised files they are only counted (``generate_social.py`` fills templates with
  handles on purpose). Same skeleton with a different label/sarcasm is a deliberate contrast pair
  ("thanks for the update 🙄" vs "thanks for the update 🙂") and is only counted;
- leakage into the tests: a row equal (normalised) to a phrase the tests hold out
  (strings of 3+ words listed in ``tests/nlu/test_tone.py``, ``tests/stories/*.yml`` user lines) is an error,
  because those tests assert that their probes are unseen.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LABELS = ("negative", "neutral", "positive")

NEG = {("negative", False)}
SARC = {("negative", True)}
NEUTRAL = {("neutral", False)}
POSITIVE = {("positive", False)}
CALM = NEUTRAL | POSITIVE

# name -> (allowed (label, sarcasm) pairs, what belongs there)
CATEGORIES: dict[str, tuple[set[tuple[str, bool]], str]] = {
    # negative, not sarcastic
    "neg_plain": (
        NEG,
        "plain complaint with no angry word: facts that are a complaint ('still nothing after 3 weeks', 'third time asking')",
    ),
    "neg_polite": (
        NEG,
        "polite frustration: courteous wording, clearly unhappy ('i'd appreciate an actual answer this time')",
    ),
    "neg_delay": (
        NEG,
        "delays and waiting: late orders, flights, engineers, refunds, hold queues, with frustration",
    ),
    "neg_broken_wrong": (NEG, "broken, damaged, wrong or not-as-described item or service"),
    "neg_billing": (
        NEG,
        "billing errors: double charges, wrong amounts, fees, refunds not paid, charged after cancelling",
    ),
    "neg_staff": (NEG, "rude, dismissive or unhelpful staff, drivers, agents, chat bots"),
    "neg_threat_leave": (
        NEG,
        "threat or decision to leave, cancel, switch provider, never buy again",
    ),
    "neg_threat_public": (
        NEG,
        "threat to go public: reviews, posting, tagging, telling everyone, the press",
    ),
    "neg_threat_formal": (
        NEG,
        "threat of a formal route: regulator, ombudsman, chargeback, bank dispute, lawyer, small claims",
    ),
    "neg_caps": (NEG, "anger written in ALL CAPS (whole message or most of it)"),
    "neg_profanity": (NEG, "swearing, asterisked (f***, s***, bs, wtf...)"),
    "neg_sad": (NEG, "sad, hurt, disappointed, let down; no anger"),
    # sarcasm (all labelled negative)
    "sarc_positive_words": (
        SARC,
        "positive words about a negative situation ('great, another delay', 'fantastic, charged twice')",
    ),
    "sarc_scare_quotes": (
        SARC,
        "a promise or claim in scare quotes (\"'ships in 2 days' lol\", 'your \"express\" delivery')",
    ),
    "sarc_love_how": (
        SARC,
        "'love how...', 'i love that...', 'gotta love...' about a bad situation",
    ),
    "sarc_oh_great": (
        SARC,
        "'oh great', 'oh wonderful', 'oh perfect', 'oh good', 'oh joy' openers",
    ),
    "sarc_eyeroll": (SARC, "the eye-roll emoji 🙄 carries (or seals) the irony"),
    "sarc_clown": (SARC, "the clown emoji 🤡 (the writer or the company as a clown)"),
    "sarc_hyperbole": (
        SARC,
        "ironic exaggeration ('only took 6 business years', 'my grandchildren will receive it')",
    ),
    "sarc_thanks_for_nothing": (
        SARC,
        "'thanks for nothing' and ironic thanks/appreciation for a failure",
    ),
    "sarc_yeah_right": (
        SARC,
        "disbelief: 'yeah right', 'sure, jan', 'sure you will', 'i'll believe it when i see it'",
    ),
    "sarc_rhetorical_praise": (
        SARC,
        "mock reviews and ratings ('10/10 would wait on hold again', '5 stars for losing my bag')",
    ),
    "sarc_hashtag": (SARC, "ironic hashtags (#blessed, #livingthedream, #customerservicegoals)"),
    "sarc_slow_clap": (
        SARC,
        "slow clap / applause 👏 or 'well done', 'bravo', 'round of applause' for a failure",
    ),
    # calm look-alikes (not sarcastic)
    "calm_thanks": (
        POSITIVE,
        "sincere thanks, also with the words sarcasm uses ('love', 'great', 'thanks', 'of course')",
    ),
    "calm_status": (NEUTRAL, "neutral status questions ('any update on order 123?')"),
    "calm_faq": (NEUTRAL, "FAQ-type questions: hours, shipping, returns, plans, fees, how-to"),
    "calm_joke": (CALM, "friendly jokes and playful remarks with no complaint behind them"),
    "calm_excited": (POSITIVE, "excited, happy messages, often with emoji and caps"),
    "calm_compliment": (POSITIVE, "compliments about staff, products, service"),
    "calm_delay_ok": (
        CALM,
        "delays or problems mentioned factually, without frustration ('no worries if it's late')",
    ),
    "calm_emoji": (
        POSITIVE,
        "positive messages with laughing or happy emoji (😂 🤣 😅 😍 🙌 🎉), never 🙄 or 🤡",
    ),
}
GROUPS = {"negative (not sarcastic)": "neg_", "sarcasm": "sarc_", "calm look-alikes": "calm_"}
ALLOWED_KEYS = {"text", "label", "sarcasm", "category"}

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_VS = dict.fromkeys([0xFE0E, 0xFE0F, 0x200D, 0x200B])


def normalise(text: str) -> str:
    """Lowercase, NFKC, every punctuation/whitespace run -> one space; emoji are kept."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_VS)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        out.append(" " if cat[0] in "PZC" or (cat[0] == "S" and ord(ch) < 0x2000) else ch)
    norm = " ".join("".join(out).split())
    return norm or " ".join(text.split())


def skeleton(text: str) -> str:
    """``normalise`` after @handles, links, #hashtags and emoji are dropped and numbers blanked."""
    text = re.sub(r"https?://\S+|www\.\S+", " ", text)
    text = re.sub(r"@\w+", " ", text)
    text = re.sub(r"#\w+", " ", text)
    text = re.sub(r"[\d][\d,.:/-]*", " 0 ", text)
    text = "".join(" " if unicodedata.category(ch) == "So" or ord(ch) in _VS else ch for ch in text)
    return normalise(text)


def held_out_phrases(root: Path) -> set[str]:
    phrases: set[str] = set()
    test_tone = root / "tests" / "nlu" / "test_tone.py"
    if not test_tone.exists():
        raise SystemExit(f"check_corpus: {test_tone} is gone; point the probe check at the tone "
                         "tests' new place")
    if test_tone.exists():
        for node in ast.walk(ast.parse(test_tone.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.List):  # probe lists: MUST_ESCALATE, parametrize lists, ...
                continue
            for item in node.elts:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    if len(normalise(item.value).split()) >= 3:
                        phrases.add(normalise(item.value))
    for story in sorted((root / "tests" / "stories").glob("*.yml")):
        for step in _walk(yaml.safe_load(story.read_text(encoding="utf-8"))):
            if isinstance(step, dict) and isinstance(step.get("user"), str):
                phrases.add(normalise(step["user"]))
    return phrases


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def counts_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    labels = Counter(str(r.get("label")) for r in rows)
    cats = Counter(str(r.get("category")) for r in rows)
    return {
        "total": len(rows),
        "negative": labels["negative"], "neutral": labels["neutral"], "positive": labels["positive"],
        "sarcasm": sum(1 for r in rows if r.get("sarcasm") is True),
        "categories": {c: cats[c] for c in CATEGORIES if cats[c]},
    }  # fmt: skip


def meta_block(meta: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    meta = dict(meta)
    meta["counts"] = counts_of(rows)
    return yaml.safe_dump({"meta": meta}, allow_unicode=True, sort_keys=False, width=200)


def write_meta(path: Path, meta: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    text = path.read_text(encoding="utf-8")
    start = re.search(r"^meta:\s*$", text, re.M)
    end = re.search(r"^tone:\s*$", text, re.M)
    if not start or not end or end.start() < start.start():
        raise SystemExit(f"{path.name}: expected a 'meta:' block followed by 'tone:'")
    path.write_text(
        text[: start.start()] + meta_block(meta, rows) + text[end.start() :], encoding="utf-8"
    )


def check(directory: Path, root: Path, fix_meta: bool = False) -> tuple[list[str], dict[str, Any]]:
    problems: list[str] = []
    by_norm: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    by_skel: dict[str, list[tuple[str, int, str, str]]] = defaultdict(list)
    report: dict[str, Any] = {"files": {}}
    all_rows: list[dict[str, Any]] = []
    categorised_rows: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rows = doc.get("tone")
        if not isinstance(rows, list) or not rows:
            problems.append(f"{path.name}: no 'tone:' list")
            continue
        meta = doc.get("meta")
        categorised = meta is not None
        if categorised and not (isinstance(meta, dict) and meta.get("corpus_version")):
            problems.append(f"{path.name}: meta block without corpus_version")
        for i, row in enumerate(rows):
            where = f"{path.name} row {i}"
            if not isinstance(row, dict):
                problems.append(f"{where}: not a mapping")
                continue
            extra = set(row) - ALLOWED_KEYS
            text, label, sarcasm = row.get("text"), row.get("label"), row.get("sarcasm")
            if extra:
                problems.append(f"{where}: unknown keys {sorted(extra)}")
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{where}: empty or non-string text {text!r}")
                continue
            if text != text.strip() or "\n" in text:
                problems.append(f"{where}: leading/trailing whitespace or newline in {text!r}")
            if label not in LABELS:
                problems.append(f"{where}: label {label!r}")
            if not isinstance(sarcasm, bool):
                problems.append(f"{where}: sarcasm {sarcasm!r} is not a bool")
            if sarcasm is True and label != "negative":
                problems.append(f"{where}: sarcastic but labelled {label!r}")
            if len(text) > 280:
                problems.append(f"{where}: {len(text)} characters (> 280, not a post)")
            category = row.get("category")
            if categorised:
                if category not in CATEGORIES:
                    problems.append(f"{where}: category {category!r} is not in the list")
                elif (label, sarcasm) not in CATEGORIES[category][0]:
                    problems.append(
                        f"{where}: {category} does not allow label={label} sarcasm={sarcasm}: {text!r}"
                    )
            elif category is not None:
                problems.append(f"{where}: has a category but the file has no meta block")
            by_norm[normalise(text)].append((path.name, i, str(label)))
            by_skel[skeleton(text)].append((path.name, i, text, f"{label}/{sarcasm}"))
            all_rows.append(row)
            if categorised:
                categorised_rows.append(row)
        if categorised and isinstance(meta, dict):
            if fix_meta:
                write_meta(path, meta, rows)
            elif meta.get("counts") != counts_of(rows):
                problems.append(
                    f"{path.name}: meta.counts do not match the rows (run with --write-meta)"
                )
        report["files"][path.name] = {"rows": len(rows), "categorised": categorised,
                                      "version": (meta or {}).get("corpus_version") if isinstance(meta, dict) else None}  # fmt: skip

    categorised_files = {n for n, f in report["files"].items() if f["categorised"]}
    duplicates = 0
    for norm, hits in by_norm.items():
        if len(hits) > 1:
            duplicates += 1
            labels = {h[2] for h in hits}
            kind = "same text with different labels" if len(labels) > 1 else "duplicate"
            places = ", ".join(f"{f}:{i}" for f, i, _ in hits[:4])
            problems.append(f"{kind}: {norm!r} at {places}")
    near_legacy, contrast_pairs = 0, 0
    for skel_hits in by_skel.values():
        if len(skel_hits) < 2:
            continue
        by_tone: dict[str, list[tuple[str, int, str, str]]] = defaultdict(list)
        for hit in skel_hits:
            by_tone[hit[3]].append(hit)
        if len(by_tone) > 1:
            contrast_pairs += 1  # same words, different tone (e.g. 🙄 vs 🙂): kept on purpose
        for same in by_tone.values():
            if len(same) < 2 or len({normalise(h[2]) for h in same}) < 2:
                continue
            if any(h[0] in categorised_files for h in same):
                places = "; ".join(f"{f}:{i} {t!r}" for f, i, t, _ in same[:3])
                problems.append(
                    f"near-duplicate (differs only in handles/links/numbers/tags/emoji): {places}"
                )
            else:
                near_legacy += 1
    report["near_duplicates_in_uncategorised_files"] = near_legacy
    report["contrast_pairs"] = contrast_pairs
    held = held_out_phrases(root)
    for norm, hits in by_norm.items():
        if norm in held:
            problems.append(
                f"held-out test phrase in the corpus: {norm!r} at {hits[0][0]}:{hits[0][1]}"
            )
    report["all"] = counts_of(all_rows)
    report["categorised"] = counts_of(categorised_rows)
    return problems, report


def print_report(report: dict[str, Any]) -> None:
    print("files:")
    for name, info in report["files"].items():
        version = f"  version {info['version']}" if info["version"] else ""
        print(
            f"  {name:<22} {info['rows']:>6} rows{'  (categorised)' if info['categorised'] else ''}{version}"
        )
    a = report["all"]
    print(f"all files: {a['total']} rows  negative {a['negative']} (sarcastic {a['sarcasm']})  "
          f"neutral {a['neutral']}  positive {a['positive']}")  # fmt: skip
    c = report["categorised"]
    print(f"categorised files: {c['total']} rows  negative {c['negative']} (sarcastic {c['sarcasm']})  "
          f"neutral {c['neutral']}  positive {c['positive']}")  # fmt: skip
    cats = c["categories"]
    for group, prefix in GROUPS.items():
        names = [n for n in CATEGORIES if n.startswith(prefix)]
        print(f"  {group}: {sum(cats.get(n, 0) for n in names)}")
        for n in names:
            print(f"    {n:<26} {cats.get(n, 0):>5}")
    print(
        f"near-duplicates counted (not errors) in uncategorised files: {report['near_duplicates_in_uncategorised_files']}"
    )
    print(
        f"contrast pairs (same words, different label/sarcasm; allowed): {report['contrast_pairs']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=HERE)
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="repository root (for the tests' held-out phrases)"
    )
    parser.add_argument(
        "--write-meta", action="store_true", help="rewrite meta.counts of categorised files"
    )
    parser.add_argument("--max-problems", type=int, default=40)
    args = parser.parse_args(argv)
    problems, report = check(args.dir, args.root, fix_meta=args.write_meta)
    print_report(report)
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems[: args.max_problems]:
            print("  " + p)
        if len(problems) > args.max_problems:
            print(f"  ... and {len(problems) - args.max_problems} more")
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
