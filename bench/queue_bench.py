"""Agent-queue benchmark: escalate -> claim -> resolve cycles with N concurrent agents.

    .venv/bin/python bench/queue_bench.py --agents 20 --tickets 5000 \
        --redis-url redis://127.0.0.1:6379/14

Each agent runs cycles against one Redis: escalate a new conversation (as the bot would), claim
the head of the queue, resolve it; when its share is done it drains whatever is left. Agents are
threads or processes (``--mode auto`` measures both on a short run and keeps the faster).
Verification: every escalated ticket claimed exactly once (from the workers' results *and* from
the audit stream) and resolved. Prints one JSON object; writes a Markdown report.
FLUSHDB is run on the given db only (before and after), so point it at a scratch db.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.queue import AgentQueue, Escalation  # noqa: E402

PREFIX = "bench"


def make_queue(url: str, tickets: int) -> AgentQueue:
    client = redis.Redis.from_url(url, decode_responses=True)
    # keep every event of the run so the audit stream can be checked afterwards
    return AgentQueue(client, prefix=PREFIX, aging_seconds=0, events_maxlen=max(100_000, 8 * tickets))


def escalation(agent: int, k: int) -> Escalation:
    text = f"my order #{agent}-{k} arrived broken and nobody answers"
    return Escalation(
        channel="bench",
        sender=f"a{agent}-c{k}",
        reasons=["negative_tone", "complex_topic"],
        priority=1 + k % 4,
        text=text,
        draft="I'm sorry to hear that. An agent is looking into your order now.",
        tone={"negative": 0.91, "sarcasm": 0.05, "label": "negative", "signals": ["broken"]},
        nlu={"intent": "damaged_item", "confidence": 0.42},
        transcript=[{"role": "follower", "text": text, "ts": time.time()}],
    )


def agent_loop(url: str, agent: int, cycles: int, tickets: int, go: Any) -> dict[str, Any]:
    """One agent's run; returns what it did (ids, claim latencies, timings)."""
    q = make_queue(url, tickets)
    name = f"agent-{agent}"
    escalated: list[str] = []
    claimed: list[str] = []
    resolved: list[str] = []
    latencies: list[float] = []
    go.wait()
    start = time.perf_counter()

    def claim_and_resolve() -> bool:
        t0 = time.perf_counter()
        ticket = q.claim_next(name)
        latencies.append(time.perf_counter() - t0)
        if ticket is None:
            return False
        claimed.append(ticket.id)
        q.resolve_quietly(ticket.id, name)
        resolved.append(ticket.id)
        return True

    for k in range(cycles):
        escalated.append(q.escalate(escalation(agent, k)).ticket_id)
        claim_and_resolve()
    while claim_and_resolve():
        pass
    end = time.perf_counter()
    return {
        "escalated": escalated,
        "claimed": claimed,
        "resolved": resolved,
        "latencies": latencies,
        "start": start,
        "end": end,
    }


def _process_entry(url: str, agent: int, cycles: int, tickets: int, go: Any, out: Any) -> None:
    out.put(agent_loop(url, agent, cycles, tickets, go))


def run(url: str, agents: int, tickets: int, mode: str) -> dict[str, Any]:
    """One measured run on an empty db; the merged worker results."""
    redis.Redis.from_url(url).flushdb()
    shares = [tickets // agents + (1 if i < tickets % agents else 0) for i in range(agents)]
    results: list[dict[str, Any]] = []
    if mode == "threads":
        go_t = threading.Event()
        lock = threading.Lock()

        def entry(i: int) -> None:
            r = agent_loop(url, i, shares[i], tickets, go_t)
            with lock:
                results.append(r)

        threads = [threading.Thread(target=entry, args=(i,)) for i in range(agents)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        go_t.set()
        for t in threads:
            t.join()
    else:
        ctx = mp.get_context("fork")
        go_p = ctx.Event()
        out = ctx.Queue()
        procs = [
            ctx.Process(target=_process_entry, args=(url, i, shares[i], tickets, go_p, out))
            for i in range(agents)
        ]
        for p in procs:
            p.start()
        time.sleep(0.5)  # let every process connect and wait
        go_p.set()
        results = [out.get(timeout=600) for _ in procs]
        for p in procs:
            p.join(timeout=60)
            if p.exitcode != 0:
                raise RuntimeError(f"agent process exited with {p.exitcode}")
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    return {"results": results, "wall": wall}


def verify(url: str, tickets: int, results: list[dict[str, Any]]) -> dict[str, int]:
    """double_claims and lost_tickets from the workers' results and from Redis itself."""
    q = make_queue(url, tickets)
    escalated = [t for r in results for t in r["escalated"]]
    claimed = Counter(t for r in results for t in r["claimed"])
    resolved = {t for r in results for t in r["resolved"]}
    stream_claims: Counter[str] = Counter()
    stream_resolves: set[str] = set()
    start = "-"
    while True:
        batch = q.events(start=start, count=10_000)
        for _, e in batch:
            if e["type"] == "claimed":
                stream_claims[e["ticket"]] += 1
            elif e["type"] == "resolved":
                stream_resolves.add(e["ticket"])
        if len(batch) < 10_000:
            break
        ms, seq = batch[-1][0].split("-")
        start = f"{ms}-{int(seq) + 1}"
    double = sum(n - 1 for n in claimed.values() if n > 1)
    double += sum(n - 1 for n in stream_claims.values() if n > 1)
    double += len(set(claimed) ^ set(stream_claims))  # a claim one side does not know about
    client = q.redis
    lost = len(set(escalated) - resolved) + len(set(escalated) - stream_resolves)
    lost += client.zcard(q.keys.queued) + client.zcard(q.keys.claimed)
    lost += abs(len(set(escalated)) - tickets) + abs(len(escalated) - tickets)
    lost += abs(int(client.zcard(q.keys.resolved)) - tickets)
    return {"double_claims": double, "lost_tickets": int(lost)}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def redis_benchmark(url: str) -> dict[str, float]:
    """``redis-benchmark`` SET/GET figures against the same server and db (requests/s)."""
    exe = shutil.which("redis-benchmark")
    if exe is None:
        return {}
    u = urlparse(url)
    db = (u.path or "/0").lstrip("/") or "0"
    cmd = [exe, "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 6379), "--dbnum", db]
    cmd += ["-q", "-n", "100000", "-t", "set,get", "--csv"]
    if u.password:
        cmd += ["-a", u.password]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout
    figures = {}
    for line in out.splitlines():
        m = re.match(r'"(SET|GET)","([\d.]+)"', line)
        if m:
            figures[m.group(1)] = float(m.group(2))
    redis.Redis.from_url(url).flushdb()  # its key:__rand_int__ keys, in this db only
    return figures


def measure(url: str, agents: int, tickets: int, mode: str) -> dict[str, Any]:
    run_out = run(url, agents, tickets, mode)
    results = run_out["results"]
    lat = [x for r in results for x in r["latencies"]]
    checks = verify(url, tickets, results)
    return {
        "tickets_per_s": round(tickets / run_out["wall"], 1),
        "claim_ms_p50": round(percentile(lat, 50) * 1000, 3),
        "claim_ms_p99": round(percentile(lat, 99) * 1000, 3),
        "claim_ms_mean": round(statistics.fmean(lat) * 1000, 3),
        "wall_s": round(run_out["wall"], 3),
        **checks,
    }


def write_report(path: Path, summary: dict[str, Any], calibration: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Agent queue benchmark",
        "",
        f"Run: `{' '.join(['.venv/bin/python', 'bench/queue_bench.py', *sys.argv[1:]])}`  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; host: {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"Redis {summary.get('redis_version', '?')}, redis-py {redis.__version__}",
        "",
        "One cycle = `escalate` (bot) -> `claim_next` (agent) -> `resolve` (agent): three Lua "
        "scripts, each one round trip, each appending its audit event atomically.",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in summary.items()]
    if calibration:
        lines += ["", "## Threads or processes", "", "Short calibration runs (same agents):", ""]
        lines += ["| mode | tickets | tickets/s | claim p50 ms | claim p99 ms |", "|---|---|---|---|---|"]
        for mode, m in calibration.items():
            lines.append(
                f"| {mode} | {m['tickets']} | {m['tickets_per_s']} | {m['claim_ms_p50']} | "
                f"{m['claim_ms_p99']} |"
            )
    lines += [
        "",
        "## Verification",
        "",
        "`double_claims`: tickets claimed more than once according to the workers' results or to "
        "the `claimed` events of the audit stream, plus claims only one side knows about. "
        "`lost_tickets`: escalated tickets not resolved (results and stream), anything left "
        "queued or claimed, and any difference between tickets asked for and tickets created.",
        "",
    ]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--mode", choices=("auto", "threads", "processes"), default="auto")
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "reports" / "queue.md")
    parser.add_argument("--skip-redis-benchmark", action="store_true")
    args = parser.parse_args(argv)
    client = redis.Redis.from_url(args.redis_url, decode_responses=True)
    client.ping()
    calibration: dict[str, Any] = {}
    mode = args.mode
    if mode == "auto":
        n = min(args.tickets, max(1000, args.agents * 50))
        for candidate in ("threads", "processes"):
            calibration[candidate] = {"tickets": n, **measure(args.redis_url, args.agents, n, candidate)}
        mode = max(calibration, key=lambda m: calibration[m]["tickets_per_s"])
    summary: dict[str, Any] = {
        "agents": args.agents,
        "tickets": args.tickets,
        "mode": mode,
        **measure(args.redis_url, args.agents, args.tickets, mode),
    }
    client.flushdb()
    if not args.skip_redis_benchmark:
        figures = redis_benchmark(args.redis_url)
        summary["redis_benchmark_ops_per_s"] = (
            round(statistics.fmean(figures.values()), 1) if figures else None
        )
        summary["redis_benchmark"] = figures
    summary["redis_version"] = client.info("server").get("redis_version")
    write_report(args.report, summary, calibration)
    print(json.dumps(summary))
    return 0 if summary["double_claims"] == 0 and summary["lost_tickets"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
