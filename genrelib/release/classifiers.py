"""The authors' trained classifiers loaded into this book's models: their config read without running code,
their parameter names mapped to ours (the authors' architecture is our paper configuration, so only names and
shapes differ), their input statistics applied.
"""

from __future__ import annotations

import os
import pathlib
import pickle
import re
from pathlib import Path

import numpy as np

from genrelib.release.download import ReleaseError

# Features the authors' classes read as one vector per video: the multi-transformer sends them past its transformers
# (their SINGULAR_FEATURES), which is what averaging a one-vector stream does in ours.
SINGULAR_FEATURES = ("asr_sentiment", "ocr_sentiment")
KIND_OF = {"mlp": "mlp", "single_transformer": "single-transformer", "multi_transformer": "multi-transformer"}
# Types the authors' config.py puts into its ``args`` dict beside plain values; nothing else is unpickled.
CONFIG_TYPES = (pathlib.PosixPath,)  # torch.device torch allows itself

# State-dict names of the authors' classes (classifiers.py @caac031) and ours, as (theirs, ours) prefixes.
_NAMES = {
    "mlp": [("model.", "net.")],
    "single-transformer": [("encoders.", "project."), ("sep_vectors.", "sep."),
                           ("positional_encoding.", "positions."), ("transformer.transformer_body.", "encoder."),
                           ("cls_vector", "cls"), ("decoder.", "head.")],
    "multi-transformer": [("encoders.", "project."), ("cls_vectors.", "cls."), ("decoder.", "head.")],
}
_MULTI = re.compile(r"transformers\.([^.]+)\.(pos_encoder|transformer_body)\.(.*)")


def theirs_to_ours(kind: str, name: str) -> str:
    """One parameter name of the authors' class as it is named in ours."""
    if kind == "multi-transformer" and (match := _MULTI.fullmatch(name)):
        feature, part, rest = match.groups()
        return f"positions.{feature}.table" if part == "pos_encoder" else f"encoders.{feature}.{rest}"
    for their, our in _NAMES[kind]:
        if name.startswith(their):
            name = our + name[len(their):]
            break
    return re.sub(r"^positions\.([^.]+)\.pe$", r"positions.\1.table", name)


def ours_to_theirs(kind: str, name: str) -> str:
    """One parameter name of ours as the authors' class names it (the inverse of :func:`theirs_to_ours`)."""
    if kind == "multi-transformer":
        if match := re.fullmatch(r"positions\.([^.]+)\.table", name):
            return f"transformers.{match.group(1)}.pos_encoder.pe"
        if match := re.fullmatch(r"encoders\.([^.]+)\.(.*)", name):
            return f"transformers.{match.group(1)}.transformer_body.{match.group(2)}"
    if kind == "single-transformer" and (match := re.fullmatch(r"positions\.([^.]+)\.table", name)):
        return f"positional_encoding.{match.group(1)}.pe"
    for their, our in _NAMES[kind]:
        if name.startswith(our):
            return their + name[len(our):]
    return name


def _is_table(name: str) -> bool:
    return name.endswith(".pe") or name.endswith(".table")


def to_authors_layout(model) -> dict:
    """``model``'s weights under the authors' names and shapes (position tables as (rows, 1, width))."""
    return {ours_to_theirs(model.kind, k): (v.unsqueeze(1) if _is_table(k) else v).clone()
            for k, v in model.state_dict().items() if not k.startswith("scaling.")}


def read_config(config_pt: str | os.PathLike) -> dict:
    """The ``args`` dict the authors' config.py saved, read without running code: plain values, tensors and the
    few types it holds (a ``pathlib`` path, a ``torch.device``); any other type is refused, by name."""
    import torch

    try:
        with torch.serialization.safe_globals(list(CONFIG_TYPES)):
            config = torch.load(config_pt, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.findall(r"GLOBAL ([\w.]+)", str(exc))
        raise ReleaseError(f"{config_pt}: holds a {found[0] if found else 'type'} object, which a classifier config "
                           "of the authors' release does not: refused rather than run code from the file") from None
    if not isinstance(config, dict) or "model" not in config:
        raise ReleaseError(f"{config_pt}: not a classifier config of the authors' release (a dict with 'model')")
    return config


def build_from_config(config: dict):
    """Our model that the authors' ``init_model(config)`` describes (their names: model, feature_dims, n_layers,
    n_heads, d_model, dropout, fixed_position_encoding), over their features in their (sorted) order."""
    from genrelib.models.classifiers import build_model

    if config["model"] not in KIND_OF:
        raise ReleaseError(f"model {config['model']!r} is none of the authors' classifiers {sorted(KIND_OF)}")
    kind = KIND_OF[config["model"]]
    dims = {name: int(config["feature_dims"][name]) for name in sorted(config["feature_dims"])}
    layers, dropout, d_model = int(config["n_layers"]), float(config.get("dropout", 0.0)), int(config["d_model"])
    if kind == "mlp":
        return build_model(kind, dims, layers=layers, hidden=d_model, dropout=dropout)
    rows = {name: int(config["feature_lengths"][name]) for name in dims}
    if kind == "single-transformer":  # every table holds the whole input: each feature, its <SEP>, the <CLS>
        total = sum(rows.values()) + len(rows) + 1
        return build_model(kind, dims, d_model=d_model, layers=layers, heads=int(config["n_heads"]), dropout=dropout,
                           position_rows=total)
    return build_model(kind, dims, d_model=d_model if d_model > 0 else None, layers=layers,
                       heads=int(config["n_heads"]), dropout=dropout,
                       averaged=tuple(name for name in dims if name in SINGULAR_FEATURES),
                       positions="sinusoidal" if config.get("fixed_position_encoding") else "learned",
                       position_rows={name: rows[name] + 1 for name in dims})


def input_statistics(config: dict, stats: dict | None, dims: dict[str, int]) -> dict[str, tuple] | None:
    """Per feature (shift, scale) of the authors' input conventions: min-max normalisation, then
    standardisation, with the release's ``stats``, as their loader applies them when the config says so; None
    when it says neither."""
    normalize, standardize = bool(config.get("normalize")), bool(config.get("standardize"))
    if not (normalize or standardize):
        return None
    if stats is None:
        raise ReleaseError("this classifier was trained on normalised or standardised features: it needs the "
                           "release's statistics (genrelib import-features saves them beside the store)")
    scaling = {}
    for name, dim in dims.items():
        shift, scale = np.zeros(dim), np.ones(dim)
        if normalize:  # (x - min) / (max - min)
            low, high = (np.broadcast_to(np.asarray(stats[name][k], np.float64), dim) for k in ("min", "max"))
            shift, scale = low, high - low
        if standardize:  # then (x' - mean) / std: x = shift + scale * x'
            mean, std = (np.broadcast_to(np.asarray(stats[name][k], np.float64), dim) for k in ("mean", "std"))
            shift, scale = shift + scale * mean, scale * std
        scaling[name] = (shift.astype(np.float32), scale.astype(np.float32))
    return scaling


def load_classifier(model_pt: str | os.PathLike, config_pt: str | os.PathLike, stats: dict | None = None):
    """One of the authors' trained classifiers as our model, in eval mode, with its config.

    The config is read with :func:`read_config`; the model is built by :func:`build_from_config` and takes the
    checkpoint's weights under our names. A checkpoint that does not fit (a missing, unexpected or mis-shaped
    key) is an error naming the keys, never a partial load. When the config normalises or standardises, the
    release's ``stats`` become the model's input scaling."""
    import torch

    config = read_config(config_pt)
    model = build_from_config(config)
    try:
        theirs = torch.load(model_pt, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ReleaseError(f"{model_pt}: not a plain state dict ({str(exc).splitlines()[0]})") from None
    ours = model.state_dict()
    mapped = {theirs_to_ours(model.kind, k): v for k, v in theirs.items()}
    missing = sorted(ours_to_theirs(model.kind, k) for k in set(ours) - set(mapped) if not k.startswith("scaling."))
    unexpected = sorted(k for k in theirs if theirs_to_ours(model.kind, k) not in ours)
    expected = {ours_to_theirs(model.kind, k): tuple(v.unsqueeze(1).shape if _is_table(k) else v.shape)
                for k, v in ours.items()}
    shapes = [f"{k} {tuple(v.shape)} (expected {expected[k]})" for k, v in theirs.items()
              if k in expected and tuple(v.shape) != expected[k]]
    if missing or unexpected or shapes:
        raise ReleaseError(f"{model_pt}: does not fit the {config['model']} its config {Path(config_pt).name} "
                           f"describes: missing {missing or 'none'}; unexpected {unexpected or 'none'}; "
                           f"other shapes {shapes or 'none'}")
    model.load_state_dict({k: v.reshape(ours[k].shape) for k, v in mapped.items()}, strict=False)
    scaling = input_statistics(config, stats, model.dims)
    if scaling is not None:
        from genrelib.models.base import InputScaling

        model.scaling = InputScaling(model.dims)
        for name, (shift, scale) in scaling.items():
            model.scaling.set(name, shift, scale)
    return model.eval(), config


def training_lengths(config: dict) -> dict[str, int]:
    """Frames per feature the classifier was trained on (the authors' feature_lengths; their multi-transformer's
    exclude the <CLS>); one vector for the singular features."""
    return {name: 1 if name in SINGULAR_FEATURES else int(config["feature_lengths"][name])
            for name in config["feature_dims"]}
