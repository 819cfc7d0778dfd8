"""Reference classifiers in the authors' layout, written here from torch's own modules.

What ``classification/src/classifiers.py`` of serkansulun/trailer-genre-classification @caac031 computes,
described in our words and rebuilt from ``nn.TransformerEncoderLayer`` / ``nn.TransformerEncoder`` /
``nn.Linear``: sequence-first tensors, parameters under the same names and created in the same order, so
a state dict of theirs loads here and a seed draws their initial weights. No code of theirs is copied; the
tests and ``benchmarks.authors`` compare genrelib's models with these.
"""

from __future__ import annotations

import torch
from torch import nn

SINGULAR = ("asr_sentiment", "ocr_sentiment")


class LearnedPositions(nn.Module):
    """A (rows, 1, width) table added to a sequence-first input, then dropout (default 0.1, as theirs)."""

    def __init__(self, width: int, dropout: float = 0.1, rows: int = 5000, fixed: bool = False):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        if fixed:
            import math

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
        sizes = [sum(feature_dims.values())] + [hidden] * (layers - 1) + [21]
        stack = []
        for i in range(len(sizes) - 1):
            stack.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                stack += [nn.Dropout(dropout), nn.ReLU()]
        self.model = nn.Sequential(*stack)

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
        self.decoder = nn.Linear(width, 21)

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
        self.decoder = nn.Linear(total, 21)

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
