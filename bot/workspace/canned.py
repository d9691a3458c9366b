"""Canned responses: the team's saved replies, with variables filled in for a ticket.

A canned response has a key (its shortcut: ``refund-delay``), a title and a text that may hold
the variables :data:`VARIABLES` (``{{first_name}}``, ``{{order_number}}``,
``{{tracking_number}}``, ``{{agent_name}}``). Supervisors, trainers and admins write them
(permission ``canned``); every agent lists and uses them. The bot's vetted FAQ answers
(``config/domain/faq.yml``, :class:`bot.faq.store.FaqStore`) are canned responses too,
read-only, under the key ``faq/<key>``.

:func:`render` fills the variables for one ticket (:func:`ticket_values`): the follower's first
name when the channel gave one (message metadata ``profile.first_name`` / ``name`` …), the order
and tracking numbers from the ticket's NLU entities (``nlu.entities``: ``order_number``,
``tracking_number``), the agent's name from the signed-in account. A value nobody knows becomes
a visible blank, ``⟦first name⟧``, that the agent must fill in: the reply API refuses a text that
still holds a blank or a ``{{variable}}`` (:func:`unfilled`), so neither reaches a follower.

Usage is counted when a response is rendered for a ticket (the console renders it when the agent
inserts it into the reply box; ``carebot queue reply --canned`` renders then sends): inserted,
not necessarily sent as is.

Keys (:class:`CannedKeys`, listed in ``bot.queue.keys.Keys``):
``{p}:canned:item:{key}`` hash (``key title text created_by created_at updated_by updated_at
uses last_used_at``), ``{p}:canned:index`` zset (keys by last change), ``{p}:canned:faq_uses``
hash (FAQ key -> uses).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Mapping

import redis as redis_lib

from bot.queue.models import text_of

VARIABLES = ("first_name", "order_number", "tracking_number", "agent_name")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
FAQ_PREFIX = "faq/"
MAX_TITLE = 80
MAX_TEXT = 2000
MAX_CANNED = 500
VAR_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
BLANK_RE = re.compile(r"⟦[^⟦⟧\n]{1,40}⟧")
FAQ_CACHE_SECONDS = 10.0


class CannedError(ValueError):
    """A refused canned-response operation; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Canned:
    key: str
    title: str
    text: str
    source: str = "team"
    """``team`` (saved by the team, editable) or ``faq`` (the bot's vetted answer, read-only)."""
    created_by: str | None = None
    created_at: float | None = None
    updated_by: str | None = None
    updated_at: float | None = None
    uses: int = 0
    last_used_at: float | None = None

    @property
    def variables(self) -> list[str]:
        return list(dict.fromkeys(VAR_RE.findall(self.text)))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "editable": self.source == "team", "variables": self.variables}


@dataclass(frozen=True)
class CannedKeys:
    prefix: str = "carebot"

    def item(self, key: str) -> str:
        return f"{self.prefix}:canned:item:{key}"

    @property
    def index(self) -> str:
        return f"{self.prefix}:canned:index"

    @property
    def faq_uses(self) -> str:
        return f"{self.prefix}:canned:faq_uses"


def blank(variable: str) -> str:
    """The visible blank an unknown variable becomes: ``⟦first name⟧``."""
    return "⟦" + variable.replace("_", " ") + "⟧"


def unfilled(text: str) -> list[str]:
    """Blanks (``⟦…⟧``) and ``{{variables}}`` left in a reply; empty when it can be sent."""
    return list(dict.fromkeys(BLANK_RE.findall(text) + [m.group(0) for m in VAR_RE.finditer(text)]))


def check_text(text: Any, name: str = "text", limit: int = MAX_TEXT) -> str:
    if not isinstance(text, str) or not text.strip():
        raise CannedError(422, f"'{name}' must be a non-empty string.")
    if len(text) > limit:
        raise CannedError(422, f"'{name}' is longer than {limit} characters.")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise CannedError(422, f"'{name}' holds control characters.")
    return text.strip()


def check_template(text: Any) -> str:
    """A canned text: its variables must be known, and no other ``{{`` / ``}}`` or blank."""
    value = check_text(text)
    unknown = sorted({v for v in VAR_RE.findall(value) if v not in VARIABLES})
    if unknown:
        raise CannedError(422, f"Unknown variable {{{{{unknown[0]}}}}}; use "
                          + ", ".join("{{" + v + "}}" for v in VARIABLES) + ".")
    rest = VAR_RE.sub("", value)
    if "{{" in rest or "}}" in rest or BLANK_RE.search(rest) or "⟦" in rest:
        raise CannedError(422, "Write variables as {{first_name}}; no other {{, }} or ⟦.")
    return value


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise CannedError(422, "'key' is 1-40 of a-z, 0-9, '-' and '_', starting with a letter "
                          "or digit (FAQ answers are faq/<key>, read-only).")
    return key


# ARGV[1] op: create | update | use, ARGV[2] item key, ARGV[3] index key, ARGV[4] key,
# ARGV[5] now, ARGV[6] JSON of fields to set (create/update), ARGV[7] max items
#   -> 1 done | 0 missing (update/use) or existing (create) | -1 full (create)
_SCRIPT = r"""
local op, item, index, key, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local exists = redis.call('EXISTS', item) == 1
if op == 'use' then
  if not exists then return 0 end
  redis.call('HINCRBY', item, 'uses', 1)
  redis.call('HSET', item, 'last_used_at', now)
  return 1
end
if op == 'create' then
  if exists then return 0 end
  if redis.call('ZCARD', index) >= tonumber(ARGV[7]) then return -1 end
  redis.call('HSET', item, 'key', key, 'created_at', now, 'uses', 0)
elseif not exists then
  return 0
end
for field, value in pairs(cjson.decode(ARGV[6])) do redis.call('HSET', item, field, value) end
redis.call('HSET', item, 'updated_at', now)
redis.call('ZADD', index, now, key)
return 1
"""


class CannedStore:
    """The team's canned responses in Redis, plus the FAQ answers (``faqs``: a callable giving
    ``{key: bot.faq.reader.Faq}``, cached :data:`FAQ_CACHE_SECONDS`)."""

    def __init__(self, client: redis_lib.Redis[Any], prefix: str = "carebot",
                 faqs: Callable[[], Mapping[str, Any]] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = client
        self.keys = CannedKeys(prefix)
        self._faqs = faqs
        self._faq_cache: tuple[float, dict[str, Canned]] | None = None
        self._clock = clock
        self._script = client.register_script(_SCRIPT)

    # -- reading ----------------------------------------------------------------------------

    def faq_items(self) -> dict[str, Canned]:
        """The bot's FAQ answers as read-only canned responses (``faq/<key>``)."""
        if self._faqs is None:
            return {}
        now = time.monotonic()
        if self._faq_cache is None or now - self._faq_cache[0] > FAQ_CACHE_SECONDS:
            items = {}
            for key, faq in self._faqs().items():
                answer = getattr(faq, "answer", "") or ""
                if not answer:
                    continue
                title = getattr(faq, "description", "") or key.replace("_", " ")
                items[FAQ_PREFIX + key] = Canned(FAQ_PREFIX + key, str(title)[:MAX_TITLE],
                                                 str(answer), source="faq")
            self._faq_cache = (now, items)
        return dict(self._faq_cache[1])

    @staticmethod
    def _from_hash(h: Mapping[Any, Any]) -> Canned:
        f = {text_of(k): text_of(v) for k, v in h.items()}

        def num(name: str) -> float | None:
            return float(f[name]) if f.get(name) else None

        return Canned(key=f["key"], title=f.get("title", ""), text=f.get("text", ""),
                      created_by=f.get("created_by"), created_at=num("created_at"),
                      updated_by=f.get("updated_by"), updated_at=num("updated_at"),
                      uses=int(f.get("uses") or 0), last_used_at=num("last_used_at"))

    def team(self) -> list[Canned]:
        keys = [text_of(k) for k in self.redis.zrange(self.keys.index, 0, -1)]
        pipe = self.redis.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(self.keys.item(key))
        return [self._from_hash(h) for h in pipe.execute() if h] if keys else []

    def list(self, query: str = "", limit: int = MAX_CANNED + 200) -> list[Canned]:
        """Team responses and FAQ answers matching ``query`` (key, title or text; every word),
        key matches first, then the most used; all of them when ``query`` is empty."""
        items = self.team()
        faq = self.faq_items()
        if faq:
            uses = {text_of(k): int(v) for k, v in self.redis.hgetall(self.keys.faq_uses).items()}
            for item in faq.values():
                item.uses = uses.get(item.key, 0)
            items += list(faq.values())
        terms = query.lower().split()

        def rank(c: Canned) -> int | None:
            if not terms:
                return 0
            head = (c.key + " " + c.title).lower()
            body = head + " " + c.text.lower()
            if not all(t in body for t in terms):
                return None
            if c.key.lower().startswith(terms[0]):
                return 0
            return 1 if all(t in head for t in terms) else 2

        ranked = [(r, c) for c in items if (r := rank(c)) is not None]
        ranked.sort(key=lambda rc: (rc[0], rc[1].source != "team", -rc[1].uses, rc[1].key))
        return [c for _, c in ranked[:limit]]

    def get(self, key: str) -> Canned:
        if key.startswith(FAQ_PREFIX):
            item = self.faq_items().get(key)
            if item is None:
                raise CannedError(404, "No such canned response.")
            item.uses = int(self.redis.hget(self.keys.faq_uses, key) or 0)
            return item
        h = self.redis.hgetall(self.keys.item(check_key(key)))
        if not h:
            raise CannedError(404, "No such canned response.")
        return self._from_hash(h)

    # -- writing (permission ``canned``) ----------------------------------------------------

    def _write(self, op: str, key: str, fields: dict[str, str]) -> int:
        return int(self._script(args=[op, self.keys.item(key), self.keys.index, key,
                                      repr(float(self._clock())), json.dumps(fields),
                                      MAX_CANNED]))

    def create(self, key: Any, title: Any, text: Any, by: str) -> Canned:
        key = check_key(key)
        fields = {"title": check_text(title, "title", MAX_TITLE), "text": check_template(text),
                  "created_by": by, "updated_by": by}
        done = self._write("create", key, fields)
        if done == 0:
            raise CannedError(409, f"A canned response '{key}' exists already.")
        if done < 0:
            raise CannedError(422, f"There are {MAX_CANNED} canned responses already.")
        return self.get(key)

    def update(self, key: str, by: str, title: Any = None, text: Any = None) -> Canned:
        if key.startswith(FAQ_PREFIX):
            raise CannedError(403, "FAQ answers are read-only here: trainers change them "
                              "through the FAQ review.")
        key = check_key(key)
        fields = {"updated_by": by}
        if title is not None:
            fields["title"] = check_text(title, "title", MAX_TITLE)
        if text is not None:
            fields["text"] = check_template(text)
        if len(fields) == 1:
            raise CannedError(422, "Send 'title' and/or 'text'.")
        if self._write("update", key, fields) == 0:
            raise CannedError(404, "No such canned response.")
        return self.get(key)

    def delete(self, key: str) -> None:
        if key.startswith(FAQ_PREFIX):
            raise CannedError(403, "FAQ answers are read-only here.")
        key = check_key(key)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.item(key))
        pipe.zrem(self.keys.index, key)
        if not pipe.execute()[0]:
            raise CannedError(404, "No such canned response.")

    def use(self, key: str) -> None:
        """Count one use (rendered for a ticket)."""
        if key.startswith(FAQ_PREFIX):
            self.redis.hincrby(self.keys.faq_uses, key, 1)
        else:
            self._write("use", key, {})


# -- variables ----------------------------------------------------------------------------------


def _clean(value: Any, limit: int = 64) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    if not value or len(value) > limit or any(ord(c) < 32 for c in value) \
            or "{{" in value or "⟦" in value:
        return None
    return value


def follower_first_name(ticket: Any) -> str | None:
    """The follower's first name when the channel gave one: a ``profile`` on the ticket, else
    the newest follower message metadata with ``profile.first_name`` / ``profile.name`` /
    ``first_name`` / ``name``."""
    sources: list[Any] = []
    profile = getattr(ticket, "profile", None)
    if isinstance(profile, dict):
        sources.append(profile)
    for message in reversed(getattr(ticket, "transcript", []) or []):
        if isinstance(message, dict) and message.get("role") == "follower":
            meta = message.get("metadata")
            if isinstance(meta, dict):
                if isinstance(meta.get("profile"), dict):
                    sources.append(meta["profile"])
                sources.append(meta)
    for source in sources:
        first = _clean(source.get("first_name"), 40)
        if first:
            return first
        name = _clean(source.get("name"), 80)
        if name:
            return name.split()[0]
    return None


def entity(ticket: Any, name: str) -> str | None:
    """The newest value of an NLU entity on the ticket (``nlu.entities``: Rasa's list of
    ``{"entity", "value"}``, or a ``{name: value | [values]}`` mapping)."""
    nlu = getattr(ticket, "nlu", None)
    found = nlu.get("entities") if isinstance(nlu, dict) else None
    values: list[Any] = []
    if isinstance(found, list):
        values = [e.get("value") for e in found if isinstance(e, dict) and e.get("entity") == name]
    elif isinstance(found, dict):
        raw = found.get(name)
        values = raw if isinstance(raw, list) else [raw]
    for value in reversed(values):
        cleaned = _clean(value)
        if cleaned:
            return cleaned
    return None


def ticket_values(ticket: Any, agent_name: str) -> dict[str, str | None]:
    """What each variable is for this ticket and agent (None: nobody knows)."""
    agent = agent_name[:1].upper() + agent_name[1:] if agent_name else None
    return {
        "first_name": follower_first_name(ticket),
        "order_number": entity(ticket, "order_number"),
        "tracking_number": entity(ticket, "tracking_number"),
        "agent_name": agent,
    }


@dataclass
class Rendered:
    text: str
    missing: list[str]
    values: dict[str, str | None]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def render(text: str, values: Mapping[str, str | None]) -> Rendered:
    """``text`` with its variables filled; unknown values (and unknown variables) as blanks."""
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name) if name in VARIABLES else None
        if value:
            return value
        if name not in missing:
            missing.append(name)
        return blank(name)

    used = {m.group(1) for m in VAR_RE.finditer(text)}
    return Rendered(VAR_RE.sub(fill, text), missing,
                    {k: v for k, v in values.items() if k in used})
