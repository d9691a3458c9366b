"""Agent-queue benchmark: escalate -> claim -> resolve cycles with N concurrent agents.

    .venv/bin/python bench/queue_bench.py --agents 20 --tickets 5000 \
        --redis-url redis://127.0.0.1:6379/14

Each agent runs cycles against one Redis: escalate new conversations (as the bot would), claim
the head of the queue, resolve what it claimed; when its share is done it drains what is left.
``--batch B`` pipelines B cycles per round trip (``escalate_many`` / ``claim_next_many`` /
``resolve_many``: still one atomic Lua script per operation); ``--batch 1`` is one round trip
per operation. Agents run as threads of one process, or spread over ``--procs`` processes
(``--mode auto`` measures both, with and without pipelining, on short runs and keeps the best).

Verification: every escalated ticket claimed exactly once and resolved, checked from the
workers' results *and* from the audit stream. Prints one JSON object; writes a Markdown report.
FLUSHDB runs on the given db only (before and after), so point it at a scratch db.
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

from bot.escalation.reasons import Reason  # noqa: E402
from bot.queue import AgentQueue, Escalation  # noqa: E402

PREFIX = "bench"


def make_queue(url: str, tickets: int) -> AgentQueue:
    client = redis.Redis.from_url(url, decode_responses=True)
    # keep every event of the run so the audit stream can be checked afterwards
    maxlen = max(100_000, 8 * tickets)
    return AgentQueue(client, prefix=PREFIX, aging_seconds=0, events_maxlen=maxlen)


def escalation(agent: int, k: int) -> Escalation:
    text = f"my order #{agent}-{k} arrived broken and nobody answers"
    return Escalation(
        channel="bench",
        sender=f"a{agent}-c{k}",
        reasons=[Reason.NEGATIVE_TONE.value, Reason.COMPLEX_TOPIC.value],
        priority=1 + k % 4,
        text=text,
        draft="I'm sorry to hear that. An agent is looking into your order now.",
        tone={"negative": 0.91, "sarcasm": 0.05, "label": "negative", "signals": ["broken"]},
        nlu={"intent": "damaged_item", "confidence": 0.42},
        transcript=[{"role": "follower", "text": text, "ts": time.time()}],
    )


def agent_loop(url: str, agent: int, cycles: int, tickets: int, batch: int, go: Any) -> dict:
    """One agent's run; what it did (ids, claim round-trip times, start and end)."""
    q = make_queue(url, tickets)
    name = f"agent-{agent}"
    escalated: list[str] = []
    claimed: list[str] = []
    resolved: list[str] = []
    latencies: list[float] = []
    go.wait()
    start = time.perf_counter()

    def claim_and_resolve(n: int) -> int:
        t0 = time.perf_counter()
        if n == 1:
            one = q.claim_next(name)
            got = [one] if one is not None else []
        else:
            got = q.claim_next_many(name, n)
        latencies.append(time.perf_counter() - t0)
        ids = [t.id for t in got]
        claimed.extend(ids)
        if len(ids) == 1:
            q.resolve(ids[0], name)
        elif ids:
            errors = q.resolve_many(ids, name)
            assert not any(errors), errors
        resolved.extend(ids)
        return len(ids)

    for first in range(0, cycles, batch):
        ks = range(first, min(cycles, first + batch))
        if len(ks) == 1:
            escalated.append(q.escalate(escalation(agent, ks[0])).ticket_id)
        else:
            escalated.extend(
                r.ticket_id for r in q.escalate_many([escalation(agent, k) for k in ks])
            )
        claim_and_resolve(len(ks))
    while claim_and_resolve(batch):
        pass
    return {
        "escalated": escalated,
        "claimed": claimed,
        "resolved": resolved,
        "latencies": latencies,
        "start": start,
        "end": time.perf_counter(),
    }


def agents_in_threads(
    url: str, ids: list[int], shares: list[int], tickets: int, batch: int, go: Any
) -> list[dict]:
    """Run some agents as threads of this process; their results."""
    results: list[dict] = []
    lock = threading.Lock()

    def entry(i: int) -> None:
        try:
            r = agent_loop(url, i, shares[i], tickets, batch, go)
        except Exception as exc:  # reported, and the run refused, instead of miscounting
            r = {"error": f"agent {i}: {type(exc).__name__}: {exc}"}
        with lock:
            results.append(r)

    threads = [threading.Thread(target=entry, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _process_entry(url: str, ids: list[int], shares: list[int], tickets: int, batch: int,
                   go: Any, out: Any) -> None:  # fmt: skip
    out.put(agents_in_threads(url, ids, shares, tickets, batch, go))


def run(url: str, agents: int, tickets: int, procs: int, batch: int) -> dict[str, Any]:
    """One run on an empty db: agents as threads of ``procs`` processes (0 = this process)."""
    redis.Redis.from_url(url).flushdb()
    shares = [tickets // agents + (1 if i < tickets % agents else 0) for i in range(agents)]
    results: list[dict] = []
    if procs == 0:
        go_t = threading.Event()
        threading.Timer(0.3, go_t.set).start()
        results = agents_in_threads(url, list(range(agents)), shares, tickets, batch, go_t)
    else:
        ctx = mp.get_context("fork")
        go_p, out = ctx.Event(), ctx.Queue()
        groups = [list(range(agents))[g::procs] for g in range(procs)]
        workers = [
            ctx.Process(target=_process_entry, args=(url, ids, shares, tickets, batch, go_p, out))
            for ids in groups
        ]
        for w in workers:
            w.start()
        time.sleep(0.5)  # let every process start its agents; they wait for `go`
        go_p.set()
        for _ in workers:
            results.extend(out.get(timeout=600))
        for w in workers:
            w.join(timeout=60)
            if w.exitcode != 0:
                raise RuntimeError(f"agent process exited with {w.exitcode}")
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise RuntimeError("agents failed: " + "; ".join(errors))
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    return {"results": results, "wall": wall}


def verify(url: str, tickets: int, results: list[dict]) -> dict[str, int]:
    """double_claims and lost_tickets, from the workers' results and from Redis itself."""
    q = make_queue(url, tickets)
    escalated = [t for r in results for t in r["escalated"]]
    claimed = Counter(t for r in results for t in r["claimed"])
    resolved = {t for r in results for t in r["resolved"]}
    stream_claims: Counter[str] = Counter()
    stream_resolves: set[str] = set()
    start = "-"
    while True:
        page = q.events(start=start, count=10_000)
        for _, e in page:
            if e["type"] == "claimed":
                stream_claims[e["ticket"]] += 1
            elif e["type"] == "resolved":
                stream_resolves.add(e["ticket"])
        if len(page) < 10_000:
            break
        ms, seq = page[-1][0].split("-")
        start = f"{ms}-{int(seq) + 1}"
    double = sum(n - 1 for n in claimed.values() if n > 1)
    double += sum(n - 1 for n in stream_claims.values() if n > 1)
    double += len(set(claimed) ^ set(stream_claims))  # a claim only one side knows about
    r = q.redis
    lost = len(set(escalated) - resolved) + len(set(escalated) - stream_resolves)
    lost += int(r.zcard(q.keys.queued)) + int(r.zcard(q.keys.claimed))
    lost += abs(len(set(escalated)) - tickets) + abs(int(r.zcard(q.keys.resolved)) - tickets)
    return {"double_claims": double, "lost_tickets": lost}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(url: str, agents: int, tickets: int, procs: int, batch: int) -> dict[str, Any]:
    out = run(url, agents, tickets, procs, batch)
    lat = [x for r in out["results"] for x in r["latencies"]]
    return {
        "tickets_per_s": round(tickets / out["wall"], 1),
        "claim_ms_p50": round(percentile(lat, 50) * 1000, 3),
        "claim_ms_p99": round(percentile(lat, 99) * 1000, 3),
        "wall_s": round(out["wall"], 3),
        **verify(url, tickets, out["results"]),
    }


def mode_name(procs: int, agents: int, batch: int) -> str:
    where = "threads" if procs == 0 else f"processes({procs}x{-(-agents // procs)} threads)"
    return f"{where}, pipeline {batch}" if batch > 1 else f"{where}, 1 op per round trip"


def redis_benchmark(url: str) -> dict[str, float]:
    """``redis-benchmark`` SET/GET requests per second against the same server and db."""
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


def write_report(path: Path, summary: dict[str, Any], runs: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    lines = [
        "# Agent queue benchmark",
        "",
        f"Command: `.venv/bin/python bench/queue_bench.py {' '.join(sys.argv[1:])}`  ",
        f"When: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} CPUs; load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end; Python "
        f"{platform.python_version()}; redis-py {redis.__version__}; "
        f"Redis {summary.get('redis_version')}",
        "",
        "One cycle = `escalate` (bot) -> `claim_next` (agent) -> `resolve` (agent): three Lua "
        "scripts, each atomic and each appending its audit event in the same script.",
        "",
        "## Result",
        "",
        "```json",
        json.dumps(summary, indent=2),
        "```",
        "",
        "## Runs",
        "",
        "| run | mode | tickets | tickets/s | claim round trip p50 ms | p99 ms | double | lost |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in runs:
        lines.append(
            f"| {m['run']} | {m['mode']} | {m['tickets']} | {m['tickets_per_s']} | "
            f"{m['claim_ms_p50']} | {m['claim_ms_p99']} | {m['double_claims']} | "
            f"{m['lost_tickets']} |"
        )
    lines += [
        "",
        "`claim_ms_*` is the round trip of one `claim_next` call (of one `claim_next_many` "
        "call of `batch` claims when pipelined), as an agent waits for it.",
        "`double_claims`: tickets claimed more than once according to the workers' results or "
        "the `claimed` events of the audit stream, plus claims only one side knows about. "
        "`lost_tickets`: escalated tickets not resolved (results and stream), anything left "
        "queued or claimed, and any difference between tickets asked for and created.",
        "",
        "## Notes",
        "",
        "- Both sides are CPU-bound on a 2-core machine: the Redis thread spends roughly "
        "200-250 us per cycle in the three scripts (INFO commandstats), the Python clients "
        "roughly 400-600 us per cycle (pure-Python redis-py: packing arguments and parsing "
        "replies dominate; `hiredis` is not installed). Pipelining cuts the client's share per "
        "operation about in half, processes let it use the second core.",
        "- One op per round trip is what an interactive agent does; the pipelined mode is a "
        "throughput figure for the queue itself (every claim still its own atomic script, "
        "every event still written with it).",
        "- The machine is shared: the load average above shows how busy it was; figures vary "
        "by about +-30 % between runs, so the best of the final runs and the median are shown.",
        "",
    ]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--mode", choices=("auto", "threads", "processes"), default="auto")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--batch", type=int, default=0, help="pipeline depth; 0 = auto")
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "reports" / "queue.md")
    parser.add_argument("--repeat", type=int, default=3, help="final runs (best is reported)")
    parser.add_argument("--skip-redis-benchmark", action="store_true")
    args = parser.parse_args(argv)
    client = redis.Redis.from_url(args.redis_url, decode_responses=True)
    client.ping()
    procs_options = {"threads": [0], "processes": [args.procs], "auto": [0, args.procs]}[args.mode]
    batch_options = [args.batch] if args.batch else [1, 32]
    runs: list[dict[str, Any]] = []
    if len(procs_options) * len(batch_options) > 1:
        n = min(args.tickets, max(2000, args.agents * 100))
        for procs in procs_options:
            for batch in batch_options:
                m = measure(args.redis_url, args.agents, n, procs, batch)
                mode = mode_name(procs, args.agents, batch)
                runs.append({"run": "calibration", "mode": mode, "tickets": n, **m})
                runs[-1].update(procs=procs, batch=batch)
        best = max(runs, key=lambda m: m["tickets_per_s"])
        procs, batch = best["procs"], best["batch"]
    else:
        procs, batch = procs_options[0], batch_options[0]
    mode = mode_name(procs, args.agents, batch)
    finals = []
    for i in range(args.repeat):
        m = measure(args.redis_url, args.agents, args.tickets, procs, batch)
        finals.append(m)
        runs.append({"run": f"final {i + 1}", "mode": mode, "tickets": args.tickets, **m})
    # the best final run (machine noise only ever slows a run down); all of them are reported
    summary: dict[str, Any] = {"agents": args.agents, "tickets": args.tickets, "mode": mode}
    summary.update(max(finals, key=lambda m: m["tickets_per_s"]))
    summary["double_claims"] = sum(m["double_claims"] for m in runs)
    summary["lost_tickets"] = sum(m["lost_tickets"] for m in runs)
    summary["batch"] = batch
    summary["tickets_per_s_median"] = statistics.median(m["tickets_per_s"] for m in finals)
    one_rt = [m for m in runs if m.get("batch", batch) == 1]
    if one_rt:
        summary["one_op_per_round_trip_tickets_per_s"] = max(m["tickets_per_s"] for m in one_rt)
    client.flushdb()
    figures = {} if args.skip_redis_benchmark else redis_benchmark(args.redis_url)
    summary["redis_benchmark_ops_per_s"] = (
        round(statistics.fmean(figures.values()), 1) if figures else None
    )
    summary["redis_benchmark"] = figures
    summary["redis_version"] = client.info("server").get("redis_version")
    write_report(args.report, summary, runs)
    print(json.dumps(summary))
    return 0 if summary["double_claims"] == 0 and summary["lost_tickets"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
