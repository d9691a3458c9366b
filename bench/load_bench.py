"""Load benchmark: simulated followers DM a running stack through Rasa's REST channel.

    carebot bench load --senders 50 --messages 20 [--think-ms 3000] [--url http://localhost:5005]
    .venv/bin/python bench/load_bench.py --senders 50 --messages 20   (same, without the CLI)

Each simulated follower (``--senders``) holds its own conversations and sends ``--messages``
messages in all, one at a time, waiting for the reply before the next, like a person: a mix of
FAQ questions, small talk and messages that escalate (complaints, damaged items, legal threats,
"can I talk to a human"...), phrasings that are *not* in the training data. A conversation that
escalates is over for the bot (a person owns it; the bot stays silent), so that follower's next
message starts a new conversation.

Think time (``--think-ms``, default 3000): after each reply a follower waits a time drawn
uniformly from 0.5x to 1.5x that value before its next message (reading a one-line answer and
typing a short question takes a person several seconds; 3 s on average is a fast, impatient
follower, i.e. more load per follower than real traffic). Followers start at random moments
within one think time. Then the same followers run **closed loop** (``--think-ms 0``: the next
message as soon as the reply arrives): the saturation throughput of the stack at that
concurrency (``saturation`` in the JSON; ``--no-saturation`` skips it). With no think time, a
p95 of 50 ms at 50 senders would need 1,000 msg/s; with think time T the offered load is about
``senders / T`` msg/s.

Then, in the same run, the same load goes to **stock Rasa 3.6** (``rasa init``'s default
pipeline and policies: DIET, ResponseSelector, FallbackClassifier, Memoization, TED, Rule),
trained on the project's NLU data and domain with ``--stock-epochs`` (default 20; serving cost
does not depend on epochs), with Rasa's own Redis tracker and lock stores on the same Redis (not
carebot's stores, and plain ``rasa run``: without ``bot.rasa_ext.patches``) and the
stock way of answering: rules ``faq -> utter_faq``, small talk -> its response, everything
else -> a hand-off response, all inside Rasa (no action server, no tone model, no decision, no
ticket). ``--no-stock`` skips it; ``--stock-url`` uses one already running.

Checks (``--verify``, default on): every conversation's tracker (Rasa HTTP API) holds exactly the
follower messages that were sent, in order, once each (nothing lost, reordered or duplicated,
whatever instance served each message), and every escalated conversation has exactly one ticket
(from the queue's audit stream in Redis). Afterwards the run's tickets are resolved and its
trackers deleted (``--keep`` keeps them).

Prints one JSON object (``messages_per_s``, ``p50_ms``, ``p95_ms``, ``p99_ms``, ``errors``,
``escalations``, CPU ms per message by process, ..., ``saturation``, ``stock`` and ``ratio``)
and writes ``bench/reports/load.md`` with a latency histogram (``load-latency.png``). Report
the load average with the numbers: this machine is shared.

This module runs the phases and measures CPU; the followers (mix, sending) are in
``bench/load_followers.py``, the checks in ``bench/load_checks.py``, stock Rasa in
``bench/load_stock.py``, the report in ``bench/load_report.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import REPORTS, percentile, print_json  # noqa: E402
from bench.load_checks import cleanup, verify  # noqa: E402
from bench.load_followers import Sent, handoff_prefixes, run_followers, warm_up  # noqa: E402
from bench.load_report import write_load_report  # noqa: E402
from bench.load_stock import StockServer, ensure_stock_model  # noqa: E402

# -- one phase: N followers against one URL ----------------------------------------------------


@dataclass
class Phase:
    label: str
    url: str
    sent: list[Sent] = field(default_factory=list)
    wall_s: float = 0.0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    think_ms: float = 0.0
    cpu_s: float | None = None
    cpu_by_role: dict[str, float] = field(default_factory=dict)
    processes: int = 0
    client_cpu_s: float = 0.0
    verify: dict[str, Any] = field(default_factory=dict)

    def conversations(self) -> dict[str, list[Sent]]:
        out: dict[str, list[Sent]] = {}
        for s in self.sent:
            out.setdefault(s.sender, []).append(s)
        return out

    def summary(self) -> dict[str, Any]:
        good = [s.ms for s in self.sent if s.ok]
        errors: dict[str, int] = {}
        for s in self.sent:
            if not s.ok:
                errors[s.error] = errors.get(s.error, 0) + 1
        n = len(self.sent)

        def r(v: float | None, d: int = 1) -> float | None:
            return None if v is None else round(v, d)

        data: dict[str, Any] = {
            "think_ms": self.think_ms,
            "messages": n,
            "messages_per_s": r(n / self.wall_s if self.wall_s else 0.0),
            "p50_ms": r(percentile(good, 50)),
            "p95_ms": r(percentile(good, 95)),
            "p99_ms": r(percentile(good, 99)),
            "mean_ms": r(sum(good) / len(good)) if good else None,
            "max_ms": r(max(good)) if good else None,
            "errors": sum(errors.values()),
            "error_kinds": errors,
            "escalations": sum(1 for s in self.sent if s.escalated),
            "expected_escalations": sum(1 for s in self.sent if s.kind == "escalate"),
            "conversations": len(self.conversations()),
            "wall_s": r(self.wall_s, 2),
            "loadavg_before": [round(x, 2) for x in self.load_before],
            "loadavg_after": [round(x, 2) for x in self.load_after],
        }
        if self.cpu_s is not None and n:
            data["server_cpu_ms_per_message"] = r(1000 * self.cpu_s / n, 2)
            data["cpu_ms_per_message_by_process"] = {
                role: r(1000 * cpu / n, 2) for role, cpu in sorted(self.cpu_by_role.items())}
            data["server_processes"] = self.processes
        if n:
            data["client_cpu_ms_per_message"] = r(1000 * self.client_cpu_s / n, 2)
        if self.verify:
            data["verify"] = self.verify
        return data


def stack_processes(url: str) -> list[Any]:
    """The processes serving ``url``: the listener and, when a runner started it, every
    process that runner started (Rasa, action servers, nginx). Empty when not found."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return []
    port = urlparse(url).port or 80
    listener = None
    try:
        for conn in psutil.net_connections("tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                if conn.pid:
                    listener = psutil.Process(conn.pid)
                    break
    except (psutil.Error, OSError):
        return []
    if listener is None:
        return []
    me = psutil.Process()
    mine = {me.pid, *(p.pid for p in me.parents())}
    root = listener
    try:  # up from the listener (an nginx worker: its master, then `carebot run`)
        for _ in range(3):
            parent = root.parent()
            if parent is None or parent.pid in mine or parent.pid == 1:
                break
            cmd = " ".join(parent.cmdline())
            if not ("carebot" in cmd or "bot.cli" in cmd or "runner" in cmd or "stack" in cmd
                    or cmd.startswith("nginx")):
                break
            root = parent
    except psutil.Error:
        pass
    try:
        procs = [root] + root.children(recursive=True)
    except psutil.Error:
        procs = [listener]
    return [p for p in procs if p.pid not in mine]


def role(process: Any) -> str:
    """What a serving process is: ``rasa``, ``actions``, ``nginx`` or ``other`` (the runner)."""
    try:
        cmd = " ".join(process.cmdline())
    except Exception:  # noqa: BLE001 - a process may have gone
        return "other"
    if "rasa_sdk" in cmd or "run actions" in cmd:
        return "actions"
    if cmd.startswith("nginx"):
        return "nginx"
    if "rasa" in cmd and " run" in cmd:
        return "rasa"
    return "other"


def _cpu(procs: Sequence[Any]) -> dict[str, float]:
    """CPU seconds (user + system) so far, summed by :func:`role`."""
    total: dict[str, float] = {}
    for p in procs:
        try:
            t = p.cpu_times()
            total[role(p)] = total.get(role(p), 0.0) + t.user + t.system
        except Exception:  # noqa: BLE001 - a process may have gone
            pass
    return total


def run_phase(label: str, base: str, args: argparse.Namespace, prefixes: Sequence[str],
              think_ms: float) -> Phase:
    run_id = f"load-{label}-{'t' if think_ms else 's'}-{uuid.uuid4().hex[:6]}"
    if args.warmup:
        asyncio.run(warm_up(base, run_id, args.warmup, args.timeout))
    procs = stack_processes(base)
    phase = Phase(label, base, load_before=os.getloadavg(), think_ms=think_ms)
    cpu0 = _cpu(procs)
    client0 = time.process_time()
    phase.sent, phase.wall_s = asyncio.run(run_followers(
        base, run_id, args.senders, args.messages, think_ms, args.seed, args.timeout, prefixes))
    phase.client_cpu_s = time.process_time() - client0
    if procs:
        cpu1 = _cpu(procs)
        phase.cpu_by_role = {k: cpu1.get(k, 0.0) - cpu0.get(k, 0.0) for k in cpu1}
        phase.cpu_s = sum(phase.cpu_by_role.values())
        phase.processes = len(procs)
    phase.load_after = os.getloadavg()
    return phase


# -- entry points -----------------------------------------------------------------------------


DEFAULT_THINK_MS = 3000.0
"""A fast follower: reads a one-line answer and types a short question in ~3 s (0.5x-1.5x)."""


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--senders", type=int, default=50, help="simulated followers (50)")
    parser.add_argument("--messages", type=int, default=20, help="messages per follower (20)")
    parser.add_argument("--think-ms", type=float, default=DEFAULT_THINK_MS,
                        help=f"mean think time of a follower between a reply and its next "
                             f"message, ms ({DEFAULT_THINK_MS:.0f}; drawn from 0.5x-1.5x); "
                             f"0 = closed loop")
    parser.add_argument("--no-saturation", dest="saturation", action="store_false",
                        help="skip the closed-loop (--think-ms 0) phase after the paced one")
    parser.add_argument("--url", help="the stack's public side (default: "
                        "http://127.0.0.1:$CAREBOT_RASA_PORT, :5005; nginx with several "
                        "instances); trackers are read through CAREBOT_RASA_URL")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured messages first (20)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per message, seconds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-stock", dest="stock", action="store_false",
                        help="skip the stock Rasa side-by-side")
    parser.add_argument("--stock-url", help="a stock Rasa already running (else started here)")
    parser.add_argument("--stock-epochs", type=int, default=20)
    parser.add_argument("--stock-port", type=int, default=5095)
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="skip the order and ticket checks")
    parser.add_argument("--keep", action="store_true",
                        help="keep the run's tickets and trackers (default: cleaned up)")
    parser.add_argument("--redis-url", help="for the ticket check (default: REDIS_URL)")
    parser.add_argument("--name", help="report name (default: load)")
    parser.add_argument("--report-dir", default=str(REPORTS))
    parser.add_argument("--no-report", action="store_true", help="JSON only")
    return parser


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bot.settings import get_settings

    settings = get_settings()
    # followers use the public side (nginx with several instances: sticky by sender); the
    # trackers are read through Rasa's HTTP API, which nginx serves on its internal port only
    base = (args.url or f"http://127.0.0.1:{settings.rasa_port}").rstrip("/")
    api = settings.rasa_url.rstrip("/") if args.url is None or settings.instances > 1 else base
    redis_url = args.redis_url or settings.redis_url
    prefixes = handoff_prefixes(settings.home)
    log = (lambda m: print(m, file=sys.stderr, flush=True))  # noqa: E731

    def measure(label: str, url: str, tickets: bool, think_ms: float) -> Phase:
        log(f"bench load: {label}: {args.senders} followers x {args.messages} messages, "
            f"think {think_ms:.0f} ms -> {url}")
        phase = run_phase(label, url, args, prefixes, think_ms)
        if args.verify:
            carebot = label == "carebot"
            phase.verify = verify(phase, settings.rasa_api_token() if carebot else "",
                                  redis_url, settings.queue_prefix, tickets,
                                  api_url=api if carebot else url)
            if phase.verify.get("unreadable"):
                log(f"bench load: {phase.verify['unreadable']} trackers unreadable: the order "
                    f"check did not cover them (is CAREBOT_RASA_URL Rasa's API?)")
        if not args.keep:
            try:
                cleanup(phase, redis_url, settings.queue_prefix)
            except Exception as error:  # noqa: BLE001 - the numbers matter more
                log(f"bench load: cleanup failed: {error}")
        return phase

    thinks = [args.think_ms] + ([0.0] if args.saturation and args.think_ms else [])
    phases = [measure("carebot", base, True, t) for t in thinks]
    if args.stock:
        server = None
        if args.stock_url:
            stock_url = args.stock_url.rstrip("/")
        else:
            model, seconds = ensure_stock_model(settings, args.stock_epochs, log)
            if seconds:
                log(f"bench load: stock model trained in {seconds:.0f} s")
            server = StockServer(settings, model, args.stock_port)
            server.wait()
            stock_url = server.url
        try:
            phases += [measure("stock", stock_url, False, t) for t in thinks]
        finally:
            if server is not None:
                server.stop()

    summaries = {(p.label, p.think_ms): p.summary() for p in phases}
    main_phase = summaries[("carebot", args.think_ms)]
    result: dict[str, Any] = {
        "url": base, "senders": args.senders, "messages_per_sender": args.messages,
        **main_phase,
        "loadavg": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
    }
    if ("carebot", 0.0) in summaries and args.think_ms:
        result["saturation"] = summaries[("carebot", 0.0)]

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a and b else None

    if ("stock", args.think_ms) in summaries:
        stock = summaries[("stock", args.think_ms)]
        result["stock"] = stock
        result["ratio"] = {
            "messages_per_s": ratio(main_phase["messages_per_s"], stock["messages_per_s"]),
            "p95_ms_stock_over_carebot": ratio(stock["p95_ms"], main_phase["p95_ms"]),
            "server_cpu_stock_over_carebot": ratio(stock.get("server_cpu_ms_per_message"),
                                                   main_phase.get("server_cpu_ms_per_message")),
        }
        if ("stock", 0.0) in summaries and "saturation" in result:
            result["stock_saturation"] = summaries[("stock", 0.0)]
            result["ratio"]["saturation_messages_per_s"] = ratio(
                result["saturation"]["messages_per_s"],
                result["stock_saturation"]["messages_per_s"])
    if not args.no_report:
        path = write_load_report(result, phases, args, Path(args.report_dir))
        result["report"] = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(
        prog="bench/load_bench.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter))
    print_json(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
