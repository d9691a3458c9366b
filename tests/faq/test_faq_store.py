"""bot/faq/store.py (with reader, nlu_file, domain_file, schema, from_file) and
``carebot faq list|show|add|edit|remove`` on a temporary copy of the data.

Every edit must be the smallest diff: comments, order and quoting of the files survive.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from bot.cli import faq as cli
from bot.faq.from_file import load_faq_file
from bot.faq.schema import FaqError
from bot.faq.store import FaqStore
from tests.fakes.project import ROOT, project_home

ANSWER = (
    "We don't rent out gear, but our ReWear shop sells quality used gear at lower "
    "prices: ridgeline-outfitters.example/rewear"
)
EXAMPLES = [
    "can i rent a tent from you",
    "do you rent out skis or snowboards",
    "is there gear rental at the denver store",
    "can i hire a tent for the weekend",
    "do you do equipment rental",
    "rent a sleeping bag?",
    "can i borrow camping gear for a trip",
    "do you have rental kayaks",
    "how much to rent hiking boots for a week",
    "is renting climbing gear possible at your stores",
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from project_home(tmp_path, monkeypatch)


def diff(home: Path, rel: str) -> list[str]:
    """Changed lines (+/-) between the project's file and the copy's."""
    before = (ROOT / rel).read_text().splitlines() if (ROOT / rel).exists() else []
    after = (home / rel).read_text().splitlines() if (home / rel).exists() else []
    return [
        line
        for line in difflib.unified_diff(before, after, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_project_file_parses_and_renders_unchanged() -> None:
    store = FaqStore(ROOT)
    for f in store.nlu_files():
        f.verify()
        assert f.render() == f.text, f.rel
    for d in store.domain_files():
        d.verify()
        assert d.render() == d.text, d.rel
    faqs = store.faqs()
    assert "shipping_time" in faqs and len(faqs["shipping_time"].examples) >= 10
    assert faqs["shipping_time"].answer.startswith("Standard shipping")
    assert faqs["careers"].description == "jobs"


def test_list_and_show(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "faq", "list")
    assert code == 0 and "shipping_time" in out and "data/nlu/faq_orders.yml" in out
    code, out, _ = run(capsys, "faq", "list", "--json")
    rows = yaml.safe_load(out)
    assert {r["key"] for r in rows} >= {"shipping_time", "careers"}
    code, out, _ = run(capsys, "faq", "show", "careers")
    assert code == 0 and "- are you hiring?" in out and "careers" in out
    code, _, err = run(capsys, "faq", "show", "nope_nope")
    assert code == 1 and "no FAQ 'nope_nope'" in err


def test_add_appends_one_block_and_one_answer(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "faq",
        "add",
        "rental_gear",
        "--answer",
        ANSWER,
        "--topic",
        "stores",
        "--description",
        "renting gear",
    ]
    for example in EXAMPLES:
        argv += ["--example", example]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "added faq/rental_gear with 10 examples to data/nlu/faq_stores.yml" in out
    nlu = diff(home, "data/nlu/faq_stores.yml")
    assert nlu == [
        "+# rental_gear     = renting gear",
        "+",
        "+- intent: faq/rental_gear",
        "+  examples: |",
    ] + [f"+    - {e}" for e in EXAMPLES]
    domain = diff(home, "config/domain/faq.yml")
    assert domain == ["+", "+  utter_faq/rental_gear:", f'+    - text: "{ANSWER}"']
    faq = FaqStore(home).get("rental_gear")
    assert [e.text for e in faq.examples] == EXAMPLES and faq.answer == ANSWER
    # Rasa's own reader sees it
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(home / "data/nlu/faq_stores.yml"))
    keys = {m.get("intent_response_key") for m in data.intent_examples}
    assert "faq/rental_gear" in keys


def test_add_default_topic_creates_faq_misc(home: Path) -> None:
    change = FaqStore(home).add("rental_gear", ANSWER, EXAMPLES)
    assert change.files == ["data/nlu/faq_misc.yml", "config/domain/faq.yml"]
    text = (home / "data/nlu/faq_misc.yml").read_text()
    assert text.startswith('version: "3.1"\n') and "\nnlu:\n- intent: faq/rental_gear\n" in text
    assert yaml.safe_load(text)["nlu"][0]["examples"].count("\n") == 10


def test_add_refuses_what_would_hurt(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (home / "data/nlu/faq_orders.yml").read_text()
    code, _, err = run(
        capsys,
        "faq",
        "add",
        "rental_gear",
        "--answer",
        ANSWER,
        "--example",
        "can i rent a tent",
        "--example",
        "how long does shipping take?",
    )
    assert code == 1
    assert "needs at least 10 examples (it has 2)" in err
    assert "'how long does shipping take?' is already in faq/shipping_time" in err
    assert "data/nlu/faq_orders.yml:" in err and "nothing written" in err
    assert not (home / "data/nlu/faq_misc.yml").exists()
    code, _, err = run(
        capsys,
        "faq",
        "add",
        "shipping_time",
        "--answer",
        "x",
        *sum((["--example", e] for e in EXAMPLES), []),
    )
    assert code == 1 and "exists already" in err
    code, _, err = run(capsys, "faq", "add", "Bad Key", "--answer", "x", "--example", "y")
    assert code == 1 and "FAQ key 'Bad Key'" in err
    long_answer = "x" * 1001
    code, _, err = run(
        capsys,
        "faq",
        "add",
        "long_one",
        "--answer",
        long_answer,
        *sum((["--example", e] for e in EXAMPLES), []),
    )
    assert code == 1 and "instagram allows 1000" in err
    assert (home / "data/nlu/faq_orders.yml").read_text() == before
    assert diff(home, "config/domain/faq.yml") == []


def test_add_from_file(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "new.yml"
    spec.write_text(
        yaml.safe_dump(
            [
                {"key": "rental_gear", "topic": "services", "answer": ANSWER, "examples": EXAMPLES},
                {
                    "key": "pet_policy",
                    "topic": "stores",
                    "answer": "Dogs on a lead are welcome!",
                    "examples": [
                        f"can i bring my dog {w}"
                        for w in (
                            "inside",
                            "to the denver store",
                            "in",
                            "with me",
                            "along",
                            "when shopping",
                            "on a lead",
                            "into the shop",
                            "please",
                            "today",
                        )
                    ],
                },
            ]
        )
    )
    code, out, err = run(capsys, "faq", "add", "--from-file", str(spec))
    assert code == 0, err
    faqs = FaqStore(home).faqs()
    assert faqs["rental_gear"].path == "data/nlu/faq_services.yml"
    assert faqs["pet_policy"].path == "data/nlu/faq_stores.yml"
    # Rasa-style file works too
    rasa_style = tmp_path / "rasa.yml"
    rasa_style.write_text(
        yaml.safe_dump(
            {
                "nlu": [
                    {
                        "intent": "faq/gift_wrap",
                        "examples": "".join(f"- gift wrap question {i}\n" for i in range(10)),
                    }
                ],
                "responses": {"utter_faq/gift_wrap": [{"text": "We gift wrap for $5."}]},
            }
        )
    )
    assert load_faq_file(rasa_style)[0]["answer"] == "We gift wrap for $5."


def test_edit_answer_and_examples_minimal_diff(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "faq",
        "edit",
        "careers",
        "--add-example",
        "any openings for a store manager",
        "--remove-example",
        "jobs",
        "--answer",
        'All open roles: ridgeline-outfitters.example/careers "now"',
    )
    assert code == 0, err
    assert diff(home, "data/nlu/faq_account.yml") == [
        "-    - jobs",
        "+    - any openings for a store manager",
    ]
    assert diff(home, "config/domain/faq.yml") == [
        "-    - text: \"We'd love to hear from you! All our open store and HQ roles are listed "
        'at ridgeline-outfitters.example/careers, and you can apply directly there."',
        '+    - text: "All open roles: ridgeline-outfitters.example/careers \\"now\\""',
    ]
    assert FaqStore(home).get("careers").answer.endswith('"now"')
    # adding only: the new line goes after the block's last example, nothing else moves
    FaqStore(home).edit("store_hours", add=["open on easter monday?"])
    lines = diff(home, "data/nlu/faq_stores.yml")
    assert lines == ["+    - open on easter monday?"]
    text = (home / "data/nlu/faq_stores.yml").read_text()
    assert "    - what time do stores shut\n    - " in text or "easter" in text
    code, _, err = run(capsys, "faq", "edit", "careers", "--remove-example", "not there")
    assert code == 1 and "has no example 'not there'" in err


def test_edit_in_editor(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, yaml\n"
        "p = sys.argv[1]\n"
        "d = yaml.safe_load(open(p))\n"
        "d['answer'] = 'Edited answer.'\n"
        "d['examples'] = d['examples'][1:] + ['brand new phrasing about jobs']\n"
        "open(p, 'w').write(yaml.safe_dump(d))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    code, out, err = run(capsys, "faq", "edit", "careers", "--editor")
    assert code == 0, err
    faq = FaqStore(home).get("careers")
    assert faq.answer == "Edited answer."
    assert faq.examples[-1].text == "brand new phrasing about jobs"
    assert "are you hiring?" not in [e.text for e in faq.examples]


def test_remove(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    FaqStore(home).add("rental_gear", ANSWER, EXAMPLES)
    code, out, err = run(capsys, "faq", "remove", "rental_gear", "--yes")
    assert code == 0, err
    assert "deleted data/nlu/faq_misc.yml" in out
    assert not (home / "data/nlu/faq_misc.yml").exists()
    assert diff(home, "config/domain/faq.yml") == []
    code, out, err = run(capsys, "faq", "remove", "careers", "--yes")
    assert code == 0
    assert "faq/careers" not in (home / "data/nlu/faq_account.yml").read_text()
    assert "# careers" not in (home / "data/nlu/faq_account.yml").read_text()
    assert "utter_faq/careers" not in (home / "config/domain/faq.yml").read_text()
    removed = diff(home, "data/nlu/faq_account.yml")
    assert all(line.startswith("-") for line in removed)
    with pytest.raises(FaqError):
        FaqStore(home).remove("careers")


def test_unusual_layout_is_refused_not_mangled(home: Path) -> None:
    path = home / "data/nlu/faq_orders.yml"
    path.write_text(
        path.read_text().replace(
            "- intent: faq/cancel_order\n  examples: |",
            "- intent: faq/cancel_order\n  examples:\n    - one\n    - two\n  extra: |",
        )
    )
    before = path.read_text()
    with pytest.raises(FaqError, match="faq_orders.yml"):
        FaqStore(home).edit("cancel_order", add=["another one"])
    assert path.read_text() == before


def test_module_entry_point(home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.faq", "faq", "show", "careers", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "CAREBOT_HOME": str(home)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["key"] == "careers"
