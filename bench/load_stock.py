"""Load benchmark, stock Rasa 3.6 for the side-by-side (``bench/load_bench.py``): the
``rasa init`` default configuration trained on the project's NLU data and domain, served by
``rasa run`` with Rasa's own Redis tracker and lock stores."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

# -- stock Rasa ---------------------------------------------------------------------------------

STOCK_CONFIG = """\
# rasa init's default configuration (Rasa 3.6), epochs reduced to {epochs} for the benchmark
# (trained with --augmentation 0: the stories are one-turn, augmentation only slows TED down).
recipe: default.v1
assistant_id: carebot_stock_baseline
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: {epochs}
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies:
  - name: MemoizationPolicy
  - name: TEDPolicy
    max_history: 5
    epochs: {epochs}
  - name: RulePolicy
"""

STOCK_ACTIONS = {"faq": "utter_faq", "greet": "utter_greet", "thanks": "utter_thanks",
                 "goodbye": "utter_goodbye", "bot_challenge": "utter_bot_challenge",
                 "ask_for_human": "utter_handoff_human", "nlu_fallback": "utter_handoff"}


def stock_project(home: Path, epochs: int, work: Path) -> tuple[Path, Path, str]:
    """Write the stock config and stories/rules; (config, data dir, fingerprint)."""
    import yaml

    intents: list[str] = []
    for path in sorted((home / "config" / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        intents += [i if isinstance(i, str) else next(iter(i)) for i in data.get("intents") or []]
    mapping = {i: STOCK_ACTIONS.get(i, "utter_handoff_sorry") for i in intents}
    mapping["nlu_fallback"] = STOCK_ACTIONS["nlu_fallback"]
    rules = [{"rule": f"{i} -> {a}", "steps": [{"intent": i}, {"action": a}]}
             for i, a in mapping.items()]
    stories = [{"story": f"{i} -> {a}", "steps": [{"intent": i}, {"action": a}]}
               for i, a in mapping.items() if i != "nlu_fallback"]
    stories.append({"story": "greet, two questions, thanks", "steps": [
        {"intent": "greet"}, {"action": "utter_greet"}, {"intent": "faq"}, {"action": "utter_faq"},
        {"intent": "faq"}, {"action": "utter_faq"}, {"intent": "thanks"},
        {"action": "utter_thanks"}]})
    data_dir = work / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "rules.yml").write_text(yaml.safe_dump({"version": "3.1", "rules": rules},
                                                       sort_keys=False), encoding="utf-8")
    (data_dir / "stories.yml").write_text(yaml.safe_dump(
        {"version": "3.1", "stories": stories}, sort_keys=False), encoding="utf-8")
    config = work / "config.yml"
    config.write_text(STOCK_CONFIG.format(epochs=epochs), encoding="utf-8")
    digest = hashlib.sha256()
    for path in [config, data_dir / "rules.yml", data_dir / "stories.yml",
                 *sorted((home / "data" / "nlu").glob("*.yml")),
                 *sorted((home / "config" / "domain").glob("*.yml"))]:
        digest.update(path.read_bytes())
    return config, data_dir, digest.hexdigest()[:12]


def _rasa() -> str:
    candidate = Path(sys.executable).with_name("rasa")
    return str(candidate) if candidate.exists() else "rasa"


def _env(settings: Any) -> dict[str, str]:
    return {**os.environ, **settings.to_env(), "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONUNBUFFERED": "1"}


def ensure_stock_model(settings: Any, epochs: int, log: Any = print) -> tuple[Path, float]:
    """The stock model (trained now unless one for the same inputs exists); (path, seconds)."""
    work = settings.var_dir / "bench" / "stock"
    config, data_dir, fingerprint = stock_project(settings.home, epochs, work)
    name = f"stock-e{epochs}-a0-{fingerprint}"
    model = work / "models" / f"{name}.tar.gz"
    if model.exists():
        return model, 0.0
    log(f"bench load: training the stock Rasa model ({epochs} epochs; a few minutes)…")
    start = time.perf_counter()
    with (work / "train.log").open("w", encoding="utf-8") as handle:
        result = subprocess.run(
            [_rasa(), "train", "--config", str(config), "--domain",
             str(settings.home / "config" / "domain"), "--data",
             str(settings.home / "data" / "nlu"), str(data_dir), "--out", str(work / "models"),
             "--fixed-model-name", name, "--augmentation", "0"],
            cwd=settings.home, env=_env(settings), stdout=handle, stderr=subprocess.STDOUT)
    if result.returncode != 0 or not model.exists():
        raise SystemExit(f"bench load: stock training failed (see {work / 'train.log'})")
    return model, time.perf_counter() - start


def stock_endpoints(redis_url: str) -> dict[str, Any]:
    """Rasa's own Redis tracker and lock stores (``type: redis``) on ``redis_url``; no action
    server. Not carebot's stores: they are carebot's work, as are its patches of Rasa's internals
    (which stock Rasa, started by plain ``rasa run``, does not get)."""
    parsed = urlparse(redis_url)
    store: dict[str, Any] = {"type": "redis", "url": parsed.hostname or "localhost",
                             "port": parsed.port or 6379,
                             "db": int((parsed.path or "/0").lstrip("/") or 0)}
    if parsed.password:
        store["password"] = parsed.password
    return {"tracker_store": dict(store), "lock_store": dict(store)}


class StockServer:
    """``rasa run`` of the stock model with Rasa's own Redis stores (:func:`stock_endpoints`)."""

    def __init__(self, settings: Any, model: Path, port: int) -> None:
        import yaml

        self.port = port
        self.url = f"http://localhost:{port}"
        work = settings.var_dir / "bench" / "stock"
        endpoints = stock_endpoints(settings.redis_url)
        path = work / "endpoints.yml"
        path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
        self.log = work / "rasa.log"
        self.process = subprocess.Popen(
            [_rasa(), "run", "--enable-api", "--port", str(port), "--model", str(model),
             "--credentials", "config/credentials.yml", "--endpoints", str(path)],
            cwd=settings.home, env=_env(settings), stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, timeout: float = 300) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/status", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        self.stop()
        raise SystemExit(f"bench load: the stock Rasa server did not start (see {self.log})")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
