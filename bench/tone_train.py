"""Tone benchmark, the tone model (``bench/tone_bench.py``): trained exactly as the shipped
``bot.nlu.tone.component.ToneScorer`` trains it (the project's corpus plus the calm NLU examples,
the component's settings from the Rasa config), or loaded from a trained Rasa model.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT


def tone_component_config(config_path: Path) -> dict[str, Any]:
    """The ToneScorer entry of the Rasa config merged over the component's defaults."""
    from bot.nlu.tone.component import ToneScorer

    raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    entry: dict[str, Any] = {}
    for item in raw.get("pipeline") or []:
        if str(item.get("name", "")).endswith("ToneScorer"):
            entry = {k: v for k, v in item.items() if k != "name"}
    return {**ToneScorer.get_default_config(), **entry}


def train_tone_model(config_path: Path, nlu_dir: Path) -> tuple[Any, dict[str, Any]]:
    """``ToneScorer.train`` without Rasa's graph: same corpus, same calm rows, same C."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu.tone.component import ToneScorer
    from bot.nlu.tone.model import ToneModel, load_corpus

    config = tone_component_config(config_path)
    corpus = config["corpus"]
    paths = [ROOT / p for p in ([corpus] if isinstance(corpus, str) else corpus)]
    rows = load_corpus(paths)
    own = len(rows)
    scorer = ToneScorer(config, None, None)  # type: ignore[arg-type]  # only _config is used
    rows += scorer._calm_examples(load_data(str(nlu_dir)))
    model = ToneModel().fit(
        rows,
        c=float(config["C"]),
        feature_scale=float(config["feature_scale"]),
        vader_weight=float(config["vader_weight"]),
        embedding_source=config.get("sentence_encoder") or None,
        embedding_c=float(config.get("embedding_C") or 0.3),
        finetuned_weights=ROOT / config["finetuned_encoder"]
        if config.get("finetuned_encoder") else None,
    )
    info = {
        "tone_source": f"trained from {', '.join(_shown(p) for p in paths)} "
        f"+ calm NLU examples of {_shown(nlu_dir)}",
        "tone_train_rows": len(rows),
        "tone_corpus_rows": own,
        "tone_embeddings": config.get("sentence_encoder") or None,
        "tone_finetuned": config.get("finetuned_encoder") or None,
    }
    return model, info


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def load_tone_model(model_tar: Path) -> tuple[Any, dict[str, Any]]:
    """The ToneScorer inside a trained Rasa model (``models/*.tar.gz``)."""
    from bot.nlu.tone.model import ToneModel

    target = Path(tempfile.mkdtemp(prefix="carebot-tone-"))
    try:
        with tarfile.open(model_tar) as tar:
            members = [m for m in tar.getmembers() if ".tone.ToneScorer" in m.name]
            if not members:
                raise SystemExit(f"bench tone: {model_tar} has no ToneScorer")
            tar.extractall(target, members=members)  # noqa: S202 (our own model file)
        directory = next(p for p in target.rglob("*ToneScorer*") if (p / "polarity").exists())
        model = ToneModel.load(directory)  # reads every array into memory
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return model, {"tone_source": f"model {model_tar}"}
