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
carebot's stores: importing those would apply ``bot.rasa_speedups`` to stock Rasa too) and the
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
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    REPORTS,
    machine,
    md_table,
    percentile,
    print_json,
    write_report,
)

# -- what the followers say (held-out phrasings: none of them is in data/) --------------------

FAQ = [
    "how many days till my hoodie gets to me", "roughly how long is delivery to florida with "
    "standard shipping", "is delivery free if i spend 80 dollars", "can you deliver a jacket to "
    "italy", "how long would delivery to australia take", "i need the tracking link for my last "
    "order", "how do i send back a fleece that doesnt suit me", "is it possible to return "
    "something in one of your shops", "you got my return yesterday so when is my money back",
    "could i swap these pants for a size 34", "is swapping my boots for a half size up free",
    "is klarna an option on your website", "where do i type in my coupon at checkout",
    "is there any promo for first time buyers", "do you sell e gift cards i can email to a "
    "friend", "what time does your chicago shop close tonight", "what are the opening times this "
    "saturday", "where would i find your nearest store to me", "will the black pack come back in "
    "stock soon", "any idea when the trail pants will be restocked", "where can i see the "
    "measurements for your pants", "how many years of warranty do jackets have", "what is the "
    "right way to wash a down parka", "how eco friendly are your jackets", "do you still use pfc "
    "chemicals on your gear", "how do i get a new password link", "please stop emailing me your "
    "promotions", "i want to opt out of the newsletter", "can my order go to my office address "
    "instead", "i need to cancel the order i just placed", "what do my reward points get me",
    "can you price match a jacket i bought last week", "what email do i use to reach your team",
    "how do i apply for a job at your store", "is ridgeline hiring part time staff",
]
GREET = ["hello there, how are you doing", "hey hey ridgeline team 👋",
         "good morning from colorado team", "hi!"]
THANKS = ["thank you very much for that", "thanks so much for the quick help",
          "really appreciate your help with this"]
BYE = ["ok that's all, bye for today", "alright that is everything from me, goodbye",
       "see you later, take care now"]
BOT = ["wait am i chatting with a bot", "is this message written by a human",
       "are you a person or an AI"]
ESCALATE = [
    "can i please speak with a real agent", "i would like to talk to a human please",
    "my new jacket came with a broken zip", "the boots i got today have a torn seam",
    "tracking shows delivered but my parcel isn't here", "my order seems to be lost by the "
    "courier", "i see the same charge twice on my card", "you billed my paypal two times for one "
    "order", "someone placed orders on my account that aren't mine", "i think somebody got into "
    "my ridgeline account", "i will be taking you to small claims court", "my lawyer will "
    "contact you about this", "the jacket zip sliced my thumb open", "i'm a reporter and would "
    "like a comment", "would you like to collab with my hiking channel",
    "three weeks and still no package, this is ridiculous",
    "wow, great service, my order is a month late 🙄",
    "this is the worst customer service i have ever had",
]


def conversation(rng: random.Random) -> list[tuple[str, str]]:
    """One follower conversation: ``(kind, text)`` pairs; kind is faq|smalltalk|escalate."""
    r = rng.random()
    turns: list[tuple[str, str]] = []
    if r < 0.55:  # questions
        if rng.random() < 0.5:
            turns.append(("smalltalk", rng.choice(GREET)))
        turns += [("faq", rng.choice(FAQ)) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.5:
            turns.append(("smalltalk", rng.choice(THANKS)))
        if rng.random() < 0.3:
            turns.append(("smalltalk", rng.choice(BYE)))
    elif r < 0.75:  # small talk
        turns += [("smalltalk", rng.choice(GREET)), ("smalltalk", rng.choice(BOT)),
                  ("smalltalk", rng.choice(THANKS + BYE))]
    else:  # a problem for a person
        if rng.random() < 0.4:
            turns.append(("smalltalk", rng.choice(GREET)))
        if rng.random() < 0.5:
            turns.append(("faq", rng.choice(FAQ)))
        turns.append(("escalate", rng.choice(ESCALATE)))
    return turns


def handoff_prefixes(home: Path = ROOT) -> list[str]:
    """The start of every hand-off response (text before ``{wait}``), from the domain."""
    import yaml

    prefixes = []
    for path in sorted((home / "config" / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (data.get("responses") or {}).items():
            if name.startswith("utter_handoff"):
                for variant in variants or []:
                    text = str(variant.get("text") or "").split("{", 1)[0].strip()
                    if text:
                        prefixes.append(text[:40])
    return prefixes or ["I've passed"]


# -- one phase: N followers against one URL ----------------------------------------------------


@dataclass
class Sent:
    sender: str
    seq: int
    kind: str
    text: str
    ms: float
    ok: bool
    error: str = ""
    replies: int = 0
    escalated: bool = False


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


async def _send(session: Any, url: str, sender: str, text: str, timeout: float,
                prefixes: Sequence[str]) -> tuple[bool, str, int, bool]:
    import aiohttp

    try:
        async with session.post(url, json={"sender": sender, "message": text},
                                timeout=aiohttp.ClientTimeout(total=timeout)) as res:
            body = await res.read()
            if res.status != 200:
                return False, f"http_{res.status}", 0, False
            replies = json.loads(body)
    except asyncio.TimeoutError:
        return False, "timeout", 0, False
    except (aiohttp.ClientError, OSError, ValueError) as error:
        return False, error.__class__.__name__, 0, False
    if not isinstance(replies, list) or not replies:
        return False, "no_reply", 0, False
    texts = [str(m.get("text") or "") for m in replies if isinstance(m, dict)]
    escalated = any(t.startswith(p) for t in texts for p in prefixes)
    return True, "", len(replies), escalated


async def _follower(i: int, run_id: str, session: Any, rest: str, messages: int, think_ms: float,
                    seed: int, timeout: float, prefixes: Sequence[str], out: list[Sent]) -> None:
    rng = random.Random(seed * 100_003 + i)
    think = think_ms / 1000.0
    if think:
        await asyncio.sleep(rng.random() * think)  # followers do not start in step
    left, conv = messages, 0
    while left > 0:
        sender = f"{run_id}-f{i}-c{conv}"
        conv += 1
        for seq, (kind, text) in enumerate(conversation(rng)[:left]):
            if think and left < messages:  # reading the reply, typing the next message
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            start = time.perf_counter()
            ok, error, n, escalated = await _send(session, rest, sender, text, timeout, prefixes)
            out.append(Sent(sender, seq, kind, text, (time.perf_counter() - start) * 1000, ok,
                            error, n, escalated))
            left -= 1
            if escalated or not ok:
                break  # a person owns it now (or it failed): a new conversation next


async def _run_followers(base: str, run_id: str, senders: int, messages: int, think_ms: float,
                         seed: int, timeout: float, prefixes: Sequence[str]) -> tuple[list[Sent],
                                                                                     float]:
    import aiohttp

    rest = f"{base}/webhooks/rest/webhook"
    out: list[Sent] = []
    connector = aiohttp.TCPConnector(limit=senders + 8, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*[
            _follower(i, run_id, session, rest, messages, think_ms, seed, timeout, prefixes, out)
            for i in range(senders)
        ])
        wall = time.perf_counter() - t0
    return out, wall


async def _warm_up(base: str, run_id: str, n: int, timeout: float) -> None:
    import aiohttp

    rest = f"{base}/webhooks/rest/webhook"
    texts = FAQ[:5] + GREET[:2] + ESCALATE[:1]
    async with aiohttp.ClientSession() as session:
        for k in range(n):
            await _send(session, rest, f"{run_id}-warm{k}", texts[k % len(texts)], timeout, [])


def stack_processes(url: str) -> list[Any]:
    """The processes serving ``url``: the listener and, when a runner started it, every
    process that runner started (Rasa, action servers, proxy). Empty when not found."""
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
    try:
        parent = listener.parent()
        if parent is not None and parent.pid not in mine and parent.pid != 1:
            cmd = " ".join(parent.cmdline())
            if "carebot" in cmd or "runner" in cmd or "stack" in cmd:
                root = parent
    except psutil.Error:
        pass
    try:
        procs = [root] + root.children(recursive=True)
    except psutil.Error:
        procs = [listener]
    return [p for p in procs if p.pid not in mine]


def role(process: Any) -> str:
    """What a serving process is: ``rasa``, ``actions``, ``proxy`` or ``other`` (the runner)."""
    try:
        cmd = " ".join(process.cmdline())
    except Exception:  # noqa: BLE001 - a process may have gone
        return "other"
    if "rasa_sdk" in cmd or "run actions" in cmd:
        return "actions"
    if "proxy" in cmd:
        return "proxy"
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
        asyncio.run(_warm_up(base, run_id, args.warmup, args.timeout))
    procs = stack_processes(base)
    phase = Phase(label, base, load_before=os.getloadavg(), think_ms=think_ms)
    cpu0 = _cpu(procs)
    client0 = time.process_time()
    phase.sent, phase.wall_s = asyncio.run(_run_followers(
        base, run_id, args.senders, args.messages, think_ms, args.seed, args.timeout, prefixes))
    phase.client_cpu_s = time.process_time() - client0
    if procs:
        cpu1 = _cpu(procs)
        phase.cpu_by_role = {k: cpu1.get(k, 0.0) - cpu0.get(k, 0.0) for k in cpu1}
        phase.cpu_s = sum(phase.cpu_by_role.values())
        phase.processes = len(procs)
    phase.load_after = os.getloadavg()
    return phase


# -- checks: order per conversation, one ticket per escalation ---------------------------------


def verify(phase: Phase, token: str, redis_url: str | None, prefix: str,
           check_tickets: bool) -> dict[str, Any]:
    """Compare every conversation's tracker with what was sent; count tickets per sender."""
    import requests

    session = requests.Session()
    params = {"include_events": "ALL", **({"token": token} if token else {})}
    lost = reordered = duplicated = checked = unreadable = 0
    examples: list[str] = []
    for sender, sent in phase.conversations().items():
        if not all(s.ok for s in sent):
            continue  # a failed send may or may not have reached the bot: not comparable
        res = session.get(f"{phase.url}/conversations/{quote(sender)}/tracker", params=params,
                          timeout=30)
        if res.status_code != 200:
            unreadable += 1
            continue
        got = [e.get("text") for e in res.json().get("events", []) if e.get("event") == "user"]
        want = [s.text for s in sorted(sent, key=lambda s: s.seq)]
        checked += 1
        if got == want:
            continue
        have, need = Counter(got), Counter(want)
        if have - need:
            duplicated += 1
        elif need - have:
            lost += 1
        else:
            reordered += 1
        if len(examples) < 3:
            examples.append(f"{sender}: sent {want} stored {got}")
    result: dict[str, Any] = {"conversations_checked": checked, "lost": lost,
                              "reordered": reordered, "duplicated": duplicated,
                              "unreadable": unreadable}
    if examples:
        result["examples"] = examples
    if check_tickets and redis_url:
        result.update(ticket_check(phase, redis_url, prefix))
    return result


def _run_tickets(client: Any, prefix: str, run_id_prefix: str) -> dict[str, list[str]]:
    """sender -> ticket ids created (``escalated`` events) for the senders of this phase."""
    tickets: dict[str, list[str]] = {}
    last = "-"
    while True:
        rows = client.xrange(f"{prefix}:events", min=last, max="+", count=5000)
        if last != "-":
            rows = rows[1:]
        if not rows:
            break
        for _sid, fields in rows:
            if fields.get("type") != "escalated":
                continue
            data = json.loads(fields.get("data") or "{}")
            sender = str(data.get("sender") or "")
            if sender.startswith(run_id_prefix):
                tickets.setdefault(sender, []).append(fields.get("ticket", ""))
        last = rows[-1][0]
    return tickets


def ticket_check(phase: Phase, redis_url: str, prefix: str) -> dict[str, Any]:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=10)
    senders = phase.conversations()
    run_prefix = next(iter(senders)).rsplit("-f", 1)[0] if senders else "?"
    tickets = {s: ids for s, ids in _run_tickets(client, prefix, run_prefix).items()
               if s in senders}  # (not the warm-up's)
    escalated = {s for s, sent in senders.items() if any(x.escalated for x in sent)}
    return {
        "escalated_conversations": len(escalated),
        "tickets": sum(len(v) for v in tickets.values()),
        "duplicate_tickets": sum(len(v) - 1 for v in tickets.values() if len(v) > 1),
        "escalations_without_ticket": len(escalated - set(tickets)),
    }


def cleanup(phase: Phase, redis_url: str, prefix: str) -> None:
    """Resolve this phase's tickets and delete its trackers (the queue stays usable)."""
    import redis

    from bot.queue import AgentQueue, QueueError

    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=10)
    queue = AgentQueue(client, prefix=prefix)
    senders = list(phase.conversations())
    if not senders:
        return
    run_prefix = senders[0].rsplit("-f", 1)[0]
    for ids in _run_tickets(client, prefix, run_prefix).values():
        for tid in ids:
            try:
                queue.resolve(tid, "load-bench", outcome="resolved", force=True)
            except QueueError:
                pass
    keys = [f"tracker:{s}" for s in senders] + [f"lock:{s}" for s in senders]
    keys += [k for k in client.scan_iter(f"tracker:{run_prefix}-warm*", count=1000)]
    for i in range(0, len(keys), 500):
        client.delete(*keys[i:i + 500])


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
    server. Not carebot's stores: importing ``bot.rasa_stores`` patches Rasa (speed-ups)."""
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


# -- report ---------------------------------------------------------------------------------------


def plot_histogram(phases: Sequence[Phase], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    values = [[s.ms for s in p.sent if s.ok] for p in phases]
    top = max([max(v) for v in values if v] + [10.0])
    bins = np.logspace(0, np.log10(top * 1.1), 50)
    for phase, v in zip(phases, values, strict=True):
        if v:
            p95 = percentile(v, 95) or 0.0
            ax.hist(v, bins=bins, alpha=0.55, label=f"{phase.label} (p95 {p95:.0f} ms)")
    ax.set_xscale("log")
    ax.set_xlabel("reply latency, ms (log scale)")
    ax.set_ylabel("messages")
    ax.axvline(50, color="grey", linestyle="--", linewidth=0.8)
    ax.set_title("Reply latency per message (REST, waiting for each reply)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_load_report(result: dict[str, Any], phases: Sequence[Phase], args: argparse.Namespace,
                      report_dir: Path) -> Path:
    name = args.name or "load"
    png = plot_histogram(phases, report_dir / f"{name}-latency.png")
    rows = []
    for phase in phases:
        s = phase.summary()
        by_role = s.get("cpu_ms_per_message_by_process") or {}
        rows.append([str(v) if v is not None else None for v in (
            phase.label, f"{phase.think_ms:.0f}" if phase.think_ms else "0 (closed loop)",
            s["messages"], s["messages_per_s"], s["p50_ms"], s["p95_ms"],
            s["p99_ms"], s["errors"], s["escalations"], s.get("server_cpu_ms_per_message"),
            ", ".join(f"{k} {v}" for k, v in by_role.items()) or None,
            s.get("client_cpu_ms_per_message"),
            " ".join(str(x) for x in s["loadavg_before"]))])
    table = md_table(["stack", "think ms", "messages", "msg/s", "p50 ms", "p95 ms", "p99 ms",
                      "errors", "escalations", "server CPU ms/msg", "by process",
                      "load generator CPU ms/msg", "load avg before"], rows)
    command = " ".join(["carebot bench load", *sys.argv[1:]]) if sys.argv else ""
    sections = [
        ("Run", f"Command: `{command}`  \nWhen: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; "
                f"{machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at "
                f"the end (the machine is shared: other work runs too).  \n"
                f"{args.senders} followers x {args.messages} messages, think time "
                f"{args.think_ms:.0f} ms (0.5x-1.5x) then closed loop, warm-up {args.warmup} "
                f"messages per phase."),
        ("Result", f"```json\n{json.dumps(result, indent=2, ensure_ascii=False)}\n```"),
        ("Side by side", table + f"\n\n![latency histogram]({png.name})"),
        ("What is compared", (
            "**carebot**: the stack at the URL (carebot's NLU: linear intent classifier, tone, "
            "language guard; RulePolicy; every message through `action_respond` on the action "
            "server: decision, escalation to the Redis queue with a ticket, hand-off).  \n"
            f"**stock**: Rasa 3.6 `rasa init` default config, {args.stock_epochs} epochs, same "
            "NLU data and domain, Rasa's own Redis tracker and lock stores, answering with "
            "responses from rules inside Rasa (`faq -> utter_faq`, small talk, hand-off texts): "
            "no action server, no tone, no decision, no ticket. The point is the per-message "
            "serving cost."
            "\n\nserver CPU ms/msg: CPU time of the serving processes (Rasa, action servers, "
            "proxy) divided by messages; unlike latency it hardly depends on other load.")),
    ]
    return write_report(report_dir / f"{name}.md", "Load benchmark: followers over REST",
                        sections)


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
    parser.add_argument("--url", help="the stack (default: CAREBOT_RASA_URL, :5005)")
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
    base = (args.url or settings.rasa_url).rstrip("/")
    redis_url = args.redis_url or settings.redis_url
    prefixes = handoff_prefixes(settings.home)
    log = (lambda m: print(m, file=sys.stderr, flush=True))  # noqa: E731

    def measure(label: str, url: str, tickets: bool, think_ms: float) -> Phase:
        log(f"bench load: {label}: {args.senders} followers x {args.messages} messages, "
            f"think {think_ms:.0f} ms -> {url}")
        phase = run_phase(label, url, args, prefixes, think_ms)
        if args.verify:
            phase.verify = verify(phase, settings.rasa_token if label == "carebot" else "",
                                  redis_url, settings.queue_prefix, tickets)
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
