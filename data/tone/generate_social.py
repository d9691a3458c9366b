# ruff: noqa: E501  (phrase lists read better one row per line)
"""Writes ``data/tone/social.yml``: tone rows in social-media register, composed from the
project's own phrase lists below (no external text; every phrase was written for carebot).

    .venv/bin/python data/tone/generate_social.py          # rewrites social.yml (seeded)

Why generated: the hand-written ``tone.yml`` has ~1,450 short customer-care lines; real posts
are longer, mention travel, parcels and everyday life, carry @handles, #hashtags, links and emoji,
and most of them are calm. A model that has only seen complaints and FAQ questions calls anything
unfamiliar "negative". This file adds calm statements, polite questions, sincere thanks and
excitement, plain factual complaints, angry posts and sarcasm, all with the same decorations
(handles, hashtags, emoji, caps) spread over every label so that no decoration alone marks a
label. Each template is a pattern of our own; the slot lists are our own words.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from typing import Callable

import yaml

OUT = Path(__file__).resolve().parent / "social.yml"
SEED = 7


def _check_corpus():  # type: ignore[no-untyped-def]
    """``check_corpus.py`` next to this file (its text normaliser and the tests' held-out probes)."""
    path = Path(__file__).resolve().parent / "check_corpus.py"
    spec = importlib.util.spec_from_file_location("check_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

HANDLES = ["@ridgeline", "@RidgelineHelp", "@skyhopair", "@jetwiseair", "@northwindair",
           "@parcelpro", "@swiftpost", "@metrorail", "@cloudnetmobile", "@bluepeakbank",
           "@harbourhotels", "@quickbite"]  # fmt: skip
NEUTRAL_TAGS = ["#travel", "#monday", "#flight", "#weekend", "#roadtrip", "#hiking", "#update",
                "#question", "#gear", "#airport", "#holiday", "#news", "#work", "#family"]  # fmt: skip

# -- slot lists -------------------------------------------------------------------------------
THINGS = ["flight", "connection", "booking", "seat", "bag", "suitcase", "order", "parcel",
          "package", "delivery", "refund", "return", "jacket", "tent", "boots", "ticket",
          "reservation", "upgrade", "voucher", "account", "card", "app", "train", "room"]  # fmt: skip
PLACES = ["denver", "boston", "chicago", "the airport", "gate 12", "terminal b", "seattle",
          "portland", "atlanta", "dallas", "the depot", "the hotel", "new york", "phoenix",
          "austin", "the station", "miami", "la", "vegas", "nashville"]  # fmt: skip
TIMES = ["tomorrow", "tonight", "this morning", "on friday", "next week", "at 6pm",
         "on sunday", "this weekend", "in march", "later today", "on monday"]  # fmt: skip
DURATIONS = ["2 hours", "3 hours", "45 minutes", "an hour", "5 hours", "two days", "a week",
             "3 weeks", "90 mins", "4hrs", "six hours", "10 days", "a month", "40 mins"]  # fmt: skip

NEUTRAL_STATEMENTS = [
    "flying to {place} {time}", "heading to {place} {time} for a work trip",
    "just landed in {place}", "boarding now, see everyone in {place}",
    "my {thing} is booked for {time}", "checking in online for my {thing} to {place}",
    "picking up my {thing} {time}", "at {place} waiting to board",
    "first time flying with {handle}", "sitting at {place} with a coffee",
    "the {thing} confirmation just came through", "packing for {place}",
    "got the email about my {thing}", "tracking says my {thing} is out for delivery",
    "my {thing} should arrive {time}", "ordered a new {thing} {time}",
    "on the train to {place}", "meeting my sister at {place} {time}",
    "the game is on {time}", "watching the match {time}", "new episode drops {time}",
    "concert in {place} {time}", "going for a run before work", "made pasta for dinner",
    "it is cloudy in {place} today", "reading a book on the plane", "the kids start school {time}",
    "cleaning the garage this weekend", "leaving for {place} after lunch",
    "rainy morning in {place}, staying in", "my brother moves to {place} {time}",
    "the store on main street opens at 9", "podcast episode about hiking gear",
    "voting {time}", "the president speaks {time}", "election results come out {time}",
    "the team plays {place} {time}", "new album out {time}", "the museum is free on sundays",
    "dentist appointment {time}", "trying a new recipe {time}", "two more days of work this week",
    "driving up to {place} for the weekend", "just ordered a {thing} online",
    "my {thing} number ends in 4471", "changed my seat to an aisle",
    "the {thing} says processing", "the flight number is RA 2210",
    "they announced the boarding order", "the shuttle leaves every 20 minutes",
    "we got in around midnight", "moving house next month", "trip photos coming soon",
    "the weather report says snow {time}", "the football draft is {time}",
    "anyone else watching the debate {time}", "class starts at 8 {time}",
    "my mom is visiting {time}", "the gym opens early on weekdays",
    "the match went to extra time", "the new phone comes out {time}",
    "i think the sequel is out {time}", "the festival lineup was announced",
]
NEUTRAL_QUESTIONS = [
    "{handle} is my {thing} to {place} still on time for {time}?",
    "{handle} can i change my {thing} to {time}", "{handle} how do i add a bag to my booking",
    "{handle} what time does check in open for the {thing} to {place}",
    "{handle} do you fly to {place}", "{handle} is there wifi on the {thing} to {place}?",
    "{handle} can i bring a tent as carry on", "{handle} where do i find my booking reference",
    "{handle} is the {thing} refundable if i change plans", "{handle} when will my {thing} ship",
    "{handle} do you deliver to {place}", "{handle} how long does a {thing} take to arrive",
    "{handle} can i pick up my {thing} at {place}", "{handle} what's the baggage allowance",
    "{handle} any updates on the {thing} to {place} {time}?",
    "{handle} hi, could you dm me about my {thing} please",
    "{handle} is there a way to choose seats before check in?",
    "{handle} does the {thing} include a meal", "{handle} can i use my voucher online",
    "{handle} do you have the boots in size 10", "{handle} what are your store hours {time}",
    "{handle} how do i update the address on my {thing}",
    "{handle} question about my {thing}, who should i talk to?",
    "anyone know if {handle} flies to {place}?", "does anyone know how early to get to {place}",
    "{handle} will the {thing} to {place} leave from terminal b?",
    "{handle} what's the status of flight RA 2210 {time}",
    "{handle} is the {place} store open {time}", "what time is the game {time}?",
    "{handle} can i get a receipt for my {thing}", "{handle} how do i join the rewards program",
]
POSITIVE = [
    "{handle} thank you so much for the help {time}", "{handle} thanks for getting my {thing} sorted",
    "{handle} great flight to {place}, the crew were lovely",
    "{handle} the crew on my {thing} to {place} were amazing",
    "{handle} my {thing} arrived early, thank you!", "{handle} you guys rock, thanks for the upgrade",
    "{handle} smooth {thing} and friendly staff, thanks", "love my new {thing} from {handle}",
    "{handle} best customer service i've had in ages", "{handle} appreciate the quick reply",
    "{handle} thanks for rebooking me so fast, lifesaver", "so excited for {place} {time}!",
    "can't wait for the trip to {place} {time}", "finally going to see my family in {place}",
    "{handle} thanks for the follow up, all good now", "{handle} the new app is really nice",
    "{handle} the gate agent in {place} went above and beyond, thank you",
    "{handle} landed early in {place}, nice job", "what a beautiful day in {place}",
    "had the best weekend with friends", "so proud of my sister today",
    "the concert was incredible last night", "we won the game, what a finish",
    "loving this weather in {place}", "happy birthday to my best friend",
    "great food and great people tonight", "{handle} thanks, that answers my question",
    "{handle} you made my day, thanks for finding my {thing}", "{handle} fantastic service as always",
    "{handle} the refund came through, thank you", "{handle} thanks for the quick help",
    "{handle} really appreciate you sorting out my {thing} so quickly",
    "thanks so much for the quick help", "{handle} easy check in and a comfy seat, loved it",
    "{handle} great job getting us to {place} on time",
]
NEGATIVE = [
    "{handle} my {thing} to {place} is delayed {dur} and nobody will tell us why",
    "{handle} been on hold for {dur}", "{handle} {dur} on hold and still no answer",
    "{handle} you cancelled my {thing} and won't rebook me", "{handle} lost my bag AGAIN",
    "{handle} where is my {thing}? it's been {dur}", "{handle} still no refund after {dur}",
    "{handle} stuck at {place} for {dur} with no updates",
    "{handle} missed my connection because your {thing} was late",
    "{handle} your agents hung up on me twice", "{handle} worst airline i have ever flown",
    "{handle} this is unacceptable, {dur} sitting on the plane",
    "{handle} my {thing} never arrived and nobody replies",
    "{handle} charged me twice for the same {thing}", "{handle} the {thing} is broken and you don't care",
    "{handle} why is it so hard to get a human on the phone",
    "{handle} rude staff at {place} {time}, really disappointed",
    "{handle} you overbooked and bumped me off my {thing}",
    "{handle} my bag is damaged and the zip is ripped", "never flying {handle} again",
    "{handle} {dur} in line at {place} and one agent working", "{handle} flight cancelled, no hotel, no food",
    "{handle} the app keeps crashing and i can't check in", "{handle} i want my money back",
    "{handle} your website won't load and the hold time is {dur}",
    "{handle} seriously? delayed again", "{handle} the seat was broken the whole {thing}",
    "{handle} nobody at the gate knows anything", "{handle} fix your app please, it's useless",
    "{handle} i've been waiting {dur} for a callback", "{handle} how is this acceptable",
    "{handle} stranded at {place} overnight with no help", "{handle} third time my {thing} was wrong",
    "{handle} {dur} late and not even an apology", "{handle} paid for wifi that didn't work",
    "{handle} you lost my {thing} and the tracking hasn't moved in {dur}",
    "{handle} customer service is a joke", "{handle} my kids are stuck at {place} thanks to you",
    "{handle} the {thing} was cancelled {dur} before departure, ridiculous",
    "{handle} no one picks up the phone", "{handle} terrible experience from start to finish",
    "{handle} i will never book with you again", "{handle} sitting on the tarmac for {dur}",
    "{handle} delayed {dur} and now the crew timed out", "ugh {handle} delayed {dur} again",
    "{handle} what is going on with my {thing}???", "{handle} i'm so angry right now",
    "{handle} you ruined our holiday", "{handle} i'm done with you", "my {thing} is {dur} late",
    "{handle} flight delayed {dur}, missed the meeting", "{handle} my {thing} hasn't arrived",
    "{handle} still waiting for my {thing} to turn up", "{handle} bag didn't make it to {place}",
    "{handle} they changed my seat without telling me", "{handle} got charged a fee for nothing",
    "sick of the traffic every single day", "this week has been awful", "so tired of this weather",
    "the referee ruined that game", "worst episode of the season", "my phone broke again",
    "the politicians lie every single time", "can't believe how rude people are",
    "i hate mondays so much", "this headache won't go away", "i'm sick and stuck in bed",
]
# -- second round: more registers and topics (everyday life, sport, music, news; replies) -----
SUBJECTS = ["the hawks", "our team", "the new band", "that singer", "the show", "my favourite podcast",
            "the city council", "the senator", "the local library", "the coffee place downtown",
            "the new phone", "the museum", "the marathon", "the film festival", "the farmers market",
            "the school board", "the sequel", "the tour", "the playoffs", "the new season"]  # fmt: skip
NEUTRAL_MORE = [
    "{subject} plays {place} {time}", "{subject} announced a new date {time}",
    "{subject} is on tv {time}", "tickets for {subject} go on sale {time}",
    "{subject} will be in {place} {time}", "reading about {subject} on the train",
    "{subject} posted the schedule for {time}", "heard {subject} might change plans {time}",
    "{subject} starts at 7 {time}", "{subject} was on the radio this morning",
    "my dad keeps talking about {subject}", "{subject} has a new website",
    "does anyone know when {subject} starts?", "is {subject} streaming anywhere {time}?",
    "{subject} moved to {place}", "we might go see {subject} {time}",
    "{subject} vote is {time}", "{subject} released a statement {time}",
    "{handle} just sent the dm", "{handle} dm sent with my booking reference",
    "{handle} confirmation number is KX7 44P", "{handle} ok, will do", "{handle} done, check your messages",
    "{handle} flight 2210 from {place}", "{handle} it was the {time} flight", "{handle} yes that's the one",
    "{handle} i'm in seat 14c", "{handle} i'll call back {time}", "{handle} sent you my email address",
    "{handle} following up on my {thing}", "{handle} i booked through the website",
    "{handle} is there a number i can call?", "{handle} do i need to print my boarding pass",
    "{handle} my {thing} is under my husband's name", "{handle} we are a family of four",
    "{handle} how early should i get to {place} {time}?", "{handle} can i bring my dog on the {thing}",
    "{handle} just checked in for {place}", "{handle} my flight leaves {time}",
    "the {thing} leaves from {place} at noon", "grabbing food before the {thing}",
    "long weekend coming up, heading to {place}", "saw a plane land while i was on my run",
    "flight attendant said we land in 20 minutes", "the captain says light turbulence ahead",
    "bought a book at {place} for the trip", "first time in {place}, any food tips?",
]
POSITIVE_MORE = [
    "{subject} was so good {time}", "can't wait to see {subject} {time}!", "{subject} never disappoints",
    "so happy {subject} is back", "{subject} made my whole week", "loved every minute of {subject}",
    "shout out to {subject}, you're the best", "{subject} was amazing last night",
    "{handle} thanks for the reply, appreciate it", "{handle} you guys are the best",
    "{handle} made it home safe, thank you", "{handle} thank you, that was easy",
    "{handle} the crew were so kind to my kids", "{handle} great crew, great flight, thanks",
    "{handle} best flight i've had in years", "{handle} thank you for finding my bag so fast",
    "{handle} loving the new seats", "{handle} thanks for looking after us {time}",
    "{handle} quick and painless, thank you", "{handle} thanks, you've been really helpful",
    "{handle} the agent at {place} was wonderful", "{handle} thank you for the free drink",
    "{handle} got the refund, thanks so much", "{handle} that was the smoothest check in ever",
    "{handle} flying with you again {time}, can't wait", "{handle} thanks for keeping us posted",
    "sunny and warm in {place}, perfect", "this is the best coffee in {place}",
]
NEGATIVE_MORE = [
    "{handle} why is my {thing} still not here?", "{handle} how many times do i have to call?",
    "{handle} is anyone actually working today?", "{handle} when are you going to answer me?",
    "{handle} are you serious right now?", "{handle} how long do i have to wait?",
    "{handle} can someone explain why my {thing} was cancelled?", "{handle} why does this keep happening?",
    "{handle} what's the point of the app if it never works?", "{handle} where is my bag? it's been {dur}",
    "{handle} why can't anyone give us a straight answer?", "{handle} do better", "{handle} get it together",
    "{handle} unbelievable", "classic {handle}", "{handle} every single time", "{handle} fix this",
    "{handle} sort it out", "{handle} not good enough", "{handle} shocking service", "{handle} pathetic",
    "{handle} what a mess", "{handle} this is a disaster", "{handle} so frustrating",
    "{handle} your hold music has been playing for {dur}", "{handle} the line at {place} is insane",
    "{handle} gate agents at {place} were useless", "{handle} the flight attendant was so rude to my mom",
    "{handle} no food, no water, no updates", "{handle} the toilet on board was broken",
    "{handle} my seat didn't recline and the screen was dead", "{handle} i paid for extra legroom and didn't get it",
    "{handle} i was promised a callback {dur} ago", "{handle} the agent hung up on me",
    "{handle} it's been {dur} and my {thing} is still missing", "{handle} your website charged me twice",
    "{handle} our {thing} was cancelled and we found out at the gate", "{handle} delayed, then cancelled, then rebooked for {time}",
    "{handle} they won't let me change my {thing} without a huge fee", "{handle} my suitcase came back wet and torn",
    "{handle} i missed my sister's wedding because of you", "{handle} i've never been treated so badly",
    "{handle} all i got was a voucher for $10 after {dur}", "{handle} no one at the desk, no one on the phone",
    "{handle} the system is down again?", "{handle} four hours on the tarmac with the kids",
    "{subject} was a total letdown", "{subject} is a disgrace", "so over {subject}",
    "{subject} ruined my night", "i can't stand {subject} anymore", "{subject} lied again",
    "worst day ever, everything went wrong", "why does everything break at once",
]
BAD_MORE = [
    "leaving my bag in {place}", "the {dur} delay", "the useless help", "cancelling my flight at midnight",
    "putting me on a flight {time} instead of today", "the robotic answers", "keeping us on the plane for {dur}",
    "losing my {thing}", "charging me for a seat next to my own kid", "the lovely {dur} wait",
    "the warm welcome of a 2am gate change", "another voucher i can't use",
]

# Positive surface + a bad situation: sarcasm (labelled negative).
SARCASM_FRAMES = [
    "great, {bad}", "oh great, {bad}", "love {bad}", "i just love {bad}", "so glad {bad}",
    "nothing like {bad}", "perfect, {bad}", "awesome, {bad}", "fantastic, {bad}",
    "wonderful, {bad}", "thanks for {bad}", "thanks {handle} for {bad}", "gotta love {bad}",
    "best part of my day: {bad}", "what a treat, {bad}", "my favourite thing: {bad}",
    "can't wait for {bad}", "always a pleasure, {bad}", "nice, {bad}", "love it when {bad}",
    "yay {bad}", "brilliant, {bad}", "amazing how {bad}", "cool cool cool, {bad}",
    "living the dream: {bad}", "oh joy, {bad}", "just what i needed, {bad}",
    "well done {handle}, {bad}", "10/10 {handle}, {bad}", "{handle} really outdid yourselves, {bad}",
]
BAD_SITUATIONS = [
    "another {dur} delay", "{dur} on hold", "a cancelled {thing}", "losing my bag again",
    "sitting on the tarmac for {dur}", "being stuck at {place} overnight",
    "my {thing} arriving broken", "paying extra for a seat that doesn't recline",
    "waiting {dur} for a refund", "the app crashing at check in",
    "being bumped off my own {thing}", "the wifi not working the whole flight",
    "nobody answering the phone", "my {thing} going to {place} without me",
    "a gate change with 5 minutes to go", "getting charged twice",
    "the tracking not moving for {dur}", "missing my connection",
    "being up at 5am for a flight that's delayed", "working all weekend",
    "being sick on my day off", "rain on the one day off", "monday mornings",
    "traffic on the way home", "exams on my birthday", "no sleep before a 6am shift",
    "the power cut during the game", "my phone dying at the airport",
    "the alarm going off at 4am", "homework all weekend", "the dentist on a friday",
    "a flat tyre in the rain", "overtime again", "the neighbours drilling at 7am",
]
SARCASM_STANDALONE = [
    "{handle} thanks for nothing", "{handle} thanks for nothing, {dur} on hold",
    "{handle} great service as usual... not", "{handle} yeah because that worked so well last time",
    "{handle} sure, i'll just wait another {dur}", "{handle} oh sure, blame the weather again",
    "{handle} so much for on time", "{handle} what a surprise, delayed again",
    "{handle} shocking, my {thing} is late again", "{handle} wow another delay, who could have guessed",
    "{handle} can't believe i expected anything different", "{handle} so much for customer service",
    "{handle} well that's just great", "{handle} glad my {thing} is enjoying {place} without me",
    "{handle} a whole {dur} on hold, truly world class service",
    "{handle} love how you cancel and then don't answer", "{handle} 5 stars for the delay, really",
    "{handle} thanks for the {dur} delay, really made my day",
    "oh good, another monday", "my favourite thing is being ignored",
    "love how my phone dies right when i need it", "great start to the week",
]
SINCERE_FRAMES = [
    "great, {good}", "love {good}", "so glad {good}", "nothing like {good}", "perfect, {good}",
    "thanks for {good}", "thanks {handle} for {good}", "can't wait for {good}",
    "awesome, {good}", "wonderful, {good}", "what a treat, {good}", "well done {handle}, {good}",
]
GOOD_SITUATIONS = [
    "the quick help", "an early arrival in {place}", "the free upgrade", "a smooth flight",
    "my {thing} arriving a day early", "the friendly crew", "sorting my refund so fast",
    "the easy check in", "a sunny weekend in {place}", "time with family", "the extra legroom",
    "coffee with friends", "the new trail boots", "a long walk in the sun",
    "getting my {thing} back", "the fast reply", "the concert {time}", "a day off {time}",
]

DECOR_PREFIX = ["", "", "", "", "ok ", "hey ", "so ", "just saying, ", "fyi "]
DECOR_SUFFIX = ["", "", "", "", "", " {tag}", " {tag}", " {tag} {tag2}", " {link}"]
EMOJI = {
    "neutral": ["", "", "", "", " ✈️", " 📦", " 🙂", " 👍", " 🤔"],
    "positive": ["", "", "", " 😊", " 🙌", " ❤️", " 🎉", " 👍", " 😍", "!!", "!"],
    "negative": ["", "", "", " 😡", " 😤", " 👎", " 😩", "!!", "!", "...", " 😭"],
    "sarcasm": ["", "", "", " 🙄", " 🙃", " 👏", " 😂", "...", " 💀", "!!", " #not"],
}
EMOJI_ONLY = [
    (e * n, label, sarcastic)
    for e, label, sarcastic in [
        ("😡", "negative", False), ("🤬", "negative", False), ("👎", "negative", False),
        ("😤", "negative", False), ("😠", "negative", False), ("💩", "negative", False),
        ("🙄", "negative", True), ("🙃", "negative", True), ("🤡", "negative", True),
        ("👍", "positive", False), ("❤️", "positive", False), ("🙌", "positive", False),
        ("😍", "positive", False), ("🎉", "positive", False), ("😊", "positive", False),
        ("🙂", "neutral", False), ("👀", "neutral", False), ("🤔", "neutral", False),
        ("✈️", "neutral", False), ("📦", "neutral", False),
    ]
    for n in (1, 2, 3)
]  # fmt: skip
POS_TAGS = ["#thankyou", "#happy", "#blessed", "#love", "#awesome", "#goodtimes"]
NEG_TAGS = ["#fail", "#worst", "#delayed", "#annoyed", "#nothappy", "#never again"]


def _fill(template: str, rng: random.Random) -> str:
    values = {
        "handle": rng.choice(HANDLES),
        "subject": rng.choice(SUBJECTS),
        "thing": rng.choice(THINGS),
        "place": rng.choice(PLACES),
        "time": rng.choice(TIMES),
        "dur": rng.choice(DURATIONS),
        "tag": rng.choice(NEUTRAL_TAGS),
        "tag2": rng.choice(NEUTRAL_TAGS),
        "link": "https://t.co/x" + "".join(rng.choice("abcdefgh12345") for _ in range(6)),
    }
    text = template.format(**values)
    roll = rng.random()
    if roll < 0.07:
        text = text.upper()  # shouting happens in every register
    elif roll < 0.5:
        text = text[:1].upper() + text[1:]
    return text


def _decorate(text: str, kind: str, rng: random.Random) -> str:
    text = rng.choice(DECOR_PREFIX) + text + rng.choice(DECOR_SUFFIX) + rng.choice(EMOJI[kind])
    if kind == "positive" and rng.random() < 0.12:
        text += " " + rng.choice(POS_TAGS)
    if kind in ("negative", "sarcasm") and rng.random() < 0.12:
        text += " " + rng.choice(NEG_TAGS)
    if "{handle}" not in text and rng.random() < 0.25:
        text = "{handle} " + text
    return " ".join(text.split())


def _rows(
    kind: str,
    label: str,
    sarcasm: bool,
    n: int,
    make: Callable[[], str],
    rng: random.Random,
    seen: set[str],
    key: Callable[[str], str],
) -> list[dict[str, object]]:
    """``n`` new rows; ``seen`` holds the normalised texts already used (across every call, plus
    the tests' held-out probes), so no two rows differ only in case, punctuation or spacing."""
    rows: list[dict[str, object]] = []
    tries = 0
    while len(rows) < n and tries < n * 20:
        tries += 1
        text = _fill(_decorate(make(), kind, rng), rng)
        if key(text) not in seen:
            seen.add(key(text))
            rows.append({"text": text, "label": label, "sarcasm": sarcasm})
    return rows


def generate(seed: int = SEED) -> list[dict[str, object]]:
    rng = random.Random(seed)
    pick = rng.choice
    checker = _check_corpus()
    here = Path(__file__).resolve().parent
    seen: set[str] = set(checker.held_out_phrases(here.parent.parent))
    key: Callable[[str], str] = checker.normalise
    rows: list[dict[str, object]] = []
    rows += _rows("neutral", "neutral", False, 900, lambda: pick(NEUTRAL_STATEMENTS), rng, seen, key)
    rows += _rows("neutral", "neutral", False, 500, lambda: pick(NEUTRAL_QUESTIONS), rng, seen, key)
    rows += _rows("neutral", "neutral", False, 700, lambda: pick(NEUTRAL_MORE), rng, seen, key)
    rows += _rows("positive", "positive", False, 450, lambda: pick(POSITIVE_MORE), rng, seen, key)
    rows += _rows("negative", "negative", False, 800, lambda: pick(NEGATIVE_MORE), rng, seen, key)
    rows += _rows("positive", "positive", False, 700, lambda: pick(POSITIVE), rng, seen, key)
    rows += _rows(
        "positive", "positive", False, 250,
        lambda: pick(SINCERE_FRAMES).replace("{good}", pick(GOOD_SITUATIONS)), rng, seen, key,
    )  # fmt: skip
    rows += _rows("negative", "negative", False, 1000, lambda: pick(NEGATIVE), rng, seen, key)
    rows += _rows(
        "sarcasm", "negative", True, 600,
        lambda: pick(SARCASM_FRAMES).replace("{bad}", pick(BAD_SITUATIONS + BAD_MORE)), rng, seen, key,
    )  # fmt: skip
    rows += _rows("sarcasm", "negative", True, 150, lambda: pick(SARCASM_STANDALONE), rng, seen, key)
    # Emoji-only messages (decide() reads them through the tone scores alone).
    for symbols, label, sarcastic in EMOJI_ONLY:
        rows.append({"text": symbols, "label": label, "sarcasm": sarcastic})
    return rows


def main() -> None:
    rows = generate()
    header = (
        "# GENERATED by data/tone/generate_social.py (seeded) from the project's own phrase lists;\n"
        "# edit the script, not this file. Same format as tone.yml.\n"
    )
    body = yaml.safe_dump({"tone": rows}, allow_unicode=True, sort_keys=False, width=200)
    OUT.write_text(header + body, encoding="utf-8")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
