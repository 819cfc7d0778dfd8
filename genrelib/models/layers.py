"""Layers of the transformers, written for speed: the same arithmetic as torch's, at less cost.

The paper's classifiers (:mod:`genrelib.models.classifiers`) are built of these. Each is tested against torch's own
(``tests/test_models.py``): :class:`Dropout` against ``nn.Dropout``'s distribution, :class:`EncoderLayer`
against ``nn.TransformerEncoderLayer`` on the same weights, :func:`_pack` against the unpacked sequence.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

POSITION_KINDS = ("learned", "interpolated", "sinusoidal")


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


def perceptron(sizes: list[int], dropout: Callable[[], nn.Module]) -> nn.Sequential:
    """The authors' MLP layout: a linear layer from each size to the next, each but the last followed by
    ``dropout()`` and a ReLU, in that order."""
    stack = []
    for i, (inputs, outputs) in enumerate(pairwise(sizes)):
        stack.append(nn.Linear(inputs, outputs))
        if i < len(sizes) - 2:
            stack += [dropout(), nn.ReLU()]
    return nn.Sequential(*stack)


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the frames the mask marks; a sequence with none gives zeros. One batched matrix product: no
    (batch x frames x dim) temporary, so the MLP's step costs little more than reading its batch."""
    # nothing to leave out (zero padding is read as frames, a temporal mean is one frame); no frame at all: zeros
    if mask.shape[1] and mask.all():
        return values.mean(1)
    weights = mask.to(values.dtype).unsqueeze(1)  # (batch, 1, frames)
    return torch.bmm(weights, values)[:, 0] / weights.sum(-1).clamp(min=1.0)


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

    def attention(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """The attention weights of every token's query over every token, per head: (batch, heads, queries,
        tokens), each row summing to 1 over the tokens ``keep`` marks. Scaled dot-product attention,

            softmax((x W_q)(x W_k)^T / sqrt(d / heads)) per head,

        computed from the same projection weights as :meth:`attend` (no dropout: what the model reads in
        evaluation), so that a reader can see where a prediction looks."""
        batch, tokens, width = x.shape
        weight, bias, per_head = self.self_attn.in_proj_weight, self.self_attn.in_proj_bias, width // self.heads
        q, k = (F.linear(x, weight[:2 * width], bias[:2 * width]).view(batch, tokens, 2, self.heads, per_head)
                .permute(2, 0, 3, 1, 4))
        scores = torch.einsum("bhqd,bhtd->bhqt", q, k) * per_head ** -0.5
        return scores.masked_fill(~keep[:, None, None, :], -math.inf).softmax(-1)

    def first_token_attention(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """:meth:`attention` of the first token (<CLS>) alone: (batch, heads, tokens)."""
        return self.attention(x, keep)[:, :, 0]

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

    @torch.no_grad()
    def cls_attention(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """The last layer's <CLS> attention over the tokens of ``x``, averaged over heads: (batch, tokens). The
        earlier layers run as in :meth:`forward`; the last layer's query is the one the classifier reads."""
        for layer in self.layers[:-1]:
            x = layer(x, keep)
        return self.layers[-1].first_token_attention(x, keep).mean(1)

    @torch.no_grad()
    def attention(self, x: torch.Tensor, keep: torch.Tensor) -> list[torch.Tensor]:
        """Each layer's attention of every token over every token, averaged over heads: (batch, tokens, tokens)
        per layer, every layer computing all its tokens (the forward pass skips the last layer's other queries,
        which the classifier never reads)."""
        weights = []
        for layer in self.layers:
            weights.append(layer.attention(x, keep).mean(1))
            x = layer(x, keep)
        return weights


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


def _uniform_token(width: int) -> nn.Parameter:
    """A learned <SEP> or <CLS> vector, drawn as the authors' ``torch.rand((1, 1, d))``."""
    return nn.Parameter(torch.rand(1, 1, width))
