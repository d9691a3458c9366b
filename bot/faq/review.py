"""The trainers' review list: proposals from ``carebot faq suggest`` and agents' flags, in Redis.

Nothing reaches ``data/`` without a trainer: a proposal waits as ``pending`` until a trainer
accepts it (then it is written with :class:`bot.faq.store.FaqStore`, after the same safety
checks as ``carebot faq add``), edits it, or rejects it. Every method returns JSON-ready
dicts, for the CLI and for the workspace API (``bot/workspace/review_routes.py``).

The proposal record (``R-000001``, its fields): :mod:`bot.faq.proposal`; the Redis keys and
message fingerprints: :mod:`bot.faq.review_keys`.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Sequence

import redis as redis_lib

from bot.faq.proposal import KINDS, TONE_LABELS, as_text, from_hash, new_proposal, to_hash
from bot.faq.review_keys import ReviewKeys, fingerprint
from bot.faq.schema import FaqError, check_key, clean_answer, clean_example, topic_file
from bot.faq.store import Change, FaqStore

if TYPE_CHECKING:
    from bot.settings import Settings


def _print(kind: str, message: dict[str, Any]) -> str:
    """The ``seen`` fingerprint of a proposal's message: tone flags have their own, so a message
    can be proposed for the FAQ and for its tone."""
    if kind == "tone":
        from bot.faq.tone_flag import tone_print

        return tone_print(str(message.get("ticket", "")), message["text"])
    return fingerprint(message.get("ticket", ""), message["text"])


class ReviewError(ValueError):
    """A review operation that cannot be done; ``code`` maps to an HTTP status."""

    def __init__(self, message: str, code: int = 400) -> None:
        super().__init__(message)
        self.code = code


class ReviewStore:
    """The review list of one Redis (its keys: :class:`bot.faq.review_keys.ReviewKeys`)."""

    def __init__(self, redis: redis_lib.Redis, prefix: str = "carebot",
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.keys = ReviewKeys(prefix)
        self.clock = clock

    # -- reading ------------------------------------------------------------------------------

    def get(self, pid: str) -> dict[str, Any]:
        raw = self.redis.hgetall(self.keys.item(pid))
        if not raw:
            raise ReviewError(f"no proposal {pid!r}", code=404)
        return from_hash(raw)

    def list(self, status: str = "pending", limit: int = 100) -> List[dict[str, Any]]:
        """Proposals: ``pending`` oldest first, ``decided`` (accepted + rejected) newest first,
        or ``accepted`` / ``rejected`` / ``all``."""
        if status == "pending":
            ids = self.redis.zrange(self.keys.pending, 0, limit - 1)
        elif status in ("decided", "accepted", "rejected", "all"):
            ids = list(self.redis.zrevrange(self.keys.decided, 0, -1))
            if status == "all":
                ids = list(self.redis.zrange(self.keys.pending, 0, -1)) + ids
        else:
            raise ReviewError(f"status {status!r}: expected pending, accepted, rejected, "
                              "decided or all")
        out = []
        for pid in ids:
            try:
                item = self.get(as_text(pid))
            except ReviewError:
                continue
            if status in ("accepted", "rejected") and item["status"] != status:
                continue
            out.append(item)
            if len(out) >= limit:
                break
        return out

    def seen(self, fingerprints: Iterable[str]) -> set[str]:
        prints = list(fingerprints)
        if not prints:
            return set()
        found = self.redis.hmget(self.keys.seen, prints)
        return {p for p, v in zip(prints, found, strict=True) if v is not None}

    def events(self, count: int = 100) -> List[dict[str, Any]]:
        out: List[dict[str, Any]] = []
        for entry_id, fields in self.redis.xrevrange(self.keys.events, count=count):
            event: dict[str, Any] = {as_text(k): as_text(v) for k, v in fields.items()}
            event["data"] = json.loads(event.get("data") or "{}")
            event["ts"] = float(event.get("ts") or 0)
            event["event_id"] = as_text(entry_id)
            out.append(event)
        return out

    # -- writing ------------------------------------------------------------------------------

    def _log(self, pipe: Any, kind: str, pid: str, actor: str, data: dict[str, Any]) -> None:
        pipe.xadd(self.keys.events, {"type": kind, "id": pid, "actor": actor,
                                     "ts": repr(self.clock()),
                                     "data": json.dumps(data, ensure_ascii=False)},
                  maxlen=10000, approximate=True)

    def create(self, proposal: dict[str, Any], actor: str = "carebot") -> dict[str, Any]:
        """Store a new pending proposal; its messages are marked seen."""
        kind = proposal.get("kind")
        if kind not in KINDS:
            raise ReviewError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
        now = self.clock()
        pid = f"R-{int(self.redis.incr(self.keys.seq)):06d}"
        data = new_proposal(pid, kind, proposal, now)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.item(pid), mapping=to_hash(data))
        pipe.zadd(self.keys.pending, {pid: now})
        for message in data["messages"]:
            pipe.hset(self.keys.seen, _print(kind, message), pid)
        self._log(pipe, "proposed", pid, actor, {"kind": kind, "key": data["key"],
                                                 "label": data["label"],
                                                 "messages": len(data["messages"])})
        pipe.execute()
        return self.get(pid)

    def _pending_for(self, key: str) -> str | None:
        """The pending ``examples`` proposal for FAQ ``key``, if any."""
        for item in self.list("pending", limit=10_000):
            if item["kind"] == "examples" and item["key"] == key:
                return str(item["id"])
        return None

    def merge(self, proposal: dict[str, Any], actor: str = "carebot") -> dict[str, Any]:
        """``examples`` proposals for a key with one pending already join it; else create."""
        if proposal.get("kind") == "examples":
            pid = self._pending_for(str(proposal.get("key")))
            if pid is not None:
                return self._extend(pid, proposal.get("messages") or [],
                                    proposal.get("examples") or [], actor)
        return self.create(proposal, actor)

    def _extend(self, pid: str, messages: Sequence[dict[str, Any]], examples: Sequence[str],
                actor: str) -> dict[str, Any]:
        def change(item: dict[str, Any]) -> None:
            known = {fingerprint(m.get("ticket", ""), m["text"]) for m in item["messages"]}
            for message in messages:
                if fingerprint(message.get("ticket", ""), message["text"]) not in known:
                    item["messages"].append(dict(message))
            for example in examples:
                if example not in item["examples"]:
                    item["examples"].append(example)

        item = self._update(pid, change, actor, "extended", {"messages": len(messages)})
        pipe = self.redis.pipeline(transaction=False)
        for message in messages:
            pipe.hset(self.keys.seen, fingerprint(message.get("ticket", ""), message["text"]), pid)
        pipe.execute()
        return item

    def _update(self, pid: str, change: Callable[[dict[str, Any]], None], actor: str,
                event: str, data: dict[str, Any], pending_only: bool = True) -> dict[str, Any]:
        """Read-modify-write of one proposal under WATCH (retried on a concurrent change)."""
        import redis as redis_lib

        key = self.keys.item(pid)
        for _ in range(20):
            with self.redis.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(key)
                    item = self.get(pid)
                    if pending_only and item["status"] != "pending":
                        raise ReviewError(f"{pid} is {item['status']} already", code=409)
                    change(item)
                    item["updated_at"] = self.clock()
                    pipe.multi()
                    pipe.hset(key, mapping=to_hash(item))
                    self._log(pipe, event, pid, actor, data)
                    pipe.execute()
                    return self.get(pid)
                except redis_lib.WatchError:
                    continue
        raise ReviewError(f"{pid} keeps changing; try again", code=409)

    def edit(
        self,
        pid: str,
        actor: str,
        *,
        kind: str | None = None,
        key: str | None = None,
        answer: str | None = None,
        examples: Sequence[str] | None = None,
        add_examples: Sequence[str] = (),
        remove_examples: Sequence[str] = (),
        topic: str | None = None,
        label: str | None = None,
    ) -> dict[str, Any]:
        """Change a pending proposal before accepting it (what accepting will write); ``label``:
        a ``tone`` proposal's label."""
        try:
            clean_key = check_key(key) if key is not None else None
            clean = [clean_example(e) for e in examples] if examples is not None else None
            added = [clean_example(e) for e in add_examples]
            text = clean_answer(answer) if answer is not None else None
            if topic:
                topic_file(topic)
        except FaqError as error:
            raise ReviewError(str(error)) from None
        if kind is not None and kind not in KINDS:
            raise ReviewError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
        if label is not None and label not in TONE_LABELS:
            raise ReviewError(f"label {label!r}: expected one of {', '.join(TONE_LABELS)}")
        changed: list[str] = []

        def change(item: dict[str, Any]) -> None:
            if (kind == "tone") != (item["kind"] == "tone") and kind is not None:
                raise ReviewError("a tone proposal stays a tone proposal (and an FAQ one an FAQ "
                                  "one): reject it instead")
            if label is not None:
                if item["kind"] != "tone":
                    raise ReviewError("only a tone proposal has a label")
                item["label"] = label
                changed.append("label")
            if kind is not None:
                item["kind"] = kind
                changed.append("kind")
            if clean_key is not None:
                item["key"] = clean_key
                changed.append("key")
            if text is not None:
                item["answer"] = text
                item["answer_source"] = f"edited by {actor}"
                changed.append("answer")
            if clean is not None:
                item["examples"] = list(dict.fromkeys(clean))
                changed.append("examples")
            if added or remove_examples:
                drop = {" ".join(e.split()) for e in remove_examples}
                item["examples"] = [e for e in item["examples"] if e not in drop]
                item["examples"] += [e for e in added if e not in item["examples"]]
                changed.append("examples")
            if topic is not None:
                item["topic"] = topic
                changed.append("topic")

        return self._update(pid, change, actor, "edited", {"fields": changed})

    def reject(self, pid: str, actor: str, reason: str = "") -> dict[str, Any]:
        """Close a pending proposal without writing anything; its messages stay seen."""

        def change(item: dict[str, Any]) -> None:
            item["status"] = "rejected"
            item["decided_by"] = actor
            item["decided_at"] = self.clock()
            item["note"] = reason.strip()

        item = self._update(pid, change, actor, "rejected", {"reason": reason.strip()})
        self._decided(pid, float(item["decided_at"]))
        return item

    def _decided(self, pid: str, when: float) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(self.keys.pending, pid)
        pipe.zadd(self.keys.decided, {pid: when})
        pipe.execute()

    def accept(
        self,
        pid: str,
        actor: str,
        store: FaqStore,
        *,
        key: str | None = None,
        answer: str | None = None,
        examples: Sequence[str] | None = None,
        topic: str | None = None,
        label: str | None = None,
    ) -> dict[str, Any]:
        """Write the (optionally edited) proposal to ``data/`` and mark it accepted.

        Refused (:class:`ReviewError`, nothing written) when the result would fail the safety
        checks of ``carebot faq add`` (see :func:`bot.faq.check.precheck`). A ``tone``
        proposal appends its message, with its (or the given) ``label``, to
        ``data/tone/reviewed.yml`` (:func:`bot.faq.tone_flag.append_reviewed`)."""
        from bot.faq.check import precheck

        if any(v is not None for v in (key, answer, examples, topic, label)):
            self.edit(pid, actor, key=key, answer=answer, examples=examples, topic=topic,
                      label=label)
        token = uuid.uuid4().hex
        if not self.redis.set(self.keys.lock(pid), token, nx=True, ex=60):
            raise ReviewError(f"{pid} is being accepted by someone else", code=409)
        try:
            item = self.get(pid)
            if item["status"] != "pending":
                raise ReviewError(f"{pid} is {item['status']} already", code=409)
            change: Change | None
            if item["kind"] == "tone":
                return self._accept_tone(pid, item, actor, store)
            if item["kind"] == "negative":
                return self._accept_negative(pid, item, actor, store)
            try:
                faq_key = check_key(item["key"])
                if item["kind"] == "new_faq":
                    problems = precheck(store, faq_key, item["examples"], item["answer"],
                                        new=True)
                    if problems:
                        raise ReviewError(f"{pid} cannot be accepted yet: " + "; ".join(problems))
                    change = store.add(faq_key, item["answer"], item["examples"],
                                       topic=item["topic"] or None)
                else:
                    current = {e.text for e in store.get(faq_key).examples}
                    fresh = [e for e in item["examples"] if e not in current]
                    problems = precheck(store, faq_key, fresh, None, new=False)
                    if problems:
                        raise ReviewError(f"{pid} cannot be accepted yet: " + "; ".join(problems))
                    change = store.add_examples(faq_key, fresh) if fresh else None
            except FaqError as error:
                raise ReviewError(f"{pid} cannot be accepted: {error}") from None
            result = change.to_dict() if change is not None else {
                "files": [], "summary": ["every example was in the FAQ already"]}

            return self._mark_accepted(pid, actor, result,
                                       {"kind": item["kind"], "key": faq_key, **result})
        finally:
            if as_text(self.redis.get(self.keys.lock(pid)) or "") == token:
                self.redis.delete(self.keys.lock(pid))

    def _accept_negative(self, pid: str, item: dict[str, Any], actor: str,
                         store: FaqStore) -> dict[str, Any]:
        """A negative proposal: its examples join the ``out_of_scope`` class
        (:func:`bot.faq.negative.add_negatives`)."""
        from bot.faq.negative import add_negatives

        result = add_negatives(store, item["examples"]).to_dict()
        return self._mark_accepted(pid, actor, result,
                                   {"kind": "negative", "key": item["key"], **result})

    def _mark_accepted(self, pid: str, actor: str, result: dict[str, Any],
                       details: dict[str, Any]) -> dict[str, Any]:
        """Record that ``actor`` accepted ``pid`` with ``result`` (its history entry carries
        ``details``) and file it under the decided proposals."""

        def mark(entry: dict[str, Any]) -> None:
            entry["status"] = "accepted"
            entry["decided_by"] = actor
            entry["decided_at"] = self.clock()
            entry["result"] = result

        accepted = self._update(pid, mark, actor, "accepted", details)
        self._decided(pid, float(accepted["decided_at"]))
        return accepted

    def _accept_tone(self, pid: str, item: dict[str, Any], actor: str,
                     store: FaqStore) -> dict[str, Any]:
        """A tone proposal: its message(s) go to ``data/tone/reviewed.yml`` with its label."""
        from bot.faq.tone_flag import append_reviewed

        label = str(item.get("label") or "")
        if label not in TONE_LABELS:
            raise ReviewError(f"{pid} has no tone label; edit it first")
        files: list[str] = []
        summary: list[str] = []
        for message in item["messages"]:
            done = append_reviewed(
                store.home, str(message["text"]), label, clock=self.clock(),
                provenance=f"{pid} {message.get('ticket', '')} flagged by "
                           f"{message.get('flagged_by', '')} accepted by {actor}")
            files += [f for f in done["files"] if f not in files]
            summary += done["summary"]
        result = {"files": files, "summary": summary}

        def mark(entry: dict[str, Any]) -> None:
            entry["status"] = "accepted"
            entry["decided_by"] = actor
            entry["decided_at"] = self.clock()
            entry["result"] = result

        accepted = self._update(pid, mark, actor, "accepted",
                                {"kind": "tone", "label": label, **result})
        self._decided(pid, float(accepted["decided_at"]))
        return accepted


def review_store(settings: Settings, redis: redis_lib.Redis | None = None) -> ReviewStore:
    from bot import redis as bot_redis

    client = redis or bot_redis.client(settings.redis_url, timeout=10)
    return ReviewStore(client, prefix=settings.queue_prefix)
