"""Which kind of sarcasm or complaint does the tone gate miss? Cross-validation over the
project's own categorised corpus (``data/tone/care.yml``), one table row per category.

    .venv/bin/python -m bench.cli tone-categories            # 5 folds, seed 14

``care.yml`` (hand-written, a ``category`` on every row) is split into ``--folds`` folds,
stratified by category. For each fold the tone model is trained exactly as the ToneScorer
trains it (``bench/tone_train.py``: the component's settings from ``--config``, every other
``data/tone`` file, the calm NLU examples) on everything but that fold, and scores the fold;
``decide()``'s tone gates (``--escalation``) say which rows go to a person. Every care.yml row
is scored once, by a model that never saw it. ``care_generated.yml`` (generated from templates)
always stays in training: its rows are not held out.

Per category: rows, share escalated for tone (recall for ``neg_*``/``sarc_*``, false escalations
for ``calm_*``), share with the ``sarcasm`` reason, and the same share with the word-piece
embedding model switched off (what the n-gram + VADER model alone would do), so the table shows
what each part catches. No evaluation data is read: these are the project's own rows.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import REPORTS, print_json, rnd  # noqa: E402

HELD_OUT = "care.yml"
GROUPS = {"neg_": "negative (not sarcastic)", "sarc_": "sarcasm", "calm_": "calm look-alikes"}


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--config", default="config/config.yml", help="Rasa config (ToneScorer)")
    parser.add_argument("--escalation", default="config/escalation.yml")
    parser.add_argument("--nlu-data", default="data/nlu", help="NLU data for the calm rows")
    parser.add_argument("--corpus", default="data/tone", help="the tone corpus directory")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--only-fold", type=int, default=None,
                        help="score this fold only (with a fine-tuned tone encoder configured: "
                        "the fold its weights were trained without, see below)")
    parser.add_argument("--name", default="care-categories")
    parser.add_argument("--report-dir", default=str(REPORTS))
    parser.add_argument("--no-report", action="store_true", help="JSON only")
    return parser


def categorised_rows(path: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows = []
    for row in document.get("tone") or []:
        rows.append({"text": str(row["text"]), "label": str(row["label"]),
                     "sarcasm": bool(row.get("sarcasm")), "category": str(row["category"])})
    return rows


def stratified_folds(categories: Sequence[str], folds: int, seed: int) -> list[int]:
    """A fold number per row: each category dealt round-robin over the folds after a seeded
    shuffle, so every fold holds about 1/k of every category."""
    if folds < 2:
        raise ValueError("need at least 2 folds")
    by_category: dict[str, list[int]] = defaultdict(list)
    for i, category in enumerate(categories):
        by_category[category].append(i)
    rng = random.Random(seed)
    out = [0] * len(categories)
    offset = 0
    for category in sorted(by_category):
        members = by_category[category]
        rng.shuffle(members)
        for k, i in enumerate(members):
            out[i] = (k + offset) % folds
        offset += len(members)
    return out


def group_of(category: str) -> str:
    return next((name for prefix, name in GROUPS.items() if category.startswith(prefix)), "other")


def _gates(tone: dict[str, Any], t: Any) -> tuple[bool, bool]:
    """(escalated for tone, with the sarcasm reason): ``decide()``'s tone gates."""
    negative, sarcasm = float(tone["negative"]), float(tone["sarcasm"])
    sarcastic = sarcasm >= t.sarcasm and negative >= t.sarcasm_negative
    return negative >= t.negative_tone or sarcastic, sarcastic


def _table(scored: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in scored:
        by[row["category"]].append(row)
        by["group: " + group_of(row["category"])].append(row)
    out = {}
    for name in sorted(by, key=lambda n: (not n.startswith("group: "), n)):
        rows = by[name]
        n = len(rows)
        out[name] = {
            "rows": n,
            "escalated": rnd(sum(r["escalated"] for r in rows) / n),
            "sarcasm_reason": rnd(sum(r["sarcastic"] for r in rows) / n),
            "escalated_word_model_only": rnd(sum(r["escalated_words"] for r in rows) / n),
            "mean_negative": rnd(sum(r["negative"] for r in rows) / n),
            "mean_sarcasm": rnd(sum(r["sarcasm"] for r in rows) / n),
        }
    return out


SWEEP = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)


def sweep(scored: Sequence[dict[str, Any]], t: Any) -> list[dict[str, Any]]:
    """Other ``negative_tone`` thresholds (sarcasm gates as configured) on the held-out scores:
    share of each group escalated. What a threshold chosen on the project's own rows does."""
    out = []
    for threshold in SWEEP:
        row: dict[str, Any] = {"negative_tone": threshold}
        for prefix, name in GROUPS.items():
            members = [r for r in scored if r["category"].startswith(prefix)]
            hit = [r["negative"] >= threshold or r["sarcastic"] for r in members]
            row[name] = rnd(sum(hit) / len(hit)) if hit else None
        out.append(row)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rasa.shared.nlu.training_data.loading import load_data

    from bench.tone_bench import _project_path
    from bench.tone_train import tone_component_config
    from bot.escalation.config import EscalationConfig
    from bot.nlu.tone.component import ToneScorer
    from bot.nlu.tone.model import ToneModel, load_corpus

    config = tone_component_config(_project_path(args.config))
    thresholds = EscalationConfig.load(_project_path(args.escalation)).thresholds
    folds = range(args.folds) if args.only_fold is None else [args.only_fold]
    tuned = _project_path(config["finetuned_encoder"]) if config.get("finetuned_encoder") else None
    if tuned is not None:  # trained once, elsewhere: clean only on the fold it never saw
        from safetensors import safe_open

        handle: Any = safe_open(str(tuned), framework="numpy")
        with handle:
            unseen = str((handle.metadata() or {}).get("holdout_fold"))
        if not unseen.isdigit() or any(str(f) != unseen for f in folds) or (
                args.folds != 5 or args.seed != 14):
            raise SystemExit(f"bench tone-categories: {tuned} was trained on every care.yml row "
                             f"except fold {unseen} (5 folds, seed 14); run with --only-fold "
                             f"{unseen} --folds 5 --seed 14, or without finetuned_encoder")
    corpus = _project_path(args.corpus)
    held = categorised_rows(corpus / HELD_OUT)
    others = load_corpus([p for p in sorted(corpus.glob("*.yml")) if p.name != HELD_OUT])
    scorer = ToneScorer(config, None, None)  # type: ignore[arg-type]  # only _config is used
    others += scorer._calm_examples(load_data(str(_project_path(args.nlu_data))))
    fold_of = stratified_folds([r["category"] for r in held], args.folds, args.seed)
    scored: list[dict[str, Any]] = [{} for _ in held]
    started = time.perf_counter()
    for fold in folds:
        train = others + [{k: r[k] for k in ("text", "label", "sarcasm")}
                          for r, f in zip(held, fold_of, strict=True) if f != fold]
        test = [i for i, f in enumerate(fold_of) if f == fold]
        model = ToneModel().fit(
            train, c=float(config["C"]), feature_scale=float(config["feature_scale"]),
            vader_weight=float(config["vader_weight"]),
            embedding_source=config.get("sentence_encoder") or None,
            embedding_c=float(config.get("embedding_C") or 0.3), finetuned_weights=tuned)
        texts = [held[i]["text"] for i in test]
        full = model.score_many(texts, explain=False)
        model.head = None  # the n-gram + VADER model alone, for comparison
        model.finetuned = None
        words = model.score_many(texts, explain=False)
        for i, tone, alone in zip(test, full, words, strict=True):
            escalated, sarcastic = _gates(tone, thresholds)
            scored[i] = {"category": held[i]["category"], "negative": tone["negative"],
                         "sarcasm": tone["sarcasm"], "escalated": escalated,
                         "sarcastic": sarcastic, "escalated_words": _gates(alone, thresholds)[0]}
    scored = [r for r in scored if r]
    table = _table(scored)
    result: dict[str, Any] = {
        "corpus": f"{args.corpus}/{HELD_OUT}",
        "rows": len(scored),
        "folds": args.folds,
        "scored_folds": list(folds),
        "tone_finetuned": config.get("finetuned_encoder") or None,
        "seed": args.seed,
        "thresholds": {"negative_tone": thresholds.negative_tone, "sarcasm": thresholds.sarcasm,
                       "sarcasm_negative": thresholds.sarcasm_negative},
        "tone_embeddings": config.get("sentence_encoder") or None,
        "train_rows_per_fold": len(others) + len(held) - len(held) // args.folds,
        "seconds": round(time.perf_counter() - started, 1),
        "by_category": table,
        "negative_tone_sweep": sweep(scored, thresholds),
    }
    if not args.no_report:
        result["report"] = str(write_report(args, result))
    return result


def write_report(args: argparse.Namespace, result: dict[str, Any]) -> Path:
    from bench.common import _pyplot, command_line, machine, md_table, save_figure
    from bench.common import write_report as write_md

    out_dir = Path(args.report_dir)
    table = result["by_category"]
    names = [n for n in table if not n.startswith("group: ")]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(names) + 1.5), dpi=110)
    shown = names[::-1]
    ax.barh(range(len(shown)), [table[n]["escalated"] for n in shown],
            color=["#4f81bd" if n.startswith("calm_") else "#c0504d" for n in shown])
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels(shown, fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share escalated for tone (red: should be; blue: calm look-alikes, should not)")
    ax.set_title(f"{result['corpus']}: {result['folds']}-fold cross-validation")
    png = save_figure(fig, out_dir / f"tone-{args.name}.png")
    rows = [[n, v["rows"], v["escalated"], v["sarcasm_reason"], v["escalated_word_model_only"],
             v["mean_negative"], v["mean_sarcasm"]] for n, v in table.items()]
    sections = [
        ("Run", "\n".join([f"- command: `{command_line()}`",
                           f"- held out: `{result['corpus']}` ({result['rows']} rows, "
                           f"{result['folds']} folds stratified by category, "
                           f"seed {result['seed']})",
                           f"- thresholds (config/escalation.yml): {result['thresholds']}",
                           f"- machine: {machine()}"])),
        ("By category", "`escalated`: share sent to a person for tone (recall for neg_/sarc_, "
         "false escalations for calm_); `sarcasm`: share with the sarcasm reason; "
         "`word model only`: escalated with the embedding model switched off.\n\n"
         + md_table(["category", "rows", "escalated", "sarcasm", "word model only",
                     "mean negative", "mean sarcasm"], rows)
         + f"\n\n![by category]({png.name})"),
    ]
    sweep_rows = [[r["negative_tone"], *(r[name] for name in GROUPS.values())]
                  for r in result["negative_tone_sweep"]]
    sections.append(("Sweep of negative_tone on the held-out rows (sarcasm gates as configured)",
                     md_table(["negative_tone", *GROUPS.values()], sweep_rows)))
    return write_md(out_dir / f"tone-{args.name}.md", "Tone by category (cross-validated)",
                    sections)


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="bench tone-categories",
                                                   description=__doc__))
    print_json(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
