"""``carebot bench nlu|tone`` end to end on tiny synthetic CSVs: valid JSON with every key.

These train real models (``rasa train nlu`` in a subprocess, the tone model in-process), so they
take a minute or two on two cores; the metric arithmetic itself is checked in
``tests/bench/test_bench_metrics.py``. The stock-Rasa baseline runs with one DIET epoch on tiny
data.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

NLU_KEYS = {
    "accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "answered_share",
    "answered_precision", "train_seconds", "decide_ms_p50", "decide_ms_p95",
    "coverage_at_99_precision", "threshold_at_99_precision", "escalation_reasons",
}  # fmt: skip
TONE_KEYS = {
    "negative_recall", "negative_precision", "false_escalation_rate", "irony_f1",
    "ms_per_message",
}  # fmt: skip

INTENTS = {
    "card_arrival": ["where is my new card", "my card has not arrived yet",
                     "when will my card get here", "card still not delivered",
                     "how long until the card arrives", "has my card been sent"],
    "exchange_rate": ["what is the exchange rate", "which rate do you use for euros",
                      "how do you set exchange rates", "exchange rate for dollars today",
                      "is the currency rate good", "what rate will i get abroad"],
    "top_up_failed": ["my top up failed", "top up did not work",
                      "why was my top-up declined", "cannot top up my account",
                      "the top up keeps failing", "top up error again"],
    "oos": ["what is the weather like", "tell me a joke", "who won the game last night",
            "play some music", "how tall is mount everest", "book me a table for two"],
}  # fmt: skip


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def _run(args: list[str], cwd: Path, timeout: float = 580) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "bench.cli", "bench", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout  # exactly one JSON object on stdout
    return json.loads(lines[0])


def _nlu_sets(tmp_path: Path) -> tuple[Path, Path]:
    train = _write(
        tmp_path / "train.csv", [(t, label) for label, ts in INTENTS.items() for t in ts[:5]]
    )
    test = _write(tmp_path / "test.csv", [(ts[5], label) for label, ts in INTENTS.items()])
    return train, test


@pytest.mark.timeout(600)
def test_bench_nlu_prints_every_key(tmp_path: Path) -> None:
    train, test = _nlu_sets(tmp_path)
    reports = tmp_path / "reports"
    data = _run(
        ["nlu", "--train", str(train), "--test", str(test), "--report-dir", str(reports),
         "--name", "tiny", "--sweep"],
        ROOT,
    )  # fmt: skip
    assert NLU_KEYS <= set(data)
    assert data["test_rows"] == 4 and data["oos_rows"] == 1 and data["intents"] == 4
    assert data["label_mode"] == "faq" and "baseline" not in data
    assert 0.0 <= data["accuracy"] <= 1.0 and data["train_seconds"] > 0
    assert len(data["threshold_sweep"]) > 3
    report = Path(data["report"])
    assert report.exists() and "risk–coverage" in report.read_text(encoding="utf-8")
    assert (reports / "nlu-tiny-risk-coverage.png").stat().st_size > 1000
    assert (reports / "nlu-tiny-carebot-confused.png").exists()


@pytest.mark.timeout(900)
def test_bench_nlu_baseline_side_by_side(tmp_path: Path) -> None:
    train, test = _nlu_sets(tmp_path)
    data = _run(
        ["nlu", "--train", str(train), "--test", str(test), "--report-dir", str(tmp_path),
         "--baseline", "--baseline-epochs", "1", "--name", "tiny", "--no-report"],
        ROOT,
        timeout=880,
    )  # fmt: skip
    assert NLU_KEYS <= set(data) and NLU_KEYS <= set(data["baseline"])
    assert data["baseline"]["epochs"] == 1 and data["baseline"]["label_mode"] == "intent"
    assert "reduced" in data["baseline"]["note"]


def test_baseline_config_and_epoch_timing(tmp_path: Path) -> None:
    import yaml

    from bench.nlu_train import BASELINE_CONFIG, epoch_seconds

    config = yaml.safe_load(BASELINE_CONFIG.format(epochs=7))
    names = [c["name"] for c in config["pipeline"]]
    assert names == [
        "WhitespaceTokenizer", "RegexFeaturizer", "LexicalSyntacticFeaturizer",
        "CountVectorsFeaturizer", "CountVectorsFeaturizer", "DIETClassifier",
        "EntitySynonymMapper", "ResponseSelector", "FallbackClassifier",
    ]  # fmt: skip
    assert config["pipeline"][5]["epochs"] == 7 and config["pipeline"][7]["epochs"] == 7
    assert config["pipeline"][8]["threshold"] == 0.3
    log = tmp_path / "train.log"
    log.write_text(
        "Epochs:  40%|####| 2/5 [08:01<12:03, 241.29s/it]\r"
        "Epochs: 100%|##########| 5/5 [21:28<00:00, 257.64s/it, t_loss=3.38]\n",
        encoding="utf-8",
    )
    assert epoch_seconds(log) == pytest.approx((21 * 60 + 28) / 5)
    assert epoch_seconds(tmp_path / "missing.log") is None


@pytest.mark.timeout(600)
def test_bench_tone_prints_every_key(tmp_path: Path) -> None:
    rows = [
        ("this is the worst service ever, still no refund", "negative"),
        ("great, another delayed flight. just perfect 🙄", "negative"),
        ("what time does the store open on sunday", "neutral"),
        ("thanks so much, the jacket is lovely", "positive"),
    ]
    sentiment = _write(tmp_path / "sentiment.csv", rows)
    data = _run(
        ["tone", "--test", str(sentiment), "--report-dir", str(tmp_path), "--name", "s"], ROOT
    )
    assert TONE_KEYS <= set(data) and data["kind"] == "sentiment" and data["rows"] == 4
    assert data["irony_f1"] is None and data["negative_recall"] is not None
    assert data["ms_per_message"] > 0 and Path(data["report"]).exists()
    assert data["cpu_ms_p95"] > 0 and (tmp_path / "tone-s-risk-coverage.png").exists()


def test_bench_cli_parses_each_bench() -> None:
    from bench import cli as bench_cli

    parser = bench_cli.build_parser()
    args = parser.parse_args(["nlu", "--train", "a.csv", "--dev-split", "0.2"])
    assert args.bench_cmd == "nlu" and args.dev_split == 0.2
    args = parser.parse_args(["tone", "--test", "b.csv"])
    assert args.bench_cmd == "tone" and args.test == "b.csv"
    assert parser.parse_args(["load", "--senders", "3"]).senders == 3
    args = parser.parse_args(["tone-categories", "--folds", "3"])
    assert args.bench_cmd == "tone-categories" and args.folds == 3


def test_carebot_does_not_import_bench_unless_a_bench_runs() -> None:
    code = ("import sys; from bot.cli.main import build_parser; build_parser(); "
            "print(sorted(m for m in sys.modules if m == 'bench' or m.startswith('bench.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_bench_tone_irony_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Irony labels: the same CLI, a tiny tone model (the real training is tested above)."""
    from bench import cli as bench_cli
    from bench import tone_bench
    from bot.nlu.tone.model import ToneModel

    tiny = ToneModel().fit(
        [
            {"text": "worst service ever", "label": "negative", "sarcasm": False},
            {"text": "oh great, lost my bag again, love it", "label": "negative", "sarcasm": True},
            {"text": "wow thanks for nothing", "label": "negative", "sarcasm": True},
            {"text": "when do you open", "label": "neutral", "sarcasm": False},
            {"text": "thank you so much", "label": "positive", "sarcasm": False},
        ]
    )
    monkeypatch.setattr(tone_bench, "train_tone_model", lambda *a: (tiny, {"tone_source": "tiny"}))
    irony = _write(
        tmp_path / "irony.csv",
        [("love waiting 3 hours on hold, best day ever", "ironic"),
         ("the new trail shoes are comfy", "not_ironic")],
    )  # fmt: skip
    assert bench_cli.main(["bench", "tone", "--test", str(irony), "--report-dir",
                           str(tmp_path), "--name", "i"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert TONE_KEYS <= set(data) and data["kind"] == "irony"
    assert data["negative_recall"] is None and 0.0 <= data["irony_f1"] <= 1.0
