"""Operational metrics: counters in Redis, rendered in Prometheus text format.

Every bot instance and every tool writes to the same Redis, so the counters are global (N bot
instances, one set of numbers) and survive restarts. Two sources:

- **The bot** (``actions/respond.py``, one :func:`hook` call per outcome): each follower message
  ``action_respond`` decides on, with its outcome, the answer sent, the escalation reasons.
- **The queue's audit stream** (``{p}:events``, written atomically by every queue operation):
  :func:`fold_events` reads the events added since the last fold, in one Lua script per batch
  (so two scrapers never count an event twice), and keeps the claim → first-reply histogram and
  the undelivered-replies counter. Nothing on the agent side has to call a metrics hook.

Redis keys (prefix ``{p}`` = ``CAREBOT_QUEUE_PREFIX``; the queue's own keys: ``bot.queue.Keys``):

=====================================  ======  ================================================
key                                    type    content
=====================================  ======  ================================================
``{p}:metrics:messages``               hash    outcome -> follower messages: ``answered``,
                                               ``escalated``, ``on_ticket`` (added to the ticket
                                               a person owns), ``silent`` (nothing to say, e.g.
                                               a reaction), ``paused`` (arrived while paused;
                                               counted by the tracker store when wired)
``{p}:metrics:answers``                hash    response name (``utter_faq/shipping_time``) ->
                                               answers sent
``{p}:metrics:escalations``            hash    reason -> escalated messages with that reason
                                               (one message may count for several reasons)
``{p}:metrics:first_reply``            hash    claim -> first agent reply, seconds: ``le:<b>``
                                               per bucket (not cumulative), ``sum``, ``count``
``{p}:metrics:undelivered``            string  agent replies that could not be delivered
``{p}:metrics:claims``                 hash    ticket -> time of its current claim (working
                                               state of the fold; cleared on reply/resolve)
``{p}:metrics:cursor``                 string  id of the last ``{p}:events`` entry folded
=====================================  ======  ================================================

Queue gauges (depth by priority, oldest waiting ticket, claimed, typical wait) are read live
from :class:`bot.queue.AgentQueue` at render time.

Rendered by ``prometheus_client``: :class:`CarebotCollector` reads these keys at scrape time and
:func:`render_prometheus` writes them with ``generate_latest`` (text format 0.0.4). Served by the
workspace (``GET /metrics``, :mod:`bot.workspace.metrics_route`) and by the local round-robin
proxy when ``CAREBOT_INSTANCES`` > 1 (``GET /metrics`` on the public port, plus the proxy's own
request counters); ``python -m bot.stats.metrics`` prints them once. Rasa has no metrics endpoint
and the action server (rasa_sdk) cannot add routes, so the bot's figures are counted in Redis and
served from those places. Metric names: ``docs/scaling.md``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any, Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from bot.stats import figures as stats

logger = logging.getLogger(__name__)

FIRST_REPLY_BUCKETS: tuple[float, ...] = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
"""Upper bounds (seconds) of the claim -> first reply histogram (``+Inf`` is implicit)."""

OUTCOMES = ("answered", "escalated", "on_ticket", "silent", "paused")
FOLD_BATCH = 2000
_last_warning = 0.0


class MetricsKeys:
    """Key names of the metrics, built from the queue prefix (see the module docstring)."""

    def __init__(self, prefix: str = "carebot") -> None:
        self.prefix = prefix
        base = f"{prefix}:metrics"
        self.messages = f"{base}:messages"
        self.answers = f"{base}:answers"
        self.escalations = f"{base}:escalations"
        self.first_reply = f"{base}:first_reply"
        self.undelivered = f"{base}:undelivered"
        self.claims = f"{base}:claims"
        self.cursor = f"{base}:cursor"
        self.events = f"{prefix}:events"


# -- counting (the bot) ------------------------------------------------------------------------


def record(
    client: Any,
    prefix: str,
    outcome: str,
    reasons: Iterable[str] = (),
    response: str | None = None,
) -> None:
    """Count one follower message with its ``outcome`` (one Redis round trip).

    The same round trip adds it to the supervisor's time buckets (``bot.stats.figures``).

    ``response``: the answer sent (``answered``); ``reasons``: why it escalated. Never raises:
    a metrics failure must never break a reply (a warning is logged at most once a minute).
    """
    try:
        keys = MetricsKeys(prefix)
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(keys.messages, outcome, 1)
        if response and outcome == "answered":
            pipe.hincrby(keys.answers, response, 1)
        for reason in dict.fromkeys(reasons):
            pipe.hincrby(keys.escalations, reason, 1)
        stats.add_to_pipeline(pipe, prefix, outcome, reasons)
        pipe.execute()
    except Exception as error:  # noqa: BLE001 - metrics are best effort by design
        _warn(error)


def hook(services: Any, outcome: str, decision: Any = None) -> None:
    """``record`` for the action server: ``services`` is ``actions.services.Services``.

    ``decision`` (``bot.escalation.decision.Decision``) gives the response and the reasons.
    Never raises (everything, attribute access included, happens inside the guard).
    """
    try:
        reasons = list(getattr(decision, "reasons", None) or ()) if outcome == "escalated" else []
        response = getattr(decision, "response", None) if outcome == "answered" else None
        record(services.redis, services.settings.queue_prefix, outcome, reasons, response)
    except Exception as error:  # noqa: BLE001
        _warn(error)


def _warn(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        logger.warning(f"metrics not recorded ({error.__class__.__name__}: {error})")


# -- folding the audit stream (the agents' side) -----------------------------------------------

# KEYS: none (built from ARGV[1], like the queue's scripts). ARGV[1] prefix, ARGV[2] batch size,
# ARGV[3..] bucket bounds. Folds up to one batch of events after the cursor; returns how many.
FOLD_SCRIPT = r"""
local P = ARGV[1] .. ':'
local M = P .. 'metrics:'
local batch = tonumber(ARGV[2])
local bounds = {}
for i = 3, #ARGV do bounds[#bounds + 1] = ARGV[i] end
local cursor = redis.call('GET', M .. 'cursor') or '-'
local start = cursor == '-' and '-' or '(' .. cursor
local rows = redis.call('XRANGE', P .. 'events', start, '+', 'COUNT', batch)
for _, row in ipairs(rows) do
  local f = {}
  for i = 1, #row[2], 2 do f[row[2][i]] = row[2][i + 1] end
  local typ, id, ts = f['type'], f['ticket'], tonumber(f['ts'])
  if typ == 'claimed' or typ == 'transferred' then
    redis.call('HSET', M .. 'claims', id, f['ts'])
  elseif typ == 'replied' then
    local ok, data = pcall(cjson.decode, f['data'] or '{}')
    if ok and type(data) == 'table' and data['first_reply'] == true then
      local claimed = tonumber(redis.call('HGET', M .. 'claims', id))
      if claimed and ts then
        local secs = math.max(0, ts - claimed)
        local bucket = '+Inf'
        for _, b in ipairs(bounds) do
          if secs <= tonumber(b) then bucket = b; break end
        end
        redis.call('HINCRBY', M .. 'first_reply', 'le:' .. bucket, 1)
        redis.call('HINCRBYFLOAT', M .. 'first_reply', 'sum', secs)
        redis.call('HINCRBY', M .. 'first_reply', 'count', 1)
      end
    end
    redis.call('HDEL', M .. 'claims', id)
  elseif typ == 'released' or typ == 'lease_expired' or typ == 'resolved' then
    redis.call('HDEL', M .. 'claims', id)
  elseif typ == 'delivery_failed' then
    redis.call('INCR', M .. 'undelivered')
  end
end
if #rows > 0 then redis.call('SET', M .. 'cursor', rows[#rows][1]) end
return #rows
"""


def _bound(b: float) -> str:
    return str(int(b)) if float(b).is_integer() else repr(float(b))


def fold_events(client: Any, prefix: str, max_batches: int = 50) -> int:
    """Fold new ``{p}:events`` entries into the agent-side metrics; how many were folded.

    Each batch is one atomic script that advances the cursor itself, so concurrent callers
    (the workspace and the proxy scraping at once) never count an event twice. A first reply
    counts from the claim it was sent under (the latest ``claimed``/``transferred``).
    """
    script = client.register_script(FOLD_SCRIPT)
    bounds = [_bound(b) for b in FIRST_REPLY_BUCKETS]
    total = 0
    for _ in range(max_batches):
        n = int(script(args=[prefix, FOLD_BATCH, *bounds]))
        total += n
        if n < FOLD_BATCH:
            break
    return total


# -- rendering (prometheus_client: a collector that reads Redis at scrape time) -----------------


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _hash(raw: Any) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in (raw or {}).items()}


class CarebotCollector(Collector):
    """Every carebot metric, read from Redis each time it is collected (no state of its own).

    ``client``: a redis-py client (decoding or not). Folds new audit events first (``fold``).
    A Redis failure propagates out of ``collect`` (and so out of ``generate_latest``): the
    callers answer the scrape with an error rather than with zeros.
    """

    def __init__(self, client: Any, prefix: str = "carebot", fold: bool = True) -> None:
        self.client = client
        self.prefix = prefix
        self.fold = fold

    def collect(self) -> Iterator[Metric]:
        from bot.queue import AgentQueue

        keys = MetricsKeys(self.prefix)
        if self.fold:
            fold_events(self.client, self.prefix)
        pipe = self.client.pipeline(transaction=False)
        pipe.hgetall(keys.messages)
        pipe.hgetall(keys.answers)
        pipe.hgetall(keys.escalations)
        pipe.hgetall(keys.first_reply)
        pipe.get(keys.undelivered)
        pipe.zcard(f"{self.prefix}:claimed")
        raw = pipe.execute()
        messages, answers, escalations, first_reply = (_hash(r) for r in raw[:4])
        undelivered, claimed = raw[4], raw[5]
        queue = AgentQueue(self.client, prefix=self.prefix)

        family = CounterMetricFamily("carebot_messages_total",
                                     "Follower messages the bot decided on, by outcome.",
                                     labels=["outcome"])
        for outcome in sorted(set(OUTCOMES) | set(messages)):
            family.add_metric([outcome], float(messages.get(outcome, 0)))
        yield family
        family = CounterMetricFamily("carebot_answers_total",
                                     "Vetted answers the bot sent, by response.",
                                     labels=["response"])
        for response, count in sorted(answers.items()):
            family.add_metric([response], float(count))
        yield family
        yield CounterMetricFamily("carebot_answers_sent_total", "Vetted answers the bot sent.",
                                  value=sum(float(c) for c in answers.values()))
        family = CounterMetricFamily(
            "carebot_escalations_total",
            "Escalated follower messages, by reason (a message may have several).",
            labels=["reason"])
        for reason, count in sorted(escalations.items()):
            family.add_metric([reason], float(count))
        yield family
        gauge = GaugeMetricFamily("carebot_queue_depth",
                                  "Tickets waiting in the queue, by priority.", labels=["priority"])
        for priority, waiting in sorted(queue.depth_by_priority().items()):
            gauge.add_metric([str(priority)], float(waiting))
        yield gauge
        yield GaugeMetricFamily("carebot_queue_claimed", "Tickets an agent is working on.",
                                value=float(_text(claimed or 0)))
        yield GaugeMetricFamily(
            "carebot_queue_oldest_waiting_seconds",
            "How long the longest-waiting queued ticket has waited (0: none waiting).",
            value=float(queue.oldest_waiting_seconds() or 0.0))
        yield GaugeMetricFamily(
            "carebot_queue_typical_wait_seconds",
            "Median of the last 50 claim waits (what followers are told; 0: no data).",
            value=float(queue.typical_wait_seconds() or 0.0))
        cumulative = 0.0
        buckets: list[tuple[str, float]] = []
        for bound in (*[_bound(b) for b in FIRST_REPLY_BUCKETS], "+Inf"):
            cumulative += float(first_reply.get(f"le:{bound}", 0))
            buckets.append((bound, cumulative))
        yield HistogramMetricFamily(
            "carebot_claim_to_first_reply_seconds",
            "Time from an agent's claim to their first reply on the ticket.",
            buckets=buckets, sum_value=float(first_reply.get("sum", 0)))
        yield CounterMetricFamily("carebot_replies_undelivered_total",
                                  "Agent replies that could not be delivered to the follower.",
                                  value=float(_text(undelivered or 0)))
        yield from _audit_metrics(self.client, self.prefix)


def _audit_metrics(client: Any, prefix: str) -> Iterator[Metric]:
    """The answer audit (``bot.audit``): answers audited and verdicts since the beginning, and
    the answers waiting for one. Precision = right / (right + wrong) of ``sample="rate"``."""
    from bot.queue.keys import Keys

    keys = Keys(prefix)
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(keys.audit_totals)
    pipe.zcard(keys.audit_pending)
    raw_totals, pending = pipe.execute()
    totals = _hash(raw_totals)
    family = CounterMetricFamily(
        "carebot_audit_answers_total",
        "FAQ answers put on the supervisors' audit, by why: drawn by the rate or low confidence "
        "(an answer can be both), or dropped unchecked (queue full).", labels=["why"])
    for why, field in (("rate", "sampled"), ("low_confidence", "low"), ("dropped", "dropped")):
        family.add_metric([why], float(totals.get(field, 0)))
    yield family
    family = CounterMetricFamily(
        "carebot_audit_verdicts_total",
        "Supervisors' verdicts on audited answers. The production precision is right/(right+"
        "wrong) of sample=\"rate\" (a uniform sample); low_confidence is not.",
        labels=["sample", "verdict"])
    for sample, field in (("rate", "sample"), ("low_confidence", "low")):
        for verdict in ("right", "wrong"):
            family.add_metric([sample, verdict], float(totals.get(f"{field}:{verdict}", 0)))
    yield family
    yield GaugeMetricFamily("carebot_audit_pending", "Audited answers waiting for a verdict.",
                            value=float(_text(pending or 0)))


def render_prometheus(client: Any, prefix: str = "carebot", fold: bool = True) -> str:
    """Every carebot metric in Prometheus text exposition format (version 0.0.4)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CarebotCollector(client, prefix, fold))
    return generate_latest(registry).decode("utf-8")


def parse_prometheus(text: str) -> dict[str, float]:
    """``{'name{label="value",...}': value}`` of a text exposition, labels in the order given and
    values escaped as written (for tests and benchmarks; read with the library's parser)."""
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sample.labels.items())
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
"""What :func:`render_prometheus` writes: ``text/plain; version=0.0.4; charset=utf-8``."""


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.stats.metrics``: print every metric once (the workspace serves them)."""
    from bot import redis
    from bot.settings import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.stats.metrics", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    sys.stdout.write(render_prometheus(redis.client(timeout=5), settings.queue_prefix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
