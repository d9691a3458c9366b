"""Training the bot: only when data or config changed, with Rasa's own fingerprinting.

Rasa caches trained components by their config and the NLU/Core data. The tone corpus, the
lexicons and the NLU component code are inputs Rasa does not see, so a change to them forces a
full retrain. When nothing at all changed since the last successful training, Rasa is not even
started (a few seconds saved on every ``make run``).

Rasa's pre-training data validation is skipped (``--skip-validation``): it only prints
warnings, and ``carebot validate`` / ``carebot faq check`` (run by ``make test``) do the same
validation strictly. ``validate=True`` brings it back.

``progress=True`` shows a progress bar (Rasa's log goes to ``models/.carebot-train.log``);
the bar's steps are weighted by how long each took last time. Loading a trained model into
every running instance is :mod:`bot.model.rollout`: conversations continue, their trackers are
in Redis.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable

from tqdm import tqdm

STAMP = ".carebot-train.json"
LOG = ".carebot-train.log"
DATA_DIRS = ("data/nlu", "data/rules", "data/stories")
PACKAGE = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Inputs:
    """Hashes of what a trained model depends on."""

    everything: str
    rasa_invisible: str  # tone corpus, lexicons and the NLU component code


def _hash_files(parts: Iterable[tuple[Path, str]]) -> str:
    """One digest over the files matching each ``(root, pattern)`` (names relative to root)."""
    digest = hashlib.sha256()
    for root, pattern in parts:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def inputs(home: Path) -> Inputs:
    """The tone corpus is the project's (``home``); the lexicons and the NLU code are where
    the ``bot`` package is installed, so a ``CAREBOT_HOME`` holding only config/ and data/
    hashes the same code (for the project root itself nothing changes)."""
    code_root = PACKAGE.parent
    invisible = [(home, "data/tone/**/*.yml"), (code_root, "bot/nlu/lexicons/*.txt"),
                 (code_root, "bot/nlu/**/*.py")]
    visible = [
        (home, "config/config.yml"),
        (home, "config/domain/*.yml"),
        (home, "data/nlu/**/*.yml"),
        (home, "data/rules/**/*.yml"),
        (home, "data/stories/**/*.yml"),
    ]
    return Inputs(everything=_hash_files(visible + invisible),
                  rasa_invisible=_hash_files(invisible))


def latest_model(models_dir: Path) -> Path | None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def _read_stamp(models_dir: Path) -> dict[str, object]:
    try:
        data = json.loads((models_dir / STAMP).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def needs_training(home: Path, models_dir: Path) -> bool:
    model = latest_model(models_dir)
    stamp = _read_stamp(models_dir)
    return (
        model is None
        or stamp.get("everything") != inputs(home).everything
        or stamp.get("model") != model.name
    )


def rasa_command(
    home: Path, models_dir: Path, force: bool, extra: Iterable[str] = (), validate: bool = True
) -> list[str]:
    rasa = str(Path(sys.executable).with_name("rasa"))
    command = [
        rasa,
        "train",
        "--config",
        "config/config.yml",
        "--domain",
        "config/domain",
        "--data",
        *DATA_DIRS,
        "--out",
        str(models_dir),
    ]
    if force:
        command.append("--force")
    if not validate:
        command.append("--skip-validation")
    return command + list(extra)


# -- progress ----------------------------------------------------------------------------------

_STARTED = re.compile(r"Starting to train component '([^']+)'")
_FINISHED = re.compile(r"(?:Finished training component|Restored component) '([^']+)'")
_SAVED = re.compile(r"Your Rasa model is trained and saved")
_VALIDATING = re.compile(r"Started validating domain and training data")
_DEFAULT_SECONDS = {"start": 15.0, "LinearIntentClassifier": 15.0, "ToneScorer": 6.0,
                    "package": 2.0}


class _Bar:
    """Progress of a training run: a ``tqdm`` bar on a terminal, a line per step otherwise.

    Rasa's log says when each component starts; the bar's steps are weighted by how long each
    took last time, and within a step it moves with the time spent (up to 95% of its weight).
    """

    def __init__(self, expected: dict[str, float], out: IO[str]) -> None:
        self.expected = {**_DEFAULT_SECONDS, **expected}
        self.out = out
        self.tty = out.isatty()
        self.started = time.monotonic()
        self.step = "start"
        self.step_started = self.started
        self.done_weight = 0.0
        self.durations: dict[str, float] = {}
        self.components: list[str] = []
        self.finished: set[str] = set()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.bar = tqdm(total=100, file=out, disable=not self.tty, leave=True, ascii=".#",
                        bar_format="  [{bar:30}] {n:3.0f}%  {elapsed}  {desc}",
                        desc=self._label(), mininterval=0.2)

    def total(self) -> float:
        names = set(self.expected) | set(self.components) | {self.step}
        return sum(self.expected.get(n, 1.0) for n in names) or 1.0

    def enter(self, step: str) -> None:
        with self.lock:
            now = time.monotonic()
            self.durations[self.step] = self.durations.get(self.step, 0.0) + (
                now - self.step_started)
            if self.step not in self.finished:  # a repeated step ("package") counts once
                self.done_weight += self.expected.get(self.step, 1.0)
                self.finished.add(self.step)
            self.step, self.step_started = step, now
            if step not in ("package", "start", "validate", "end"):
                self.components.append(step)
            if not self.tty and step != "end":
                print(f"  [{self._percent():3d}%] {self._label()}", file=self.out, flush=True)

    def _percent(self) -> int:
        within = 0.0 if self.step in self.finished else min(
            time.monotonic() - self.step_started, self.expected.get(self.step, 1.0))
        return min(99, int(100 * (self.done_weight + 0.95 * within) / self.total()))

    def _label(self) -> str:
        labels = {"start": "starting Rasa, checking what changed (fingerprints)",
                  "validate": "validating data", "package": "Rasa: next step / saving"}
        return labels.get(self.step, f"training {self.step}")

    def draw(self) -> None:
        with self.lock:
            self.bar.n = self._percent()
            self.bar.set_description_str(self._label(), refresh=False)
            self.bar.refresh()

    def run(self) -> None:
        while not self.stopped.wait(0.25):
            self.draw()

    def finish(self, ok: bool) -> dict[str, float]:
        self.enter("end")
        self.stopped.set()
        with self.lock:
            if ok:
                self.bar.n = 100
            self.bar.set_description_str("done" if ok else "FAILED", refresh=False)
            self.bar.close()
        return {k: round(v, 2) for k, v in self.durations.items() if k != "end"}


def _run_with_progress(
    command: list[str], home: Path, log_path: Path, expected: dict[str, float]
) -> tuple[int, dict[str, float], list[str]]:
    """Run Rasa, its output into ``log_path``, drawing the bar; (exit code, step seconds,
    components trained)."""
    bar = _Bar(expected, sys.stdout)
    painter = threading.Thread(target=bar.run, daemon=True)
    painter.start()
    trained: list[str] = []
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=home, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace")
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if _VALIDATING.search(line):
                bar.enter("validate")
            elif (match := _STARTED.search(line)) is not None:
                trained.append(match.group(1))
                bar.enter(match.group(1))
            elif _FINISHED.search(line) or _SAVED.search(line):
                bar.enter("package")
        code = process.wait()
    durations = bar.finish(code == 0)
    return code, durations, trained


# -- training ----------------------------------------------------------------------------------


def train(
    home: Path,
    models_dir: Path,
    *,
    force: bool = False,
    quiet: bool = False,
    keep: int = 3,
    progress: bool = False,
    validate: bool = False,
) -> Path | None:
    """Train if anything changed (or ``force``); returns the model in use."""
    current = inputs(home)
    stamp = _read_stamp(models_dir)
    if not force and not needs_training(home, models_dir):
        if not quiet:
            print(f"carebot: model is up to date ({latest_model(models_dir)})")
        return latest_model(models_dir)
    force = force or stamp.get("rasa_invisible") != current.rasa_invisible
    models_dir.mkdir(parents=True, exist_ok=True)
    command = rasa_command(home, models_dir, force, validate=validate)
    if not quiet:
        print("carebot: training:", " ".join(command[1:]))
    durations: dict[str, float] = {}
    if progress and not quiet:
        log_path = models_dir / LOG
        previous = stamp.get("seconds")
        expected = {str(k): float(v) for k, v in previous.items()} \
            if isinstance(previous, dict) else {}
        code, durations, trained = _run_with_progress(command, home, log_path, expected)
        if code != 0:
            tail = log_path.read_text("utf-8", errors="replace").splitlines()[-25:]
            print("\n".join(tail), file=sys.stderr)
            raise SystemExit(f"carebot: training failed (exit {code}); full log: {log_path}")
        print(f"carebot: trained {', '.join(trained) or 'nothing new (all restored from cache)'}"
              f"; log: {log_path}")
    else:
        result = subprocess.run(command, cwd=home, stdout=subprocess.DEVNULL if quiet else None)
        if result.returncode != 0:
            raise SystemExit(f"carebot: training failed (exit {result.returncode})")
    model = latest_model(models_dir)
    if model is None:
        raise SystemExit("carebot: training produced no model")
    seconds = stamp.get("seconds") if isinstance(stamp.get("seconds"), dict) else {}
    (models_dir / STAMP).write_text(
        json.dumps(
            {
                "everything": current.everything,
                "rasa_invisible": current.rasa_invisible,
                "model": model.name,
                "seconds": {**(seconds or {}), **durations},  # type: ignore[dict-item]
            }
        )
    )
    for old in sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[:-keep]:
        old.unlink(missing_ok=True)
    return model


# -- loading the model into the running bot ----------------------------------------------------


class ReloadFailed(RuntimeError):
    """The running Rasa server did not load the model."""
