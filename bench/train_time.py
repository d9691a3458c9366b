"""Training cost: ``rasa train nlu`` of the project's pipeline against the number of examples.

    carebot bench train-time --data ../shared/datasets/clinc150/train.csv \
        --data ../shared/datasets/banking77/train.csv --sizes 1000,2000,5000,10000,15000

For every ``--data`` CSV (read by path, never copied) and every size in ``--sizes`` (sizes above
the file's rows are skipped; ``full`` = every row): a stratified, seeded subsample of the rows
becomes FAQ training data exactly as ``bench nlu`` writes it (``--label-mode faq``: every label
``faq/<label>``, so the tone scorer also learns the questions as calm; ``oos`` → the
``out_of_scope`` intent), and ``rasa train nlu`` trains it with ``--config`` as a subprocess
(``bench/nlu_train.py``), cwd = the project root. Each training gets a fresh Rasa cache and,
unless ``--warm``, a fresh sentence-embedding cache (``CAREBOT_VAR_DIR`` in a temp dir): a
**cold** training, every example encoded. ``--warm`` trains each set a second time with the
embeddings of the first run cached (what a retrain after an FAQ change costs).

Per training: wall seconds, CPU seconds of the training process (user + system, both cores),
the load average before and after (the machine is shared: read wall times with it), the seconds
of each component from Rasa's log. JSON on stdout; ``bench/reports/train-time[-NAME].md`` with a
plot of seconds against examples. ``--faq-live`` also runs ``bench/faq_measure.py`` (a real
stack: ``faq add … --reload`` until a paraphrase of the new FAQ is answered) and adds its
seconds.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import tempfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from bench.common import (
    REPORTS,
    Row,
    command_line,
    machine,
    md_table,
    read_labelled_csv,
    save_figure,
    slug,
    write_report,
)
from bench.nlu_train import train_model, write_training_data

DEFAULT_SIZES = "1000,2000,5000,10000,15000"
_STEP = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+\w+\s+\S+\s+-\s+"
    r"(Starting to train component '([^']+)'|Finished training component '([^']+)')"
)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--data", action="append", required=True,
                        help="labelled CSV (text,label) to subsample; repeat for several")
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help=f"examples per training, comma-separated; 'full' = every row "
                             f"(default {DEFAULT_SIZES})")
    parser.add_argument("--seed", type=int, default=13, help="subsample seed (default 13)")
    parser.add_argument("--config", default="config/config.yml", help="Rasa config to train")
    parser.add_argument("--warm", action="store_true",
                        help="train each set again with the sentence embeddings cached")
    parser.add_argument("--faq-live", action="store_true",
                        help="also time faq add → answered on a running stack "
                             "(bench/faq_measure.py)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11",
                        help="--faq-live: a Redis db it may flush")
    parser.add_argument("--port", type=int, default=25005,
                        help="--faq-live: Rasa port (actions +50, web chat +75)")
    parser.add_argument("--name", help="report name suffix")
    parser.add_argument("--report-dir", default=str(REPORTS))
    parser.add_argument("--no-report", action="store_true", help="JSON only")
    parser.add_argument("--keep", metavar="DIR", help="keep training data, logs and models here")
    return parser


def parse_sizes(text: str) -> list[int | None]:
    """``"1000,5000,full"`` → ``[1000, 5000, None]`` (None: every row)."""
    sizes: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        if part == "full":
            sizes.append(None)
            continue
        value = int(part)
        if value < 2:
            raise ValueError(f"size {value}: need at least 2 examples")
        sizes.append(value)
    if not sizes:
        raise ValueError("no sizes given")
    return sizes


def subsample(rows: Sequence[Row], size: int | None, seed: int) -> list[Row]:
    """``size`` rows with every label's share kept (each label ≥ 1 row while it fits), seeded;
    None or ``size >= len(rows)``: all rows."""
    if size is None or size >= len(rows):
        return list(rows)
    by_label: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_label[row.label].append(row)
    rng = random.Random(seed)
    share = size / len(rows)
    picked: list[Row] = []
    rest: list[Row] = []
    for label in sorted(by_label):
        items = list(by_label[label])
        rng.shuffle(items)
        take = max(1, int(len(items) * share))
        picked += items[:take]
        rest += items[take:]
    rng.shuffle(rest)
    if len(picked) > size:
        rng.shuffle(picked)
        picked = picked[:size]
    return picked + rest[: size - len(picked)]


def component_seconds(log: Path) -> dict[str, float]:
    """Seconds per trained component from Rasa's log (its timestamps: whole seconds)."""
    started: dict[str, datetime] = {}
    out: dict[str, float] = {}
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    for line in text.splitlines():
        match = _STEP.search(line)
        if not match:
            continue
        when = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
        if match.group(3):
            started[match.group(3)] = when
        elif match.group(4) in started:
            name = match.group(4)
            out[name] = out.get(name, 0.0) + (when - started.pop(name)).total_seconds()
    return out


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def train_once(rows: Sequence[Row], config: Path, workdir: Path, name: str,
               var_dir: Path) -> dict[str, Any]:
    """One ``rasa train nlu`` of ``rows`` (label mode faq); its cost."""
    data_dir = workdir / name
    info = write_training_data(rows, data_dir, "faq", "intent")
    previous = os.environ.get("CAREBOT_VAR_DIR")
    os.environ["CAREBOT_VAR_DIR"] = str(var_dir)  # the embedding cache of this run
    load_before = _load()
    cpu = _child_cpu()
    try:
        _, seconds = train_model(config, data_dir, workdir / "models", name)
    finally:
        if previous is None:
            os.environ.pop("CAREBOT_VAR_DIR", None)
        else:
            os.environ["CAREBOT_VAR_DIR"] = previous
    return {
        "examples": info["examples"],
        "intents": info["intents"],
        "seconds": round(seconds, 1),
        "cpu_seconds": round(_child_cpu() - cpu, 1),
        "load_before": load_before,
        "load_after": _load(),
        "components": component_seconds(data_dir / f"train-{name}.log"),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = parse_sizes(args.sizes)
    root = Path(__file__).resolve().parent.parent
    config = Path(args.config) if Path(args.config).is_absolute() else root / args.config
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="carebot-ttime-"))
    workdir = workdir.resolve()
    runs: list[dict[str, Any]] = []
    try:
        for path in args.data:
            rows = read_labelled_csv(Path(path))
            dataset = slug(Path(path).parent.name or Path(path).stem)
            for size in sizes:
                if size is not None and size > len(rows):
                    continue
                sample = subsample(rows, size, args.seed)
                label = f"{dataset}-{len(sample)}"
                var_dir = workdir / f"var-{label}"
                entry: dict[str, Any] = {"dataset": dataset, "rows": len(sample),
                                         "cold": train_once(sample, config, workdir, label,
                                                            var_dir)}
                if args.warm:
                    entry["warm"] = train_once(sample, config, workdir, f"{label}-warm",
                                               var_dir)
                runs.append(entry)
                shutil.rmtree(workdir / "models", ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result: dict[str, Any] = {"config": str(args.config), "seed": args.seed,
                              "cpus": os.cpu_count(), "runs": runs,
                              "seconds_per_1000_examples": per_thousand(runs)}
    if args.faq_live:
        from bench.faq_measure import measure

        live = measure(args.redis_url, args.port, False, None, None)
        result["faq_live"] = {k: live.get(k) for k in (
            "faq_add_to_answer_seconds", "faq_add_command_seconds", "faq_add_command_cpu_seconds",
            "train_step_seconds", "load_average_start", "load_average_end",
            "traffic_during_add_train_reload", "after")}
    if not args.no_report:
        result["report"] = str(write_train_time_report(args, result))
    return result


def per_thousand(runs: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Cold wall seconds per 1,000 examples at each dataset's largest size (the slope a brand
    would see as its FAQ set grows)."""
    out: dict[str, float] = {}
    for entry in runs:
        cold = entry["cold"]
        out[entry["dataset"]] = round(1000.0 * cold["seconds"] / max(cold["examples"], 1), 1)
    return out


def plot_train_time(runs: Sequence[dict[str, Any]], path: Path) -> Path:
    from bench.common import _pyplot

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for dataset in sorted({r["dataset"] for r in runs}):
        mine = sorted((r for r in runs if r["dataset"] == dataset), key=lambda r: r["rows"])
        for kind, style in (("cold", "-o"), ("warm", "--s")):
            points = [(r[kind]["examples"], r[kind]["seconds"]) for r in mine if kind in r]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, style, label=f"{dataset} ({kind})")
    ax.set_xlabel("training examples")
    ax.set_ylabel("rasa train nlu, wall seconds")
    ax.grid(alpha=0.3)
    ax.set_title("Training time against examples (load average in the report)")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def write_train_time_report(args: argparse.Namespace, result: dict[str, Any]) -> Path:
    out_dir = Path(args.report_dir)
    stem = "train-time" + (f"-{slug(args.name)}" if args.name else "")
    png = plot_train_time(result["runs"], out_dir / f"{stem}.png")
    rows = []
    for entry in result["runs"]:
        for kind in ("cold", "warm"):
            if kind not in entry:
                continue
            r = entry[kind]
            parts = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r["components"].items()))
            rows.append([entry["dataset"], kind, r["examples"], r["intents"], r["seconds"],
                         r["cpu_seconds"], f"{r['load_before']} → {r['load_after']}", parts])
    sections = [
        ("Run", "\n".join([f"- command: `{command_line()}`", f"- config: `{args.config}`",
                           f"- machine: {machine()}"])),
        ("Training time", md_table(
            ["data", "cache", "examples", "intents", "wall s", "CPU s", "load", "components (s)"],
            rows) + f"\n\n![training time]({png.name})"),
    ]
    if "faq_live" in result:
        live = result["faq_live"]
        sections.append(("New FAQ live on the running bot", "\n".join([
            f"- `faq add … --reload` → a paraphrase answered: "
            f"**{live.get('faq_add_to_answer_seconds')} s** "
            f"(command {live.get('faq_add_command_seconds')} s, "
            f"{live.get('faq_add_command_cpu_seconds')} CPU s)",
            f"- steps (s): {live.get('train_step_seconds')}",
            f"- load average: {live.get('load_average_start')} → {live.get('load_average_end')}",
        ])))
    return write_report(out_dir / f"{stem}.md", "Training time", sections)
