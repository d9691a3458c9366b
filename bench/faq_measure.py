"""Measure ``faq add`` → the running bot answering the new question (and the stock baseline).

``python -m bench.faq_measure [--baseline] [--out FILE.json]`` on a temporary copy of config/
and data/ (``CAREBOT_HOME``), with a real stack (Rasa server + action server, as
``carebot run`` starts them) on spare ports and Redis ``--redis-url`` (default db 11):

1. train the copy and start the stack (not timed: the bot is already running in real life);
   open conversations: one mid-chat, one paused with a person (an open ticket);
2. **t0**: ``python -m bot.cli.faq faq add rental_gear … --reload`` (a new process, as a
   trainer would type it: checks, writes, trains what changed, ``PUT /model``), while a
   follower keeps chatting (a message every 0.5 s) to show nothing is dropped;
3. **t1**: the first time a *paraphrase* of the new question, sent over the REST channel,
   gets the new answer;
4. checks that conversations survived: the mid-chat one keeps its history and is answered,
   the paused one stays with its person (the bot stays silent, the message joins the ticket);
5. ``--baseline``: stock ``rasa train`` of the same bot (``rasa init``'s config.yml: the
   default DIET + ResponseSelector + TED pipeline, Rasa's default epochs unless
   ``--baseline-epochs``), and ``carebot train --force`` (everything, our pipeline).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
KEY = "rental_gear"
ANSWER = ("We don't rent out gear at the moment, but our ReWear shop sells quality used gear "
          "at lower prices: ridgeline-outfitters.example/rewear")
EXAMPLES = [
    "can i rent a tent from you", "do you rent out skis or snowboards",
    "is there gear rental at the denver store", "can i hire a tent for the weekend",
    "do you do equipment rental", "rent a sleeping bag?", "can i borrow camping gear for a trip",
    "do you have rental kayaks", "how much to rent hiking boots for a week",
    "is renting climbing gear possible at your stores", "do you rent snowshoes",
]
PARAPHRASE = "could I rent a tent and sleeping bags for a camping trip?"


def _cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _copy(dest: Path) -> Path:
    for name in ("config", "data"):
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / "endpoints.yml", dest / "endpoints.yml")
    return dest


def _env(home: Path, redis_url: str, base_port: int) -> dict[str, str]:
    return {
        "CAREBOT_HOME": str(home),
        "CAREBOT_VAR_DIR": str(home / "var"),
        "REDIS_URL": redis_url,
        "CAREBOT_EMBEDDED_REDIS": "never",
        "CAREBOT_RASA_PORT": str(base_port),
        "CAREBOT_ACTIONS_PORT": str(base_port + 50),
        "CAREBOT_WEBCHAT_PORT": str(base_port + 75),
        "CAREBOT_QUEUE_PREFIX": "carebot",
        # one client sends everything here, twice a second in the background: measured, not limited
        "CAREBOT_RATE_LIMIT_PER_IP": "0",
        "CAREBOT_RATE_LIMIT_PER_SENDER": "0",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }


class Chat:
    """REST followers by name; the server issues each one's conversation id and token."""

    def __init__(self, rasa_url: str, token: str = "") -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.rasa_url = rasa_url
        self.token = token  # Rasa's HTTP API token (the tracker read)
        self.ids: dict[str, tuple[str, str]] = {}  # name -> (conversation id, token)

    def conversation(self, name: str) -> str:
        if name not in self.ids:
            res = requests.post(f"{self.rasa_url}/webhooks/rest/session", timeout=60)
            res.raise_for_status()
            self.ids[name] = (res.json()["sender"], res.json()["token"])
        return self.ids[name][0]

    def platform_id(self, name: str) -> str:
        """What the follower's ticket stores as ``sender``."""
        return self.conversation(name).removeprefix("rest:")

    def say(self, name: str, text: str) -> tuple[int, list[str], float]:
        sender = self.conversation(name)
        started = time.monotonic()
        res = requests.post(self.url, json={"sender": sender, "message": text},
                            headers={"X-Carebot-Token": self.ids[name][1]}, timeout=60)
        texts = [m.get("text", "") for m in res.json()] if res.status_code == 200 else []
        return res.status_code, texts, time.monotonic() - started

    def events(self, name: str) -> list[dict[str, Any]]:
        from bot.rasa_ext.auth import auth_headers

        res = requests.get(f"{self.rasa_url}/conversations/{self.conversation(name)}/tracker",
                           headers=auth_headers(self.token), timeout=30)
        return list(res.json().get("events") or [])


def _stock_config(path: Path, epochs: int | None) -> Path:
    import rasa

    text = (Path(rasa.__file__).parent / "cli" / "initial_project" / "config.yml").read_text()
    if epochs is not None:  # only when asked: the default pipeline, spelled out, fewer epochs
        text = text.replace("pipeline:\n", "pipeline:\n" + "".join(
            f"  {line}\n" for line in (
                "- name: WhitespaceTokenizer", "- name: RegexFeaturizer",
                "- name: LexicalSyntacticFeaturizer", "- name: CountVectorsFeaturizer",
                "- name: CountVectorsFeaturizer", "  analyzer: char_wb", "  min_ngram: 1",
                "  max_ngram: 4", "- name: DIETClassifier", f"  epochs: {epochs}",
                "- name: EntitySynonymMapper", "- name: ResponseSelector",
                f"  epochs: {epochs}", "- name: FallbackClassifier", "  threshold: 0.3",
                "  ambiguity_threshold: 0.1")), 1)
        text = text.replace("policies:\n", "policies:\n" + "".join(
            f"  {line}\n" for line in (
                "- name: MemoizationPolicy", "- name: TEDPolicy", "  max_history: 5",
                f"  epochs: {epochs}", "- name: RulePolicy")), 1)
    path.write_text(text)
    return path


def baseline(home: Path, epochs: int | None) -> dict[str, Any]:
    """Stock ``rasa train`` of the whole bot (rasa init's config) and ``carebot train
    --force``, wall seconds each."""
    rasa = str(Path(sys.executable).with_name("rasa"))
    config = _stock_config(home / "stock-config.yml", epochs)
    out = home / "stock-models"
    cpu = _cpu()
    started = time.monotonic()
    result = subprocess.run(
        [rasa, "train", "--config", str(config), "--domain", "config/domain", "--data",
         "data/nlu", "data/rules", "data/stories", "--out", str(out), "--force"],
        cwd=home, capture_output=True, text=True)
    stock = time.monotonic() - started
    stock_cpu = _cpu() - cpu
    (home / "stock-train.log").write_text(result.stdout + result.stderr)
    cpu = _cpu()
    started = time.monotonic()
    ours = subprocess.run([sys.executable, "-m", "bot.cli.faq", "train", "--force",
                           "--no-progress"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "CAREBOT_HOME": str(home)})
    full = time.monotonic() - started
    full_cpu = _cpu() - cpu
    return {"stock_rasa_train_seconds": round(stock, 1), "stock_exit": result.returncode,
            "stock_cpu_seconds": round(stock_cpu, 1),
            "carebot_train_force_cpu_seconds": round(full_cpu, 1),
            "stock_epochs": epochs or "Rasa defaults (100)",
            "carebot_train_force_seconds": round(full, 1), "carebot_exit": ours.returncode}


def measure(redis_url: str, base_port: int, with_baseline: bool,
            epochs: int | None, keep: Path | None) -> dict[str, Any]:
    import redis as redis_lib

    from bot.model.training import train
    from bot.process.runner import Runner
    from bot.queue import AgentQueue
    from bot.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="carebot-measure-")) if keep is None else keep
    home = _copy(tmp / "project")
    env = _env(home, redis_url, base_port)
    settings = Settings.from_env(env)
    client = redis_lib.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    report: dict[str, Any] = {"load_average_start": os.getloadavg(), "cpus": os.cpu_count()}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the initial training fills the copy's own embedding cache too
    started = time.monotonic()
    train(home, settings.models_dir, quiet=True)
    report["initial_train_seconds"] = round(time.monotonic() - started, 1)
    runner = Runner(settings, workspace=False)
    try:
        started = time.monotonic()
        runner.start()
        report["stack_start_seconds"] = round(time.monotonic() - started, 1)
        chat = Chat(settings.rasa_url, settings.rasa_api_token())
        mid, paused = f"mid-{uuid.uuid4().hex[:6]}", f"paused-{uuid.uuid4().hex[:6]}"
        chat.say(mid, "hi")
        _, before_texts, _ = chat.say(mid, "how long does shipping take?")
        chat.say(paused, "can i talk to a real person please")
        queue = AgentQueue(client)
        ticket = queue.open_ticket_id("rest", chat.platform_id(paused))
        mid_events = len(chat.events(mid))
        _, unknown, _ = chat.say(f"probe-{uuid.uuid4().hex[:6]}", PARAPHRASE)
        report["before"] = {"paraphrase_reply": unknown, "paused_ticket": ticket,
                            "shipping_reply": before_texts[:1]}

        traffic: list[tuple[float, int, int, float]] = []
        stop = threading.Event()

        def background() -> None:
            who = f"steady-{uuid.uuid4().hex[:6]}"
            while not stop.is_set():
                try:
                    code, texts, latency = chat.say(who, "what are your store hours?")
                except requests.RequestException:
                    code, texts, latency = 0, [], 0.0
                traffic.append((time.monotonic(), code, len(texts), latency))
                stop.wait(0.5)

        thread = threading.Thread(target=background, daemon=True)
        thread.start()
        argv = [sys.executable, "-m", "bot.cli.faq", "faq", "add", KEY, "--answer", ANSWER,
                "--topic", "services", "--reload"]
        for example in EXAMPLES:
            argv += ["--example", example]
        cpu = _cpu()
        t0 = time.monotonic()
        cli = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, **env})
        t_cli = time.monotonic()
        report["faq_add_command_cpu_seconds"] = round(_cpu() - cpu, 1)
        answered_at = None
        attempts = 0
        while time.monotonic() - t0 < 600:
            attempts += 1
            _, texts, _ = chat.say(f"probe-{uuid.uuid4().hex[:6]}", PARAPHRASE)
            if ANSWER in texts:
                answered_at = time.monotonic()
                break
            time.sleep(0.5)
        stop.set()
        thread.join(timeout=60)
        report["cli_exit"] = cli.returncode
        report["cli_output"] = cli.stdout.strip().splitlines()[-6:] + \
            cli.stderr.strip().splitlines()[-3:]
        report["faq_add_to_answer_seconds"] = round(answered_at - t0, 1) if answered_at else None
        report["faq_add_command_seconds"] = round(t_cli - t0, 1)
        report["probes_until_answered"] = attempts
        during = [t for t in traffic if t0 <= t[0] <= t_cli + 1]
        report["traffic_during_add_train_reload"] = {
            "messages": len(during), "http_200": sum(1 for t in during if t[1] == 200),
            "answered": sum(1 for t in during if t[2] > 0),
            "max_latency_seconds": round(max((t[3] for t in during), default=0.0), 2)}
        # conversations survived
        _, after_texts, _ = chat.say(mid, "and how much is shipping?")
        _, paused_texts, _ = chat.say(paused, "hello? anyone there?")
        time.sleep(1.0)
        transcript = queue.get(ticket).transcript if ticket else []
        report["after"] = {
            "mid_chat_history_kept": len(chat.events(mid)) > mid_events,
            "mid_chat_answered": bool(after_texts),
            "paused_bot_silent": paused_texts == [],
            "paused_message_on_ticket": any(m.get("text") == "hello? anyone there?"
                                            for m in transcript),
        }
        stamp = json.loads((settings.models_dir / ".carebot-train.json").read_text())
        report["train_step_seconds"] = stamp.get("seconds")
    finally:
        runner.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if with_baseline:
        report["baseline"] = baseline(home, epochs)
    report["load_average_end"] = os.getloadavg()
    report["home"] = str(home)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faq_measure", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11",
                        help="a db this run may flush")
    parser.add_argument("--port", type=int, default=25005,
                        help="Rasa port (actions: +50, web chat: +75)")
    parser.add_argument("--baseline", action="store_true",
                        help="also time stock 'rasa train' (rasa init config) and "
                             "'carebot train --force' (slow)")
    parser.add_argument("--baseline-epochs", type=int,
                        help="cap the stock pipeline's epochs (default: Rasa's own)")
    parser.add_argument("--keep", type=Path, help="work in this directory (kept)")
    parser.add_argument("--out", type=Path, help="write the report (JSON) here too")
    args = parser.parse_args(argv)
    report = measure(args.redis_url, args.port, args.baseline, args.baseline_epochs, args.keep)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if report.get("faq_add_to_answer_seconds") else 1


if __name__ == "__main__":
    sys.exit(main())
