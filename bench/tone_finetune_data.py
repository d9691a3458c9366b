"""Training rows for the fine-tuned tone encoder (``bench/tone_finetune.py``), as JSON lines.

Run in the project's venv (it reads the corpus exactly as the ToneScorer does: ``data/tone`` via
``load_corpus`` plus the calm NLU examples of ``data/nlu``); the training script runs in a
separate PyTorch venv that has neither Rasa nor the project's dependencies.

    .venv/bin/python -m bench.tone_finetune_data --out /tmp/ft/rows.jsonl

Each line: ``{"text", "negative", "sarcasm", "category", "fold"}``. ``fold`` is the
``bench tone-categories`` fold (5 folds, seed 14, stratified by category) for ``care.yml`` rows
and -1 for every other row (always trained on), so a run with ``--holdout-fold k`` validates on
exactly the rows that bench holds out in fold k. No evaluation data is read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import ROOT
from bench.tone_categories import HELD_OUT, categorised_rows, stratified_folds
from bench.tone_train import tone_component_config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--config", default="config/config.yml")
    parser.add_argument("--nlu-data", default="data/nlu")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)

    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu.tone.component import ToneScorer
    from bot.nlu.tone.model import load_corpus

    config = tone_component_config(ROOT / args.config)
    corpus = config["corpus"]
    paths = [ROOT / p for p in ([corpus] if isinstance(corpus, str) else corpus)]
    rows = load_corpus(paths)
    scorer = ToneScorer(config, None, None)  # type: ignore[arg-type]  # only _config is used
    rows += scorer._calm_examples(load_data(str(ROOT / args.nlu_data)))
    care = [p / HELD_OUT for p in paths if (p / HELD_OUT).is_file()]
    held = categorised_rows(care[0]) if care else []
    folds = stratified_folds([r["category"] for r in held], args.folds, args.seed) if held else []
    fold_of = {r["text"]: (r["category"], f) for r, f in zip(held, folds, strict=True)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for row in rows:
            category, fold = fold_of.get(row["text"], ("", -1))
            handle.write(json.dumps({"text": row["text"], "negative": row["label"] == "negative",
                                     "sarcasm": bool(row["sarcasm"]), "category": category,
                                     "fold": fold}, ensure_ascii=False) + "\n")
    print(json.dumps({"rows": len(rows), "held_out_candidates": len(held), "out": str(out)}))


if __name__ == "__main__":
    main()
