"""Ticket search: words of the transcript, follower, channel, label, reason, agent, status and
a date range, newest first, on the index the queue keeps (:mod:`bot.queue.index`).

One Lua script (:data:`SEARCH`) answers a query. Each condition is a *group*: one sorted set of
the index, or several (a ticket in any of them: ``status=open`` is queued or claimed; the last
query word also matches the words it starts, "refu" → refund, refunds…). Every set is scored by
creation time, so one group is read straight from its set, newest first within the date range
(several sets: the newest of each, merged). With several groups the script walks the smallest
one newest first within the date range and checks each candidate against the others
(``ZSCORE``; a group of several sets is united into a scratch key only when it is the one
walked): a query with common matches stops after a few dozen candidates. When
:data:`SCAN_BUDGET` candidates were not enough (rare matches in large sets), it intersects the
sets in Redis instead (``ZINTERSTORE`` into a scratch key, deleted before the script returns),
on the date range's slice of the smallest set. The same script returns the result rows as one
JSON document (the ticket fields of a row and its newest messages, for a snippet around the
matched word): one round trip, one reply to parse.

RediSearch: when the server has the module (``FT._LIST`` answers), :func:`engine` says so; this
version uses the index above either way (the machines' Redis 7.0 has no module).

Tickets written before the index existed are indexed with :meth:`SearchIndex.reindex`
(``carebot queue reindex``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from datetime import time as dtime
from typing import Any, Iterable, Sequence

import redis as redis_lib

from bot.queue import scripts
from bot.queue.index import MIN_WORD_BYTES, STOPWORDS, words
from bot.queue.keys import Keys
from bot.queue.models import dumps, text_of

SCAN_BUDGET = 3000
"""Candidates the script checks one by one before it intersects in Redis instead."""
PREFIX_MIN_BYTES = 3
PREFIX_EXPANSIONS = 20
"""The last query word also matches up to this many indexed words it starts (3 bytes or more)."""
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8
MAX_LIMIT = 200
SNIPPET_MESSAGES = 12
SNIPPET_CHARS = 160
STATUSES = ("queued", "claimed", "resolved", "open")
ROW_FIELDS = ("id", "status", "channel", "sender", "priority", "reasons", "labels",
              "created_at", "updated_at", "claimed_by", "resolved_by", "resolved_at",
              "outcome", "text")


class SearchError(ValueError):
    """A query the index cannot answer (bad date, bad value); the message says which field."""


@dataclass
class Query:
    """A search. ``text`` words must all match (the last one as a prefix, too); every other
    field narrows. ``start``/``end``: creation time, unix seconds, inclusive."""

    text: str = ""
    channel: str | None = None
    label: str | None = None
    reason: str | None = None
    agent: str | None = None
    status: str | None = None
    start: float | None = None
    end: float | None = None
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        if len(self.text) > MAX_QUERY_CHARS:
            raise SearchError(f"text: at most {MAX_QUERY_CHARS} characters")
        if self.status is not None and self.status not in STATUSES:
            raise SearchError(f"status: one of {', '.join(STATUSES)}")
        for name in ("channel", "label", "reason", "agent"):
            value = getattr(self, name)
            if value is not None and (not value or len(value) > 64 or ":" in value
                                      or any(ord(c) < 32 for c in value)):
                raise SearchError(f"{name}: 1-64 characters, no ':'")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise SearchError(f"limit: 1..{MAX_LIMIT}")
        if not 0 <= self.offset <= 10_000:
            raise SearchError("offset: 0..10000")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise SearchError("from is after to")

    def terms(self) -> tuple[list[str], list[str]]:
        """The query's indexed words (unique, in order) and the ones ignored (too common or
        too short)."""
        kept = list(dict.fromkeys(words(self.text)))[:MAX_QUERY_WORDS]
        typed = dict.fromkeys(re.findall(r"\w+", self.text.lower()))
        ignored = [w for w in typed if w in STOPWORDS or len(w.encode()) < MIN_WORD_BYTES]
        return kept, ignored


@dataclass
class SearchResult:
    hits: list[dict[str, Any]]
    total: int | None
    """How many tickets match, when the script counted them all (None: more than were read)."""
    more: bool
    words: list[str]
    ignored: list[str] = field(default_factory=list)
    strategy: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"tickets": self.hits, "total": self.total, "more": self.more,
                "words": self.words, "ignored": self.ignored, "strategy": self.strategy}


def parse_time(value: str, name: str, end_of_day: bool = False) -> float:
    """``2024-05-01`` (UTC; the whole day for ``to``), an ISO date-time, or unix seconds."""
    value = value.strip()
    if re.fullmatch(r"\d{9,11}(\.\d+)?", value):
        return float(value)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = datetime.strptime(value, "%Y-%m-%d").date()
            at = datetime.combine(day, dtime.max if end_of_day else dtime.min, timezone.utc)
            return at.timestamp()
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(
            f"{name}: a date (2024-05-01), an ISO date-time or unix seconds"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


# ARGV[1] prefix, ARGV[2] query JSON: {"groups": [[suffix, ...], ...], "prefix": word or "",
# "from": "-inf" | n, "to": "+inf" | n, "limit": n, "offset": n, "budget": n}; suffixes are
# key names after "{prefix}:" (built by SearchIndex from checked input). "prefix": the last
# group is that word's group, to extend with the words it starts.
#   -> {ids, total (-1 unknown), more (0/1), strategy, rows JSON (see `rows`)}
SEARCH = r"""
local P, Q = ARGV[1] .. ':', cjson.decode(ARGV[2])
local lo, hi = tostring(Q.from), tostring(Q.to)
local want = Q.offset + Q.limit
local temps, groups = {}, {}
local function scratch()
  local k = P .. 'idx:tmp:' .. (#temps + 1)
  temps[#temps + 1] = k
  return k
end
-- the rows of `ids` as one JSON array (one bulk reply parses fast): per ticket
-- {"f": [ROW_FIELDS values, false when missing], "m": [newest messages]}
local function rows(ids)
  local out = {}
  for i, id in ipairs(ids) do
    local t = P .. 'ticket:' .. id
    out[i] = '{"f":' .. cjson.encode(redis.call('HMGET', t, ROW_FIELDS)) .. ',"m":[' ..
      table.concat(redis.call('LRANGE', t .. ':messages', -SNIPPET_MESSAGES, -1), ',') .. ']}'
  end
  return '[' .. table.concat(out, ',') .. ']'
end
local function done(ids, total, more, how)
  if #temps > 0 then redis.call('DEL', unpack(temps)) end
  return {ids, total, more and 1 or 0, how, rows(ids)}
end
-- a group: its keys (a ticket is in the group when it is in any of them), biggest first,
-- and the sum of their sizes
for gi, spec in ipairs(Q.groups) do
  local keys = {}
  for _, s in ipairs(spec) do keys[#keys + 1] = P .. s end
  if gi == #Q.groups and Q.prefix ~= '' then
    local words = redis.call('ZRANGE', P .. 'idx:words', '[' .. Q.prefix, '[' .. Q.prefix ..
      '\255', 'BYLEX', 'LIMIT', 0, PREFIX_EXPANSIONS)
    for _, w in ipairs(words) do
      if w ~= Q.prefix then keys[#keys + 1] = P .. 'idx:w:' .. w end
    end
  end
  local g = {keys = {}, n = 0}
  for _, k in ipairs(keys) do
    local n = redis.call('ZCARD', k)
    if n > 0 then
      g.keys[#g.keys + 1] = {k = k, n = n}
      g.n = g.n + n
    end
  end
  if g.n == 0 then return done({}, 0, false, 'empty') end
  table.sort(g.keys, function(a, b) return a.n > b.n end)
  g.disjoint = gi ~= #Q.groups or Q.prefix == ''
  groups[#groups + 1] = g
end
if #groups == 0 then
  local n = redis.call('ZCARD', P .. 'idx:created')
  groups[1] = {keys = {{k = P .. 'idx:created', n = n}}, n = n, disjoint = true}
end
table.sort(groups, function(a, b) return a.n < b.n end)
-- one sorted set for a group (a union into a scratch key when it has several)
local function one(g)
  if #g.keys == 1 then return g.keys[1].k end
  local key = scratch()
  local args = {'ZUNIONSTORE', key, #g.keys}
  for _, e in ipairs(g.keys) do args[#args + 1] = e.k end
  args[#args + 1] = 'AGGREGATE'
  args[#args + 1] = 'MAX'
  redis.call(unpack(args))
  return key
end
if #groups == 1 then
  local g = groups[1]
  if #g.keys == 1 then
    local key = g.keys[1].k
    local total = redis.call('ZCOUNT', key, lo, hi)
    local ids = redis.call('ZRANGE', key, hi, lo, 'BYSCORE', 'REV', 'LIMIT', Q.offset, Q.limit)
    return done(ids, total, total > want, 'one set')
  end
  -- several sets: merge the newest `want` of each (no union of whole sets)
  local merged, seen, total, cut = {}, {}, 0, false
  for _, e in ipairs(g.keys) do
    local n = redis.call('ZCOUNT', e.k, lo, hi)
    total = total + n
    if n > want then cut = true end
    local top = redis.call('ZRANGE', e.k, hi, lo, 'BYSCORE', 'REV', 'LIMIT', 0, want,
      'WITHSCORES')
    for i = 1, #top, 2 do
      if not seen[top[i]] then
        seen[top[i]] = true
        merged[#merged + 1] = {id = top[i], s = tonumber(top[i + 1])}
      end
    end
  end
  table.sort(merged, function(a, b)
    if a.s ~= b.s then return a.s > b.s end
    return a.id > b.id
  end)
  local ids = {}
  for i = Q.offset + 1, math.min(want, #merged) do ids[#ids + 1] = merged[i].id end
  if not g.disjoint then
    if cut then total = -1 else total = #merged end
  end
  return done(ids, total, #merged > want or cut, 'merge')
end
local driver = one(groups[1])
local inrange = redis.call('ZCOUNT', driver, lo, hi)
local first = 0
if hi ~= '+inf' then first = redis.call('ZCOUNT', driver, '(' .. hi, '+inf') end
local found, scanned, page = {}, 0, math.min(256, Q.budget)
while scanned < inrange and scanned < Q.budget and #found <= want do
  local stop = math.min(scanned + page, inrange) - 1
  local batch = redis.call('ZRANGE', driver, first + scanned, first + stop, 'REV')
  for _, id in ipairs(batch) do
    local ok = true
    for i = 2, #groups do
      local inside = false
      for _, e in ipairs(groups[i].keys) do
        if redis.call('ZSCORE', e.k, id) then inside = true; break end
      end
      if not inside then ok = false; break end
    end
    if ok then found[#found + 1] = id end
  end
  scanned = scanned + #batch
  if #batch == 0 then break end
end
if #found > want or scanned >= inrange then
  local ids = {}
  for i = Q.offset + 1, math.min(want, #found) do ids[#ids + 1] = found[i] end
  local total = -1
  if scanned >= inrange then total = #found end
  return done(ids, total, #found > want, 'walk')
end
local out = scratch()
local args = {'ZINTERSTORE', out, #groups, driver}
if inrange < redis.call('ZCARD', driver) then
  args[4] = scratch()
  redis.call('ZRANGESTORE', args[4], driver, lo, hi, 'BYSCORE')
end
for i = 2, #groups do args[#args + 1] = one(groups[i]) end
args[#args + 1] = 'AGGREGATE'
args[#args + 1] = 'MAX'
redis.call(unpack(args))
local total = redis.call('ZCOUNT', out, lo, hi)
local ids = redis.call('ZRANGE', out, hi, lo, 'BYSCORE', 'REV', 'LIMIT', Q.offset, Q.limit)
return done(ids, total, total > want, 'intersect')
""".replace("PREFIX_EXPANSIONS", str(PREFIX_EXPANSIONS + 1)).replace(
    "SNIPPET_MESSAGES", str(SNIPPET_MESSAGES)).replace(
    "ROW_FIELDS)", ", ".join(f"'{f}'" for f in ROW_FIELDS) + ")")

# Index the tickets of one batch of ids, as every change does (search_index with 'reindex').
# ARGV (after the queue's common ARGV, see bot.queue.scripts): the last one, a JSON array of
# ticket ids  -> {0, how many existed}
REINDEX = scripts._script(r"""
local n = 0
for _, id in ipairs(cjson.decode(ARGV[#ARGV])) do
  if redis.call('EXISTS', tkey(id)) == 1 then
    search_index(id, 'reindex')
    n = n + 1
  end
end
return {OK, n}
""")

# Take tickets out of the index (before their data is erased). ARGV (after the common ones): the
# last, a JSON array of ticket ids  -> {0, ids whose transcript had been trimmed}
FORGET = scripts._script(r"""
local trimmed = {}
for _, id in ipairs(cjson.decode(ARGV[#ARGV])) do
  if search_forget(id) > 0 then trimmed[#trimmed + 1] = id end
end
return {OK, trimmed}
""")


def engine(client: redis_lib.Redis[Any]) -> str:
    """``redisearch`` when the server has the RediSearch module, else ``index`` (the sets of
    :mod:`bot.queue.index`, what every search here uses)."""
    try:
        client.execute_command("FT._LIST")
    except redis_lib.ResponseError:
        return "index"
    return "redisearch"


def _snippet(messages: Sequence[dict[str, Any]], text: str, terms: Sequence[str],
             prefix: str) -> str:
    """A piece of the newest message with a query word (around it), else the newest
    follower message, else the escalated text."""

    def matches(message: dict[str, Any]) -> int:
        body = message.get("text")
        if not isinstance(body, str) or message.get("role") not in ("follower", "agent"):
            return -1
        found = words(body)
        for term in terms:
            if term in found:
                return body.lower().find(term)
        if prefix:
            for w in found:
                if w.startswith(prefix):
                    return body.lower().find(w)
        return -1

    if terms or prefix:
        for message in reversed(messages):
            at = matches(message)
            if at >= 0:
                body = str(message["text"])
                start = max(0, at - SNIPPET_CHARS // 3)
                cut = body[start:start + SNIPPET_CHARS]
                return ("…" if start else "") + cut + ("…" if start + SNIPPET_CHARS < len(body)
                                                      else "")
    for message in reversed(messages):
        if message.get("role") == "follower" and isinstance(message.get("text"), str):
            return str(message["text"])[:SNIPPET_CHARS]
    return text[:SNIPPET_CHARS]


def _loads(value: str | None, default: Any) -> Any:
    if not value:
        return default
    try:
        loaded = json.loads(value)
    except ValueError:
        return default
    return default if loaded == {} and isinstance(default, list) else loaded


class SearchIndex:
    """Queries on the search index of one queue prefix (the queue's scripts keep it)."""

    def __init__(self, client: redis_lib.Redis[Any], prefix: str = "carebot") -> None:
        self.redis = client
        self.keys = Keys(prefix)
        self._search = client.register_script(SEARCH)
        self._reindex = client.register_script(REINDEX)

    def groups(self, query: Query) -> tuple[list[list[str]], str, list[str], list[str]]:
        """The sets the query intersects (each a union of key suffixes), the prefix word, the
        query's words and those ignored."""
        terms, ignored = query.terms()
        groups: list[list[str]] = []
        for name in ("channel", "label", "reason", "agent"):
            value = getattr(query, name)
            if value is not None:
                groups.append([f"idx:{name}:{value}"])
        if query.status == "open":
            groups.append(["idx:status:queued", "idx:status:claimed"])
        elif query.status:
            groups.append([f"idx:status:{query.status}"])
        prefix = ""
        for term in terms:
            groups.append([f"idx:w:{term}"])
        if terms and len(terms[-1].encode()) >= PREFIX_MIN_BYTES:
            prefix = terms[-1]
        return groups, prefix, terms, ignored

    def search(self, query: Query) -> SearchResult:
        """Tickets that match every condition, newest first (by creation)."""
        groups, prefix, terms, ignored = self.groups(query)
        if query.text.strip() and not terms:  # only common or one-letter words: no text match
            return SearchResult([], 0, False, [], ignored, "no words")
        spec = {
            "groups": groups, "prefix": prefix,
            "from": "-inf" if query.start is None else repr(float(query.start)),
            "to": "+inf" if query.end is None else repr(float(query.end)),
            "limit": query.limit, "offset": query.offset, "budget": SCAN_BUDGET,
        }
        ids, total, more, how, raw = self._search(args=[self.keys.prefix, dumps(spec)])
        total = int(total)
        hits = self.rows(text_of(raw), [t for t in terms if t != prefix] if prefix else terms,
                         prefix)
        return SearchResult(hits, None if total < 0 else total, bool(int(more)), terms, ignored,
                            text_of(how))

    @staticmethod
    def rows(raw: str, terms: Sequence[str] = (), prefix: str = "") -> list[dict[str, Any]]:
        """Result rows from the script's JSON: the tickets' fields and a snippet."""
        rows = []
        for item in json.loads(raw):
            values = [v if isinstance(v, str) else None for v in item["f"]]
            f = dict(zip(ROW_FIELDS, values, strict=True))
            if f["status"] is None or f["id"] is None:
                continue
            messages = [m for m in item["m"] if isinstance(m, dict)]
            rows.append({
                "id": f["id"],
                "status": f["status"],
                "outcome": f["outcome"],
                "channel": f["channel"],
                "sender": f["sender"],
                "priority": int(f["priority"] or 4),
                "reasons": _loads(f["reasons"], []),
                "labels": _loads(f["labels"], []),
                "created_at": float(f["created_at"] or 0),
                "updated_at": float(f["updated_at"] or 0),
                "resolved_at": float(f["resolved_at"]) if f["resolved_at"] else None,
                "claimed_by": f["claimed_by"],
                "resolved_by": f["resolved_by"],
                "snippet": _snippet(messages, f["text"] or "", terms, prefix),
            })
        return rows

    def forget(self, ticket_ids: Sequence[str], head: Iterable[Any]) -> None:
        """Take tickets out of every index set (call it before erasing their data). Words of
        messages a capped transcript dropped cannot be recomputed: for such a ticket every word
        set is swept for its id (a ``SCAN``; erasure is rare). ``head``: the queue's common
        script ARGV (:func:`bot.queue.index.script_head`)."""
        reply = self.redis.register_script(FORGET)(args=[*head, json.dumps(list(ticket_ids))])
        trimmed = [text_of(i) for i in reply[1]]
        if trimmed:
            for key in self.redis.scan_iter(self.keys.idx("w", "*"), count=1000):
                self.redis.zrem(key, *trimmed)
        # the dictionary keeps only words some ticket still has (a follower's id or name is
        # personal data: it must not outlive their tickets)
        dictionary = self.keys.idx("words")
        for word in self.redis.zscan_iter(dictionary, count=1000):
            name = text_of(word[0])
            if not self.redis.exists(self.keys.idx("w", name)):
                self.redis.zrem(dictionary, name)

    def reindex(self, head: Iterable[Any], batch: int = 500) -> int:
        """Index every ticket (ids ``T-000001`` up to the queue's counter) as the queue's
        scripts do; how many tickets there were. ``head``: the queue's common script ARGV
        (``bot.queue.scripts``)."""
        head = list(head)
        last = int(text_of(self.redis.get(self.keys.seq) or 0))
        done = 0
        for start in range(1, last + 1, batch):
            ids = [f"T-{n:06d}" for n in range(start, min(last, start + batch - 1) + 1)]
            reply = self._reindex(args=[*head, json.dumps(ids)])
            done += int(reply[1])
        return done

