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
    assert data["rows_with_labels"]["rows"] == 40 and data["rows_with_labels"]["label_chips"] > 0
    assert data["rows_without_labels"]["label_chips"] == 0
    assert data["rows_with_labels"]["p50_ms"] > 0 and "p95 ms" in report.read_text()
