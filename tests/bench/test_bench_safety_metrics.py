"""The answer-safety benchmark's pure parts (bench/safety): metrics on hand-computed examples, the
Bitext mapping against the shipped FAQ, the loaders on hand-written CSVs, the plain-PNG plot.
No Rasa, no model, no evaluation data: runs in well under a second."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
import yaml

from bench.safety import metrics as m
from bench.safety.bitext_map import (
    BITEXT_TO_FAQ,
    FAQ_KEYS,
    Case,
    acceptable_keys,
    bitext_cases,
    bitext_rows,
    clinc_cases,
    clinc_rows,
)
from bench.safety.plot import png_bytes, write_plain_png

ROOT = Path(__file__).resolve().parents[2]

# Nine messages, by hand:
#  in-FAQ (6): right a, right b (second acceptable key), right b, wrong c, escalated, escalated
#  off-FAQ (4): answered a (wrong), escalated, small-talk reply, escalated
OUTCOMES: list[m.Outcome] = [
    (("a",), ("answer", "a")),
    (("a", "b"), ("answer", "b")),
    (("b",), ("answer", "b")),
    (("a",), ("answer", "c")),
    (("a",), ("escalate", "low_confidence")),
    (("b",), ("escalate", "ambiguous")),
    ((), ("answer", "a")),
    ((), ("escalate", "low_confidence")),
    ((), ("reply", "utter_greet")),
    ((), ("escalate", "sarcasm")),
]


def test_answered_precision_counts_only_faq_answers() -> None:
    # 5 answers (rows 0-3 and 6), 3 with an acceptable key
    assert m.answered_precision(OUTCOMES) == pytest.approx(3 / 5)


def test_faq_coverage_is_right_answers_over_messages_with_a_key() -> None:
    # 6 messages have a key; 3 answered with an acceptable one (the wrong "c" does not count)
    assert m.faq_coverage(OUTCOMES) == pytest.approx(3 / 6)


def test_off_faq_answered_is_any_answer_to_a_message_without_a_key() -> None:
    # 4 off-FAQ messages, 1 answered; the small-talk reply is not an FAQ answer
    assert m.off_faq_answered(OUTCOMES) == pytest.approx(1 / 4)


def test_oos_recall_counts_escalations_only() -> None:
    # 4 off-FAQ messages, 2 escalated; the answer and the small-talk reply are not escalations
    assert m.oos_recall(OUTCOMES) == pytest.approx(2 / 4)


def test_undefined_metrics_are_none_not_zero() -> None:
    only_off: list[m.Outcome] = [((), ("escalate", "low_confidence"))]
    assert m.answered_precision(only_off) is None
    assert m.faq_coverage(only_off) is None
    assert m.off_faq_answered(only_off) == 0.0
    assert m.oos_recall(only_off) == 1.0
    only_in: list[m.Outcome] = [(("a",), ("answer", "a"))]
    assert m.off_faq_answered(only_in) is None and m.oos_recall(only_in) is None
    assert m.answered_precision([]) is None


def test_summary_counts() -> None:
    s = m.summary(OUTCOMES)
    assert (s["n"], s["n_in_faq"], s["n_off_faq"]) == (10, 6, 4)
    assert (s["answered"], s["answered_wrong"], s["escalated"], s["replied"]) == (5, 2, 4, 1)
    assert s["answered_precision"] == pytest.approx(0.6)


def test_operating_point() -> None:
    # 5 of 10 answered, 2 of the 5 wrong
    assert m.operating_point(OUTCOMES) == pytest.approx((0.5, 0.4))
    assert m.operating_point([((), ("escalate", "x"))]) is None
    assert m.operating_point([]) is None


SCORED: list[tuple[m.FaqKeys, str | None, float]] = [
    (("a",), "a", 0.9),  # right
    ((), "b", 0.8),  # off-FAQ: wrong whatever the key
    (("c",), "c", 0.8),  # right, tied with the row above
    (("d",), None, 0.99),  # top intent not an FAQ: never answered, still in the denominators
    (("a",), "b", 0.5),  # wrong key
]


def test_risk_coverage_points_by_hand() -> None:
    points = m.risk_coverage(SCORED)
    assert [p.threshold for p in points] == [0.9, 0.8, 0.5]  # the 0.8 tie is one point
    assert [p.answered for p in points] == [1, 3, 4]
    assert [p.coverage for p in points] == pytest.approx([1 / 5, 3 / 5, 4 / 5])
    assert [p.risk for p in points] == pytest.approx([0.0, 1 / 3, 2 / 4])
    assert [p.faq_coverage for p in points] == pytest.approx([1 / 4, 2 / 4, 2 / 4])
    assert [p.off_faq_answered for p in points] == pytest.approx([0.0, 1.0, 1.0])


def test_best_at_risk() -> None:
    points = m.risk_coverage(SCORED)
    assert m.best_at_risk(points, 0.0) == points[0]
    assert m.best_at_risk(points, 0.4) == points[1]
    assert m.best_at_risk(points, 0.5) == points[2]
    assert m.best_at_risk(m.risk_coverage([(("a",), "b", 0.7)]), 0.1) is None
    assert m.risk_coverage([]) == []


# -- the mapping -----------------------------------------------------------------------------


def shipped_faq_keys() -> set[str]:
    domain = yaml.safe_load((ROOT / "config/domain/faq.yml").read_text(encoding="utf-8"))
    return {name.split("/", 1)[1] for name in domain["responses"] if name.startswith("utter_faq/")}


def test_faq_keys_are_the_shipped_faq() -> None:
    assert FAQ_KEYS == shipped_faq_keys()
    assert len(FAQ_KEYS) == 25


def test_mapping_covers_bitexts_27_intents_with_real_keys() -> None:
    assert len(BITEXT_TO_FAQ) == 27
    for intent, keys in BITEXT_TO_FAQ.items():
        assert set(keys) <= FAQ_KEYS, intent
        assert len(set(keys)) == len(keys), intent


def test_mapping_decisions_from_the_issue() -> None:
    # the wrong answers issue 16 lists: none of these has an acceptable FAQ
    for intent in ("set_up_shipping_address", "payment_issue", "delete_account", "complaint",
                   "place_order"):  # fmt: skip
        assert acceptable_keys(intent) == ()
    assert acceptable_keys("change_shipping_address") == ("change_address",)
    assert acceptable_keys("check_refund_policy", "in what cases can i get a refund") == (
        "return_policy",
    )
    assert acceptable_keys("check_refund_policy", "how long do refunds take") == ("refund_timing",)


def test_row_rules() -> None:
    assert acceptable_keys("newsletter_subscription", "please unsubscribe me") == ("unsubscribe",)
    assert acceptable_keys("newsletter_subscription", "cancelling my newsletter") == (
        "unsubscribe",
    )
    assert acceptable_keys("newsletter_subscription", "how do i sign up for the newsletter") == ()
    assert acceptable_keys("delivery_options", "ship to Oslo?", "delivery_city") == (
        "international_shipping",
    )
    assert set(acceptable_keys("delivery_options", "what delivery methods are there", "")) == {
        "shipping_time",
        "shipping_cost",
    }
    with pytest.raises(KeyError):
        acceptable_keys("not_a_bitext_intent")


def test_loaders_on_hand_written_csvs(tmp_path: Path) -> None:
    bitext = tmp_path / "bitext.csv"
    bitext.write_text(
        "utterance,intent,entity_type,entity_value,start_offset,end_offset,category,tags\n"
        '"where is   order 12, please",track_order,order_id,12,15,17,ORDER,B\n'
        "do you deliver to Lima,delivery_options,delivery_city,Lima,18,22,DELIVERY,B\n"
        "i want to close my account,delete_account,,,,,ACCOUNT,B\n"
        ",track_order,,,,,ORDER,B\n",
        encoding="utf-8",
    )
    assert list(bitext_cases(bitext)) == [
        Case("where is order 12, please", ("track_order",), "bitext:track_order"),
        Case("do you deliver to Lima", ("international_shipping",), "bitext:delivery_options"),
        Case("i want to close my account", (), "bitext:delete_account"),
    ]
    assert list(bitext_rows(bitext))[0] == ("where is order 12, please", ("track_order",))
    clinc = tmp_path / "clinc.csv"
    clinc.write_text("text,label\nwhat is my balance,balance\nsing me a song,oos\n", "utf-8")
    assert list(clinc_rows(clinc)) == [("what is my balance", ()), ("sing me a song", ())]
    assert [c.source for c in clinc_cases(clinc)] == ["clinc:balance", "clinc:oos"]


# -- plain PNG -------------------------------------------------------------------------------


def test_png_bytes_is_a_valid_png() -> None:
    data = png_bytes(2, 1, bytes([255, 0, 0, 0, 0, 255]))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (2, 1)
    idat_len = struct.unpack(">I", data[33:37])[0]
    raw = zlib.decompress(data[41 : 41 + idat_len])
    assert raw == b"\x00" + bytes([255, 0, 0, 0, 0, 255])
    with pytest.raises(ValueError):
        png_bytes(2, 2, b"")


def test_plain_png_plot_draws_the_curve(tmp_path: Path) -> None:
    path = write_plain_png({"c": [(0.0, 0.0), (1.0, 1.0)]}, {"d": (0.5, 0.1)}, tmp_path / "p.png",
                           width=100, height=80)  # fmt: skip
    data = path.read_bytes()
    raw = zlib.decompress(data[41 : 41 + struct.unpack(">I", data[33:37])[0]])
    assert len(raw) == 80 * (1 + 100 * 3)
    assert bytes([31, 119, 180]) in raw  # the first curve's colour
    assert bytes([255, 127, 14]) in raw  # the dot, next colour


def test_the_report_names_its_command_from_either_entry_point() -> None:
    """``carebot bench safety`` (bench.cli's parser, no argv stored) crashed on writing its
    report; both entry points name the command the report came from."""
    from bench.cli import build_parser
    from bench.safety.run import command_line

    args = build_parser().parse_args(["safety", "--bitext", "b.csv", "--clinc", "c.csv",
                                      "--sweep", "--name", "shipped"])
    line = command_line(args)
    assert line.startswith("carebot bench safety")
    assert "--bitext b.csv" in line and "--clinc c.csv" in line and "--sweep" in line
    assert "--name shipped" in line
    args.argv = ["--bitext", "b.csv"]
    assert command_line(args) == ".venv/bin/python -m bench.safety.run --bitext b.csv"
