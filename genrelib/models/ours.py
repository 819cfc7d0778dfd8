"""Models stage: our classifiers, not the paper's, each with our options by default (masked padding, standardised
inputs). :class:`GenreAttention` gives each genre its own attention query; :class:`FrameDetector` is the
positive control of chapter 7's controlled tests: a per-frame classifier max-pooled over time, the
best-single-frame rule with learned directions."""

from __future__ import annotations

import torch
from torch import nn

from genrelib.models.base import N_GENRES, FeatureClassifier, Padded
from genrelib.models.layers import Dropout, perceptron


class GenreAttention(FeatureClassifier):
    """Ours, not the paper's: one learned attention query per genre and modality, over that modality's frames.

    The paper's transformers read a trailer through one <CLS> query per modality, so 8 heads share 21 genres'
    evidence. Here each genre attends on its own: frame t of modality m gets the weight
    softmax_t(q_{m,g} . k_t) for genre g, the weighted mean of the frames' values is read by that genre's
    own readout, and the modalities' contributions add up. With a sharp softmax this is the best-single-frame
    detector per genre; with a flat one, a temporal mean. No positions: it asks where evidence is, not when.
    Its inputs are standardised by default.
    """

    kind = "genre-attention"
    training_options = {"padding": "masked"}  # ours, so it reads no padding zeros as frames (training.OURS)

    def __init__(self, dims: dict[str, int], d_model: int = 64, dropout: float = 0.1, standardize: bool = True):
        super().__init__(dims, standardize, d_model=d_model, dropout=dropout)
        self.keys = nn.ModuleDict({n: nn.Linear(d, d_model) for n, d in dims.items()})
        self.values = nn.ModuleDict({n: nn.Linear(d, d_model) for n, d in dims.items()})
        self.queries = nn.ParameterDict({n: nn.Parameter(torch.randn(N_GENRES, d_model) * 0.02) for n in dims})
        self.readout = nn.ParameterDict({n: nn.Parameter(torch.randn(N_GENRES, d_model) * d_model ** -0.5)
                                         for n in dims})
        self.dropout = Dropout(dropout)
        self.bias = nn.Parameter(torch.zeros(N_GENRES))

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        logits = self.bias.expand(next(iter(batch.values())).values.shape[0], -1)
        for name, x, mask in self._inputs(batch):
            scores = torch.einsum("btd,gd->bgt", self.keys[name](x), self.queries[name])  # (batch, genre, frame)
            weights = torch.softmax(scores.masked_fill(~mask[:, None], float("-inf")), -1).nan_to_num(0.0)
            pooled = self.dropout(torch.einsum("bgt,btd->bgd", weights, self.values[name](x)))
            logits = logits + (pooled * self.readout[name]).sum(-1) * mask.any(1, keepdim=True)
        return logits


class FrameDetector(FeatureClassifier):
    """Ours, not the paper's: each frame scored for every genre by a small MLP of its own modality, the scores
    pooled over the frames the mask marks by a soft maximum, log((1/T) sum_t exp(s_t)), and the modalities'
    pools added.

    It is built to exploit one mechanism, a genre shown in single frames. The soft maximum is the mean of the
    scores while they are small, so training starts from what a temporal mean can learn, and the maximum once
    they are large, the best-single-frame rule: a hard maximum from the start sends each step's gradient to
    one frame, mostly noise, and learned nothing on chapter 7's stores. The hidden layer lets a frame's score
    need two events at once: on a store of moment tokens (:mod:`genrelib.features.moments`, image and sound
    of one moment in one token) it can learn the same-moment rule. Its inputs are standardised by default.
    """

    kind = "frame-detector"
    training_options = {"padding": "masked"}  # ours: padding zeros are no frames to detect in

    def __init__(self, dims: dict[str, int], hidden: int = 64, dropout: float = 0.1, standardize: bool = True):
        super().__init__(dims, standardize, hidden=hidden, dropout=dropout)
        self.score = nn.ModuleDict({name: perceptron([dim, *([hidden] if hidden else []), N_GENRES],
                                                     lambda: Dropout(dropout)) for name, dim in dims.items()})
        self.bias = nn.Parameter(torch.zeros(N_GENRES))

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        logits = self.bias.expand(next(iter(batch.values())).values.shape[0], -1)
        for name, x, mask in self._inputs(batch):
            scores = self.score[name](x).masked_fill(~mask[..., None], float("-inf"))
            frames = mask.sum(1, keepdim=True)
            pooled = torch.logsumexp(scores, 1) - frames.clamp(min=1).log()
            logits = logits + torch.where(frames > 0, pooled, torch.zeros_like(pooled))
        return logits
