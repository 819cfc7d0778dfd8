"""Models stage: the paper's classifiers over per-modality feature sequences.

Every model takes a batch ``{modality: Padded(values (B, T, D), mask (B, T))}``, where ``mask`` is True on the
frames the model reads, and returns 21 genre logits (the sigmoid is part of the loss and of
:func:`genrelib.training.predict`). How a batch is filled is the batch builder's business
(:func:`genrelib.training.assemble`): the paper's zero vectors arrive with a mask that is True everywhere, so the
model reads them as frames, as the authors' code does; our masked padding arrives with False on the padding.
A model's input scaling (``scaling``: statistics that travel with its checkpoint) is applied there too, to each
video's frames before padding, where the authors' loader standardises.

**Every default is the paper's configuration.** The paper gives the widths, depths and heads (§3.2.6); where
it is silent, the authors' code (serkansulun/trailer-genre-classification @caac031, ``classifiers.py``; the
facts and their lines are in :data:`genrelib.evidence.AUTHORS`) decides:

* feed-forward width 4 x d_model, post-norm ReLU layers, and a LayerNorm after the encoder stack;
* learned position tables, added after the <SEP> (single) or <CLS> (multi) token is prepended, with dropout
  after them (0.1 in the single-transformer, whose tables are built without a rate; the model's dropout in the
  multi-transformer); <SEP>/<CLS> vectors drawn uniform in [0, 1); a plain linear head, no dropout before it;
* the multi-transformer projects an averaged (one-vector) text stream to d_model before the head;
* the MLP is one linear layer over the concatenated temporal means, with no dropout.

The tables' size is the one thing here that is not the authors' code. Their released classes size each table
to the training length (530 rows in the single-transformer, ``classifiers.py:83``; the length + 1 in the
multi-transformer, ``classifiers.py:147``), which gives the single-transformer 2,840,085 parameters. Tables of
5,000 rows, ``PositionalEncoding``'s default (``classifiers.py:176``), give it 8,561,685, the paper's printed
8.56M, and leave room for the full-length test sequences of §4: we infer the 5,000 rows from the printed count.
Parameters are created in the authors' order, so a seed draws the same initial weights as their classes.

The paper's printed 6.98M for the multi-transformer is matched exactly (6,980,117) by a model its text does
not describe: the authors' class with its default d_model -1 (each stream at its own width), 2 layers, and OCR
and ASR averaged, with training-length tables. ``build_model("multi-transformer", dims, config="printed
count")`` builds it (:data:`CONFIGURATIONS`); the default is the text's 1 layer at d 128.

**Our options** are named arguments whose defaults are the paper's (:data:`OURS` lists them):
``positions="interpolated"`` (tables of training-length rows read linearly interpolated for longer test
sequences, instead of rows never trained), ``standardize=True`` (inputs standardised with training statistics),
``head_dropout`` and the MLP's ``input_dropout``.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .evidence import AUTHORS
from .paper import BASELINE, MULTI_TRANSFORMER, SINGLE_TRANSFORMER, TRAIN_LENGTHS
from .store import write_atomically

N_GENRES = 21
PAPER_POSITION_ROWS = 5000  # inferred from the printed 8.56M: PositionalEncoding's default row count
SINGLE_POSITION_DROPOUT = AUTHORS["single_position_dropout"].value  # the tables are built without a rate
OTHER_MODALITY_LENGTH = 256  # training length assumed for a modality the paper does not name (interpolated tables)
POSITION_KINDS = ("learned", "interpolated", "sinusoidal")

# Our options, not the paper's: the model arguments that turn each on (training's are training.OURS).
OURS = {"interpolated positions": {"positions": "interpolated"}, "standardised inputs": {"standardize": True},
        "dropout before the head": {"head_dropout": 0.5}}


class Padded(NamedTuple):
    values: torch.Tensor  # (batch, frames, dim)
    mask: torch.Tensor  # (batch, frames), True on the frames the model reads


class InputScaling(nn.Module):
    """Per-modality ``(x - shift) / scale``, set once: from training statistics (standardisation) or from the
    statistics an imported checkpoint was trained with. The batch builder applies it to real frames only."""

    def __init__(self, dims: dict[str, int]):
        super().__init__()
        for name, dim in dims.items():
            self.register_buffer(f"shift_{name}", torch.zeros(dim))
            self.register_buffer(f"scale_{name}", torch.ones(dim))

    def set(self, name: str, shift, scale) -> None:
        getattr(self, f"shift_{name}").copy_(torch.as_tensor(shift))
        getattr(self, f"scale_{name}").copy_(torch.as_tensor(scale))

    def forward(self, name: str, values: torch.Tensor) -> torch.Tensor:
        return (values - getattr(self, f"shift_{name}")) / getattr(self, f"scale_{name}")



class Dropout(nn.Module):
    """Inverted dropout with nn.Dropout's distribution and a cheaper sampler.

    torch's CPU Bernoulli sampler draws one random number per element; at the
    paper's sizes that was most of a training step. When ``p`` is a multiple of
    1/2**w for w in (1, 2, 4, 8) (the paper's 0.5 is), each element instead
    reads w independent random bits of a random byte (8x fewer draws at p=0.5,
    unpacked with byte-wide operations) and is kept when they read at least
    p * 2**w; any other ``p`` compares uniform floats with p.
    """

    def __init__(self, p: float):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.bits = next((w for w in (1, 2, 4, 8) if (p * 2**w).is_integer()), None)

    def keep(self, like: torch.Tensor) -> torch.Tensor:
        """A mask shaped and typed like ``like``: 1 where an element is kept (probability 1 - p), else 0."""
        if self.bits is None:
            return (torch.rand_like(like) >= self.p).to(like.dtype)
        per_byte, count = 8 // self.bits, like.numel()
        words = -(-count // (4 * per_byte))  # 32-bit draws, every bit uniform
        random_bytes = torch.randint(-2**31, 2**31, (words,), dtype=torch.int32, device=like.device).view(torch.uint8)
        shifts = torch.arange(0, 8, self.bits, dtype=torch.uint8, device=like.device)
        fields = ((random_bytes[:, None] >> shifts) & (2**self.bits - 1)).view(-1)[:count]
        if self.bits > 1 or self.p != 0.5:  # at p = 0.5 each one-bit field is the mask itself
            fields = fields >= round(self.p * 2**self.bits)
        return fields.to(like.dtype).view(like.shape)

    def unscaled(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with dropped elements zeroed and kept ones not yet divided by 1 - p, for a caller that rescales
        a smaller product instead (attention rescales its output, not its weights)."""
        return x * self.keep(x) if self.training and self.p else x

    def scale(self) -> float:
        return 1 / (1 - self.p) if self.training else 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        return self.unscaled(x).mul_(self.scale())

    def extra_repr(self) -> str:
        return f"p={self.p}"


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the frames the mask marks; a sequence with none gives zeros. One batched matrix product: no
    (batch x frames x dim) temporary, so the MLP's step costs little more than reading its batch."""
    weights = mask.to(values.dtype).unsqueeze(1)  # (batch, 1, frames)
    return torch.bmm(weights, values)[:, 0] / weights.sum(-1).clamp(min=1.0)


class FeatureClassifier(nn.Module):
    """Common base: modality dims, optional input scaling, and the rebuild recipe for checkpoints."""

    kind: str
    reads_only_temporal_means = False  # True: training may hand the model each sequence's mean, computed once
    clips_gradients = True  # the paper clips the transformers' gradients at norm 1, not the MLP's

    def __init__(self, dims: dict[str, int], standardize: bool = False, **hyper):
        super().__init__()
        self.dims = dict(dims)
        self.hyper = {**hyper, "standardize": standardize}
        self.scaling = InputScaling(self.dims) if standardize else None

    def _check(self, batch: dict[str, Padded]) -> None:
        missing = set(self.dims) - set(batch)
        if missing:
            raise ValueError(f"batch lacks modalities {sorted(missing)} that the {self.kind} was built for")

    def reinitialise(self, seed: int) -> None:
        """Draw the trainable weights afresh from ``seed``: the same seed gives the same starting point,
        whatever the random state was when the model was built. Frozen weights and input statistics stay."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            fresh = type(self)(self.dims, **self.hyper)
        frozen = {name for name, parameter in self.named_parameters() if not parameter.requires_grad}
        self.load_state_dict({k: v for k, v in fresh.state_dict().items()
                              if k not in frozen and not k.startswith("scaling.")}, strict=False)

    def _inputs(self, batch: dict[str, Padded]):
        self._check(batch)
        for name in self.dims:
            yield name, *batch[name]


class MLP(FeatureClassifier):
    """The paper's MLP: the authors' ``MLP`` class over the concatenated temporal means of all modalities.

    With ``layers=1`` (the paper's) it is one linear layer, 47,061 parameters at the paper's feature widths
    (2,240 inputs, 21 genres); the paper prints 57k, which no configuration we tried reproduces (chapter 4).
    ``layers > 1`` adds hidden layers of ``hidden`` units, each followed by dropout and ReLU, as the authors'
    class does. The mean is over the frames the mask marks: with the paper's zero padding, over the padded
    sequence, as the authors' ``torch.mean`` computes it. ``input_dropout`` (ours) drops input features.
    """

    kind = "mlp"
    reads_only_temporal_means = True
    clips_gradients = False

    def __init__(self, dims: dict[str, int], layers: int = 1, hidden: int = 256, dropout: float = 0.5,
                 input_dropout: float = 0.0, standardize: bool = False):
        super().__init__(dims, standardize, layers=layers, hidden=hidden, dropout=dropout,
                         input_dropout=input_dropout)
        sizes = [sum(dims.values())] + [hidden] * (layers - 1) + [N_GENRES]
        stack = []
        for i in range(len(sizes) - 1):
            stack.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                stack += [Dropout(dropout), nn.ReLU()]
        self.net = nn.Sequential(*stack)
        self.input_dropout = Dropout(input_dropout)

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        self._check(batch)
        return self.net(self.input_dropout(torch.cat([masked_mean(*batch[name]) for name in self.dims], dim=-1)))


def sinusoids(rows: int, width: int) -> torch.Tensor:
    """The fixed sine/cosine table of Vaswani et al. (2017), the authors' ``fixed_position_encoding``."""
    table = torch.zeros(rows, width)
    position = torch.arange(rows, dtype=torch.float).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, width, 2).float() * (-math.log(10000.0) / width))
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


class Positions(nn.Module):
    """Positions added to a sequence whose first token is its <SEP> or <CLS>, then dropout.

    ``learned`` (the paper's): row i of a learned table is added to token i; a sequence longer than the table
    is an error. ``sinusoidal``: the same with a fixed table. ``interpolated`` (ours): a sequence longer than
    the table reads it linearly interpolated to its own length (its real tokens, not the batch's padded
    length), so row i keeps meaning "the i-th of L tokens spread over the trailer".

    A learned table is held in two parameters, the first ``reach`` rows and the rest, and saved and loaded as
    the one ``table``: rows past the longest sequence trained on then get no gradient at all (``None``), so
    Adam and gradient clipping skip them instead of updating 5,000 rows of zeros each step. The arithmetic is
    the same: Adam leaves a row that never had a gradient where it was drawn, clipping counts it as zero.
    """

    def __init__(self, rows: int, width: int, kind: str = "learned", dropout: float = 0.0, reach: int | None = None):
        super().__init__()
        if kind not in POSITION_KINDS:
            raise ValueError(f"positions must be one of {POSITION_KINDS}, not {kind!r}")
        self.kind = kind
        if kind == "sinusoidal":
            self.register_buffer("fixed", sinusoids(rows, width))
        else:
            table = torch.empty(rows, width).normal_(std=0.02)
            reach = min(rows, reach or rows)
            self.head, self.tail = nn.Parameter(table[:reach].clone()), nn.Parameter(table[reach:].clone())
        self.dropout = Dropout(dropout)

    @property
    def table(self) -> torch.Tensor:
        """The whole table (rows x width)."""
        return self.fixed if self.kind == "sinusoidal" else torch.cat([self.head, self.tail])

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        table = self.table
        destination[prefix + "table"] = table if keep_vars else table.detach()

    def _load_from_state_dict(self, state_dict, prefix, *args):
        table = state_dict.pop(prefix + "table", None)
        if table is not None:
            if self.kind == "sinusoidal":
                state_dict[prefix + "fixed"] = table
            else:
                reach = len(self.head)
                state_dict[prefix + "head"], state_dict[prefix + "tail"] = table[:reach], table[reach:]
        super()._load_from_state_dict(state_dict, prefix, *args)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.dropout(tokens + self.read(mask))

    def read(self, mask: torch.Tensor) -> torch.Tensor:
        """Positions (batch or 1, tokens, width) for a padded batch whose real tokens come first."""
        length = mask.shape[1]
        if self.kind != "sinusoidal" and length <= len(self.head):
            return self.head[:length].unsqueeze(0)  # the tail takes no part, and so gets no gradient
        table = self.table
        rows = len(table)
        if length <= rows:
            return table[:length].unsqueeze(0)
        if self.kind != "interpolated":
            raise ValueError(f"a sequence of {length} tokens is longer than its {rows}-row position table; cap it "
                             "with equidistant frames, or use positions='interpolated'")
        lengths = mask.sum(1, keepdim=True)
        index = torch.arange(length, device=mask.device, dtype=table.dtype).expand(mask.shape)
        stretch = torch.where(lengths > rows, (rows - 1) / (lengths - 1).clamp(min=1), 1.0)
        where = (index * stretch).clamp(max=rows - 1)
        low = where.floor().long()
        high = (low + 1).clamp(max=rows - 1)
        weight = (where - low).unsqueeze(-1)
        return table[low] * (1 - weight) + table[high] * weight


class EncoderLayer(nn.Module):
    """``nn.TransformerEncoderLayer(d_model, heads, ff_dim, dropout)`` (post-norm, ReLU), the layer of the paper's
    and the authors' transformers, made cheaper to train.

    Same parameters under the same names, drawn from the random stream in the same order (a checkpoint of
    either loads into the other; outputs agree), dropout at the same four places, attention weights included.
    What differs is cost only: dropout masks come from :class:`Dropout`'s cheaper sampler; attention runs in
    the fused kernel (``scaled_dot_product_attention``) wherever it supports the step (in evaluation, and in
    training on a GPU); and with ``first_only`` the layer computes only its first token's output, all a
    classifier reads from its last layer (<CLS>): keys and values for every token, one query.
    """

    def __init__(self, d_model: int, heads: int, ff_dim: int, dropout: float):
        super().__init__()
        if d_model % heads:
            raise ValueError(f"a width of {d_model} cannot be split into {heads} attention heads")
        # created in nn.TransformerEncoderLayer's order so that a seed gives its initial weights
        self.self_attn = nn.MultiheadAttention(d_model, heads, dropout=dropout)
        self.linear1 = nn.Linear(d_model, ff_dim)
        self.dropout = Dropout(dropout)
        self.linear2 = nn.Linear(ff_dim, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.attention_dropout = Dropout(dropout)
        self.heads = heads

    def attend(self, x: torch.Tensor, keep: torch.Tensor, first_only: bool = False) -> torch.Tensor:
        """Multi-head self-attention over the tokens that ``keep`` (batch, tokens) marks; the queries of every
        token, or of the first alone."""
        batch, tokens, width = x.shape
        weight, bias, per_head = self.self_attn.in_proj_weight, self.self_attn.in_proj_bias, width // self.heads
        if first_only:
            q = F.linear(x[:, :1], weight[:width], bias[:width]).view(batch, 1, self.heads, per_head).transpose(1, 2)
            k, v = (F.linear(x, weight[width:], bias[width:])
                    .view(batch, tokens, 2, self.heads, per_head).permute(2, 0, 3, 1, 4))
        else:
            q, k, v = F.linear(x, weight, bias).view(batch, tokens, 3, self.heads, per_head).permute(2, 0, 3, 1, 4)
        allowed = None if bool(keep.all()) else keep[:, None, None, :]
        p = self.attention_dropout.p if self.training else 0.0
        if p == 0 or x.device.type != "cpu":
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        else:  # the CPU's fused kernel has no dropout: its steps written out, scale and mask fused into one product
            heads, queries = batch * self.heads, q.shape[2]
            q, k, v = q.reshape(heads, queries, -1), k.reshape(heads, tokens, -1), v.reshape(heads, tokens, -1)
            if allowed is None:
                scores = torch.bmm(q, k.transpose(1, 2)).mul_(per_head ** -0.5)
            else:
                bias_ = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device).masked_fill_(~allowed, -math.inf)
                scores = torch.baddbmm(bias_.expand(-1, self.heads, -1, -1).reshape(heads, 1, tokens), q,
                                       k.transpose(1, 2), alpha=per_head ** -0.5)
            weights = self.attention_dropout.unscaled(scores.softmax(-1))
            out = torch.bmm(weights, v).mul_(self.attention_dropout.scale()).view(batch, self.heads, queries, -1)
        return self.self_attn.out_proj(out.transpose(1, 2).reshape(batch, out.shape[2], width))

    def forward(self, x: torch.Tensor, keep: torch.Tensor, first_only: bool = False) -> torch.Tensor:
        attended = self.attend(x, keep, first_only)
        x = self.norm1((x[:, :1] if first_only else x) + self.dropout1(attended))
        return self.norm2(x + self.dropout2(self.linear2(self.dropout(F.relu(self.linear1(x))))))


class Encoder(nn.Module):
    """``nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model))``, the authors' stack, of
    :class:`EncoderLayer` (its layers start as copies of one, as torch's do)."""

    def __init__(self, d_model: int, heads: int, layers: int, ff_dim: int, dropout: float):
        super().__init__()
        layer = EncoderLayer(d_model, heads, ff_dim, dropout)
        self.layers = nn.ModuleList([copy.deepcopy(layer) for _ in range(layers)])
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """The final-norm output of the first token (<CLS>) of ``x`` (batch, tokens, d_model); ``keep`` (batch,
        tokens) is True on the tokens attention reads."""
        for number, layer in enumerate(self.layers):
            x = layer(x, keep, first_only=number == len(self.layers) - 1)
        return self.norm(x[:, 0])


def _prepend(token: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor):
    """Put a learned token before a padded sequence; the token is always attended to."""
    batch = tokens.shape[0]
    always = torch.ones(batch, 1, dtype=torch.bool, device=mask.device)
    return torch.cat([token.expand(batch, 1, -1), tokens], 1), torch.cat([always, mask], 1)


def _pack(tokens: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move each row's real tokens to its front, in order, and cut the padding no row needs.

    Concatenated modalities leave masked padding between them; attention with a padding mask does not depend
    on where the real tokens sit (their positions are already added), so packing changes no output, only the
    work: a batch costs its longest video's tokens, not the sum of every modality's longest.
    """
    if bool(mask.all()):  # the paper's zero padding: nothing is masked, nothing to move
        return tokens, mask
    lengths = mask.sum(1)
    longest = int(lengths.max())
    order = torch.argsort((~mask).to(torch.uint8), dim=1, stable=True)[:, :longest]
    packed = tokens.gather(1, order.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
    return packed, torch.arange(longest, device=mask.device) < lengths.unsqueeze(1)


def _position_rows(dims: dict[str, int], positions: str, rows: int | dict[str, int] | None) -> dict[str, int]:
    """Rows of each modality's table: ``rows`` where given; else 5,000 (what the paper's printed count implies),
    or for interpolated tables the modality's training length plus its <SEP>/<CLS>."""
    if isinstance(rows, int):
        return dict.fromkeys(dims, rows)
    rows = rows or {}
    default = {name: (TRAIN_LENGTHS.get(name, OTHER_MODALITY_LENGTH) + 1 if positions == "interpolated"
                      else PAPER_POSITION_ROWS) for name in dims}
    return {name: int(rows.get(name, default[name])) for name in dims}


def _reach(name: str) -> int:
    """Table rows a modality's training sequences reach: its paper training length and the <SEP>/<CLS> (a longer
    training sequence still trains correctly, reading the rest of the table too)."""
    return TRAIN_LENGTHS.get(name, OTHER_MODALITY_LENGTH) + 1


def _uniform_token(width: int) -> nn.Parameter:
    """A learned <SEP> or <CLS> vector, drawn as the authors' ``torch.rand((1, 1, d))``."""
    return nn.Parameter(torch.rand(1, 1, width))


class SingleTransformer(FeatureClassifier):
    """One transformer over all modalities: <CLS>, then each modality's tokens after its own <SEP>.

    Each modality is projected to d_model, its <SEP> is prepended, and its position table is added from
    row 0 (the <SEP>) with dropout; the modalities are concatenated, one <CLS> is put in front, and a stack
    of ``layers`` post-norm layers with a final LayerNorm gives the <CLS> output a linear head reads.
    """

    kind = "single-transformer"

    def __init__(self, dims: dict[str, int], d_model: int = SINGLE_TRANSFORMER["d_model"],
                 layers: int = SINGLE_TRANSFORMER["layers"], heads: int = SINGLE_TRANSFORMER["heads"],
                 ff_dim: int | None = None, dropout: float = 0.5, position_dropout: float = SINGLE_POSITION_DROPOUT,
                 positions: str = "learned", position_rows: int | dict[str, int] | None = None,
                 head_dropout: float = 0.0, standardize: bool = False):
        rows = _position_rows(dims, positions, position_rows)
        ff_dim = ff_dim or 4 * d_model
        super().__init__(dims, standardize, d_model=d_model, layers=layers, heads=heads, ff_dim=ff_dim,
                         dropout=dropout, position_dropout=position_dropout, positions=positions,
                         position_rows=rows, head_dropout=head_dropout)
        self.sep, self.positions, self.project = nn.ParameterDict(), nn.ModuleDict(), nn.ModuleDict()
        for name, dim in dims.items():  # the authors' order: <SEP>, positions, projection
            self.sep[name] = _uniform_token(d_model)
            self.positions[name] = Positions(rows[name], d_model, positions, position_dropout, _reach(name))
            self.project[name] = nn.Linear(dim, d_model)
        self.encoder = Encoder(d_model, heads, layers, ff_dim, dropout)
        self.cls = _uniform_token(d_model)
        self.head = nn.Linear(d_model, N_GENRES)
        self.head_dropout = Dropout(head_dropout)

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        parts, masks = [], []
        for name, x, mask in self._inputs(batch):
            tokens, mask = _prepend(self.sep[name], self.project[name](x), mask)
            parts.append(self.positions[name](tokens, mask))
            masks.append(mask)
        tokens, mask = _prepend(self.cls, *_pack(torch.cat(parts, 1), torch.cat(masks, 1)))
        return self.head(self.head_dropout(self.encoder(tokens, mask)))


class MultiTransformer(FeatureClassifier):
    """One small transformer per modality, each with its own <CLS>; their outputs concatenated for the head.

    Each modality is projected to d_model (``d_model=None``: read at its own width, the authors' ``-1``), its
    <CLS> prepended and its positions added from row 0 with dropout, and a stack of ``layers`` post-norm layers
    with a final LayerNorm gives its <CLS> output. Modalities named in ``averaged`` skip the transformer: their
    temporal mean, projected to d_model, goes to the head instead.
    """

    kind = "multi-transformer"

    def __init__(self, dims: dict[str, int], d_model: int | None = MULTI_TRANSFORMER["d_model"],
                 layers: int = MULTI_TRANSFORMER["layers"], heads: int = MULTI_TRANSFORMER["heads"],
                 ff_dim: int | None = None, dropout: float = 0.5, positions: str = "learned",
                 position_rows: int | dict[str, int] | None = None, averaged: tuple = (),
                 head_dropout: float = 0.0, standardize: bool = False):
        unknown = set(averaged) - set(dims)
        if unknown:
            raise ValueError(f"averaged modalities {sorted(unknown)} are not among {sorted(dims)}")
        averaged = tuple(name for name in dims if name in averaged)
        rows = _position_rows({n: d for n, d in dims.items() if n not in averaged}, positions, position_rows)
        super().__init__(dims, standardize, d_model=d_model, layers=layers, heads=heads, ff_dim=ff_dim,
                         dropout=dropout, positions=positions, position_rows=rows, averaged=averaged,
                         head_dropout=head_dropout)
        self.averaged = averaged
        self.project, self.positions = nn.ModuleDict(), nn.ModuleDict()
        self.encoders, self.cls = nn.ModuleDict(), nn.ParameterDict()
        width = 0
        for name, dim in dims.items():  # the authors' order: projection, positions, layers, <CLS>
            d = d_model or dim
            if d_model:
                self.project[name] = self._projection(dim, d)
            if name not in self.averaged:
                self.positions[name] = Positions(rows[name], d, positions, dropout, _reach(name))
                self.encoders[name] = Encoder(d, heads, layers, ff_dim or 4 * d, dropout)
                self.cls[name] = _uniform_token(d)
            width += d
        self.head = nn.Linear(width, N_GENRES)
        self.head_dropout = Dropout(head_dropout)

    def _projection(self, dim: int, width: int) -> nn.Module:
        return nn.Linear(dim, width)

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        outputs = []
        for name, x, mask in self._inputs(batch):
            if name in self.averaged:
                x, mask = masked_mean(x, mask)[:, None], mask.any(1, keepdim=True)
            if name in self.project:
                x = self.project[name](x)
            if name in self.averaged:
                outputs.append(x[:, 0])
                continue
            tokens, mask = _prepend(self.cls[name], x, mask)
            outputs.append(self.encoders[name](self.positions[name](tokens, mask), mask))
        return self.head(self.head_dropout(torch.cat(outputs, -1)))


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


def _frame_trunk(dim: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU())


class FrameMLP(nn.Module):
    """Stage 1 of the raw-input baseline: a 2-layer MLP that classifies single frames of one modality."""

    clips_gradients = False

    def __init__(self, dim: int, hidden: int = BASELINE["width"], dropout: float = 0.5):
        super().__init__()
        self.trunk = _frame_trunk(dim, hidden)
        self.head = nn.Sequential(Dropout(dropout), nn.Linear(hidden, N_GENRES))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(frames))


class TwoStageBaseline(MultiTransformer):
    """Stage 2 of the paper's ViT + AST baseline: frozen per-frame MLP trunks, then per-modality fusion.

    A multi-transformer at the baseline's width (768) with 4 heads and one layer, whose per-modality
    projection is the stage-1 trunk (linear + ReLU), frozen by :meth:`freeze_trunks`; the <CLS> outputs are
    concatenated and a linear layer gives the logits.
    """

    kind = "two-stage-baseline"

    def __init__(self, dims: dict[str, int], d_model: int = BASELINE["width"], layers: int = BASELINE["fusion_layers"],
                 heads: int = BASELINE["fusion_heads"], **options):
        super().__init__(dims, d_model=d_model, layers=layers, heads=heads, **options)

    def _projection(self, dim: int, width: int) -> nn.Module:
        return _frame_trunk(dim, width)

    def freeze_trunks(self, frame_mlps: dict[str, FrameMLP]) -> None:
        """Take the stage-1 MLPs' trunk weights and stop training them."""
        for name, trained in frame_mlps.items():
            self.project[name].load_state_dict(trained.trunk.state_dict())
            self.project[name].requires_grad_(False)


MODELS = {cls.kind: cls for cls in (MLP, SingleTransformer, MultiTransformer, TwoStageBaseline, GenreAttention)}


def _printed_count(dims: dict[str, int]) -> dict:
    """The authors' multi-transformer that has the paper's printed 6.98M at its widths: d_model -1, 2 layers,
    OCR and ASR averaged (their one-vector features), tables of the training length (their config.py's length
    - 1, + 1 in the class)."""
    averaged = tuple(name for name in ("ocr", "asr") if name in dims)
    return {"d_model": None, "layers": 2, "averaged": averaged,
            "position_rows": {name: TRAIN_LENGTHS.get(name, OTHER_MODALITY_LENGTH)
                              for name in dims if name not in averaged}}


# Named configurations a reader can build and train beside the default: kind -> name -> options for ``dims``.
CONFIGURATIONS = {"multi-transformer": {"printed count": _printed_count}}


def build_model(kind: str, dims: dict[str, int], config: str | None = None, **options) -> FeatureClassifier:
    """The paper's configuration of model ``kind`` over ``dims``, or the named ``config`` of
    :data:`CONFIGURATIONS`; ``options`` change it (see :data:`OURS`)."""
    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}; choose one of {sorted(MODELS)}")
    if config is not None:
        named = CONFIGURATIONS.get(kind, {})
        if config not in named:
            raise ValueError(f"{kind} has no configuration {config!r}; it has {sorted(named) or 'none'}")
        options = {**named[config](dims), **options}
    return MODELS[kind](dims, **options)


def transformer_variants(dims: dict[str, int], averaged_text: tuple[str, ...] = ("ocr", "asr"),
                         **options) -> dict[str, FeatureClassifier]:
    """The paper's two transformers over ``dims`` and, when any of ``averaged_text`` is among them, the
    multi-transformer that averages those text modalities instead of encoding them (the paper's Table 1
    multi-transformer averages both); by name."""
    variants = {"single-transformer": build_model("single-transformer", dims, **options),
                "multi-transformer": build_model("multi-transformer", dims, **options)}
    averaged = tuple(name for name in averaged_text if name in dims)
    if averaged:
        variants[f"multi-transformer, {'+'.join(averaged)} averaged"] = build_model(
            "multi-transformer", dims, averaged=averaged, **options)
    return variants


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


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
