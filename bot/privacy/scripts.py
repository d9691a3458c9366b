"""Lua scripts of the privacy controls: removing tickets from every index at once.

Calling convention (as ``bot.queue.scripts``)::

    KEYS        none: every key is built from the prefix (``bot.queue.keys.Keys``; the queue is
                single-Redis anyway)
    ARGV[1]     key prefix

Script-specific ARGV are listed above each script. A ticket is removed with its transcript,
notes and history, from the open-conversation index, the queue, claim and resolved zsets, its
holder's set and the metrics' claim bookkeeping, so the queue's invariants hold afterwards.
"""

from __future__ import annotations

_DROP = r"""
local P = ARGV[1] .. ':'
local function drop(id)
  local t = P .. 'ticket:' .. id
  local f = redis.call('HMGET', t, 'conv', 'claimed_by')
  if f[1] and redis.call('HGET', P .. 'open', f[1]) == id then
    redis.call('HDEL', P .. 'open', f[1])
  end
  for _, k in ipairs({'queued', 'aging', 'claimed', 'claimed_order', 'resolved'}) do
    redis.call('ZREM', P .. k, id)
  end
  if f[2] then redis.call('SREM', P .. 'agent:' .. f[2], id) end
  redis.call('HDEL', P .. 'metrics:claims', id)
  return redis.call('DEL', t, t .. ':messages', t .. ':notes', t .. ':history')
end
"""

# ARGV[2..n] ticket ids  -> number of keys deleted
ERASE_TICKETS = _DROP + r"""
local deleted = 0
for i = 2, #ARGV do deleted = deleted + drop(ARGV[i]) end
return deleted
"""

# ARGV[2] cutoff (unix seconds), ARGV[3] batch size
#   -> ids of the resolved tickets (resolved before the cutoff) removed, at most batch
EXPIRE_RESOLVED = _DROP + r"""
local ids = redis.call('ZRANGEBYSCORE', P .. 'resolved', '-inf', '(' .. ARGV[2],
  'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do drop(id) end
return ids
"""
