"""Lua scripts of the agent queue: every state change and its audit event, atomically.

Every script is :data:`_HEAD`, the :data:`_LIB` functions it uses, then its body, and shares one
calling convention::

    KEYS        none: every key is built from the prefix, as listed in ``bot.queue.keys.Keys``
                (ticket ids are chosen inside the scripts, so the queue is single-Redis anyway,
                and each KEYS argument costs the client more than the whole lookup costs Lua)
    ARGV[1]     key prefix
    ARGV[2]     now, unix seconds from the caller's clock (``repr(float)``)
    ARGV[3]     approximate MAXLEN of the events stream
    ARGV[4]     cap of a ticket's message list (``{p}:ticket:{id}:messages``)
    ARGV[5]     cap of a ticket's history list (``{p}:ticket:{id}:history``)

Script-specific ARGV start at 6 and are listed above each script.

Caps: a list over its cap keeps its first item (the message that was escalated; the
``escalated`` event) and the newest ``cap - 1``; the ticket hash counts what was dropped
(``trimmed_messages``, ``trimmed_history``). Anonymous followers can write without end to a ticket
(a message while a person owns the conversation is one item and one event); its lists cannot.

Every script replies ``{code, ...}``; ``code`` is 0 (OK) or one of the ``E_*`` codes of
``bot.queue.errors``. A *ticket payload* is one JSON document (see ``payload`` in :data:`_LIB`),
a *summary payload* the ticket without its lists (``summary``).
"""

from __future__ import annotations

import re

_HEAD = r"""
local PREFIX, NOW, MAXLEN = ARGV[1], ARGV[2], ARGV[3]
local NOWN, P = tonumber(NOW), ARGV[1] .. ':'
local MSG_CAP, HIST_CAP = tonumber(ARGV[4]), tonumber(ARGV[5])
local K_SEQ, K_OPEN, K_QUEUED, K_CLAIMED = P .. 'seq', P .. 'open', P .. 'queued', P .. 'claimed'
local K_CLAIMED_ORDER, K_AGING, K_WAITS = P .. 'claimed_order', P .. 'aging', P .. 'waits'
local K_RESOLVED, K_EVENTS = P .. 'resolved', P .. 'events'
local BAND = 10000000000000
local PREVIEW_BYTES = 1200 -- at least 280 characters of UTF-8 (the console's preview)
local OK, E_NOT_FOUND, E_ALREADY_CLAIMED, E_NOT_HOLDER, E_CLOSED = 0, 1, 2, 3, 4
local function tkey(id) return P .. 'ticket:' .. id end
local function mkey(id) return P .. 'ticket:' .. id .. ':messages' end
local function akey(agent) return P .. 'agent:' .. agent end
local function queue_score(p, ms) return tonumber(p) * BAND + tonumber(ms) end
"""

# Library functions in dependency order (each may call those above it). A script gets only
# the ones it calls, directly or not: unused functions would cost every call.
_LIB = r"""
-- list `key` of ticket `id` over `limit` items: keep the first and the newest limit - 1,
-- count the dropped ones in the ticket's hash field `field`
local function cap(key, limit, id, field)
  local n = redis.call('LLEN', key)
  if n <= limit then return end
  local first = redis.call('LINDEX', key, 0)
  redis.call('LTRIM', key, n - limit + 1, -1)
  redis.call('LPUSH', key, first)
  redis.call('HINCRBY', tkey(id), field, n - limit)
end

-- append a transcript message (JSON) to ticket `id`, within the cap
local function push_message(id, message)
  redis.call('RPUSH', mkey(id), message)
  cap(mkey(id), MSG_CAP, id, 'trimmed_messages')
end

local function emit(typ, id, actor, data)
  local encoded = cjson.encode(data)
  local sid = redis.call('XADD', K_EVENTS, 'MAXLEN', '~', MAXLEN, '*', 'type', typ,
    'ticket', id, 'actor', actor, 'ts', NOW, 'data', encoded)
  local hkey = tkey(id) .. ':history'
  redis.call('RPUSH', hkey, '{"id":"' .. sid .. '","type":"' .. typ ..
    '","actor":' .. cjson.encode(actor) .. ',"ts":' .. NOW .. ',"data":' .. encoded .. '}')
  cap(hkey, HIST_CAP, id, 'trimmed_history')
end

-- the ticket as one JSON document: {"ticket": {hash}, "messages": [..], "notes": [..],
-- "history": [..]} (list items are stored as JSON already)
local function payload(id)
  local t = tkey(id)
  local flat, h = redis.call('HGETALL', t), {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return '{"ticket":' .. cjson.encode(h) ..
    ',"messages":[' .. table.concat(redis.call('LRANGE', t .. ':messages', 0, -1), ',') ..
    '],"notes":[' .. table.concat(redis.call('LRANGE', t .. ':notes', 0, -1), ',') ..
    '],"history":[' .. table.concat(redis.call('LRANGE', t .. ':history', 0, -1), ',') .. ']}'
end

-- `s` cut to at most `n` bytes, at a UTF-8 character boundary
local function cut(s, n)
  if #s <= n then return s end
  local i = n
  while i > 0 and s:byte(i + 1) >= 0x80 and s:byte(i + 1) < 0xC0 do i = i - 1 end
  return string.sub(s, 1, i)
end

-- the ticket as a queue row: {"ticket": {hash without draft and nlu, text cut},
-- "last_follower": {text (cut), ts} | false, "messages": n, "notes": n}
local function summary(id)
  local t = tkey(id)
  local flat, h = redis.call('HGETALL', t), {}
  for i = 1, #flat, 2 do
    if flat[i] ~= 'draft' and flat[i] ~= 'nlu' then h[flat[i]] = flat[i + 1] end
  end
  h.text = cut(h.text or '', PREVIEW_BYTES)
  local last, tail = false, redis.call('LRANGE', t .. ':messages', -20, -1)
  for i = #tail, 1, -1 do
    local m = cjson.decode(tail[i])
    if m.role == 'follower' then
      last = {text = cut(type(m.text) == 'string' and m.text or '', PREVIEW_BYTES), ts = m.ts}
      break
    end
  end
  return cjson.encode({ticket = h, last_follower = last,
    messages = redis.call('LLEN', t .. ':messages'), notes = redis.call('LLEN', t .. ':notes')})
end

-- code, holder for an action that needs `agent` to hold a live lease on `id`
local function check_holder(id, agent)
  local st = redis.call('HMGET', tkey(id), 'status', 'claimed_by', 'lease_until')
  if not st[1] then return E_NOT_FOUND, false end
  if st[1] == 'resolved' then return E_CLOSED, false end
  if st[1] ~= 'claimed' or tonumber(st[3]) < NOWN then return E_NOT_HOLDER, false end
  if st[2] ~= agent then return E_NOT_HOLDER, st[2] end
  return OK, st[2]
end

-- claimed -> queued, same priority, original enqueued_ms (keeps its place)
local function requeue(id, typ, actor)
  local t = tkey(id)
  local f = redis.call('HMGET', t, 'claimed_by', 'priority', 'enqueued_ms', 'enqueued_at',
    'lease_until')
  redis.call('ZREM', K_CLAIMED, id)
  redis.call('ZREM', K_CLAIMED_ORDER, id)
  if f[1] then redis.call('SREM', akey(f[1]), id) end
  redis.call('HSET', t, 'status', 'queued', 'updated_at', NOW)
  redis.call('HDEL', t, 'claimed_by', 'claimed_at', 'lease_until')
  redis.call('ZADD', K_QUEUED, queue_score(f[2], f[3]), id)
  if tonumber(f[2]) > 1 then redis.call('ZADD', K_AGING, f[4], id) end
  emit(typ, id, actor, {agent = f[1] or '', lease_until = f[5] or ''})
end

-- queued -> claimed by agent until lease_until (a string)
local function take(id, agent, lease_until, typ, actor, data)
  local t = tkey(id)
  local enq = redis.call('HGET', t, 'enqueued_at')
  local wait = NOWN - tonumber(enq)
  redis.call('ZREM', K_QUEUED, id)
  redis.call('ZREM', K_AGING, id)
  redis.call('ZADD', K_CLAIMED, lease_until, id)
  redis.call('ZADD', K_CLAIMED_ORDER, NOW, id)
  redis.call('SADD', akey(agent), id)
  redis.call('HSET', t, 'status', 'claimed', 'claimed_by', agent, 'claimed_at', NOW,
    'lease_until', lease_until, 'updated_at', NOW)
  redis.call('LPUSH', K_WAITS, string.format('%.6f', wait))
  redis.call('LTRIM', K_WAITS, 0, 49)
  data.wait = wait
  emit(typ, id, actor, data)
end

-- create or merge the open ticket of a conversation -> id, created, duplicate.
-- `arg`: a JSON array of strings: conv, channel, sender, priority, reasons JSON, text, draft,
-- tone JSON, nlu JSON, escalation_id, escalation created_at, enqueued_ms, idempotency ttl,
-- then the transcript messages (JSON each). One argument: cheaper to send than fourteen.
local function escalate(arg)
  local A = cjson.decode(arg)
  local conv, channel, sender, priority = A[1], A[2], A[3], tonumber(A[4])
  local reasons, text, draft, tone, nlu = A[5], A[6], A[7], A[8], A[9]
  local esc_id, escalated_at, enqueued_ms, ttl = A[10], A[11], A[12], A[13]
  local ekey = P .. 'escalation:' .. esc_id
  local seen = redis.call('GET', ekey)
  if seen then return seen, 0, 1 end
  local id = redis.call('HGET', K_OPEN, conv)
  local created = 0
  if id then
    local t = tkey(id)
    local f = redis.call('HMGET', t, 'status', 'priority', 'base_priority', 'reasons',
      'enqueued_ms')
    local merged, have, added = cjson.decode(f[4]), {}, {}
    for _, r in ipairs(merged) do have[r] = true end
    for _, r in ipairs(cjson.decode(reasons)) do
      if not have[r] then have[r] = true; table.insert(merged, r); table.insert(added, r) end
    end
    local old_p = tonumber(f[2])
    local new_p = math.min(old_p, priority)
    redis.call('HSET', t, 'reasons', cjson.encode(merged), 'priority', new_p,
      'base_priority', math.min(tonumber(f[3]), priority), 'text', text, 'draft', draft,
      'tone', tone, 'nlu', nlu, 'updated_at', NOW)
    redis.call('HINCRBY', t, 'escalations', 1)
    if f[1] == 'queued' and new_p ~= old_p then
      redis.call('ZADD', K_QUEUED, queue_score(new_p, f[5]), id)
      if new_p <= 1 then redis.call('ZREM', K_AGING, id) end
    end
    local existing, appended = {}, 0
    for _, m in ipairs(redis.call('LRANGE', mkey(id), -1000, -1)) do existing[m] = true end
    for i = 14, #A do
      if not existing[A[i]] then
        existing[A[i]] = true
        redis.call('RPUSH', mkey(id), A[i])
        appended = appended + 1
      end
    end
    cap(mkey(id), MSG_CAP, id, 'trimmed_messages')
    if #added == 0 then added = nil end -- cjson would write an empty table as {}
    emit('updated', id, 'bot', {escalation_id = esc_id, reasons_added = added,
      priority = new_p, previous_priority = old_p, messages_added = appended})
  else
    created = 1
    id = string.format('T-%06d', redis.call('INCR', K_SEQ))
    local t = tkey(id)
    redis.call('HSET', t, 'id', id, 'conv', conv, 'channel', channel, 'sender', sender,
      'status', 'queued', 'priority', priority, 'base_priority', priority, 'reasons', reasons,
      'text', text, 'draft', draft, 'tone', tone, 'nlu', nlu, 'created_at', NOW,
      'enqueued_at', NOW, 'enqueued_ms', enqueued_ms, 'updated_at', NOW, 'escalations', 1)
    redis.call('ZADD', K_QUEUED, queue_score(priority, enqueued_ms), id)
    redis.call('HSET', K_OPEN, conv, id)
    if priority > 1 then redis.call('ZADD', K_AGING, NOW, id) end
    for i = 14, #A do redis.call('RPUSH', mkey(id), A[i]) end
    cap(mkey(id), MSG_CAP, id, 'trimmed_messages')
    emit('escalated', id, 'bot', {escalation_id = esc_id, channel = channel, sender = sender,
      reasons = cjson.decode(reasons), priority = priority, escalated_at = escalated_at})
  end
  redis.call('SET', ekey, id, 'EX', ttl)
  return id, created, 0
end
"""

_PARTS = {
    m.group(1): m.group(0)
    for m in re.finditer(r"(?:--[^\n]*\n)*local function (\w+)\(.*?\nend\n", _LIB, re.S)
}


def _script(body: str) -> str:
    """A complete script: the head, the library functions the body needs, then the body."""
    used, text = set(), body
    for name, source in reversed(_PARTS.items()):
        if re.search(rf"\b{name}\(", text):
            used.add(name)
            text += source
    return _HEAD + "".join(src for name, src in _PARTS.items() if name in used) + body


# ARGV[6] escalation (JSON array, see ``escalate`` in _LIB)  -> {0, id, created, duplicate}
ESCALATE = _script(r"""
local id, created, duplicate = escalate(ARGV[6])
return {OK, id, created, duplicate}
""")

# ARGV[6] system message JSON, ARGV[7] error, ARGV[8] reply text, ARGV[9] conversation field,
# ARGV[10] escalation to apply when no ticket is open (see ``escalate``)  -> {0, id, created}
DELIVERY_FAILED = _script(r"""
local id = redis.call('HGET', K_OPEN, ARGV[9])
local created = 0
if id then
  push_message(id, ARGV[6])
  redis.call('HSET', tkey(id), 'updated_at', NOW)
else
  id, created = escalate(ARGV[10])
end
emit('delivery_failed', id, 'bot', {error = ARGV[7], reply = ARGV[8], created = created == 1})
return {OK, id, created}
""")

# ARGV[6] conversation field, ARGV[7] message JSON  -> {0, id or false}
FOLLOWER_MESSAGE = _script(r"""
local id = redis.call('HGET', K_OPEN, ARGV[6])
if not id then return {OK, false} end
push_message(id, ARGV[7])
redis.call('HSET', tkey(id), 'updated_at', NOW)
emit('follower_message', id, 'follower', {})
return {OK, id}
""")

# ARGV[6] ticket id  -> {0, payload} | {E_NOT_FOUND}
GET = _script(r"""
if redis.call('EXISTS', tkey(ARGV[6])) == 0 then return {E_NOT_FOUND} end
return {OK, payload(ARGV[6])}
""")

# ARGV[6] 'queued' | 'claimed' | 'resolved' | 'all', ARGV[7] limit, ARGV[8] 'full' (ticket
# payloads) | 'summary' (summary payloads: no transcript, notes, history, draft or NLU; see
# ``summary`` in _LIB)  -> {0, {payload, ...}}
LIST = _script(r"""
local limit, ids = tonumber(ARGV[7]), {}
if ARGV[6] == 'queued' or ARGV[6] == 'all' then
  ids = redis.call('ZRANGE', K_QUEUED, 0, limit - 1)
end
if ARGV[6] == 'claimed' or (ARGV[6] == 'all' and #ids < limit) then
  for _, id in ipairs(redis.call('ZRANGE', K_CLAIMED_ORDER, 0, limit - #ids - 1)) do
    table.insert(ids, id)
  end
end
if ARGV[6] == 'resolved' then ids = redis.call('ZREVRANGE', K_RESOLVED, 0, limit - 1) end
local out = {}
for _, id in ipairs(ids) do
  if ARGV[8] == 'summary' then table.insert(out, summary(id))
  else table.insert(out, payload(id)) end
end
return {OK, out}
""")

# ARGV[6] ticket id, ARGV[7] agent, ARGV[8] lease_until
#   -> {0, payload} | {E_NOT_FOUND} | {E_CLOSED} | {E_ALREADY_CLAIMED, holder}
CLAIM = _script(r"""
local id, agent = ARGV[6], ARGV[7]
local st = redis.call('HMGET', tkey(id), 'status', 'claimed_by', 'lease_until')
if not st[1] then return {E_NOT_FOUND} end
if st[1] == 'resolved' then return {E_CLOSED} end
if st[1] == 'claimed' then
  if tonumber(st[3]) >= NOWN then
    if st[2] ~= agent then return {E_ALREADY_CLAIMED, st[2]} end
    redis.call('ZADD', K_CLAIMED, ARGV[8], id)
    redis.call('HSET', tkey(id), 'lease_until', ARGV[8])
    return {OK, payload(id)}
  end
  requeue(id, 'lease_expired', 'system')
end
take(id, agent, ARGV[8], 'claimed', agent, {agent = agent})
return {OK, payload(id)}
""")

# ARGV[6] agent, ARGV[7] lease_until  -> {0, payload} | {0} when the queue is empty
# Leases that already ran out are requeued first (at most 10), so claims work without a sweeper.
CLAIM_NEXT = _script(r"""
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_CLAIMED, '-inf', '(' .. NOW, 'LIMIT', 0, 10)) do
  requeue(id, 'lease_expired', 'system')
end
local head = redis.call('ZRANGE', K_QUEUED, 0, 0)
if #head == 0 then return {OK} end
take(head[1], ARGV[6], ARGV[7], 'claimed', ARGV[6], {agent = ARGV[6]})
return {OK, payload(head[1])}
""")

# ARGV[6] ticket id, ARGV[7] agent, ARGV[8] lease_until  -> {code, holder}
HEARTBEAT = _script(r"""
local code, holder = check_holder(ARGV[6], ARGV[7])
if code ~= OK then return {code, holder} end
redis.call('ZADD', K_CLAIMED, ARGV[8], ARGV[6])
redis.call('HSET', tkey(ARGV[6]), 'lease_until', ARGV[8])
return {OK}
""")

# ARGV[6] ticket id, ARGV[7] agent, ARGV[8] agent message JSON  -> {code, holder}
REPLY = _script(r"""
local id = ARGV[6]
local code, holder = check_holder(id, ARGV[7])
if code ~= OK then return {code, holder} end
push_message(id, ARGV[8])
local first = redis.call('HSETNX', tkey(id), 'first_reply_at', NOW)
redis.call('HSET', tkey(id), 'updated_at', NOW)
emit('replied', id, ARGV[7], {first_reply = first == 1})
return {OK}
""")

# ARGV[6] ticket id, ARGV[7] agent, ARGV[8] note JSON  -> {code}
NOTE = _script(r"""
local id = ARGV[6]
if redis.call('EXISTS', tkey(id)) == 0 then return {E_NOT_FOUND} end
redis.call('RPUSH', tkey(id) .. ':notes', ARGV[8])
redis.call('HSET', tkey(id), 'updated_at', NOW)
emit('note', id, ARGV[7], {})
return {OK}
""")

# ARGV[6] ticket id, ARGV[7] agent  -> {code, holder}
RELEASE = _script(r"""
local code, holder = check_holder(ARGV[6], ARGV[7])
if code ~= OK then return {code, holder} end
requeue(ARGV[6], 'released', ARGV[7])
return {OK}
""")

# ARGV[6] ticket id, ARGV[7] from agent, ARGV[8] to agent, ARGV[9] force '1'|'0',
# ARGV[10] lease_until  -> {code, holder}. Forced, a queued ticket is assigned to `to`.
TRANSFER = _script(r"""
local id, from, to = ARGV[6], ARGV[7], ARGV[8]
local st = redis.call('HMGET', tkey(id), 'status', 'claimed_by')
if not st[1] then return {E_NOT_FOUND} end
if st[1] == 'resolved' then return {E_CLOSED} end
if ARGV[9] ~= '1' then
  local code, holder = check_holder(id, from)
  if code ~= OK then return {code, holder} end
end
local data = {from = from, to = to, force = ARGV[9] == '1', previous_holder = st[2] or ''}
if st[1] == 'queued' then
  take(id, to, ARGV[10], 'transferred', from, data)
  return {OK}
end
redis.call('SREM', akey(st[2]), id)
redis.call('SADD', akey(to), id)
redis.call('ZADD', K_CLAIMED, ARGV[10], id)
redis.call('ZADD', K_CLAIMED_ORDER, NOW, id)
redis.call('HSET', tkey(id), 'claimed_by', to, 'claimed_at', NOW, 'lease_until', ARGV[10],
  'updated_at', NOW)
emit('transferred', id, from, data)
return {OK}
""")

# ARGV[6] ticket id, ARGV[7] agent, ARGV[8] outcome, ARGV[9] force '1'|'0', ARGV[10] '1' to
# reply with the payload  -> {0, payload|false} | {code, holder}
RESOLVE = _script(r"""
local id, agent = ARGV[6], ARGV[7]
local t = tkey(id)
local st = redis.call('HMGET', t, 'status', 'claimed_by', 'conv')
if not st[1] then return {E_NOT_FOUND} end
if st[1] == 'resolved' then return {E_CLOSED} end
if ARGV[9] ~= '1' then
  local code, holder = check_holder(id, agent)
  if code ~= OK then return {code, holder} end
end
for _, k in ipairs({K_QUEUED, K_AGING, K_CLAIMED, K_CLAIMED_ORDER}) do redis.call('ZREM', k, id) end
if st[2] then redis.call('SREM', akey(st[2]), id) end
redis.call('HSET', t, 'status', 'resolved', 'outcome', ARGV[8], 'resolved_at', NOW,
  'resolved_by', agent, 'updated_at', NOW)
redis.call('HDEL', t, 'claimed_by', 'lease_until')
if redis.call('HGET', K_OPEN, st[3]) == id then redis.call('HDEL', K_OPEN, st[3]) end
redis.call('ZADD', K_RESOLVED, NOW, id)
emit('resolved', id, agent, {outcome = ARGV[8], force = ARGV[9] == '1',
  holder = st[2] or '', previous_status = st[1]})
if ARGV[10] == '1' then return {OK, payload(id)} end
return {OK, false}
""")

# ARGV[6] batch size, ARGV[7] aging seconds (0 = no aging)
#   -> {0, {expired ids}, {aged ids}, aging candidates looked at}
SWEEP = _script(r"""
local batch, A = tonumber(ARGV[6]), tonumber(ARGV[7])
local expired = redis.call('ZRANGEBYSCORE', K_CLAIMED, '-inf', '(' .. NOW, 'LIMIT', 0, batch)
for _, id in ipairs(expired) do requeue(id, 'lease_expired', 'sweeper') end
local aged, looked = {}, 0
if A > 0 then
  local due = redis.call('ZRANGEBYSCORE', K_AGING, '-inf', '(' .. tostring(NOWN - A),
    'LIMIT', 0, batch)
  looked = #due
  for _, id in ipairs(due) do
    local f = redis.call('HMGET', tkey(id), 'status', 'priority', 'base_priority',
      'enqueued_at', 'enqueued_ms')
    local p = tonumber(f[2])
    if f[1] ~= 'queued' or p <= 1 then
      redis.call('ZREM', K_AGING, id)
    else
      local enq = tonumber(f[4])
      local levels = math.floor((NOWN - enq) / A)
      local target = math.max(1, tonumber(f[3]) - levels)
      if target < p then
        redis.call('HSET', tkey(id), 'priority', target, 'updated_at', NOW)
        redis.call('ZADD', K_QUEUED, queue_score(target, f[5]), id)
        emit('aged', id, 'sweeper', {from = p, to = target, waited = NOWN - enq})
        table.insert(aged, id)
        p = target
      end
      if p <= 1 then redis.call('ZREM', K_AGING, id)
      else redis.call('ZADD', K_AGING, enq + levels * A, id) end
    end
  end
end
return {OK, expired, aged, looked}
""")

_NAMES = """ESCALATE DELIVERY_FAILED FOLLOWER_MESSAGE GET LIST CLAIM CLAIM_NEXT HEARTBEAT REPLY
NOTE RELEASE TRANSFER RESOLVE SWEEP"""
ALL: dict[str, str] = {name.lower(): globals()[name] for name in _NAMES.split()}
"""Script sources by name; ``AgentQueue`` registers each once (``register_script``)."""
