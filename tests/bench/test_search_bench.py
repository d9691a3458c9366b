"""``bench/search_bench.py`` on a few hundred tickets: one JSON object with every figure, a
report, answers checked against what it loaded, and the db left empty."""

from __future__ import annotations

import argparse
from pathlib import Path

import redis

from bench import search_bench


def test_search_bench_runs_small(tmp_path: Path, redis_url: str,
                                 redis_client: redis.Redis) -> None:
    parser = argparse.ArgumentParser()
    search_bench.add_arguments(parser)
    report = tmp_path / "search.md"
    args = parser.parse_args(["--tickets", "400", "--queries", "40", "--redis-url", redis_url,
                              "--report", str(report)])
    data = search_bench.run(args)
    assert data["tickets"] == 400 and data["queries"] >= 35
    assert data["answers_checked"] == 30 and data["engine"] == "index"
    for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "load_s", "redis_memory_mb"):
        assert data[key] >= 0, key
    assert set(data["by_kind"]) >= {"word (common)", "prefix", "label + dates", "agent + status"}
    text = report.read_text()
    assert "p95" in text and "400 synthetic tickets" in text
    assert redis_client.dbsize() == 0
