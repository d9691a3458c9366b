"""Load benchmark, the checks after a phase (``bench/load_bench.py``): every conversation's
tracker holds exactly the messages sent, in order, once; one ticket per escalated conversation;
then the phase's tickets are resolved and its trackers deleted."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from bench.load_bench import Phase

# -- checks: order per conversation, one ticket per escalation ---------------------------------


def verify(phase: Phase, token: str, redis_url: str | None, prefix: str,
           check_tickets: bool, api_url: str | None = None) -> dict[str, Any]:
    """Compare every conversation's tracker with what was sent; count tickets per sender.
    Trackers are read from ``api_url`` (Rasa's HTTP API: behind nginx, its internal port; the
    public one answers 404), default the phase's own URL."""
    import requests

    from bot.rasa_ext.auth import auth_headers

    session = requests.Session()
    session.headers.update(auth_headers(token))  # a header, never the URL
    params = {"include_events": "ALL"}
    lost = reordered = duplicated = checked = unreadable = 0
    examples: list[str] = []
    for sender, sent in phase.conversations().items():
        if not all(s.ok for s in sent):
            continue  # a failed send may or may not have reached the bot: not comparable
        conversation = quote(_server_id(sent), safe=":")
        res = session.get(f"{api_url or phase.url}/conversations/{conversation}/tracker",
                          params=params, timeout=30)
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


def _server_id(sent: list[Any]) -> str:
    """The id the server knows a conversation by (``rest:<hex>`` on carebot)."""
    return str(sent[0].conversation or sent[0].sender)


def _platform_ids(phase: Phase) -> dict[str, str]:
    """ticket sender (the platform id: ``rest:`` stripped) -> the bench's conversation name."""
    return {_server_id(sent).split(":", 1)[-1]: name
            for name, sent in phase.conversations().items()}


def _run_tickets(client: Any, prefix: str, wanted: set[str]) -> dict[str, list[str]]:
    """ticket sender -> ticket ids created (``escalated`` events), for the ``wanted`` senders."""
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
            if sender in wanted:
                tickets.setdefault(sender, []).append(fields.get("ticket", ""))
        last = rows[-1][0]
    return tickets


def ticket_check(phase: Phase, redis_url: str, prefix: str) -> dict[str, Any]:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=10)
    senders = phase.conversations()
    names = _platform_ids(phase)
    tickets = {names[s]: ids for s, ids in _run_tickets(client, prefix, set(names)).items()}
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
    conversations = phase.conversations()
    if not conversations:
        return
    run_prefix = next(iter(conversations)).rsplit("-f", 1)[0]
    senders = [_server_id(sent) for sent in conversations.values()]
    for ids in _run_tickets(client, prefix, set(_platform_ids(phase))).values():
        for tid in ids:
            try:
                queue.resolve(tid, "load-bench", outcome="resolved", force=True)
            except QueueError:
                pass
    keys = [f"tracker:{s}" for s in senders] + [f"lock:{s}" for s in senders]
    # the warm-up's own names (stock Rasa; carebot's warm-up trackers simply expire)
    keys += [k for k in client.scan_iter(f"tracker:{run_prefix}-warm*", count=1000)]
    for i in range(0, len(keys), 500):
        client.delete(*keys[i:i + 500])
