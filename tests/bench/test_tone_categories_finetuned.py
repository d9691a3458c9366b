"""``bench tone-categories`` with a fine-tuned tone encoder configured: the encoder was trained
once on every care.yml row but one fold, so the bench must score that fold only and refuse to
report the others (the rows the encoder was trained on)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from bench.tone_categories import add_arguments, run
from tests.nlu.test_tone_finetuned import write_file

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, holdout: str) -> Path:
    weights = write_file(tmp_path / "tone.safetensors", metadata={"holdout_fold": holdout})
    config = yaml.safe_load((ROOT / "config" / "config.yml").read_text(encoding="utf-8"))
    for item in config["pipeline"]:
        if str(item.get("name", "")).endswith("ToneScorer"):
            item["finetuned_encoder"] = str(weights)
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.mark.parametrize("extra", [[], ["--only-fold", "1"], ["--only-fold", "0", "--seed", "3"]])
def test_folds_the_encoder_was_trained_on_are_refused(tmp_path: Path, extra: list[str]) -> None:
    args = add_arguments(argparse.ArgumentParser()).parse_args(
        ["--config", str(_config(tmp_path, "0")), "--no-report", *extra])
    with pytest.raises(SystemExit, match="except fold 0"):
        run(args)


def test_a_file_without_a_held_out_fold_is_refused(tmp_path: Path) -> None:
    args = add_arguments(argparse.ArgumentParser()).parse_args(
        ["--config", str(_config(tmp_path, "None")), "--no-report", "--only-fold", "0"])
    with pytest.raises(SystemExit, match="except fold None"):
        run(args)
