"""The search index the queue's scripts keep (bot.queue.index) and the queries on it
(bot.queue.search), on real Redis."""

from __future__ import annotations

import re
from typing import Any

import pytest
import redis

from bot.queue import AgentQueue, Keys
from bot.queue import search as search_mod
from bot.queue.index import LUA, MAX_WORDS, STOPWORDS, script_head, words
from bot.queue.labels import Labels
from bot.queue.search import Query, SearchError, SearchIndex, parse_time
from tests.conftest import T0, FakeClock, check_invariants, make_escalation

DAY = 86400.0


def follower(text: str, ts: float = 1.0, **extra: Any) -> dict[str, Any]:
    return {"role": "follower", "text": text, "ts": ts, **extra}


def ids(index: SearchIndex, **query: Any) -> list[str]:
    return [row["id"] for row in index.search(Query(**query)).hits]


@pytest.fixture
def index(redis_client: redis.Redis) -> SearchIndex:
    return SearchIndex(redis_client)


SAMPLES = [
    "My ORDER #4417 arrived BROKEN — café Ñandú 😡late don’t",
    "ÉCOLE × ÀÉÎÕÜ straße «quoted» ¿qué? 100% a1b2 x",
    "ridgeline-outfitters.example/track/4417 e-mail: ANA@example.com",
    "emoji👍🏽between ❤️ words ☕ and 中文文本 and ｆｕｌｌ",
    "the and or of " + "word " * 3 + "a" * 41 + " " + "b" * 40,
    "tab\tnew\nline\r\nzero\u200bwidth\u00a0nbsp",
    "",
]


def test_lua_and_python_make_the_same_words(redis_client: redis.Redis) -> None:
    script = ("local P = 'x:'\nlocal function tkey(id) return P .. id end\n"
              "local function mkey(id) return P .. id end\n" + LUA +
              "\nreturn search_words(ARGV[1])")
    for text in SAMPLES:
        assert redis_client.eval(script, 0, text) == words(text), text
    assert words(SAMPLES[0]) == ["order", "4417", "arrived", "broken", "café", "ñandú", "late",
                                 "don"]
    assert "the" in STOPWORDS and "b" * 40 in words(SAMPLES[4]) and "a" * 41 not in words(
        SAMPLES[4])


def test_words_of_every_change_are_found_newest_first(
    queue: AgentQueue, clock: FakeClock, index: SearchIndex
) -> None:
    late = queue.escalate(make_escalation(
        "u1", transcript=[follower("My parcel is two weeks late")])).ticket_id
    clock.advance(60)
    broken = queue.escalate(make_escalation(
        "u2", channel="instagram", transcript=[follower("The zipper arrived broken")])).ticket_id
    clock.advance(60)
    both = queue.escalate(make_escalation(
        "u3", transcript=[follower("Late AND broken, unbelievable")])).ticket_id
    assert ids(index, text="late") == [both, late]
    assert ids(index, text="broken late") == [both]
    assert ids(index, text="BROKEN") == [both, broken]
    assert ids(index, text="zipper broken", channel="instagram") == [broken]
    assert ids(index, text="zipper", channel="whatsapp") == []
    assert ids(index, text="refund") == []
    # a follower message later, and the agent's reply: their words are found too
    queue.add_follower_message("whatsapp", "u1", "I want a refund now")
    assert ids(index, text="refund") == [late]
    queue.claim(late, "ana")
    queue.reply(late, "ana", "Your replacement ships tomorrow")
    assert ids(index, text="replacement", agent="ana") == [late]
    # the follower's id is a word of the ticket
    assert ids(index, text="u2") == [broken]
    check_invariants(queue.redis)


def test_filters_follow_status_agent_reason_and_dates(
    queue: AgentQueue, clock: FakeClock, index: SearchIndex
) -> None:
    a = queue.escalate(make_escalation("u1", reasons=["sarcasm"])).ticket_id
    clock.advance(DAY)
    b = queue.escalate(make_escalation("u2", reasons=["asked_for_human"])).ticket_id
    clock.advance(DAY)
    c = queue.escalate(make_escalation("u3", reasons=["asked_for_human", "sarcasm"])).ticket_id
    assert ids(index, status="queued") == [c, b, a]
    queue.claim(b, "ana")
    assert ids(index, status="queued") == [c, a] and ids(index, status="claimed") == [b]
    assert ids(index, status="open") == [c, b, a]
    queue.resolve(b, "ana")
    assert ids(index, status="resolved") == [b] and ids(index, status="open") == [c, a]
    assert ids(index, agent="ana") == [b] and ids(index, agent="ana", status="queued") == []
    queue.claim(a, "bob")
    queue.release(a, "bob")  # bob held it once: still his to find
    assert ids(index, agent="bob", status="queued") == [a]
    assert ids(index, reason="sarcasm") == [c, a]
    assert ids(index, reason="sarcasm", status="open") == [c, a]
    # the date range is the creation time, inclusive
    assert ids(index, start=T0 + DAY, end=T0 + DAY) == [b]
    assert ids(index, start=T0 + 1) == [c, b]
    assert ids(index, end=T0 + DAY, reason="asked_for_human") == [b]
    # merging a new reason into an open ticket indexes it
    queue.escalate(make_escalation("u1", reasons=["negative_tone"]))
    assert ids(index, reason="negative_tone") == [a]


def test_labels_are_a_filter(queue: AgentQueue, clock: FakeClock, index: SearchIndex) -> None:
    labels = Labels(queue)
    a = queue.escalate(make_escalation("u1")).ticket_id
    clock.advance(DAY)
    b = queue.escalate(make_escalation("u2")).ticket_id
    labels.add(a, "ana", "vip")
    labels.add(b, "ana", "vip")
    assert ids(index, label="vip") == [b, a]
    assert ids(index, label="vip", start=T0, end=T0 + 10) == [a]
    labels.remove(b, "ana", "vip")
    assert ids(index, label="vip") == [a] and ids(index, label="nope") == []


def test_the_last_word_matches_as_a_prefix_and_common_words_are_ignored(
    queue: AgentQueue, clock: FakeClock, index: SearchIndex
) -> None:
    a = queue.escalate(make_escalation(
        "u1", transcript=[follower("where is my refund voucher")])).ticket_id
    clock.advance(1)
    b = queue.escalate(make_escalation("u2", transcript=[follower("was it refunded?")])).ticket_id
    clock.advance(1)
    queue.escalate(make_escalation("u3", transcript=[follower("my referral code")]))
    assert ids(index, text="refu") == [b, a]
    assert ids(index, text="refund") == [b, a]  # refunded starts with refund
    assert ids(index, text="refund voucher") == [a]  # only the last word is a prefix
    assert ids(index, text="re") == []  # two letters: the word itself only
    result = index.search(Query(text="voucher is the"))
    assert result.words == ["voucher"] and "the" in result.ignored and [
        r["id"] for r in result.hits] == [a]
    only_common = index.search(Query(text="the and is"))
    assert only_common.hits == [] and only_common.total == 0 and only_common.words == []


def test_rows_have_a_snippet_around_the_matched_word(
    queue: AgentQueue, index: SearchIndex
) -> None:
    long = "Hello there. " * 20 + "The hood of my rain jacket tore after one hike. " + "ok " * 30
    tid = queue.escalate(make_escalation("u1", transcript=[follower(long)])).ticket_id
    [row] = index.search(Query(text="hood")).hits
    assert row["id"] == tid and row["status"] == "queued" and row["channel"] == "whatsapp"
    assert "hood of my rain jacket" in row["snippet"] and row["snippet"].startswith("…")
    assert len(row["snippet"]) <= search_mod.SNIPPET_CHARS + 2
    assert row["reasons"] == ["negative_tone"] and row["labels"] == []
    assert row["created_at"] == T0


def test_limit_offset_total_and_the_intersection_path(
    queue: AgentQueue, clock: FakeClock, index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = []
    for i in range(30):
        channel = "x" if i % 3 == 0 else "telegram"
        text = "parcel lost" if i % 2 == 0 else "parcel fine"
        made.append(queue.escalate(make_escalation(
            f"u{i}", channel=channel, transcript=[follower(text)])).ticket_id)
        clock.advance(10)
    newest_first = made[::-1]
    lost_x = [t for i, t in enumerate(made) if i % 6 == 0][::-1]
    first = index.search(Query(text="lost", channel="x", limit=2))
    assert [r["id"] for r in first.hits] == lost_x[:2] and first.more
    walked = index.search(Query(text="lost", channel="x", limit=10))
    assert [r["id"] for r in walked.hits] == lost_x and walked.total == 5 and not walked.more
    assert ids(index, text="lost", channel="x", limit=2, offset=2) == lost_x[2:4]
    assert ids(index, text="parcel", limit=5) == newest_first[:5]
    single = index.search(Query(text="parcel", limit=5))
    assert single.total == 30 and single.more and single.strategy == "one set"
    # with a budget too small to walk, the same answers come from ZINTERSTORE
    monkeypatch.setattr(search_mod, "SCAN_BUDGET", 1)
    crossed = index.search(Query(text="lost", channel="x", limit=3, start=T0 + 1))
    assert crossed.strategy == "intersect"
    assert [r["id"] for r in crossed.hits] == lost_x[:3] and crossed.total == 4
    queue.claim(lost_x[0], "ana")
    opened = index.search(Query(text="lost", channel="x", status="open", limit=3))
    assert opened.strategy == "intersect" and opened.total == 5
    assert [r["id"] for r in opened.hits] == lost_x[:3]
    assert not queue.redis.keys("carebot:idx:tmp:*")  # scratch sets are gone


def test_queries_are_checked() -> None:
    for bad in ({"status": "open-ish"}, {"limit": 0}, {"limit": 500}, {"channel": "a:b"},
                {"text": "x" * 300}, {"start": 5.0, "end": 1.0}, {"offset": -1}):
        with pytest.raises(SearchError):
            Query(**bad)
    assert parse_time("2024-05-01", "from") == 1714521600.0
    assert parse_time("2024-05-01", "to", end_of_day=True) == pytest.approx(1714607999.999999)
    assert parse_time("2024-05-01T12:00:00Z", "from") == 1714564800.0
    assert parse_time("1714564800", "from") == 1714564800.0
    with pytest.raises(SearchError, match="from"):
        parse_time("yesterday", "from")


def test_a_trimmed_transcript_is_indexed_from_where_it_stopped(
    queue: AgentQueue, index: SearchIndex
) -> None:
    """A ticket's message list may be capped (first message + newest ones, the dropped ones
    counted in ``trimmed_messages``): new messages are still the ones indexed."""
    tid = queue.escalate(make_escalation("u1", transcript=[follower("first words")])).ticket_id
    for word in ("alpha", "bravo", "charlie"):
        queue.add_follower_message("whatsapp", "u1", word)
    client, key = queue.redis, Keys().messages(tid)
    client.ltrim(key, -2, -1)
    client.lpush(key, '{"role":"follower","text":"first words","ts":1.0}')
    client.hset(Keys().ticket(tid), "trimmed_messages", 1)
    queue.add_follower_message("whatsapp", "u1", "delta")
    assert ids(index, text="delta") == [tid] and ids(index, text="charlie") == [tid]
    assert client.hget("carebot:idx:doc:" + tid, "upto") == "5"


def test_words_per_ticket_are_capped(queue: AgentQueue, index: SearchIndex) -> None:
    many = " ".join(f"w{i}" for i in range(MAX_WORDS + 50))
    tid = queue.escalate(make_escalation("u1", transcript=[follower(many)])).ticket_id
    assert int(queue.redis.hget("carebot:idx:doc:" + tid, "words") or 0) == MAX_WORDS
    assert ids(index, text="w5") == [tid] and ids(index, text=f"w{MAX_WORDS + 10}") == []


def test_follower_names_from_the_channel_are_words(queue: AgentQueue, index: SearchIndex) -> None:
    tid = queue.escalate(make_escalation("u1", transcript=[follower(
        "hi", metadata={"profile": {"name": "Marta Quintana"}})])).ticket_id
    assert ids(index, text="quintana") == [tid]


def test_reindex_rebuilds_the_index(queue: AgentQueue, clock: FakeClock,
                                    index: SearchIndex) -> None:
    a = queue.escalate(make_escalation("u1", transcript=[follower("lost parcel")])).ticket_id
    clock.advance(5)
    b = queue.escalate(make_escalation("u2", transcript=[follower("lost voucher")])).ticket_id
    queue.claim(a, "ana")
    queue.reply(a, "ana", "found it")
    queue.transfer(a, "ana", "bob")
    Labels(queue).add(b, "ana", "promo")
    before = {k: queue.redis.zrange(k, 0, -1) for k in queue.redis.keys("carebot:idx:*")
              if queue.redis.type(k) == "zset"}
    for key in queue.redis.keys("carebot:idx:*"):
        if not key.startswith("carebot:idx:label:"):
            queue.redis.delete(key)
    assert ids(index, text="lost") == []
    assert index.reindex(script_head(queue)) == 2
    after = {k: queue.redis.zrange(k, 0, -1) for k in queue.redis.keys("carebot:idx:*")
             if queue.redis.type(k) == "zset"}
    assert after == before
    assert ids(index, text="lost", agent="ana") == [a] and ids(index, agent="bob") == [a]


def test_search_and_label_keys_are_documented(queue: AgentQueue, index: SearchIndex) -> None:
    tid = queue.escalate(make_escalation("u1")).ticket_id
    Labels(queue).add(tid, "ana", "vip customer")
    queue.claim(tid, "ana")
    queue.resolve(tid, "ana")
    index.search(Query(text="message", status="open", label="vip customer"))
    patterns = re.findall(r"``\{p\}(:[^`]*)``", Keys.__doc__ or "")
    regexes = [re.compile("carebot" + re.sub(r"\\\{[A-Za-z_]+\\\}", "[^:]+", re.escape(p)) + "$")
               for p in patterns]
    for key in queue.redis.keys("*"):
        assert any(r.match(key) for r in regexes), f"{key} is not documented in Keys"
    assert queue.redis.keys("carebot:idx:label:*") == ["carebot:idx:label:vip customer"]


def test_forget_takes_a_ticket_out_of_every_set(queue: AgentQueue, index: SearchIndex) -> None:
    keep = queue.escalate(make_escalation("u2", transcript=[follower("parka zipper")])).ticket_id
    gone = queue.escalate(make_escalation("u1", transcript=[follower(
        "parka zipper broke", metadata={"profile": {"name": "Ada Lovelace"}})])).ticket_id
    queue.claim(gone, "ana")
    queue.reply(gone, "ana", "replacement ships")
    Labels(queue).add(gone, "ana", "vip")
    queue.resolve(gone, "ana")
    client = queue.redis
    client.hset(Keys().ticket(keep), "trimmed_messages", 0)
    index.forget([gone], script_head(queue))
    for key in client.keys("carebot:idx:*"):
        if client.type(key) == "zset":
            assert client.zscore(key, gone) is None, key
    assert not client.exists("carebot:idx:doc:" + gone)
    assert ids(index, text="parka") == [keep]
    # a transcript trimmed at its cap: every word set is swept for the id
    client.hset(Keys().ticket(keep), "trimmed_messages", 3)
    client.zadd("carebot:idx:w:dropped", {keep: 1.0})
    index.forget([keep], script_head(queue))
    assert client.zscore("carebot:idx:w:dropped", keep) is None
