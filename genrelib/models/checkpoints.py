"""Checkpoints: a trained classifier's weights with the recipe that rebuilds it (:func:`models.build_model`)."""

from __future__ import annotations

from pathlib import Path

import torch

from genrelib.common.files import write_atomically
from genrelib.models.classifiers import FeatureClassifier, build_model


def save_checkpoint(model: FeatureClassifier, path: str | Path, **meta) -> Path:
    """Write weights plus the recipe to rebuild the model; ``meta`` is kept alongside."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda handle: torch.save({"kind": model.kind, "dims": model.dims, "hyper": model.hyper,
                                                      "state": model.state_dict(), "meta": meta}, handle))
    return path


def load_checkpoint(path: str | Path) -> tuple[FeatureClassifier, dict]:
    """Rebuild a model saved by :func:`save_checkpoint`, in eval mode, and return it with its meta."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint here; train a model first (chapters 03 and 04 save one)")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = build_model(saved["kind"], saved["dims"], **saved["hyper"])
    model.load_state_dict(saved["state"])
    return model.eval(), saved["meta"]
