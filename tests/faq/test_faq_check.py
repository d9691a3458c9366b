"""``carebot faq check``: passes on the project, fails on each defect with what and where."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pytest

from bot.cli import faq as cli
from bot.faq import boundary_check
from bot.faq.check import CHANNEL_LIMITS, check
from bot.faq.store import FaqStore
from tests.fakes.project import copy_project, project_home

DELIVERY_TWIN = [  # a near-duplicate of faq/shipping_time under another key
    "how many days until my parcel arrives",
    "how long will delivery take",
    "when will my package get to me",
    "how long do orders take to arrive",
    "how quickly do you deliver",
    "delivery time for an order",
    "how long is shipping usually",
    "how soon will my stuff arrive",
    "whats the usual delivery time",
    "how long until i get my order",
    "how many days is standard shipping",
    "how fast is delivery",
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # The boundary warnings read MiniLM vectors of every example (minutes on a cold cache);
    # here a bag of words stands in for them (the real encoder: tests/nlu, bench safety).
    monkeypatch.setattr(boundary_check, "_encoder", lambda source: bag_of_words)
    yield from project_home(tmp_path, monkeypatch)


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    """Word counts hashed into 512 dimensions (stable across runs: crc32), L2-normalised."""
    out = np.zeros((len(texts), 512), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z']+", text.lower()):
            out[row, zlib.crc32(word.encode()) % 512] += 1.0
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def errors(home: Path, kind: str) -> list[str]:
    report = check(home, confusion=False, rasa=False, boundary=False)
    return [p.line() for p in report.errors if p.kind == kind]


def line_of(home: Path, rel: str, needle: str) -> int:
    lines = (home / rel).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_the_project_passes_everything(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["faq", "check"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "carebot faq check: OK: 25 FAQs" in out and "cross-validation" in out


def test_fewer_than_ten_examples(home: Path) -> None:
    FaqStore(home).add(
        "rental_gear", "We don't rent gear.", [f"can i rent a tent number {i}" for i in range(7)]
    )
    found = errors(home, "few_examples")
    assert found == [
        f"data/nlu/faq_misc.yml:{line_of(home, 'data/nlu/faq_misc.yml', 'number 0')}"
        ": error: [few_examples] faq/rental_gear has 7 example(s); at least 10 are "
        "needed (add 3 more, phrased the way followers write)"
    ]


def test_an_example_in_two_intents(home: Path) -> None:
    FaqStore(home).edit("careers", add=["How long does shipping take?"])  # case differs
    found = errors(home, "duplicate_example")
    first = line_of(home, "data/nlu/faq_orders.yml", "- how long does shipping take?")
    second = line_of(home, "data/nlu/faq_account.yml", "- How long does shipping take?")
    assert len(found) == 1
    assert found[0].split(": error: [duplicate_example]")[0] in (
        f"data/nlu/faq_account.yml:{second}",
        f"data/nlu/faq_orders.yml:{first}",
    )
    assert "is in 2 intents" in found[0]
    assert f"faq/shipping_time (data/nlu/faq_orders.yml:{first})" in found[0]
    assert f"faq/careers (data/nlu/faq_account.yml:{second})" in found[0]


def test_near_duplicate_intents_the_model_confuses(home: Path) -> None:
    FaqStore(home).add("delivery_duration", "Delivery takes a few days.", DELIVERY_TWIN)
    report = check(home, rasa=False)
    confused = [p for p in report.errors if p.kind == "confused_pair"]
    assert [p.details["pair"] for p in confused] == [["faq/delivery_duration", "faq/shipping_time"]]
    message = confused[0].line()
    assert message.startswith("data/nlu/faq_misc.yml:")
    assert "read as faq/shipping_time" in message and "Examples: '" in message
    shown = message.split("Examples: ")[1].split("; ")
    assert 2 <= len(shown) <= 3 and all("data/nlu/" in s for s in shown)
    assert report.stats["cv_folds"] == 3 and report.stats["cv_seconds"] < 120
    # the shipped data has no such pair
    assert not [p for p in check(copy_project(home.parent / "clean"), rasa=False).errors]


def test_missing_and_empty_answers(home: Path) -> None:
    domain = home / "config/domain/faq.yml"
    text = domain.read_text()
    start = text.index("  utter_faq/careers:")
    domain.write_text(text[:start].rstrip() + "\n")  # careers was the last response
    text = domain.read_text()
    text = text.replace(
        text[text.index('    - text: "Our stores are open') :].split("\n")[0], '    - text: "  "'
    )
    domain.write_text(text)
    missing = errors(home, "missing_answer")
    assert len(missing) == 1 and missing[0].startswith(
        f"data/nlu/faq_account.yml:{line_of(home, 'data/nlu/faq_account.yml', 'are you hiring?')}"
    )
    assert "faq/careers has no answer" in missing[0]
    empty = errors(home, "empty_answer")
    hours = line_of(home, "config/domain/faq.yml", "utter_faq/store_hours:")
    assert empty == [
        f"config/domain/faq.yml:{hours}: error: [empty_answer] "
        "utter_faq/store_hours is empty: the bot would send nothing"
    ]


def test_orphan_answer(home: Path) -> None:
    domain = home / "config/domain/faq.yml"
    domain.write_text(domain.read_text() + '\n  utter_faq/ghost:\n    - text: "Boo."\n')
    found = errors(home, "orphan_answer")
    assert len(found) == 1 and "utter_faq/ghost has no faq/ghost examples" in found[0]


@pytest.mark.parametrize(
    "answer, channels",
    [
        ("é" * 600, ["instagram"]),  # 1200 UTF-8 bytes
        ("a" * 2500, ["messenger", "instagram"]),
        ("🙂" * 2100, ["messenger", "instagram", "telegram"]),  # 4200 UTF-16 units, 2100 chars
        ("a" * 10001, ["messenger", "instagram", "whatsapp", "x", "telegram"]),
    ],
    ids=["utf8-bytes", "2500-chars", "utf16-units", "10001-chars"],
)
def test_answers_over_a_channel_limit(home: Path, answer: str, channels: list[str]) -> None:
    FaqStore(home).edit("careers", answer=answer)
    found = errors(home, "too_long")
    assert sorted(f.split(" allows ")[0].rsplit("; ", 1)[1] for f in found) == sorted(channels)
    where = line_of(home, "config/domain/faq.yml", "utter_faq/careers:")
    assert all(f.startswith(f"config/domain/faq.yml:{where}:") for f in found)
    assert all("utter_faq/careers (variant 1) is" in f for f in found)


def test_channel_limits_are_the_channels_own() -> None:
    from bot.channels.delivery import SocialOutput
    from bot.channels.instagram import InstagramOutput
    from bot.channels.messenger import MessengerOutput
    from bot.channels.telegram import TelegramOutput
    from bot.channels.whatsapp import WhatsAppOutput
    from bot.channels.x import XOutput

    classes: dict[str, type[SocialOutput[Any]]] = {
        "messenger": MessengerOutput,
        "instagram": InstagramOutput,
        "whatsapp": WhatsAppOutput,
        "x": XOutput,
        "telegram": TelegramOutput,
    }
    for name, cls in classes.items():
        limit, measure, _ = CHANNEL_LIMITS[name]
        assert limit == cls.text_limit, name
        for text in ("plain", "é" * 10, "🙂 hi"):
            assert measure(text) == cls.measure(object.__new__(cls), text), (name, text)


def test_rasa_validation_problems_fail_the_check(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = home / "data/rules/respond.yml"
    rules.write_text(
        rules.read_text() + "- rule: typo\n  steps:\n  - intent: faq\n"
        "  - action: utter_does_not_exist\n"
    )
    code = cli.main(["faq", "check", "--no-cv"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "rasa data validate: error: [rasa]" in err and "FAILED" in out


def test_json_output(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    FaqStore(home).add(
        "rental_gear",
        "We don't rent gear.",
        ["can i rent a tent"],
    )
    code = cli.main(["faq", "check", "--json", "--no-cv", "--no-rasa"])
    import json

    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["ok"] is False
    assert {p["kind"] for p in data["problems"] if p["severity"] == "error"} == {"few_examples"}


def test_faq_examples_outside_their_own_boundary_are_warned_about(home: Path) -> None:
    # An example of faq/track_order that is really an out-of-scope question (its words are the
    # out-of-scope examples' words, not the tracking FAQ's): a warning that names it, the FAQ and
    # its nearest out-of-scope example; never an error.
    store = FaqStore(home)
    nlu = home / "data" / "nlu" / "out_of_scope_orders.yml"
    nlu.write_text(nlu.read_text() + "".join(
        f"    - please email me the invoice pdf for my company expenses {n}\n" for n in range(6)))
    store.add_examples("track_order", ["please email me the invoice pdf for my company expenses"])
    report = check(home, confusion=False, rasa=False)
    assert report.ok
    warned = [p for p in report.warnings if p.kind == "outside_boundary"]
    mine = [p for p in warned if p.details["faq"] == "track_order"]
    assert mine, [p.line() for p in warned]
    assert "please email me the invoice pdf for my company expenses" in mine[0].details["examples"]
    assert "nearest out-of-scope: 'please email me the invoice pdf" in mine[0].message
    assert report.stats["boundary_out_of_scope_examples"] > 1000
    skipped = check(home, confusion=False, rasa=False, boundary=False)
    assert not [p for p in skipped.problems if p.kind == "outside_boundary"]


def test_confusion_with_the_out_of_scope_catch_all_is_a_warning() -> None:
    # Two FAQs written alike fail; an FAQ the n-gram model reads as the out-of-scope catch-all
    # only warns (the boundary check on the gate's own vectors is the one that matters there).
    from bot.faq.check import check_confusion
    from bot.faq.nlu_file import Example

    def rows(intent: str, texts: list[str]) -> list[Example]:
        return [Example(t, f"data/nlu/{intent}.yml", n) for n, t in enumerate(texts, 1)]

    examples = {  # the same questions under three intents: every pair is confused
        "faq/shipping_time": rows("a", DELIVERY_TWIN),
        "faq/delivery_twin": rows("b", DELIVERY_TWIN),
        "out_of_scope": rows("c", DELIVERY_TWIN),
    }
    problems, _ = check_confusion(examples, folds=3)
    severity = {tuple(p.details["pair"]): p.severity for p in problems}
    assert severity.get(("faq/delivery_twin", "faq/shipping_time")) == "error", severity
    assert all(s == "warning" for pair, s in severity.items() if "out_of_scope" in pair), severity
    assert any("out_of_scope" in pair for pair in severity), severity
