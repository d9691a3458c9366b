"""The conversation tests (`make test-stories`) must be able to fail: a story whose user text
the model classifies differently from the story's intent fails `rasa test core --e2e`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WRONG = """version: "3.1"
stories:
- story: shipping question labelled as careers
  steps:
  - user: |
      how long does shipping take
    intent: faq/careers
  - action: action_respond
"""

RIGHT = WRONG.replace("faq/careers", "faq/shipping_time").replace("labelled as careers", "ok")


def _rasa_test(stories: Path, out: Path) -> subprocess.CompletedProcess[str]:
    rasa = str(Path(sys.executable).with_name("rasa"))
    return subprocess.run(
        [
            rasa,
            "test",
            "core",
            "--e2e",
            "--stories",
            str(stories),
            "--model",
            "models",
            "--fail-on-prediction-errors",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def test_wrong_intent_fails_and_right_intent_passes(tmp_path: Path) -> None:
    (tmp_path / "wrong").mkdir()
    (tmp_path / "wrong" / "test_wrong.yml").write_text(WRONG)
    failed = _rasa_test(tmp_path / "wrong", tmp_path / "out1")
    assert failed.returncode != 0
    assert "predicted a wrong intent" in failed.stdout + failed.stderr
    (tmp_path / "right").mkdir()
    (tmp_path / "right" / "test_right.yml").write_text(RIGHT)
    passed = _rasa_test(tmp_path / "right", tmp_path / "out2")
    assert passed.returncode == 0, passed.stdout[-2000:] + passed.stderr[-2000:]
