"""What each patch of Rasa's internals (``bot/rasa_ext/patches``) saves per message, on vs off.

    REDIS_URL=redis://127.0.0.1:6379/10 .venv/bin/python -m bench.rasa_patches_bench \\
        [--conversations 60] [--rounds 5] [--actions-port 5055] [--seed 13]

The bot runs in this process: Rasa's ``Agent`` on the newest model in ``models/`` with
carebot's stores on ``REDIS_URL`` and the real action server in a child process
(``bench/rasa_patches_stack.py``), fed the load bench's follower mix one message at a time.

1. **Meso** (end to end, in process): the same messages (new senders each time) with every
   patch on, every patch off, and each patch off with the others on; CPU per message of this
   process (Rasa's work) and of the action server. ``--rounds`` rounds, the configurations in a
   rotating order; a patch's saving is the paired difference (patch off − all on) per round,
   median (min–max) over rounds. On a shared machine this is noisy: ±3–5 % between rounds.
2. **Micro** (each patch's target function, ``bench/rasa_patches_micro.py``): Rasa's function
   and the replacement on the inputs recorded from one pass of the same messages; CPU per call ×
   calls per message. Precise for the small ones.

Verdict per patch: **keep** when its micro saving is at least 3 % of the per-message server CPU
(Rasa + action server, all patches on, meso) and at least 0.1 ms; otherwise **drop**.

Prints one JSON object; writes ``bench/reports/rasa-patches.md``. Afterwards the run's tickets
are resolved and its trackers deleted (``CAREBOT_QUEUE_PREFIX``'s queue stays usable).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import socket
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import rasa_patches_micro as micro  # noqa: E402
from bench.common import REPORTS, md_table, print_json, write_report  # noqa: E402
from bench.rasa_patches_stack import (  # noqa: E402
    ActionServer,
    cleanup,
    latest_model,
    load_agent,
    play,
    start_action_server,
    workload,
)
from bot.rasa_ext import patches  # noqa: E402

KEEP_SHARE = 0.03
KEEP_MIN_MS = 0.1
ALL_ON, ALL_OFF = "all on", "all off"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def configurations() -> dict[str, tuple[str, ...]]:
    """Label -> the patches disabled."""
    names = tuple(patches.APPLIED)
    return {ALL_ON: (), ALL_OFF: names, **{f"without {n}": (n,) for n in names}}


async def meso(agent: Any, server: ActionServer, conversations: list[list[str]], rounds: int,
               run_id: str) -> dict[str, list[dict[str, float]]]:
    """Per configuration, one sample per round: CPU ms per message (Rasa, action server), wall."""
    configs = configurations()
    labels = list(configs)
    samples: dict[str, list[dict[str, float]]] = {label: [] for label in labels}
    for label in (ALL_ON, ALL_OFF):  # warm-up, not measured
        with patches.disabled(*configs[label]):
            await play(agent, conversations[:10], f"{run_id}-warm-{len(label)}")
    for r in range(rounds):
        order = labels[r % len(labels):] + labels[:r % len(labels)]
        for k, label in enumerate(order):
            with patches.disabled(*configs[label]):
                gc.collect()
                cpu, actions, wall = time.process_time(), server.cpu_seconds(), time.perf_counter()
                sent = await play(agent, conversations, f"{run_id}-r{r}-{k}")
                samples[label].append({
                    "rasa": (time.process_time() - cpu) * 1e3 / sent,
                    "actions": (server.cpu_seconds() - actions) * 1e3 / sent,
                    "wall": (time.perf_counter() - wall) * 1e3 / sent,
                })
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    return samples


def summarise(samples: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    out = {}
    for label, rows in samples.items():
        server = [row["rasa"] + row["actions"] for row in rows]
        out[label] = {
            "rasa_cpu_ms_per_msg": round(statistics.median(r["rasa"] for r in rows), 3),
            "actions_cpu_ms_per_msg": round(statistics.median(r["actions"] for r in rows), 3),
            "server_cpu_ms_per_msg": round(statistics.median(server), 3),
            "server_cpu_ms_min": round(min(server), 3),
            "server_cpu_ms_max": round(max(server), 3),
            "wall_ms_per_msg": round(statistics.median(r["wall"] for r in rows), 3),
        }
    return out


def paired_saving(samples: dict[str, list[dict[str, float]]], label: str) -> dict[str, float]:
    """Server CPU ms/msg of ``label`` minus that of all-on, paired by round."""
    diffs = [(a["rasa"] + a["actions"]) - (b["rasa"] + b["actions"])
             for a, b in zip(samples[label], samples[ALL_ON], strict=True)]
    return {"median": round(statistics.median(diffs), 3), "min": round(min(diffs), 3),
            "max": round(max(diffs), 3)}


async def run_stack(args: argparse.Namespace, run_id: str) -> dict[str, Any]:
    from bot.rasa_ext.patches.action_sessions import close_sessions
    from bot.settings import get_settings

    settings = get_settings()
    model = latest_model()
    conversations = workload(args.conversations, args.seed)
    server = start_action_server(args.actions_port or free_port(),
                                 ROOT / "var" / "bench" / "rasa-patches-actions.log")
    try:
        agent = await load_agent(model, server.url, settings.redis_url)
        samples = await meso(agent, server, conversations, args.rounds, run_id)
        rec = micro.Recorded()
        with micro.recording(rec):
            rec.messages = await play(agent, conversations, f"{run_id}-count")
        await close_sessions()
    finally:
        server.stop()
    return {"model": model.name, "agent": agent, "samples": samples, "recorded": rec,
            "messages_per_pass": sum(map(len, conversations))}


def micro_all(rec: micro.Recorded, agent: Any) -> dict[str, dict[str, Any]]:
    return {
        "Event.resolve_by_type": micro.time_event_types(rec),
        "RemoteAction._validate_action_result": micro.time_action_result(rec),
        "DaskGraphRunner.run": micro.time_graph_runner(rec),
        "EndpointConfig.session": micro.time_action_sessions(rec, free_port()),
    }


def verdicts(meso_summary: dict[str, dict[str, float]], micro_results: dict[str, Any],
             samples: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    per_msg = meso_summary[ALL_ON]["server_cpu_ms_per_msg"]
    threshold = max(KEEP_MIN_MS, KEEP_SHARE * per_msg)
    out = {}
    for name, timed in micro_results.items():
        saved = float(timed["saved_ms_per_msg"])
        out[name] = {
            "micro": timed,
            "meso_saved_ms_per_msg": paired_saving(samples, f"without {name}"),
            "share_of_server_cpu": round(saved / per_msg, 4) if per_msg else None,
            "verdict": "keep" if saved >= threshold else "drop",
        }
    return {"threshold_ms_per_msg": round(threshold, 3), "patches": out}


def report(result: dict[str, Any], path: Path) -> Path:
    meso_rows = [(label, v["rasa_cpu_ms_per_msg"], v["actions_cpu_ms_per_msg"],
                  v["server_cpu_ms_per_msg"], f"{v['server_cpu_ms_min']}–{v['server_cpu_ms_max']}",
                  v["wall_ms_per_msg"]) for label, v in result["meso"].items()]
    patch_rows = []
    for name, v in result["patches"].items():
        m, meso_saved = v["micro"], v["meso_saved_ms_per_msg"]
        patch_rows.append((
            f"`{name}`", m["calls_per_msg"], m["rasa_us_per_call"], m["ours_us_per_call"],
            m["saved_ms_per_msg"], f"{100 * (v['share_of_server_cpu'] or 0):.1f} %",
            f"{meso_saved['median']} ({meso_saved['min']} to {meso_saved['max']})",
            f"**{v['verdict']}**"))
    notes = [
        f"Rasa {result['rasa_version']}, model `{result['model']}`, "
        f"{result['messages_per_pass']} messages per pass "
        f"({result['conversations']} conversations of the load bench's mix, seed "
        f"{result['seed']}), {result['rounds']} rounds; load average "
        f"{result['load_average_before']} before, {result['load_average_after']} after; "
        f"{result['seconds']:.0f} s.",
        f"Keep when the micro saving ≥ max({KEEP_MIN_MS} ms, {KEEP_SHARE:.0%} of the server CPU "
        f"per message with all patches on) = {result['threshold_ms_per_msg']} ms.",
    ]
    session = result["patches"].get("EndpointConfig.session", {}).get("micro", {})
    if session:
        notes.append(
            f"`EndpointConfig.session`: µs/call are this process's (a {session['body_bytes']}-byte "
            f"body to a trivial local server); the saving adds the server's side "
            f"({session['server']['rasa_us_per_call']:.0f} → "
            f"{session['server']['ours_us_per_call']:.0f} µs per request).")
    sections = [
        ("Run", "\n".join(f"- {n}" for n in notes)),
        ("Server CPU per message, each configuration (meso, median over rounds)", md_table(
            ["configuration", "Rasa ms", "action server ms", "server ms", "server min–max",
             "wall ms"], meso_rows)),
        ("Each patch", md_table(
            ["patch", "calls/msg", "Rasa µs/call", "ours µs/call", "micro: saved ms/msg",
             "share of server CPU", "meso: saved ms/msg, median (min to max)", "verdict"],
            patch_rows)),
    ]
    return write_report(path, "Patches of Rasa internals: gain per message", sections)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--actions-port", type=int, default=0, help="0: a free port")
    parser.add_argument("--report", type=Path, default=REPORTS / "rasa-patches.md")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args(argv)

    from bot.model.interpreter import quiet_rasa_logging
    from bot.settings import get_settings

    quiet_rasa_logging()
    patches.apply()
    run_id = f"pb-{uuid.uuid4().hex[:8]}"
    load_before = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    settings = get_settings()
    try:
        stack = asyncio.run(run_stack(args, run_id))
        timed = micro_all(stack["recorded"], stack["agent"])
    finally:
        deleted = cleanup(settings.redis_url, settings.queue_prefix, run_id)
    meso_summary = summarise(stack["samples"])
    import rasa

    result: dict[str, Any] = {
        "rasa_version": rasa.__version__, "model": stack["model"],
        "conversations": args.conversations, "seed": args.seed, "rounds": args.rounds,
        "messages_per_pass": stack["messages_per_pass"],
        "load_average_before": load_before, "load_average_after": round(os.getloadavg()[0], 2),
        "seconds": round(time.perf_counter() - started, 1), "redis_keys_deleted": deleted,
        "meso": meso_summary, **verdicts(meso_summary, timed, stack["samples"]),
    }
    if not args.no_report:
        result["report"] = str(report(result, args.report))
    print_json(result)
    return result


if __name__ == "__main__":
    main()
