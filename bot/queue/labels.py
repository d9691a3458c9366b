"""Labels on tickets: free-form tags agents add and remove (``vip``, ``refund``, ``bug-report``),
each with a colour; separate from the escalation reasons the bot gives.

A label name is normalised (:func:`normalise`): lower case, spaces collapsed, 1-32 of
``a-z 0-9 - _`` and space. A ticket has at most :data:`MAX_PER_TICKET`. Every change is one Lua
script (:data:`LABEL`, built like the queue's own, ``bot.queue.scripts``) that, atomically:

- updates the ticket hash's ``labels`` (a JSON list, so every ticket read carries it),
- keeps ``{p}:idx:label:{label}`` (ids by creation time, the search index and the list filter),
- registers a new label in ``{p}:labels`` (name -> colour; the default colour comes from
  :data:`PALETTE` by a hash of the name, supervisors change it: :meth:`Labels.set_colour`),
- counts an added label in the supervisor figures' minute and hour buckets (``label:<name>``,
  ``bot.stats.figures``),
- appends ``label_added`` / ``label_removed`` (``data.label``) to the audit stream and the
  ticket's history (``emit``): consoles follow it live.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from bot.queue import scripts
from bot.queue.errors import raise_for
from bot.queue.index import script_head
from bot.queue.keys import Keys
from bot.queue.models import decode, text_of

if TYPE_CHECKING:
    from bot.queue.queue import AgentQueue

MAX_PER_TICKET = 20
MAX_LABELS = 1000
"""Labels the registry holds at most (a new name beyond it is refused)."""
NAME_RE = re.compile(r"^[a-z0-9_-][a-z0-9 _-]{0,31}$")
COLOUR_RE = re.compile(r"^#[0-9a-f]{6}$")
PALETTE = (
    "#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c",
    "#0891b2", "#ca8a04", "#db2777", "#4f46e5", "#65a30d",
)
"""Default label colours, strong enough for white text."""
MINUTE_TTL, HOUR_TTL = 2 * 24 * 3600, 8 * 24 * 3600  # as bot.stats.figures


class LabelError(ValueError):
    """A bad label name or colour, too many labels, or an unknown label."""


def normalise(name: Any) -> str:
    """The label as stored; :class:`LabelError` when it cannot be one."""
    if not isinstance(name, str):
        raise LabelError("a label is a string")
    label = " ".join(name.lower().split())
    if not NAME_RE.match(label) or label != label.strip():
        raise LabelError("a label is 1-32 characters of a-z, 0-9, '-', '_' and spaces")
    return label


def default_colour(label: str) -> str:
    """The palette colour of a label (stable: a hash of its name)."""
    return PALETTE[int(hashlib.sha1(label.encode()).hexdigest(), 16) % len(PALETTE)]


def check_colour(colour: Any) -> str:
    if not isinstance(colour, str) or not COLOUR_RE.match(colour.lower()):
        raise LabelError("a colour is #rrggbb")
    return colour.lower()


# ARGV (after the common ones): the last is a JSON array [id, actor, op ('add' | 'remove'),
# label, default colour, minute bucket key, hour bucket key, minute ttl, hour ttl,
# max per ticket, max labels]
#   -> {0, labels JSON, changed 0/1} | {E_NOT_FOUND} | {5, reason} (refused: too many)
LABEL = scripts._script(r"""
local A = cjson.decode(ARGV[#ARGV])
local id, actor, op, label = A[1], A[2], A[3], A[4]
local t = tkey(id)
local f = redis.call('HMGET', t, 'status', 'labels', 'created_at')
if not f[1] then return {E_NOT_FOUND} end
local labels, at = {}, 0
if f[2] and f[2] ~= '' then labels = cjson.decode(f[2]) end
for i, l in ipairs(labels) do if l == label then at = i end end
local REG = P .. 'labels'
if op == 'add' then
  if at > 0 then return {OK, f[2], 0} end
  if #labels >= A[10] then return {5, 'too_many'} end
  if redis.call('HEXISTS', REG, label) == 0 then
    if redis.call('HLEN', REG) >= A[11] then return {5, 'registry_full'} end
    redis.call('HSET', REG, label, A[5])
  end
  labels[#labels + 1] = label
  table.sort(labels)
  redis.call('ZADD', P .. 'idx:label:' .. label, f[3], id)
  for i, key in ipairs({A[6], A[7]}) do
    redis.call('HINCRBY', key, 'label:' .. label, 1)
    redis.call('EXPIRE', key, A[7 + i])
  end
else
  if at == 0 then return {OK, f[2] or '[]', 0} end
  table.remove(labels, at)
  redis.call('ZREM', P .. 'idx:label:' .. label, id)
end
local encoded = '[]'
if #labels > 0 then encoded = cjson.encode(labels) end
redis.call('HSET', t, 'labels', encoded, 'updated_at', NOW)
emit(op == 'add' and 'label_added' or 'label_removed', id, actor, {label = label})
return {OK, encoded, 1}
""")
E_REFUSED = 5


class Labels:
    """Labels of the tickets of one queue (same Redis, prefix, clock and event stream)."""

    def __init__(self, queue: AgentQueue) -> None:
        self.queue = queue
        self.redis = queue.redis
        self.keys: Keys = queue.keys
        self._script = queue.redis.register_script(LABEL)

    def _change(self, ticket_id: str, actor: str, op: str, name: str) -> tuple[list[str], bool]:
        label = normalise(name)
        head = script_head(self.queue)
        at = datetime.fromtimestamp(float(head[1]), tz=timezone.utc)
        arg = [ticket_id, actor, op, label, default_colour(label), self.keys.stats_minute(at),
               self.keys.stats_hour(at), MINUTE_TTL, HOUR_TTL, MAX_PER_TICKET, MAX_LABELS]
        reply = decode(self._script(args=[*head, json.dumps(arg)]))
        code = int(reply[0])
        if code == E_REFUSED:
            if text_of(reply[1]) == "too_many":
                raise LabelError(f"a ticket has at most {MAX_PER_TICKET} labels")
            raise LabelError(f"there are {MAX_LABELS} labels already; reuse one")
        raise_for(code, ticket_id, actor)
        replicated = getattr(self.queue, "_replicated", None)
        if replicated is not None and int(reply[2]):
            replicated()
        loaded = json.loads(text_of(reply[1]) or "[]")
        return (loaded if isinstance(loaded, list) else []), bool(int(reply[2]))

    def add(self, ticket_id: str, actor: str, name: str) -> list[str]:
        """Add a label (any status; adding one it has changes nothing); the ticket's labels.
        :class:`LabelError` (bad name, too many), ``TicketNotFound``."""
        return self._change(ticket_id, actor, "add", name)[0]

    def remove(self, ticket_id: str, actor: str, name: str) -> list[str]:
        """Remove a label (removing one it lacks changes nothing); the ticket's labels."""
        return self._change(ticket_id, actor, "remove", name)[0]

    def registry(self) -> dict[str, dict[str, Any]]:
        """Every label: ``{name: {"colour", "tickets"}}`` (tickets carrying it now)."""
        colours = {text_of(k): text_of(v) for k, v in self.redis.hgetall(self.keys.labels).items()}
        names = sorted(colours)
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.zcard(self.keys.idx_label(name))
        counts = pipe.execute() if names else []
        return {n: {"colour": colours[n], "tickets": int(c)}
                for n, c in zip(names, counts, strict=True)}

    def set_colour(self, name: str, colour: str) -> dict[str, Any]:
        """Set (or register) a label's colour (supervisors)."""
        label, value = normalise(name), check_colour(colour)
        if not self.redis.hexists(self.keys.labels, label) and \
                self.redis.hlen(self.keys.labels) >= MAX_LABELS:
            raise LabelError(f"there are {MAX_LABELS} labels already; reuse one")
        self.redis.hset(self.keys.labels, label, value)
        return {"name": label, "colour": value}

    def has(self, ticket_id: str, name: str) -> bool:
        return self.redis.zscore(self.keys.idx_label(normalise(name)), ticket_id) is not None
