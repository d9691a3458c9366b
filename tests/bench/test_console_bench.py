"""``bench/console_bench.py`` with a few rows in Debian's Chromium: one JSON object with every
figure, and a report."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import console_bench
from tests.fakes.browser import CHROMIUM


def test_console_bench_runs_small(tmp_path: Path) -> None:
    assert CHROMIUM.exists(), "apt-get install -y chromium (the browser tests need it too)"
    parser = argparse.ArgumentParser()
    console_bench.add_arguments(parser)
    report = tmp_path / "console.md"
    data = console_bench.run(parser.parse_args(["--tickets", "40", "--rounds", "2",
                                                "--report", str(report)]))
    first = data["first_render_with_labels"]
    # windowed: only the rows in view (+ a buffer) are in the DOM; the reference builds all 40
    assert 0 < first["rows_in_dom"] < 40 and first["label_chips"] > 0
    assert data["all_rows_before"]["rows_in_dom"] == 40
    assert data["first_render_without_labels"]["label_chips"] == 0
    for name in ("live_update", "scroll_middle", "select_far_row"):
        assert data[name]["rows_in_dom"] > 0 and data[name]["p50_ms"] >= 0
    assert first["p50_ms"] > 0 and "p95 ms" in report.read_text()
