"""The NumPy sentence encoder: its use of the model's tokenizer and weight files, the BERT forward
pass and how the classifier finds (or refuses) an encoder. A tiny random BERT written to a temp
dir stands in for all-MiniLM-L6-v2, so these tests need no installed weights (the real model is
compared with its reference implementation in ``test_minilm_reference.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers.implementations import BertWordPieceTokenizer

from bot.nlu.encoder.minilm import (
    DEFAULT_MAX_LENGTH,
    EncoderUnavailable,
    SentenceEncoder,
    WordPieceTokenizer,
    dense_features,
    locate_model,
    max_sequence_length,
    read_weights,
)

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "!", "cafe", "where",
         "is", "my", "order", "refund", "北", "京", ",", "?", "the", "card"]


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()},
              str(path))


def tiny_bert(directory: Path, dim: int = 8, layers: int = 2, heads: int = 2) -> Path:
    rng = np.random.default_rng(7)
    w: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": rng.normal(size=(len(VOCAB), dim)),
        "embeddings.position_embeddings.weight": rng.normal(size=(64, dim)),
        "embeddings.token_type_embeddings.weight": rng.normal(size=(2, dim)),
        "embeddings.LayerNorm.weight": np.ones(dim),
        "embeddings.LayerNorm.bias": np.zeros(dim),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for name, shape in (
            ("attention.self.query", (dim, dim)),
            ("attention.self.key", (dim, dim)),
            ("attention.self.value", (dim, dim)),
            ("attention.output.dense", (dim, dim)),
            ("intermediate.dense", (4 * dim, dim)),
            ("output.dense", (dim, 4 * dim)),
        ):
            w[p + name + ".weight"] = rng.normal(scale=0.3, size=shape)
            w[p + name + ".bias"] = rng.normal(scale=0.1, size=shape[0])
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + norm + ".weight"] = np.ones(dim)
            w[p + norm + ".bias"] = np.zeros(dim)
    directory.mkdir(parents=True, exist_ok=True)
    write_safetensors(directory / "model.safetensors", w)
    BertWordPieceTokenizer({t: i for i, t in enumerate(VOCAB)}, lowercase=True).save(
        str(directory / "tokenizer.json")
    )
    (directory / "config.json").write_text(json.dumps({"num_attention_heads": heads}))
    return directory


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


def test_wordpiece_splits_words_into_known_pieces() -> None:
    tok = WordPieceTokenizer.from_vocabulary({t: i for i, t in enumerate(VOCAB)})
    pieces = [VOCAB[i] for i in tok.encode("Unaffable!")]
    assert pieces == ["[CLS]", "un", "##aff", "##able", "!", "[SEP]"]


def test_wordpiece_lowercases_strips_accents_and_splits_cjk() -> None:
    tok = WordPieceTokenizer.from_vocabulary({t: i for i, t in enumerate(VOCAB)})
    assert [VOCAB[i] for i in tok.encode("CAFÉ,北京?")] == [
        "[CLS]", "cafe", ",", "北", "京", "?", "[SEP]"
    ]


def test_wordpiece_unknown_and_overlong_words_become_unk() -> None:
    tok = WordPieceTokenizer.from_vocabulary({t: i for i, t in enumerate(VOCAB)}, max_length=6)
    assert [VOCAB[i] for i in tok.encode("unzzz card")] == ["[CLS]", "[UNK]", "card", "[SEP]"]
    assert [VOCAB[i] for i in tok.encode("un" * 60)] == ["[CLS]", "[UNK]", "[SEP]"]
    assert len(tok.encode("card " * 20)) == 6  # truncated to max_length, [SEP] kept last
    assert VOCAB[tok.encode("card " * 20)[-1]] == "[SEP]"


def test_weights_are_float32_and_unreadable_files_refused(tmp_path: Path) -> None:
    save_file({"a": np.arange(6, dtype=np.float16).reshape(2, 3)}, str(tmp_path / "x.safetensors"))
    back = read_weights(tmp_path / "x.safetensors")
    assert back["a"].dtype == np.float32
    np.testing.assert_array_equal(back["a"], np.arange(6).reshape(2, 3))
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json")
    with pytest.raises(EncoderUnavailable, match="unreadable weights"):
        read_weights(tmp_path / "bad.safetensors")


def test_sequence_length_follows_the_sentence_transformers_config(
    tmp_path: Path, model_dir: Path
) -> None:
    assert max_sequence_length(tmp_path) == DEFAULT_MAX_LENGTH  # no config: 128
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 7}')
    assert max_sequence_length(tmp_path) == 7
    assert SentenceEncoder(model_dir).tokenizer.max_length == DEFAULT_MAX_LENGTH
    (tmp_path / "tok").mkdir()
    (tmp_path / "tok" / "tokenizer.json").write_text("{}")
    with pytest.raises(EncoderUnavailable, match="not a tokenizer"):
        WordPieceTokenizer.from_file(tmp_path / "tok" / "tokenizer.json")


def test_encoder_rows_are_unit_length_and_independent_of_batching(model_dir: Path) -> None:
    encoder = SentenceEncoder(model_dir, batch_size=8)
    texts = ["where is my order", "refund", "where is my refund ?", "the card", "un"]
    batch = encoder.encode(texts)
    assert batch.shape == (5, 8)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, rtol=1e-5)
    # Padding must not leak into shorter texts: one at a time gives the same vectors.
    one_by_one = np.vstack([encoder.encode([t]) for t in texts])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-5)
    assert not np.allclose(batch[0], batch[1])
    assert encoder.encode([]).shape == (0, 8)


def test_the_tensorflow_graph_computes_what_the_numpy_reference_does(model_dir: Path) -> None:
    """``bot.nlu.encoder.graph``: the same forward pass on TensorFlow, batched with padding or
    one text at a time; an unknown runtime is refused."""
    texts = ["where is my order", "refund", "where is my refund ?", "the card", "un", "北京"]
    reference = SentenceEncoder(model_dir, batch_size=4, runtime="numpy")
    graph = SentenceEncoder(model_dir, batch_size=4, runtime="tensorflow")
    assert (reference.runtime, graph.runtime) == ("numpy", "tensorflow")
    want = reference.encode(texts)
    np.testing.assert_allclose(graph.encode(texts), want, atol=1e-5)
    np.testing.assert_allclose(np.vstack([graph.encode([t]) for t in texts]), want, atol=1e-5)
    assert SentenceEncoder(model_dir, runtime="auto").runtime == "tensorflow"  # TF is loaded now
    with pytest.raises(ValueError, match="runtime"):
        SentenceEncoder(model_dir, runtime="torch")


def test_locate_model_refuses_missing_sources(tmp_path: Path, model_dir: Path) -> None:
    assert locate_model(str(model_dir)) == model_dir
    with pytest.raises(EncoderUnavailable):
        locate_model("no_such_package_carebot_test")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(EncoderUnavailable, match="model.safetensors"):
        locate_model(str(tmp_path))


def test_dense_features_follow_the_config(model_dir: Path) -> None:
    assert dense_features({"sentence_encoder": None}) is None
    features = dense_features({"sentence_encoder": str(model_dir), "embedding_weight": 3.0})
    assert features is not None
    np.testing.assert_allclose(np.linalg.norm(features(["refund"]), axis=1), 3.0, rtol=1e-5)
    with pytest.raises(ValueError, match="embedding_weight"):
        dense_features({"sentence_encoder": str(model_dir), "embedding_weight": 0})
    with pytest.raises(EncoderUnavailable):
        dense_features({"sentence_encoder": "no_such_package_carebot_test"})


def test_live_texts_are_remembered_so_a_second_encoding_is_free(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The cascade and the FAQ boundary gate encode the same live message: the second call
    # must not run the model again, and must return the same vector.
    from bot.nlu.encoder import minilm

    encoder = object.__new__(minilm.SentenceEncoder)
    encoder._recent = minilm.OrderedDict()
    calls: list[list[str]] = []

    def fake(texts):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    monkeypatch.setattr(encoder, "_encode", fake)
    first = encoder.encode(["where is my order"])
    again = encoder.encode(["where is my order", "hi"])
    assert calls == [["where is my order"], ["hi"]]
    assert np.array_equal(first[0], again[0])
    again[0][0] = -1.0  # callers get copies: the memory is not theirs to change
    assert encoder.encode(["where is my order"])[0][0] == float(len("where is my order"))
    for n in range(minilm.RECENT_TEXTS + 5):  # bounded
        encoder.encode([f"message {n}"])
    assert len(encoder._recent) == minilm.RECENT_TEXTS
    big = [f"row {n}" for n in range(minilm.SINGLE_THREAD_BELOW + 1)]
    encoder.encode(big)  # training batches bypass the memory
    assert len(encoder._recent) == minilm.RECENT_TEXTS and calls[-1] == big
