"""NLU benchmark, training (``bench/nlu_bench.py``): the labelled rows as Rasa NLU YAML
(``nlu.yml`` + ``domain.yml``), ``rasa train nlu`` as a subprocess, the stock Rasa 3.6 pipeline
used as the baseline, and the seconds per DIET epoch read from the training log.

Labels: ``oos`` (out of scope) becomes the ``out_of_scope`` intent; with ``label_mode`` ``faq``
every other label is the retrieval intent ``faq/<label>`` (how carebot stores its FAQs), with
``intent`` a plain intent.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import yaml

from bench.common import ROOT, Row

OOS = "oos"
OOS_INTENT = "out_of_scope"
FALLBACK = "nlu_fallback"
NOT_ANSWERS = {OOS, OOS_INTENT, FALLBACK}
# Entity markup Rasa would parse out of an example: [text](entity), [text]{...}, [text][...]
_ENTITY_MARKUP = re.compile(r"\[[^\]]*\]\s*[\(\{\[]")

BASELINE_CONFIG = """\
# Stock Rasa 3.6 default pipeline (rasa/engine/recipes/config_files/default_config.yml),
# DIETClassifier / ResponseSelector epochs set by the benchmark.
recipe: default.v1
assistant_id: carebot_bench_baseline
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: {epochs}
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies: []
"""


def intent_name(label: str, label_mode: str) -> str:
    if label == OOS:
        return OOS_INTENT
    return f"faq/{label}" if label_mode == "faq" else label


def clean_example(text: str) -> str:
    """One line, and no Markdown that Rasa would read as an entity annotation."""
    text = " ".join(text.split())
    if _ENTITY_MARKUP.search(text):
        text = text.replace("[", "(").replace("]", ")")
    return text


def write_training_data(
    rows: Sequence[Row], directory: Path, label_mode: str, oos_training: str
) -> dict[str, Any]:
    """``nlu.yml`` + ``domain.yml`` in ``directory``; returns what was written."""
    by_intent: dict[str, list[str]] = {}
    dropped = 0
    for row in rows:
        if row.label == OOS and oos_training == "drop":
            dropped += 1
            continue
        name = intent_name(row.label, label_mode)
        text = clean_example(row.text)
        examples = by_intent.setdefault(name, [])
        if text not in examples:
            examples.append(text)
    nlu = {
        "version": "3.1",
        "nlu": [
            {"intent": name, "examples": "".join(f"- {t}\n" for t in texts)}
            for name, texts in sorted(by_intent.items())
        ],
    }
    base_intents = sorted({name.split("/", 1)[0] for name in by_intent})
    domain: dict[str, Any] = {"version": "3.1", "intents": base_intents}
    retrieval = sorted(n for n in by_intent if "/" in n)
    if retrieval:
        domain["responses"] = {f"utter_{n}": [{"text": n.split("/", 1)[1]}] for n in retrieval}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nlu.yml").write_text(
        yaml.safe_dump(nlu, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8"
    )
    (directory / "domain.yml").write_text(
        yaml.safe_dump(domain, allow_unicode=True, sort_keys=False, width=10_000),
        encoding="utf-8",
    )
    return {
        "intents": len(by_intent),
        "examples": sum(len(v) for v in by_intent.values()),
        "oos_rows_dropped": dropped,
    }


def rasa_executable() -> str:
    candidate = Path(sys.executable).with_name("rasa")
    return str(candidate) if candidate.exists() else "rasa"


def train_model(config: Path, data_dir: Path, out_dir: Path, name: str) -> tuple[Path, float]:
    """``rasa train nlu`` as a subprocess, cwd = project root; returns (model, wall seconds)."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["RASA_CACHE_DIRECTORY"] = str(data_dir / "rasa-cache")
    log = data_dir / f"train-{name}.log"
    command = [
        rasa_executable(), "train", "nlu",
        "--config", str(config),
        "--nlu", str(data_dir / "nlu.yml"),
        "--domain", str(data_dir / "domain.yml"),
        "--out", str(out_dir),
        "--fixed-model-name", name,
    ]  # fmt: skip
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=handle, stderr=handle)
    seconds = time.perf_counter() - start
    model = out_dir / f"{name}.tar.gz"
    if result.returncode != 0 or not model.exists():
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])
        raise SystemExit(f"bench nlu: training {name} failed (exit {result.returncode}):\n{tail}")
    return model, seconds


def epoch_seconds(log: Path) -> float | None:
    """Seconds per DIET epoch from the tqdm bar Rasa prints (``… 5/5 [10:00<00:00, …]``)."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    found = re.findall(r"Epochs: 100%\|[^|]*\|\s*(\d+)/\d+ \[(?:(\d+):)?(\d+):(\d+)<", text)
    if not found:
        return None
    epochs, h, m, s = found[0]
    total = int(h or 0) * 3600 + int(m) * 60 + int(s)
    return total / max(int(epochs), 1)
