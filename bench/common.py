"""Shared pieces of the quality benchmarks (``bench/nlu_bench.py``, ``bench/tone_bench.py``).

CSV loading, a seeded stratified split, the metrics (hand-checked in ``tests/test_bench_*.py``),
the risk–coverage curve, the confusion table, PNG plots (matplotlib, Agg backend) and Markdown
report writing. Pure Python + NumPy: no Rasa import here, so the metric tests run in a second.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "bench" / "reports"

TEXT_COLUMNS = ("text", "utterance")
LABEL_COLUMNS = ("label", "intent")


# -- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    text: str
    label: str


def read_labelled_csv(path: Path | str, limit: int | None = None) -> list[Row]:
    """``text,label`` rows (``utterance,intent`` accepted too); blank texts are skipped."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        text_col = next((c for c in TEXT_COLUMNS if c in fields), None)
        label_col = next((c for c in LABEL_COLUMNS if c in fields), None)
        if text_col is None or label_col is None:
            raise SystemExit(f"{path}: needs a 'text' and a 'label' column (has {fields})")
        rows = []
        for record in reader:
            text = " ".join(str(record.get(text_col) or "").split())
            label = str(record.get(label_col) or "").strip()
            if text and label:
                rows.append(Row(text, label))
            if limit is not None and len(rows) >= limit:
                break
    if not rows:
        raise SystemExit(f"{path}: no labelled rows")
    return rows


def stratified_split(
    rows: Sequence[Row], dev_share: float = 0.2, seed: int = 13
) -> tuple[list[Row], list[Row]]:
    """Per label, shuffle with ``seed`` and hold out ``round(n * dev_share)`` rows (≥ 1 when a
    label has ≥ 2 rows). Deterministic for a given file, share and seed."""
    if not 0.0 < dev_share < 1.0:
        raise ValueError("dev_share must be between 0 and 1")
    by_label: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_label[row.label].append(row)
    rng = random.Random(seed)
    train: list[Row] = []
    dev: list[Row] = []
    for label in sorted(by_label):
        items = list(by_label[label])
        rng.shuffle(items)
        n_dev = int(round(len(items) * dev_share))
        if len(items) >= 2:
            n_dev = min(max(n_dev, 1), len(items) - 1)
        else:
            n_dev = 0
        dev.extend(items[:n_dev])
        train.extend(items[n_dev:])
    return train, dev


# -- metrics ---------------------------------------------------------------------------------


def safe_div(num: float, den: float) -> float | None:
    return num / den if den else None


def rnd(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float | None:
    return safe_div(sum(1 for t, p in zip(y_true, y_pred, strict=False) if t == p), len(y_true))


def precision_recall_f1(
    y_true: Sequence[str], y_pred: Sequence[str], positive: str
) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1 of one class (``None`` where undefined: nothing predicted or
    nothing to find)."""
    tp = sum(1 for t, p in zip(y_true, y_pred, strict=False) if t == positive and p == positive)
    fp = sum(1 for t, p in zip(y_true, y_pred, strict=False) if t != positive and p == positive)
    fn = sum(1 for t, p in zip(y_true, y_pred, strict=False) if t == positive and p != positive)
    precision = safe_div(tp, tp + fp)
    recall = safe_div(tp, tp + fn)
    f1 = safe_div(2 * tp, 2 * tp + fp + fn)
    return precision, recall, f1


def binary_prf(truth: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float | None]:
    """Precision/recall/F1 of the positive (``True``) class of two boolean sequences."""
    y_true = ["p" if t else "n" for t in truth]
    y_pred = ["p" if p else "n" for p in predicted]
    precision, recall, f1 = precision_recall_f1(y_true, y_pred, "p")
    return {"precision": precision, "recall": recall, "f1": f1}


def macro_f1(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Iterable[str] | None = None
) -> float | None:
    """Unweighted mean of per-class F1 over ``labels`` (default: the classes in ``y_true``).
    A class never predicted and never present does not exist; one that is present but never
    predicted scores 0 (as scikit-learn's ``f1_score(average="macro")`` with zero_division=0)."""
    classes = sorted(set(labels) if labels is not None else set(y_true))
    if not classes:
        return None
    scores = []
    for label in classes:
        _, _, f1 = precision_recall_f1(y_true, y_pred, label)
        scores.append(f1 or 0.0)
    return sum(scores) / len(scores)


def macro_recall(y_true: Sequence[str], y_pred: Sequence[str]) -> float | None:
    classes = sorted(set(y_true))
    if not classes:
        return None
    recalls = [precision_recall_f1(y_true, y_pred, c)[1] or 0.0 for c in classes]
    return sum(recalls) / len(recalls)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolation percentile (NumPy's default), ``q`` in 0..100."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class CurvePoint:
    threshold: float  # answer when confidence >= threshold
    coverage: float  # share of all rows answered
    precision: float  # share of answered rows that are right


def risk_coverage(confidences: Sequence[float | None], correct: Sequence[bool]) -> list[CurvePoint]:
    """Answer the most confident rows first: one point per distinct confidence (ties are
    answered together, as a threshold would), from the highest threshold to the lowest.
    A row whose confidence is ``None`` is never answered (e.g. its best guess is "out of
    scope") but still counts in the coverage denominator."""
    n = len(confidences)
    if n == 0:
        return []
    eligible = [i for i in range(n) if confidences[i] is not None]
    order = sorted(eligible, key=lambda i: -float(confidences[i]))  # type: ignore[arg-type]
    points: list[CurvePoint] = []
    right = 0
    for k, i in enumerate(order, start=1):
        right += 1 if correct[i] else 0
        last_of_tie = k == len(order) or confidences[order[k]] != confidences[i]
        if last_of_tie:
            points.append(CurvePoint(float(confidences[i]), k / n, right / k))  # type: ignore[arg-type]
    return points


def coverage_at_precision(points: Sequence[CurvePoint], target: float) -> CurvePoint | None:
    """The point with the largest coverage whose precision is at least ``target``."""
    ok = [p for p in points if p.precision >= target - 1e-12]
    return max(ok, key=lambda p: p.coverage) if ok else None


def confused_pairs(
    y_true: Sequence[str], y_pred: Sequence[str], top: int = 15
) -> list[tuple[str, str, int]]:
    """The most frequent (true, predicted) mistakes, most frequent first (ties by name)."""
    counts = Counter((t, p) for t, p in zip(y_true, y_pred, strict=False) if t != p)
    return sorted(((t, p, n) for (t, p), n in counts.items()), key=lambda x: (-x[2], x[0], x[1]))[
        :top
    ]


def per_class_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    return {c: precision_recall_f1(y_true, y_pred, c)[2] or 0.0 for c in sorted(set(y_true))}


# -- plots -----------------------------------------------------------------------------------


def save_figure(fig: Any, path: Path) -> Path:
    """Lay out, write (creating the folder) and close a matplotlib figure; ``path``."""
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    _pyplot().close(fig)
    return path


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_risk_coverage(
    curves: Mapping[str, Sequence[CurvePoint]],
    path: Path,
    title: str,
    operating_points: dict[str, tuple[float, float]] | None = None,
    target: float = 0.99,
    xlabel: str = "share of messages answered (coverage)",
    ylabel: str = "precision of the answers sent",
) -> Path:
    """Precision of the answered rows against the share answered, one line per system;
    ``operating_points``: name → (coverage, precision) of what ``decide()`` actually did.
    (The tone bench plots its escalations the same way: ``xlabel``/``ylabel``.)"""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, points in curves.items():
        if points:
            ax.plot([p.coverage for p in points], [p.precision for p in points], label=name)
    for name, (cov, prec) in (operating_points or {}).items():
        ax.scatter([cov], [prec], marker="o", s=40, zorder=3, label=f"{name}: decide()")
    ax.axhline(target, color="grey", linestyle="--", linewidth=0.8, label=f"precision {target:g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 1)
    lows = [p.precision for pts in curves.values() for p in pts]
    ax.set_ylim(max(0.0, min(lows + [target]) - 0.02) if lows else 0.0, 1.002)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower left")
    return save_figure(fig, path)


def plot_confused_pairs(pairs: Sequence[tuple[str, str, int]], path: Path, title: str) -> Path:
    plt = _pyplot()
    shown = list(pairs)[:15][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.35 * max(len(shown), 1) + 1.2), dpi=110)
    ax.barh(range(len(shown)), [n for _, _, n in shown], color="#c0504d")
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels([f"{t} → {p}" for t, p, _ in shown], fontsize=7)
    ax.set_xlabel("test messages (true → predicted)")
    ax.set_title(title)
    return save_figure(fig, path)


def plot_xy(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    path: Path,
    title: str,
    xlabel: str,
    ylabel: str,
    marks: dict[str, tuple[float, float]] | None = None,
    hlines: Sequence[float] = (),
    vlines: Sequence[float] = (),
) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, (xs, ys) in series.items():
        ax.plot(xs, ys, label=name)
    for name, (x, y) in (marks or {}).items():
        ax.scatter([x], [y], s=40, zorder=3, label=name)
    for y in hlines:
        ax.axhline(y, color="grey", linestyle="--", linewidth=0.8)
    for x in vlines:
        ax.axvline(x, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


# -- reports ---------------------------------------------------------------------------------


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load:.1f} when the report was written (timings are wall-clock)"
    )


def command_line() -> str:
    """The command as a person would type it (relative paths kept as given)."""
    argv = list(sys.argv) or [""]
    program = Path(argv[0]).name
    if program == "cli.py":
        head = ".venv/bin/python -m bench.cli"
    elif program in ("carebot", "nlu_bench.py", "tone_bench.py"):
        head = "carebot" if program == "carebot" else f".venv/bin/python bench/{program}"
    else:
        head = argv[0]
    return " ".join([head] + argv[1:])


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4f}"
        return "—" if value is None else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(path: Path, title: str, sections: Sequence[tuple[str, str]]) -> Path:
    """A Markdown file: ``# title`` then ``## heading`` + body per section."""
    parts = [f"# {title}", ""]
    for heading, body in sections:
        parts += [f"## {heading}", "", body.rstrip(), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, sort_keys=False))
    sys.stdout.flush()


def slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-") or "bench"
