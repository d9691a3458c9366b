"""Lua scripts of the answer audit: recording a sampled answer, and a supervisor's verdict.

Calling convention (as ``bot.queue.scripts``): no KEYS, every key is built from the prefix in
ARGV[1] (names: ``bot.queue.keys.Keys.audit_*``; single Redis). Each script is one atomic
change of the item, the pending / decided sets and the tallies, so a tally never counts a
verdict twice and two supervisors never both mark one answer.
"""

from __future__ import annotations

# ARGV: [1] prefix, [2] now (unix s), [3] ttl (s), [4] max pending, [5] day (YYYYmmdd),
# [6] sampled '1'|'0', [7] low '1'|'0', [8..] field, value pairs of the item.
# Returns the new id (A-000001).
RECORD = r"""
local A = ARGV[1] .. ':audit:'
local now, ttl, maxp = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local day = A .. 'day:' .. ARGV[5]
local id = string.format('A-%06d', redis.call('INCR', A .. 'seq'))
local item = A .. 'item:' .. id
redis.call('HSET', item, 'id', id, 'status', 'pending', 'answered_at', ARGV[2],
           'day', ARGV[5], 'sampled', ARGV[6], 'low', ARGV[7])
for i = 8, #ARGV, 2 do redis.call('HSET', item, ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', item, ttl)
redis.call('ZADD', A .. 'pending', now, id)
for _, on in ipairs({{ARGV[6], 'sampled'}, {ARGV[7], 'low'}}) do
  if on[1] == '1' then
    redis.call('HINCRBY', day, on[2], 1)
    redis.call('HINCRBY', A .. 'totals', on[2], 1)
  end
end
if redis.call('TTL', day) < 0 then redis.call('EXPIRE', day, ttl) end
-- retention: ids whose item expired leave the sets
redis.call('ZREMRANGEBYSCORE', A .. 'pending', '-inf', '(' .. (now - ttl))
redis.call('ZREMRANGEBYSCORE', A .. 'decided', '-inf', '(' .. (now - ttl))
-- bound: the oldest pending answers are dropped
local over = redis.call('ZCARD', A .. 'pending') - maxp
if over > 0 then
  local old = redis.call('ZRANGE', A .. 'pending', 0, over - 1)
  for _, o in ipairs(old) do redis.call('DEL', A .. 'item:' .. o) end
  redis.call('ZREMRANGEBYRANK', A .. 'pending', 0, over - 1)
  redis.call('HINCRBY', A .. 'totals', 'dropped', #old)
end
return id
"""

# ARGV: [1] prefix, [2] id, [3] verdict 'right'|'wrong', [4] actor, [5] now, [6] note,
# [7] correct ('' | FAQ key | 'new_faq' | 'negative'), [8] ttl (s).
# Returns 'ok', 'missing', or the verdict it has already ('right' / 'wrong').
MARK = r"""
local A = ARGV[1] .. ':audit:'
local id, verdict = ARGV[2], ARGV[3]
local item = A .. 'item:' .. id
local f = redis.call('HMGET', item, 'status', 'day', 'sampled', 'low')
if not f[1] then return 'missing' end
if f[1] ~= 'pending' then return f[1] end
redis.call('HSET', item, 'status', verdict, 'decided_by', ARGV[4], 'decided_at', ARGV[5],
           'note', ARGV[6], 'correct', ARGV[7])
redis.call('ZREM', A .. 'pending', id)
redis.call('ZADD', A .. 'decided', tonumber(ARGV[5]), id)
local day = A .. 'day:' .. (f[2] or '')
for _, on in ipairs({{f[3], 'sample:'}, {f[4], 'low:'}}) do
  if on[1] == '1' then
    redis.call('HINCRBY', day, on[2] .. verdict, 1)
    redis.call('HINCRBY', A .. 'totals', on[2] .. verdict, 1)
  end
end
if redis.call('TTL', day) < 0 then redis.call('EXPIRE', day, tonumber(ARGV[8])) end
return 'ok'
"""

# ARGV: [1] prefix, [2..] ids. Deletes the items and takes them out of both sets (a follower's
# erasure, bot.privacy); the tallies keep their counts (statistics keep only counts).
# Returns how many items existed.
FORGET = r"""
local A = ARGV[1] .. ':audit:'
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('DEL', A .. 'item:' .. ARGV[i])
  redis.call('ZREM', A .. 'pending', ARGV[i])
  redis.call('ZREM', A .. 'decided', ARGV[i])
end
return n
"""
