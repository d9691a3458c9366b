"""The ticket search index, kept by the queue's own Lua scripts (written with every change).

Every queue script records its change with ``emit`` (``bot.queue.scripts``); ``emit`` first calls
:data:`LUA`'s ``search_index(id, typ)``, so the index changes in the same atomic script as the
ticket: no indexer process, no lag, no index that disagrees with the queue. What it keeps
(keys in ``bot.queue.keys.Keys``, all sorted sets of ticket ids scored by the ticket's creation
time, so any of them answers a date range and "newest first"):

- ``{p}:idx:created`` every ticket;
- ``{p}:idx:status:{queued|claimed|resolved}`` the ticket's current status (moved on change);
- ``{p}:idx:channel:{channel}``, ``{p}:idx:reason:{reason}`` (reasons only grow);
- ``{p}:idx:agent:{name}`` every agent who held or closed it (``claimed_by``, ``resolved_by``);
- ``{p}:idx:label:{label}`` its labels (``bot.queue.labels`` keeps these);
- ``{p}:idx:w:{word}`` the words of its follower and agent messages and of the follower's id
  (and name, when a channel gives one), at most :data:`MAX_WORDS` distinct words per ticket;
- ``{p}:idx:words`` every indexed word (score 0: a dictionary for prefix matching);
- ``{p}:idx:doc:{id}`` the index's own state of one ticket: ``status``, ``upto`` (messages
  indexed so far, counted since the ticket began, so a transcript trimmed at its cap is still
  read from where the index stopped) and ``words`` (distinct words indexed).

Messages only ever get appended, so each change tokenises just the new ones. Words are made the
same way here (:func:`words`, for queries) and in Lua (``search_words``, for messages): ASCII and
Latin-1 letters lower-cased, anything but letters and digits (punctuation, symbols, emoji)
splits, 2 to 40 bytes, common words (:data:`STOPWORDS`) dropped. Languages written without
spaces (Chinese, Japanese) index whole runs of text, so only exact runs are found.

Tickets written before the index existed: ``carebot queue reindex``
(:meth:`bot.queue.search.SearchIndex.reindex`) runs the same function over every ticket. Before
a ticket's data is erased, :meth:`bot.queue.search.SearchIndex.forget` takes it out of every
set (a search never shows a ticket whose hash is gone, whatever the index says).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.queue.queue import AgentQueue

MAX_WORDS = 400
"""Distinct words indexed per ticket (follower id and name, follower and agent messages)."""

MIN_WORD_BYTES, MAX_WORD_BYTES = 2, 40

STOPWORDS = frozenset("""
a about after again all also am an and any are as at be because been before being but by can
could did do does doing for from had has have having he her here hers him his how i if in into
is it its itself just me more most my myself of off on once only or other our ours out over own
same she should so some such than that the their theirs them then there these they this those
through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself im ive id ill dont doesnt didnt cant isnt its thats hi hello
hey thanks thank please ok okay
de la que el en los las por con una un para es mi se lo al del le les des et est pas pour sur
""".split())
"""Words too common to find anything with (English, a few Spanish and French): never indexed,
and dropped from queries."""

# Lower-casing as Lua does it with string.lower (ASCII) plus Latin-1 capitals (U+00C0-U+00DE
# but the multiplication sign): the two sides must make the very same words.
_LOWER = {c: c + 32 for c in range(0x41, 0x5B)}
_LOWER.update({c: c + 32 for c in range(0xC0, 0xDF) if c != 0xD7})
_SPLIT = re.compile(
    "[\u0080-\u00bf\u2000-\u2fff\u3000-\u303f\ufe00-\ufe0f\ufeff\U00010000-\U0010ffff]"
)
"""Non-ASCII characters that split words: Latin-1 punctuation, general punctuation and symbols
(dashes, curly quotes, arrows, dingbats), CJK punctuation, variation selectors, emoji."""
_WORD = re.compile("[0-9a-z\u00c0-\uffff]+")


def words(text: str) -> list[str]:
    """The indexed words of ``text``, in order, with repeats (what ``search_words`` makes)."""
    out = []
    for word in _WORD.findall(_SPLIT.sub(" ", text.translate(_LOWER))):
        size = len(word.encode("utf-8", "surrogatepass"))
        if MIN_WORD_BYTES <= size <= MAX_WORD_BYTES and word not in STOPWORDS:
            out.append(word)
    return out


TEXT_BYTES = 4000
"""Bytes of one message tokenised (agent replies are at most 5000 characters)."""


def _stop_by_length() -> str:
    """STOPWORDS as a Lua table literal: word length -> ' w1 w2 … ' (a short string to search)."""
    by_length: dict[int, list[str]] = {}
    for word in STOPWORDS:
        by_length.setdefault(len(word.encode()), []).append(word)
    return "{" + ", ".join(
        f"[{n}] = ' {' '.join(sorted(ws))} '" for n, ws in sorted(by_length.items())
    ) + "}"


LUA = r"""
-- the words of `text` as the search index keeps them (bot.queue.index.words makes the same):
-- lower-cased (ASCII, Latin-1 capitals), split on all but letters and digits, 2..40 bytes,
-- no stop words
local function search_words(text)
  local s = string.lower(string.sub(text, 1, TEXT_BYTES))
  if string.find(s, '[\128-\255]') then
    s = string.gsub(s, '\195([\128-\158])', function(c)
      local b = string.byte(c)
      if b == 151 then return nil end
      return '\195' .. string.char(b + 32)
    end)
    s = string.gsub(s, '[\240-\244][\128-\191][\128-\191][\128-\191]', ' ')
    s = string.gsub(s, '\226[\128-\191][\128-\191]', ' ')
    s = string.gsub(s, '\227\128[\128-\191]', ' ')
    s = string.gsub(s, '\239\184[\128-\143]', ' ')
    s = string.gsub(s, '\239\187\191', ' ')
    s = string.gsub(s, '\194[\128-\191]', ' ')
  end
  local stop, out = STOP_BY_LENGTH, {}
  for w in string.gmatch(s, '[%w\128-\255]+') do
    local n = #w
    if n >= MIN_WORD and n <= MAX_WORD and not (stop[n] and
        string.find(stop[n], ' ' .. w .. ' ', 1, true)) then
      out[#out + 1] = w
    end
  end
  return out
end

-- bring ticket `id`'s search index entries up to date (see bot.queue.index); called by emit
-- after every change, so in the same atomic script. `typ` 'reindex' also reads the ticket's
-- history for the agents who worked it (tickets indexed after the fact).
local function search_index(id, typ)
  local t = tkey(id)
  local f = redis.call('HMGET', t, 'status', 'created_at', 'channel', 'sender', 'reasons',
    'claimed_by', 'resolved_by', 'trimmed_messages')
  if not f[1] or not f[2] then return end
  local I, score = P .. 'idx:', f[2]
  local dkey = I .. 'doc:' .. id
  local d = redis.call('HMGET', dkey, 'status', 'upto', 'words')
  local new = not d[1]
  if new then
    redis.call('ZADD', I .. 'created', score, id)
    redis.call('ZADD', I .. 'channel:' .. f[3], score, id)
  end
  if d[1] ~= f[1] then
    if d[1] then redis.call('ZREM', I .. 'status:' .. d[1], id) end
    redis.call('ZADD', I .. 'status:' .. f[1], score, id)
    redis.call('HSET', dkey, 'status', f[1])
  end
  if new or typ == 'updated' or typ == 'delivery_failed' or typ == 'reindex' then
    local ok, reasons = pcall(cjson.decode, f[5] or '[]')
    if ok and type(reasons) == 'table' then
      for _, r in ipairs(reasons) do
        if type(r) == 'string' then redis.call('ZADD', I .. 'reason:' .. r, score, id) end
      end
    end
  end
  local agents = {f[6], f[7]}
  if typ == 'reindex' then
    for _, h in ipairs(redis.call('LRANGE', t .. ':history', 0, -1)) do
      local ok, e = pcall(cjson.decode, h)
      if ok and type(e) == 'table' and type(e.actor) == 'string' and (e.type == 'claimed'
          or e.type == 'replied' or e.type == 'resolved') then
        agents[#agents + 1] = e.actor
      end
    end
  end
  for i = 1, #agents do
    if agents[i] then redis.call('ZADD', I .. 'agent:' .. agents[i], score, id) end
  end
  local mk = mkey(id)
  local len = redis.call('LLEN', mk)
  local total = len + (tonumber(f[8]) or 0)
  local upto, count = tonumber(d[2]) or 0, tonumber(d[3]) or 0
  if total <= upto and not new then return end
  local texts = {}
  if new and f[4] then texts[1] = f[4] end
  local fresh = math.min(total - upto, len)
  if fresh > 0 then
    for _, raw in ipairs(redis.call('LRANGE', mk, -fresh, -1)) do
      local ok, m = pcall(cjson.decode, raw)
      if ok and type(m) == 'table' and (m.role == 'follower' or m.role == 'agent') then
        if type(m.text) == 'string' then texts[#texts + 1] = m.text end
        local meta = m.metadata
        if m.role == 'follower' and type(meta) == 'table' then
          local profile = type(meta.profile) == 'table' and meta.profile or meta
          for _, k in ipairs({'name', 'first_name', 'last_name', 'username'}) do
            if type(profile[k]) == 'string' then texts[#texts + 1] = profile[k] end
          end
        end
      end
    end
  end
  local seen = {}
  for _, text in ipairs(texts) do
    if count >= MAX_WORDS then break end
    for _, w in ipairs(search_words(text)) do
      if count >= MAX_WORDS then break end
      if not seen[w] then
        seen[w] = true
        if redis.call('ZADD', I .. 'w:' .. w, score, id) == 1 then
          count = count + 1
          redis.call('ZADD', I .. 'words', 'NX', 0, w)
        end
      end
    end
  end
  redis.call('HSET', dkey, 'upto', total, 'words', count)
end

-- remove ticket `id` from every index set its current data puts it in (before its data is
-- erased): returns how many messages were dropped from its transcript before (their words
-- cannot be recomputed here: the caller sweeps the word sets for the id then)
local function search_forget(id)
  local t = tkey(id)
  local f = redis.call('HMGET', t, 'channel', 'sender', 'reasons', 'claimed_by', 'resolved_by',
    'labels', 'trimmed_messages')
  local I = P .. 'idx:'
  local doc = redis.call('HGET', I .. 'doc:' .. id, 'status')
  local keys = {I .. 'created', I .. 'status:queued', I .. 'status:claimed',
    I .. 'status:resolved'}
  if f[1] then keys[#keys + 1] = I .. 'channel:' .. f[1] end
  for _, a in ipairs({f[4], f[5]}) do if a then keys[#keys + 1] = I .. 'agent:' .. a end end
  for _, field in ipairs({{f[3], 'reason:'}, {f[6], 'label:'}}) do
    local ok, list = pcall(cjson.decode, field[1] or '[]')
    if ok and type(list) == 'table' then
      for _, v in ipairs(list) do
        if type(v) == 'string' then keys[#keys + 1] = I .. field[2] .. v end
      end
    end
  end
  for _, h in ipairs(redis.call('LRANGE', t .. ':history', 0, -1)) do
    local ok, e = pcall(cjson.decode, h)
    if ok and type(e) == 'table' and type(e.actor) == 'string' then
      keys[#keys + 1] = I .. 'agent:' .. e.actor
    end
  end
  local texts = {f[2]}
  for _, raw in ipairs(redis.call('LRANGE', mkey(id), 0, -1)) do
    local ok, m = pcall(cjson.decode, raw)
    if ok and type(m) == 'table' then
      if type(m.text) == 'string' then texts[#texts + 1] = m.text end
      local meta = m.metadata
      if type(meta) == 'table' then
        local profile = type(meta.profile) == 'table' and meta.profile or meta
        for _, k in ipairs({'name', 'first_name', 'last_name', 'username'}) do
          if type(profile[k]) == 'string' then texts[#texts + 1] = profile[k] end
        end
      end
    end
  end
  for _, text in ipairs(texts) do
    if text then
      for _, w in ipairs(search_words(text)) do keys[#keys + 1] = I .. 'w:' .. w end
    end
  end
  for _, k in ipairs(keys) do redis.call('ZREM', k, id) end
  redis.call('DEL', I .. 'doc:' .. id)
  return tonumber(f[7]) or 0
end
"""
LUA = (
    LUA.replace("MIN_WORD", str(MIN_WORD_BYTES))
    .replace("MAX_WORDS", str(MAX_WORDS))
    .replace("MAX_WORD", str(MAX_WORD_BYTES))
    .replace("STOP_BY_LENGTH", _stop_by_length())
    .replace("TEXT_BYTES", str(TEXT_BYTES))
)
"""Lua library functions (prepended to the queue's ``_LIB``): ``search_words``,
``search_index``, ``search_forget`` (for erasing a ticket: :meth:`SearchIndex.forget`)."""


def script_head(queue: AgentQueue) -> list[Any]:
    """The common ARGV of the queue's scripts (``bot.queue.scripts``) as ``queue`` sends them
    now, for scripts of other modules built with ``scripts._script``: they read their own
    arguments from the end (``ARGV[#ARGV]``), whatever the common part holds."""
    now = float(queue._clock())
    head = getattr(queue, "_head", None)
    if head is not None:
        return list(head(now))
    return [queue.keys.prefix, repr(now), queue.events_maxlen]
