"""Load benchmark, the followers: what they say and how they send it (``bench/load_bench.py``).

Each follower holds its own conversations and sends its messages one at a time through Rasa's
REST channel, waiting for the reply and then a think time before the next (see
``bench/load_bench.py``). The texts are held-out phrasings: none of them is in ``data/``.

Each conversation starts with ``POST /webhooks/rest/session``: carebot issues its id and token
(``bot.channels.web``; not timed); a server without that route (stock Rasa) takes the bench's own
name for it.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parent.parent

# -- what the followers say (held-out phrasings: none of them is in data/) --------------------

FAQ = [
    "how many days till my hoodie gets to me", "roughly how long is delivery to florida with "
    "standard shipping", "is delivery free if i spend 80 dollars", "can you deliver a jacket to "
    "italy", "how long would delivery to australia take", "i need the tracking link for my last "
    "order", "how do i send back a fleece that doesnt suit me", "is it possible to return "
    "something in one of your shops", "you got my return yesterday so when is my money back",
    "could i swap these pants for a size 34", "is swapping my boots for a half size up free",
    "is klarna an option on your website", "where do i type in my coupon at checkout",
    "is there any promo for first time buyers", "do you sell e gift cards i can email to a "
    "friend", "what time does your chicago shop close tonight", "what are the opening times this "
    "saturday", "where would i find your nearest store to me", "will the black pack come back in "
    "stock soon", "any idea when the trail pants will be restocked", "where can i see the "
    "measurements for your pants", "how many years of warranty do jackets have", "what is the "
    "right way to wash a down parka", "how eco friendly are your jackets", "do you still use pfc "
    "chemicals on your gear", "how do i get a new password link", "please stop emailing me your "
    "promotions", "i want to opt out of the newsletter", "can my order go to my office address "
    "instead", "i need to cancel the order i just placed", "what do my reward points get me",
    "can you price match a jacket i bought last week", "what email do i use to reach your team",
    "how do i apply for a job at your store", "is ridgeline hiring part time staff",
]
GREET = ["hello there, how are you doing", "hey hey ridgeline team 👋",
         "good morning from colorado team", "hi!"]
THANKS = ["thank you very much for that", "thanks so much for the quick help",
          "really appreciate your help with this"]
BYE = ["ok that's all, bye for today", "alright that is everything from me, goodbye",
       "see you later, take care now"]
BOT = ["wait am i chatting with a bot", "is this message written by a human",
       "are you a person or an AI"]
ESCALATE = [
    "can i please speak with a real agent", "i would like to talk to a human please",
    "my new jacket came with a broken zip", "the boots i got today have a torn seam",
    "tracking shows delivered but my parcel isn't here", "my order seems to be lost by the "
    "courier", "i see the same charge twice on my card", "you billed my paypal two times for one "
    "order", "someone placed orders on my account that aren't mine", "i think somebody got into "
    "my ridgeline account", "i will be taking you to small claims court", "my lawyer will "
    "contact you about this", "the jacket zip sliced my thumb open", "i'm a reporter and would "
    "like a comment", "would you like to collab with my hiking channel",
    "three weeks and still no package, this is ridiculous",
    "wow, great service, my order is a month late 🙄",
    "this is the worst customer service i have ever had",
]


def conversation(rng: random.Random) -> list[tuple[str, str]]:
    """One follower conversation: ``(kind, text)`` pairs; kind is faq|smalltalk|escalate."""
    r = rng.random()
    turns: list[tuple[str, str]] = []
    if r < 0.55:  # questions
        if rng.random() < 0.5:
            turns.append(("smalltalk", rng.choice(GREET)))
        turns += [("faq", rng.choice(FAQ)) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.5:
            turns.append(("smalltalk", rng.choice(THANKS)))
        if rng.random() < 0.3:
            turns.append(("smalltalk", rng.choice(BYE)))
    elif r < 0.75:  # small talk
        turns += [("smalltalk", rng.choice(GREET)), ("smalltalk", rng.choice(BOT)),
                  ("smalltalk", rng.choice(THANKS + BYE))]
    else:  # a problem for a person
        if rng.random() < 0.4:
            turns.append(("smalltalk", rng.choice(GREET)))
        if rng.random() < 0.5:
            turns.append(("faq", rng.choice(FAQ)))
        turns.append(("escalate", rng.choice(ESCALATE)))
    return turns


def handoff_prefixes(home: Path = ROOT) -> list[str]:
    """The start of every hand-off response (text before ``{wait}``), from the domain."""
    import yaml

    prefixes = []
    for path in sorted((home / "config" / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (data.get("responses") or {}).items():
            if name.startswith("utter_handoff"):
                for variant in variants or []:
                    text = str(variant.get("text") or "").split("{", 1)[0].strip()
                    if text:
                        prefixes.append(text[:40])
    return prefixes or ["I've passed"]


@dataclass
class Sent:
    sender: str
    seq: int
    kind: str
    text: str
    ms: float
    ok: bool
    error: str = ""
    replies: int = 0
    escalated: bool = False
    conversation: str = ""
    """The id the server knows the conversation by (carebot issues it; else ``sender``)."""



_NO_SESSIONS: set[str] = set()  # REST URLs without carebot's session route (stock Rasa)


async def open_conversation(session: Any, url: str, name: str,
                            timeout: float) -> tuple[str, dict[str, str]]:
    """The id to send as and the headers to send with: carebot's issued id and token, or
    ``name`` on a server that does not issue them."""
    import aiohttp

    if url not in _NO_SESSIONS:
        try:
            async with session.post(url.rsplit("/", 1)[0] + "/session",
                                    timeout=aiohttp.ClientTimeout(total=timeout)) as res:
                if res.status == 201:
                    data = await res.json()
                    return str(data["sender"]), {"X-Carebot-Token": str(data["token"])}
                if res.status in (404, 405):
                    _NO_SESSIONS.add(url)
        except (asyncio.TimeoutError, aiohttp.ClientError, OSError, ValueError, KeyError):
            pass
    return name, {}


async def _send(session: Any, url: str, sender: str, text: str, timeout: float,
                prefixes: Sequence[str],
                headers: dict[str, str] | None = None) -> tuple[bool, str, int, bool]:
    import aiohttp

    try:
        async with session.post(url, json={"sender": sender, "message": text}, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as res:
            body = await res.read()
            if res.status != 200:
                return False, f"http_{res.status}", 0, False
            replies = json.loads(body)
    except asyncio.TimeoutError:
        return False, "timeout", 0, False
    except (aiohttp.ClientError, OSError, ValueError) as error:
        return False, error.__class__.__name__, 0, False
    if not isinstance(replies, list) or not replies:
        return False, "no_reply", 0, False
    texts = [str(m.get("text") or "") for m in replies if isinstance(m, dict)]
    escalated = any(t.startswith(p) for t in texts for p in prefixes)
    return True, "", len(replies), escalated


async def _follower(i: int, run_id: str, session: Any, rest: str, messages: int, think_ms: float,
                    seed: int, timeout: float, prefixes: Sequence[str], out: list[Sent]) -> None:
    rng = random.Random(seed * 100_003 + i)
    think = think_ms / 1000.0
    if think:
        await asyncio.sleep(rng.random() * think)  # followers do not start in step
    left, conv = messages, 0
    while left > 0:
        sender = f"{run_id}-f{i}-c{conv}"
        conv += 1
        server_id, headers = await open_conversation(session, rest, sender, timeout)
        for seq, (kind, text) in enumerate(conversation(rng)[:left]):
            if think and left < messages:  # reading the reply, typing the next message
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            start = time.perf_counter()
            ok, error, n, escalated = await _send(session, rest, server_id, text, timeout,
                                                  prefixes, headers)
            out.append(Sent(sender, seq, kind, text, (time.perf_counter() - start) * 1000, ok,
                            error, n, escalated, server_id))
            left -= 1
            if escalated or not ok:
                break  # a person owns it now (or it failed): a new conversation next


async def run_followers(base: str, run_id: str, senders: int, messages: int, think_ms: float,
                         seed: int, timeout: float, prefixes: Sequence[str]) -> tuple[list[Sent],
                                                                                     float]:
    import aiohttp

    rest = f"{base}/webhooks/rest/webhook"
    out: list[Sent] = []
    connector = aiohttp.TCPConnector(limit=senders + 8, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*[
            _follower(i, run_id, session, rest, messages, think_ms, seed, timeout, prefixes, out)
            for i in range(senders)
        ])
        wall = time.perf_counter() - t0
    return out, wall


async def warm_up(base: str, run_id: str, n: int, timeout: float) -> None:
    import aiohttp

    rest = f"{base}/webhooks/rest/webhook"
    texts = FAQ[:5] + GREET[:2] + ESCALATE[:1]
    async with aiohttp.ClientSession() as session:
        for k in range(n):
            sender, headers = await open_conversation(session, rest, f"{run_id}-warm{k}", timeout)
            await _send(session, rest, sender, texts[k % len(texts)], timeout, [], headers)
