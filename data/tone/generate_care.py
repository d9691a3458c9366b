# ruff: noqa: E501  (template lists read better one row per line)
"""Writes ``data/tone/care_generated.yml``: categorised tone rows from hand-written templates
filled with sector vocabulary (businesses, products, staff, promises, durations, order numbers).

    .venv/bin/python data/tone/generate_care.py      # rewrites care_generated.yml (seeded)
    .venv/bin/python data/tone/check_corpus.py       # then check everything

Why a generator at all: ``care.yml`` is written row by row; what hand-writing cannot give cheaply
is the same kind of message about a broadband install, a hotel room, an insurance claim and a
pizza, with real-looking order numbers, dates, durations and handles. Each template below is one
hand-written message with the sector words left as slots; every slot value is our own word list.
Rows are kept only when their normalised text and their "skeleton" (handles, links, numbers and
hashtags blanked) are new across every file in ``data/tone/``, so a template yields a handful of
genuinely different rows, not hundreds of copies. No evaluation data is read or imitated.
"""

from __future__ import annotations

import importlib.util
import random
import re
import string
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "care_generated.yml"
SEED = 14
VERSION = "care-generated-1.0"

# -- sector vocabulary (all made up) -----------------------------------------------------------
# Typed slots, so a template only gets words that fit it:
#   case      something with a reference that a team works on (claim, refund, dispute, ticket)
#   late      something that arrives or happens, and can be late (order, install, new card, payout)
#   product   a physical thing the customer buys and can hold, break or praise;  lost: a thing that gets lost
#   agent     a phone/chat person;  person: someone met in person;  visitor: someone who comes to you
#   purchase  a one-off thing paid for;  sub: a recurring thing paid for
#   booking   something booked ahead;  promise: a claim the business makes (for scare quotes)
#   faq       complete questions for this kind of business
SECTORS: dict[str, dict[str, list[str]]] = {
    "retail": {
        "handles": ["@ridgeline", "@threadhouse", "@homenest", "@pixelmart"],
        "case": ["refund", "return", "exchange", "complaint"],
        "late": ["order", "sofa", "replacement", "refund", "click and collect order"],
        "product": [
            "jacket",
            "pair of boots",
            "floor lamp",
            "dress",
            "pair of headphones",
            "kettle",
            "rucksack",
            "desk chair",
            "laptop",
        ],
        "lost": ["order", "parcel", "return"],
        "agent": ["the guy on your phone line", "your returns team", "the chat agent"],
        "person": [
            "the store manager",
            "the guy at the till",
            "the sales assistant",
            "the lady on the returns desk",
        ],
        "visitor": ["the delivery team", "the fitter"],
        "purchase": ["order", "jacket", "pair of boots", "laptop"],
        "promise": [
            "next day delivery",
            "free returns",
            "in stock",
            "dispatched within 24 hours",
            "price match promise",
            "true to size",
        ],
        "faq": [
            "do you have the trail jacket in a size 10?",
            "can i return online orders to a store?",
            "is the grey sofa in stock at the leeds branch?",
            "how long is the warranty on laptops?",
            "do you deliver furniture on saturdays?",
            "is there a size guide for the kids' boots?",
            "can i reserve something online and pick it up later?",
            "do you do gift receipts?",
        ],
    },
    "delivery": {
        "handles": ["@parcelpro", "@swiftpost", "@dropfast"],
        "case": ["missing parcel claim", "redelivery request", "complaint", "damage claim"],
        "late": ["parcel", "package", "delivery", "redelivery"],
        "lost": ["parcel", "birthday present", "box of plates", "passport"],
        "agent": ["your call centre", "the chat agent", "the depot on the phone"],
        "person": ["the driver", "the courier", "the guy at the depot counter"],
        "visitor": ["the driver", "the courier"],
        "purchase": ["next day delivery", "signed for delivery", "redelivery"],
        "promise": [
            "delivered to a safe place",
            "before 1pm guaranteed",
            "tracked and signed",
            "out for delivery",
            "next working day",
            "we tried to deliver",
        ],
        "faq": [
            "can i change the delivery day once it's been sent?",
            "can a neighbour sign for my parcel?",
            "how do i book a redelivery?",
            "can i collect from the depot instead?",
            "what time do drivers finish on saturdays?",
            "do you deliver to po boxes?",
            "how big can a parcel be for the small parcel price?",
            "can i leave a safe place note for the driver?",
        ],
    },
    "telecoms": {
        "handles": ["@voltfibre", "@cloudnetmobile", "@skylinktelecom"],
        "case": ["fault report", "number transfer", "complaint", "billing query"],
        "late": [
            "fibre install",
            "new sim",
            "replacement router",
            "number transfer",
            "engineer visit",
        ],
        "product": ["router", "new phone", "signal booster", "tv box"],
        "agent": [
            "your advisor",
            "the retention team",
            "the guy on the fault line",
            "the chat agent",
        ],
        "person": ["the guy in your high street shop", "the shop manager"],
        "visitor": ["the engineer", "the technician", "the installer"],
        "purchase": ["phone upgrade", "broadband package", "sim"],
        "sub": ["broadband", "phone contract", "tv package", "sim only plan"],
        "promise": [
            "superfast",
            "unlimited data",
            "no price rises",
            "99.9% uptime",
            "engineer between 8 and 1",
            "no faults in your area",
        ],
        "faq": [
            "does the 24 month plan come with a router?",
            "can i keep my number if i switch to you?",
            "is 5g included on sim only deals?",
            "how do i set up the new router?",
            "what speeds can i get at my postcode?",
            "is there a contract for the monthly sim?",
            "can i add a second line to my account?",
            "does roaming work in spain on my plan?",
        ],
    },
    "banking": {
        "handles": ["@bluepeakbank", "@mintbank", "@coinvault"],
        "case": ["dispute", "loan application", "complaint", "fraud claim", "account review"],
        "late": ["new card", "refund", "transfer", "replacement card", "loan decision"],
        "agent": ["your fraud team", "the advisor", "the complaints team", "the chat agent"],
        "person": ["the branch staff", "the cashier", "the branch manager"],
        "purchase": ["international transfer", "currency order"],
        "sub": ["premium account", "account fee", "card fee"],
        "promise": [
            "instant payments",
            "24/7 support",
            "fee-free",
            "no hidden charges",
            "we'll never block a genuine payment",
        ],
        "faq": [
            "how do i order a new debit card?",
            "can i freeze my card in the app?",
            "is there a fee for using my card abroad?",
            "how do i set up a standing order?",
            "what's the contactless limit?",
            "can i open an account for my 12 year old?",
            "how do i change my address on my account?",
            "what's the interest on the easy saver?",
        ],
    },
    "travel": {
        "handles": [
            "@skyhopair",
            "@northwindair",
            "@jetwiseair",
            "@railconnect",
            "@tripnestbooking",
        ],
        "case": ["refund", "lost bag claim", "compensation claim", "complaint"],
        "late": ["refund", "bag", "compensation", "replacement ticket"],
        "lost": ["suitcase", "car seat", "pushchair", "guitar case", "bag"],
        "agent": ["your call centre", "the chat agent", "the guy on the helpline"],
        "person": [
            "the gate agent",
            "the conductor",
            "the check in guy",
            "the woman at the arrivals desk",
            "the cabin manager",
        ],
        "purchase": ["ticket", "flight", "seat upgrade", "bag allowance"],
        "booking": ["flight to lisbon", "train to edinburgh", "city break", "holiday"],
        "promise": [
            "on time",
            "guaranteed seat",
            "flexible fare",
            "fast track",
            "priority boarding",
            "a short delay",
        ],
        "faq": [
            "can i take a pushchair on board?",
            "how much is it to add a hold bag?",
            "can i change the name on my booking?",
            "what time does check in close?",
            "is there wifi on the train?",
            "do i need to print my boarding pass?",
            "can i bring my own food on the flight?",
            "is there a discount for kids under 5?",
        ],
    },
    "software": {
        "handles": ["@taskly", "@snapedit", "@cloudboxapp"],
        "case": ["support ticket", "refund request", "account recovery", "bug report"],
        "late": ["refund", "account recovery", "licence key", "invoice"],
        "agent": ["your support team", "the chatbot", "tier 2 support", "the account manager"],
        "purchase": ["annual plan", "licence", "upgrade"],
        "sub": ["subscription", "team plan", "pro plan"],
        "promise": [
            "seamless sync",
            "one-click cancel",
            "unlimited storage",
            "99% uptime",
            "support within 1 hour",
            "your data is safe",
        ],
        "faq": [
            "does the desktop app work offline?",
            "can i move my account to a new email?",
            "is there a charity discount?",
            "how do i export my files?",
            "can i share a project with my team?",
            "does it work on linux?",
            "is there a student price?",
            "how do i turn on two step login?",
        ],
    },
    "food": {
        "handles": ["@quickbite", "@dishdash", "@pizzaloft"],
        "case": ["refund", "complaint"],
        "late": ["order", "food", "takeaway", "delivery"],
        "agent": ["the chat agent", "your help centre"],
        "person": ["the waiter", "the manager on shift", "the driver", "the guy at the counter"],
        "visitor": ["the driver", "the rider"],
        "purchase": ["order", "takeaway", "pizza", "family meal deal"],
        "booking": ["table for friday", "birthday dinner", "sunday lunch"],
        "promise": [
            "30 minute delivery",
            "hot and fresh",
            "table guaranteed",
            "freshly made",
            "arriving in 5 minutes",
        ],
        "faq": [
            "do you do gluten free pizza bases?",
            "can i order for collection?",
            "do you deliver after 11pm?",
            "is the katsu curry vegan?",
            "can i book a table for 10 on friday?",
            "do you have a kids' menu?",
            "is there a minimum order for delivery?",
            "can i pay cash to the driver?",
        ],
    },
    "utilities": {
        "handles": ["@brightgrid", "@aquaflow"],
        "case": ["billing complaint", "meter query", "refund", "leak report"],
        "late": ["engineer visit", "refund", "smart meter install", "boiler repair", "final bill"],
        "agent": ["the billing team", "your call centre", "the guy on the emergency line"],
        "visitor": ["the engineer", "the meter reader", "the plumber you sent"],
        "sub": ["energy bill", "direct debit", "water bill", "tariff"],
        "promise": [
            "fixed price",
            "accurate bills",
            "smart",
            "no exit fees",
            "back on within 4 hours",
            "estimated reading",
        ],
        "faq": [
            "how do i book a smart meter install?",
            "can i pay my bill monthly?",
            "how do i send a meter reading?",
            "is there a cheaper overnight tariff?",
            "who do i call about a leak in the street?",
            "can i switch to paperless bills?",
            "how do i tell you i'm moving house?",
            "do you have a priority services register?",
        ],
    },
    "hotels": {
        "handles": ["@harbourhotels", "@staylite"],
        "case": ["deposit refund", "complaint", "refund"],
        "late": ["deposit refund", "refund", "invoice"],
        "agent": ["reservations", "your central booking line"],
        "person": ["reception", "the night manager", "the concierge", "the duty manager"],
        "purchase": ["room", "spa package", "weekend break"],
        "booking": ["weekend break", "spa day", "anniversary stay", "room for friday"],
        "promise": [
            "sea view",
            "luxury spa",
            "late checkout",
            "quiet room",
            "complimentary breakfast",
            "recently refurbished",
        ],
        "faq": [
            "can we book a travel cot?",
            "what time is breakfast?",
            "is parking included?",
            "can i check in early?",
            "is the pool open all year?",
            "are dogs allowed?",
            "can you store our bags after check out?",
            "do rooms have a kettle?",
        ],
    },
    "streaming": {
        "handles": ["@streamly", "@tunewave"],
        "case": ["refund", "billing query", "account recovery"],
        "late": ["refund", "fix for the tv app"],
        "agent": ["your support team", "the chatbot", "the billing team"],
        "sub": ["subscription", "family plan", "premium plan"],
        "promise": [
            "ultra hd",
            "ad free",
            "cancel anytime",
            "works on every device",
            "new episodes every friday",
        ],
        "faq": [
            "is the app available on my smart tv?",
            "how many people can use the family plan?",
            "can i switch plans mid month?",
            "when does the new season come out?",
            "do downloads expire?",
            "can i make a kids' profile?",
            "is there a student plan?",
            "can i watch abroad on holiday?",
        ],
    },
    "gyms": {
        "handles": ["@pulsegym", "@ironworksfit"],
        "case": ["cancellation", "membership freeze", "refund", "complaint"],
        "late": ["refund", "new membership card", "membership refund"],
        "agent": ["the membership team", "the head office line"],
        "person": ["the front desk", "the trainer", "the duty manager", "the spin instructor"],
        "sub": ["membership", "direct debit", "class pass"],
        "booking": ["first spin class", "first personal training session"],
        "promise": [
            "24 hour access",
            "no contract",
            "brand new equipment",
            "always clean",
            "cancel online anytime",
        ],
        "faq": [
            "how do i book a spin class?",
            "is the pool included in the basic membership?",
            "what time does the gym open on sundays?",
            "can i pause my membership?",
            "do you do a student rate?",
            "can i bring a friend for free?",
            "are towels provided?",
            "is there a women-only area?",
        ],
    },
    "insurance": {
        "handles": ["@shieldsure", "@coverwell"],
        "case": ["claim", "renewal query", "complaint", "windscreen claim"],
        "late": ["payout", "claim decision", "cover note", "refund"],
        "agent": ["the claims handler", "the renewals team", "your call centre"],
        "visitor": ["your assessor", "the loss adjuster"],
        "sub": ["car policy", "home policy", "pet policy", "premium"],
        "promise": [
            "quick claims",
            "cover for everything",
            "no-quibble",
            "claims paid in 5 days",
            "we're on your side",
        ],
        "faq": [
            "does my home policy cover accidental damage?",
            "can i add my partner to the car policy?",
            "how do i make a claim?",
            "what's the excess on the pet policy?",
            "can i pay monthly?",
            "does travel cover include skiing?",
            "is my phone covered outside the house?",
            "how do i get a copy of my documents?",
        ],
    },
}

LONG_DURATIONS = [
    "three weeks",
    "6 weeks",
    "a month",
    "five weeks",
    "two months",
    "11 days",
    "ten days",
    "7 weeks",
    "19 days",
]
HOLD_DURATIONS = [
    "2 hours",
    "90 minutes",
    "47 minutes",
    "an hour and a half",
    "3 hours",
    "an hour",
    "55 minutes",
]
SHORT_LIFE = ["2 days", "a week", "three uses", "one wash", "a fortnight", "day one"]
PAST_DATES = [
    "the 3rd",
    "last tuesday",
    "2 march",
    "the 14th",
    "12/04",
    "new year's eve",
    "the 28th",
    "last week",
    "4 november",
    "1 august",
    "monday",
]
FUTURE_DATES = [
    "friday",
    "the 14th",
    "next week",
    "tomorrow",
    "21 june",
    "monday",
    "this weekend",
    "the 30th",
]
TIMES = ["this morning", "yesterday", "today", "on monday", "last night", "earlier", "on saturday"]
NEUTRAL_TAGS = ["#help", "#question", "#monday", "#update", "#london", "#manchester", "#travel", "#weekend", "#customerservice"]  # fmt: skip
LINKS = ["https://t.co/{code}", "https://imgur.com/{code}", "https://t.co/{code}"]

# -- templates, per category (hand-written; slots as above, plus handle, ldur, hold, slife,
#    pdate, fdate, time, n (a reference), money; UPPER-CASE slots are filled in capitals) ---------
TEMPLATES: dict[str, list[str]] = {
    "neg_plain": [
        "still no update on my {case}, it's been {ldur}",
        "my {case} (ref {n}) has been open since {pdate} and nothing has happened",
        "i've asked about my {case} three times now and nobody has answered",
        "you said my {case} would be sorted by {pdate}. it wasn't",
        "fourth message about {n}. still nothing",
        "my {late} has been 'on its way' since {pdate}",
        "{handle} ticket {n} closed without a reply",
        "{handle} still nothing on my {late}. {ldur} now",
    ],
    "neg_polite": [
        "hi, sorry to chase, but my {case} (ref {n}) still isn't sorted after {ldur}. could someone look at it properly please?",
        "i've been patient about my {case}, but {ldur} is a long time to wait for an answer",
        "with respect, i was told my {case} would be resolved by {pdate} and it hasn't been",
        "{handle} i'd really appreciate a straight answer about my {case} this time, thank you",
        "i don't want to be difficult, but {agent} promised a call back {time} and nobody rang",
    ],
    "neg_delay": [
        "{ldur} waiting and still no {late}",
        "{handle} my {late} was due {pdate}. still waiting",
        "been on hold to {handle} for {hold} now",
        "still waiting on my {late} from {pdate}",
        "my {late} is {ldur} late and counting",
        "{visitor} was due {time}. still not here",
    ],
    "neg_billing": [
        "{handle} you've charged me twice for my {purchase}, ref {n}",
        "why has my {sub} gone up by £{money} without any notice?",
        "charged £{money} for a {sub} i cancelled on {pdate}",
        "{handle} still waiting on the £{money} you took by mistake on {pdate}",
        "i was charged £{money} for a {purchase} i never got",
    ],
    "neg_staff": [
        "{person} at {handle} was incredibly rude to me {time}",
        "{agent} hung up on me when i asked about my {case}",
        "{agent} told me my {case} was 'not their problem'",
        "{visitor} turned up, shrugged and left without fixing anything",
        "{handle} {person} just laughed when i explained the problem",
    ],
    "neg_threat_leave": [
        "if my {case} isn't sorted by {fdate} i'm leaving {handle}",
        "{handle} cancel my {sub}. i'm done after {ldur} of this",
        "after {ldur} chasing my {case}, i'm moving to another company",
        "never using {handle} again after what happened with my {case}",
    ],
    "neg_threat_public": [
        "{handle} reply about my {case} (ref {n}) by tonight or the screenshots go on every review site",
        "{ldur} waiting on my {case}, so the whole story is going online today",
        "i'm posting every email about my {case} publicly if i don't hear back by {fdate}",
    ],
    "neg_threat_formal": [
        "{handle} if my {late} isn't sorted by {fdate} i'm doing a chargeback",
        "{ldur} and no resolution on ref {n}, so i'm taking it to the ombudsman",
        "consider this a formal complaint, ref {n}, open since {pdate}. i want a final response letter",
    ],
    "neg_caps": [
        "WHERE IS MY {LATE}",
        "{HANDLE} {LDUR} AND STILL NO {LATE}",
        "I WANT MY £{money} BACK",
        "SORT OUT MY {CASE}. {LDUR}!!!",
    ],
    "neg_sad": [
        "honestly really disappointed with how my {case} was handled",
        "the {product} was meant to be a present and it arrived damaged. just sad about it",
        "i expected so much better from {handle}, feeling really let down",
    ],
    "sarc_positive_words": [
        "fantastic, {ldur} and my {case} still isn't sorted",
        "brilliant work {handle}, my {late} is now {ldur} late",
        "amazing, charged twice for one {purchase}",
        "perfect, {agent} just hung up on me",
        "great job on the {product}, broke after {slife}",
    ],
    "sarc_scare_quotes": [
        "'{promise}' they said. {ldur} later",
        "{handle} so much for '{promise}'",
        "the '{promise}' part is my favourite bit of fiction this year",
        '"{promise}" lol',
    ],
    "sarc_love_how": [
        "love how {handle} takes my money instantly but my {late} takes {ldur}",
        "love how '{promise}' really means 'whenever we feel like it'",
        "gotta love waiting {hold} for {agent} to tell me nothing",
        "love how my {case} has been 'being looked at' for {ldur}",
    ],
    "sarc_oh_great": [
        "oh great, my {late} is delayed again",
        "oh wonderful, another email about my {case} that says nothing",
        "oh perfect, {visitor} has cancelled on me again",
        "oh joy, {hold} on hold to {handle}",
    ],
    "sarc_eyeroll": [
        "so much for '{promise}' 🙄",
        "{handle} yes i'm sure my {case} will be sorted 'shortly' 🙄",
        "{ldur} for a {late}. very efficient 🙄",
        "what a shock, {visitor} didn't turn up 🙄",
    ],
    "sarc_clown": [
        "me believing '{promise}' 🤡",
        "me, still chasing my {case} after {ldur} 🤡",
        "{handle} '{promise}' 🤡",
    ],
    "sarc_hyperbole": [
        "my {case} has been pending so long it's eligible for a pension",
        "waiting for {handle} to sort my {case} is my retirement plan at this point",
        "by the time my {late} turns up my kids will have kids",
    ],
    "sarc_thanks_for_nothing": [
        "thanks for nothing {handle}, {ldur} and my {case} is still not sorted",
        "thanks so much for the {hold} on hold, really made my day",
        "cheers {handle}, my {case} is still a mess but at least i got a survey",
    ],
    "sarc_yeah_right": [
        "yeah right, '{promise}'",
        "sure, my {case} is 'being prioritised'. for {ldur}",
        "{handle} 'you'll hear back within 48 hours' yeah sure",
    ],
    "sarc_rhetorical_praise": [
        "10/10 would wait {ldur} for my {late} again",
        "5 stars to {handle} for turning a simple {case} into a saga lasting {ldur}",
        "would highly recommend {handle} if you enjoy chasing your own {case}",
    ],
    "sarc_hashtag": [
        "{ldur} waiting for my {late} #blessed",
        "{visitor} no-show again #livingthedream",
        "charged twice for my {purchase} #winning",
        "{hold} on hold with {handle} #customerservicegoals",
    ],
    "sarc_slow_clap": [
        "👏👏👏 {ldur} to sort one {case}",
        "slow clap for {handle}, lost my {lost} again",
        "bravo, {agent} managed to make it worse 👏",
        "well done {handle}, my {late} is {ldur} late 👏",
    ],
    "calm_thanks": [
        "thanks {handle}, my {case} is all sorted now",
        "thank you for sorting my {case} so quickly",
        "great, thanks! the {product} arrived today",
        "{handle} thanks to {person} for the help {time}",
        "love the quick reply, thanks for sorting my {case}",
        "thank you, the refund for {n} has come through",
    ],
    "calm_status": [
        "hi, any update on my {case}? ref {n}",
        "{handle} could you check the status of {n} please?",
        "just checking my {late} is still on track for {fdate}",
        "hello, is my {late} still due {fdate}?",
        "any news on ref {n}? thanks",
        "{handle} has my {case} been processed yet?",
    ],
    "calm_faq": [
        "{faq}",
        "{handle} {faq}",
        "hi, quick question: {faq}",
    ],
    "calm_delay_ok": [
        "no worries if my {late} takes a bit longer, just let me know roughly when",
        "{handle} saw my {late} has moved to {fdate}, that's fine, do i need to do anything?",
        "no rush on ref {n}, just checking it's in the system",
        "my {late} is running a few days behind, totally fine, thanks for the heads up",
    ],
    "calm_compliment": [
        "{person} at {handle} was brilliant {time}",
        "really impressed with how {handle} handled my {case}",
        "the {product} is great quality, really happy with it",
    ],
    "calm_excited": [
        "my new {product} arrives {fdate} and i can't wait!!",
        "just booked my {booking} with {handle} 🎉 so excited",
    ],
    "calm_emoji": [
        "the {product} is perfect 😍",
        "{handle} my {case} is all sorted 🙌",
        "new {product} day 😂 i've been checking the door all morning",
    ],
}
# rows to keep per category (a template yields only as many rows as it has genuinely new fillings)
TARGET = {"neg_": 24, "sarc_": 22, "calm_": 45}
TARGET_OVERRIDE = {
    "calm_faq": 200,
    "calm_status": 70,
    "calm_thanks": 60,
    "calm_excited": 25,
    "calm_emoji": 25,
    "calm_compliment": 30,
}

EMOJI = {
    "neg_polite": ["", "", "", " 🙁", "..."],
    "neg_sad": ["", "", " 😞", " 😢", " 😔"],
    "neg": ["", "", "", "", " 😡", " 😤", " 😩", " 👎", "!!", "..."],
    "sarc": ["", "", "", "", " 🙃", " 👍", " 🙂", " 😊", "..."],
    "calm": ["", "", "", "", " 🙂", " 👍", " 🙏", " 😊", "!"],
}


def _check_corpus() -> Any:
    spec = importlib.util.spec_from_file_location("check_corpus", HERE / "check_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SLOT_LISTS = (
    "handles",
    "case",
    "late",
    "product",
    "lost",
    "agent",
    "person",
    "visitor",
    "purchase",
    "sub",
    "booking",
    "promise",
    "faq",
)


def _fields(template: str) -> set[str]:
    """The sector slots a template needs (``{LATE}`` needs ``late``, ``{handle}`` needs ``handles``)."""
    names = {f.lower() for _, f, _, _ in string.Formatter().parse(template) if f}
    return {"handles" if n == "handle" else n for n in names} & set(SLOT_LISTS)


def _slots(sector: dict[str, list[str]], rng: random.Random) -> dict[str, str]:
    code = "".join(
        rng.choice("abcdefghkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(7)
    )
    prefix = rng.choice(["", "", "#", "", "ORD-", "CS"])
    values = {name: rng.choice(sector[name]) for name in SLOT_LISTS if sector.get(name)}
    values["handle"] = values.pop("handles")
    values.update({
        "ldur": rng.choice(LONG_DURATIONS),
        "hold": rng.choice(HOLD_DURATIONS),
        "slife": rng.choice(SHORT_LIFE),
        "pdate": rng.choice(PAST_DATES),
        "fdate": rng.choice(FUTURE_DATES),
        "time": rng.choice(TIMES),
        "n": prefix + str(rng.randint(10000, 9999999)),
        "money": str(rng.choice([12, 18, 25, 32, 40, 45, 59, 64, 79, 120, 150, 212])) + rng.choice(["", ".99", ".50"]),
        "link": rng.choice(LINKS).format(code=code),
    })  # fmt: skip
    values.update({k.upper(): v.upper() for k, v in values.items()})
    return values


def _decorate(template: str, category: str, rng: random.Random) -> str:
    """Adds a handle, emoji, hashtag or link around a template (never the emoji that mark another
    category: eye-roll, clown and applause stay in their own sarcasm categories)."""
    if category == "neg_caps":
        return template
    group = category.split("_")[0]
    if "{handle}" not in template and rng.random() < 0.3:
        template = "{handle} " + template
    if category not in (
        "sarc_eyeroll",
        "sarc_clown",
        "sarc_slow_clap",
        "calm_emoji",
        "calm_excited",
    ):
        ending = rng.choice(EMOJI.get(category, EMOJI[group]))
        if not (template.endswith("?") and ending.startswith(("!", "."))):  # no "?!" or "?..."
            template += ending
    if rng.random() < 0.08:
        template += " " + rng.choice(NEUTRAL_TAGS)
    if rng.random() < 0.05:
        template += " {link}"
    return template


def _case(text: str, category: str, rng: random.Random) -> str:
    text = re.sub(r"\?(!|\.\.\.)", "?", text)  # a question never ends "?!" or "?..."
    text = re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", text)  # "a upgrade" -> "an upgrade"
    if category != "neg_caps" and rng.random() < 0.4:
        text = text[:1].upper() + text[1:]
    return " ".join(text.split())


def generate(seed: int = SEED) -> list[dict[str, Any]]:
    checker = _check_corpus()
    rng = random.Random(seed)
    seen_norm: set[str] = set(checker.held_out_phrases(HERE.parent.parent))
    seen_skel: set[str] = set()
    for path in sorted(HERE.glob("*.yml")):
        if path == OUT:
            continue
        for row in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("tone", []) or []:
            seen_norm.add(checker.normalise(str(row["text"])))
            seen_skel.add(checker.skeleton(str(row["text"])))
    rows: list[dict[str, Any]] = []
    for category, templates in TEMPLATES.items():
        allowed = checker.CATEGORIES[category][0]
        if category in ("calm_status", "calm_faq", "calm_delay_ok"):
            label, sarcasm = "neutral", False
        elif ("positive", False) in allowed:
            label, sarcasm = "positive", False
        else:
            label, sarcasm = next(iter(allowed))
        target = TARGET_OVERRIDE.get(
            category, next(v for k, v in TARGET.items() if category.startswith(k))
        )
        kept, tries = 0, 0
        while kept < target and tries < target * 60:
            tries += 1
            template = _decorate(rng.choice(templates), category, rng)
            fits = [
                name
                for name in sorted(SECTORS)
                if all(SECTORS[name].get(f) for f in _fields(template))
            ]
            text = _case(template.format(**_slots(SECTORS[rng.choice(fits)], rng)), category, rng)
            norm, skel = checker.normalise(text), checker.skeleton(text)
            if norm in seen_norm or skel in seen_skel or len(text) > 280:
                continue
            seen_norm.add(norm)
            seen_skel.add(skel)
            rows.append({"text": text, "label": label, "sarcasm": sarcasm, "category": category})
            kept += 1
    return rows


def main() -> None:
    checker = _check_corpus()
    rows = generate()
    header = (
        "# GENERATED by data/tone/generate_care.py (seeded) from hand-written templates and word lists;\n"
        "# edit the script, not this file, then run check_corpus.py. Same format as care.yml.\n"
    )
    meta = {"corpus_version": VERSION, "written": f"generate_care.py, seed {SEED}", "counts": {}}
    body = yaml.safe_dump({"tone": rows}, allow_unicode=True, sort_keys=False, width=200)
    OUT.write_text(header + checker.meta_block(meta, rows) + body, encoding="utf-8")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
