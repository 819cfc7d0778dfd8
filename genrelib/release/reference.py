"""Fakes and reference models shared by the tests and the benchmarks (neither imports the other).

* :func:`write_synthetic_release`: a small release of exactly the authors' published ``features.pkl`` format
  (:mod:`genrelib.release`); :func:`write_synthetic_classifiers`: checkpoints in their exact layout, with
  random weights, and :func:`authors_config`, the config dict beside each.
* :class:`ReferenceMLP`, :class:`ReferenceSingle`, :class:`ReferenceMulti`: what
  ``classification/src/classifiers.py`` of serkansulun/trailer-genre-classification @caac031 computes,
  described in our words and rebuilt from ``nn.TransformerEncoderLayer`` / ``nn.TransformerEncoder`` /
  ``nn.Linear``: sequence-first tensors, parameters under the same names and created in the same order, so
  a state dict of theirs loads here and a seed draws their initial weights. No code of theirs is copied.
"""

from __future__ import annotations

import math
import os
import pickle
from pathlib import Path

import numpy as np
import torch
from torch import nn

from genrelib.data.labels import GENRES, MovieNetLabels
from genrelib.models.classifiers import N_GENRES
from genrelib.models.layers import perceptron
from genrelib.release.classifiers import SINGULAR_FEATURES, build_from_config, to_authors_layout
from genrelib.release.features import FEATURE_SHAPES


class _StreamedDict:
    """Pickles as a plain dict whose items are drawn from an iterator while the pickle is written."""

    def __init__(self, items):
        self.items = items

    def __reduce__(self):
        return dict, (), None, None, self.items


def write_synthetic_release(path: str | os.PathLike, movienet: MovieNetLabels, splits: dict[str, list[str]],
                    videos_per_split: dict[str, int], signal: float = 1.0, seed: int = 0) -> Path:
    """A small release in exactly the published format, over the first ``videos_per_split[s]`` real MovieNet
    ids of each split: random vectors whose frames carry a genre direction with some probability, lengths
    following each trailer's duration, some features missing or empty as in the real file.

    Samples are drawn while the pickle is written and not kept, so a release of full size (26,412 trailers,
    about 14 GiB) needs little memory to write; it reads back as the same plain dicts."""
    rng = np.random.default_rng(seed)
    directions = {name: rng.standard_normal((len(GENRES), dim)) for name, (dim, _) in FEATURE_SHAPES.items()}
    order = rng.permutation(len(GENRES))  # the release's label order is its own: a test that it is mapped

    def sample(video: str) -> dict:
        labels = movienet.multi_hot([video])[0]
        duration = float(movienet.frame.loc[video, "duration"])
        features = {}
        for name, (dim, rate) in FEATURE_SHAPES.items():
            if rng.random() < 0.1:
                continue  # the sample lacks this feature
            length = 1 if rate is None else int(rng.poisson(rate * duration))
            frames = rng.standard_normal((length, dim), dtype=np.float32)
            shows = rng.random(length) < 0.3
            if labels.any() and shows.any():
                frames[shows] += signal * directions[name][rng.choice(np.flatnonzero(labels), shows.sum())]
            features[name] = frames[0] if rate is None and length else frames
        return {"features": features, "label": labels[order].astype(np.float32)}

    videos = [video for split, count in videos_per_split.items() for video in splits[split][:count]]
    samples = _StreamedDict((video, sample(video)) for video in videos)
    release = {"samples": samples, "stats": {}, "idx_to_label": {i: GENRES[g] for i, g in enumerate(order)}}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: it would keep every written array alive (the release shares no object)
        pickler.dump(release)
    return path


def authors_config(kind: str, feature_dims: dict[str, int], feature_lengths: dict[str, int], *, d_model: int,
                   n_layers: int, n_heads: int = 8, dropout: float = 0.0, standardize: bool = False,
                   fixed_position_encoding: bool = False) -> dict:
    """A config dict as the authors' config.py builds it (their key names, a ``Path`` and a ``torch.device``
    among the values), for a checkpoint written in their layout."""
    lengths = dict(feature_lengths)
    if kind == "multi_transformer":  # their config.py leaves a row of each table to the <CLS>
        lengths = {k: v if k in SINGULAR_FEATURES else v - 1 for k, v in lengths.items()}
    return {"model": kind, "feature_dims": dict(feature_dims), "feature_lengths": lengths, "features":
            sorted(feature_dims), "n_layers": n_layers, "n_heads": n_heads, "d_model": d_model, "dropout": dropout,
            "fixed_position_encoding": fixed_position_encoding, "normalize": False, "standardize": standardize,
            "n_labels": len(GENRES), "labels": list(GENRES), "lr": 1e-5, "batch_size": 32, "amp": True,
            "device": torch.device("cpu"), "output_dir": Path("classification/output") / "synthetic"}


def write_synthetic_classifiers(dest: str | os.PathLike, feature_dims: dict[str, int],
                                feature_lengths: dict[str, int], seed: int = 0,
                                widths: dict[str, int] | None = None) -> list[Path]:
    """Three checkpoint pairs in the release's exact layout (``{kind}.pt``: a state dict under the authors'
    parameter names and shapes; ``{kind}_config.pt``: their config dict), with random weights, for tests and
    for running ``evaluate-release-classifiers`` without the release; ``widths`` overrides a kind's d_model."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    settings = {"mlp": {"d_model": 256, "n_layers": 1}, "single_transformer": {"d_model": 64, "n_layers": 2},
                "multi_transformer": {"d_model": 32, "n_layers": 1}}
    written = []
    for number, (kind, options) in enumerate(settings.items()):
        config = authors_config(kind, feature_dims, feature_lengths, **{**options, "d_model": (widths or {}).get(
            kind, options["d_model"])})
        torch.manual_seed(seed + number)
        model = build_from_config(config)
        torch.save(to_authors_layout(model), dest / f"{kind}.pt")
        torch.save(config, dest / f"{kind}_config.pt")
        written += [dest / f"{kind}.pt", dest / f"{kind}_config.pt"]
    return written


# ---- The authors' classes, rebuilt from torch's own modules -----------------------------------------------

SINGULAR = ("asr_sentiment", "ocr_sentiment")  # read as one vector per video, as theirs do


class LearnedPositions(nn.Module):
    """A (rows, 1, width) table added to a sequence-first input, then dropout (default 0.1, as theirs)."""

    def __init__(self, width: int, dropout: float = 0.1, rows: int = 5000, fixed: bool = False):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        if fixed:
            table = torch.zeros(rows, width)
            position = torch.arange(rows, dtype=torch.float).unsqueeze(1)
            frequency = torch.exp(torch.arange(0, width, 2).float() * (-math.log(10000.0) / width))
            table[:, 0::2], table[:, 1::2] = torch.sin(position * frequency), torch.cos(position * frequency)
            self.register_buffer("pe", table.unsqueeze(1))
        else:
            self.pe = nn.Parameter(torch.empty(rows, 1, width).normal_(std=0.02))

    def forward(self, x):
        return self.dropout(x + self.pe[:x.size(0)])


class Body(nn.Module):
    """Optional positions, then torch's encoder stack with a final LayerNorm; feed-forward 4 x width."""

    def __init__(self, width, layers, heads, dropout, positions=False, rows=5000, fixed=False):
        super().__init__()
        if positions:
            self.pos_encoder = LearnedPositions(width, dropout, rows, fixed)
        layer = nn.TransformerEncoderLayer(width, heads, dim_feedforward=4 * width, dropout=dropout)
        self.transformer_body = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(width),
                                                      enable_nested_tensor=False)

    def forward(self, x):
        if hasattr(self, "pos_encoder"):
            x = self.pos_encoder(x)
        return self.transformer_body(x)


class ReferenceMLP(nn.Module):
    def __init__(self, feature_dims, layers=1, hidden=256, dropout=0.5):
        super().__init__()
        # torch's own dropout, where ours has a faster sampler
        self.model = perceptron([sum(feature_dims.values())] + [hidden] * (layers - 1) + [N_GENRES],
                                lambda: nn.Dropout(dropout))

    def forward(self, x):  # x: {feature: (batch, frames, dim)}; a plain mean over every frame given
        return self.model(torch.cat([x[k].mean(1) for k in sorted(x)], -1))


class ReferenceSingle(nn.Module):
    def __init__(self, feature_dims, layers=2, heads=8, width=256, dropout=0.5, rows=5000):
        super().__init__()
        self.encoders, self.sep_vectors = nn.ModuleDict(), nn.ParameterDict()
        self.positional_encoding = nn.ModuleDict()
        for name, dim in feature_dims.items():
            self.sep_vectors[name] = nn.Parameter(torch.rand(1, 1, width))
            self.positional_encoding[name] = LearnedPositions(width, rows=rows)
            self.encoders[name] = nn.Linear(dim, width)
        self.transformer = Body(width, layers, heads, dropout)
        self.cls_vector = nn.Parameter(torch.rand(1, 1, width))
        self.decoder = nn.Linear(width, N_GENRES)

    def forward(self, x):
        parts = []
        for name in sorted(x):
            tokens = self.encoders[name](x[name].transpose(0, 1))
            tokens = torch.cat([self.sep_vectors[name].expand(-1, tokens.shape[1], -1), tokens])
            parts.append(self.positional_encoding[name](tokens))
        tokens = torch.cat(parts)
        tokens = torch.cat([self.cls_vector.expand(-1, tokens.shape[1], -1), tokens])
        return self.decoder(self.transformer(tokens)[0])


class ReferenceMulti(nn.Module):
    def __init__(self, feature_dims, rows, layers=1, heads=8, width=128, dropout=0.5, fixed=False):
        super().__init__()
        self.width = width
        self.encoders, self.transformers, self.cls_vectors = nn.ModuleDict(), nn.ModuleDict(), nn.ParameterDict()
        total = 0
        for name, dim in feature_dims.items():
            d = width if width > 0 else dim
            if width > 0:
                self.encoders[name] = nn.Linear(dim, d)
            if name not in SINGULAR:
                self.transformers[name] = Body(d, layers, heads, dropout, positions=True, rows=rows[name],
                                               fixed=fixed)
                self.cls_vectors[name] = nn.Parameter(torch.rand(1, 1, d))
            total += d
        self.decoder = nn.Linear(total, N_GENRES)

    def forward(self, x):
        out = {}
        for name in x:
            tokens = x[name].transpose(0, 1)
            if self.width > 0:
                tokens = self.encoders[name](tokens)
            if name not in SINGULAR:
                tokens = torch.cat([self.cls_vectors[name].expand(-1, tokens.shape[1], -1), tokens])
                tokens = self.transformers[name](tokens)
            out[name] = tokens[0]
        return self.decoder(torch.cat([out[k] for k in sorted(out)], -1))
