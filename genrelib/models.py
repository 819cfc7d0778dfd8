"""Models stage: the paper's three classifiers over per-modality feature sequences.

Every model takes a batch ``{modality: Padded(values (B, T, D), mask (B, T))}``
where ``mask`` is True on real frames, and returns 21 genre logits (the
sigmoid is part of the loss and of :func:`genrelib.training.predict`).
Padding never reaches a prediction: means are masked, attention uses key
padding masks, and every sequence starts at position 0 whatever its padding.
Each model standardises its inputs with per-modality training statistics
held as buffers, so a checkpoint carries them.

Learned position tables have one row per frame of the modality's training
length (the paper's: CLIP 216, OCR 64, ASR 86, Audiotag 140, Musicnet 18).
Training subsamples a longer video to that many time-ordered frames, so row
``i`` means "the i-th of L frames spread over the trailer"; at test time a
longer full-length sequence reads the table linearly interpolated to its
length, which keeps that meaning instead of reading rows never trained.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .paper import BASELINE, MULTI_TRANSFORMER, SINGLE_TRANSFORMER, TRAIN_LENGTHS
from .store import write_atomically

N_GENRES = 21
OTHER_MODALITY_POSITIONS = 256  # rows for a modality the paper does not name
PAPER_POSITION_ROWS = 4096  # the table size that reproduces the paper's parameter counts


def position_rows(dims: dict[str, int], positions: dict[str, int] | None = None) -> dict[str, int]:
    """Rows of each modality's position table: ``positions`` where given, else its training length."""
    positions = positions or {}
    return {name: int(positions.get(name, TRAIN_LENGTHS.get(name, OTHER_MODALITY_POSITIONS))) for name in dims}


class Padded(NamedTuple):
    values: torch.Tensor  # (batch, frames, dim)
    mask: torch.Tensor  # (batch, frames), True on real frames


class Standardize(nn.Module):
    """Per-modality (x - mean) / std with statistics set once from training data."""

    def __init__(self, dims: dict[str, int]):
        super().__init__()
        for name, dim in dims.items():
            self.register_buffer(f"mean_{name}", torch.zeros(dim))
            self.register_buffer(f"std_{name}", torch.ones(dim))

    def set(self, name: str, mean, std) -> None:
        getattr(self, f"mean_{name}").copy_(torch.as_tensor(mean))
        getattr(self, f"std_{name}").copy_(torch.as_tensor(std))

    def forward(self, name: str, values: torch.Tensor) -> torch.Tensor:
        return (values - getattr(self, f"mean_{name}")) / getattr(self, f"std_{name}")

    def concatenated(self, names, values: torch.Tensor) -> torch.Tensor:
        """Standardise the concatenation of the named modalities' vectors in one step."""
        mean = torch.cat([getattr(self, f"mean_{name}") for name in names])
        return (values - mean) / torch.cat([getattr(self, f"std_{name}") for name in names])


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
    """Mean over real frames; a sequence with no frame gives zeros. One batched matrix product: no
    (batch x frames x dim) temporary, so the MLP's step costs little more than reading its batch."""
    weights = mask.to(values.dtype).unsqueeze(1)  # (batch, 1, frames)
    return torch.bmm(weights, values)[:, 0] / weights.sum(-1).clamp(min=1.0)


class FeatureClassifier(nn.Module):
    """Common base: modality dims, input standardisation, and the rebuild recipe for checkpoints."""

    kind: str
    reads_only_temporal_means = False  # True: training may hand the model each sequence's mean, computed once
    clips_gradients = True  # the paper clips the transformers' gradients at norm 1, not the MLP's

    def __init__(self, dims: dict[str, int], **hyper):
        super().__init__()
        self.dims = dict(dims)
        self.hyper = hyper
        self.standardize = Standardize(self.dims)

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
        trainable = {name for name, parameter in self.named_parameters() if parameter.requires_grad}
        self.load_state_dict({k: v for k, v in fresh.state_dict().items() if k in trainable}, strict=False)

    def _inputs(self, batch: dict[str, Padded]):
        self._check(batch)
        for name in self.dims:
            values, mask = batch[name]
            yield name, self.standardize(name, values), mask


class MLP(FeatureClassifier):
    """The paper's MLP: one linear layer over the concatenated temporal means of all modalities.

    The authors' code has exactly this layer: 47,061 parameters at the
    paper's feature widths (2,240 inputs, 21 genres), where the paper prints 57k. Means are standardised after
    averaging, which equals averaging standardised frames for a non-empty
    sequence and costs one vector per video instead of one per frame, all
    modalities at once; a modality with no frame contributes zeros, the
    training mean.
    """

    kind = "mlp"
    reads_only_temporal_means = True
    clips_gradients = False

    def __init__(self, dims: dict[str, int], dropout: float = 0.5):
        super().__init__(dims, dropout=dropout)
        self.net = nn.Sequential(Dropout(dropout), nn.Linear(sum(dims.values()), N_GENRES))

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        self._check(batch)
        means = torch.cat([masked_mean(*batch[name]) for name in self.dims], dim=-1)
        present = torch.cat([batch[name].mask.any(1, keepdim=True).expand(-1, dim) for name, dim in self.dims.items()],
                            dim=-1)
        return self.net(self.standardize.concatenated(self.dims, means) * present)


class PositionTable(nn.Module):
    """Learned positions; a sequence longer than the table reads it linearly interpolated to its own length
    (its real frames, not the batch's padded length, so padding never changes a prediction)."""

    def __init__(self, rows: int, width: int):
        super().__init__()
        self.table = nn.Parameter(torch.randn(rows, width) * 0.02)

    def forward(self, mask: torch.Tensor) -> torch.Tensor:
        """Positions (batch, frames, width) for a padded batch whose real frames come first; (1, frames, width)
        when no sequence is longer than the table (every training batch), which reads its first rows."""
        rows = len(self.table)
        if mask.shape[1] <= rows:
            return self.table[:mask.shape[1]].unsqueeze(0)
        lengths = mask.sum(1, keepdim=True)
        index = torch.arange(mask.shape[1], device=mask.device, dtype=self.table.dtype).expand(mask.shape)
        stretch = torch.where(lengths > rows, (rows - 1) / (lengths - 1).clamp(min=1), 1.0)
        where = (index * stretch).clamp(max=rows - 1)
        low = where.floor().long()
        high = (low + 1).clamp(max=rows - 1)
        weight = (where - low).unsqueeze(-1)
        return self.table[low] * (1 - weight) + self.table[high] * weight


class TokenEmbedding(nn.Module):
    """Linear projection of one modality's frames plus learned positions."""

    def __init__(self, dim: int, d_model: int, rows: int):
        super().__init__()
        self.project = nn.Linear(dim, d_model)
        self.positions = PositionTable(rows, d_model)

    def forward(self, values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.project(values) + self.positions(mask)


class EncoderLayer(nn.Module):
    """``nn.TransformerEncoderLayer(d_model, heads, ff_dim, dropout, batch_first=True)``, the layer of the paper's
    and the authors' transformers, made cheaper to train.

    Same parameters under the same names, drawn from the random stream in the same order (a checkpoint of
    either loads into the other; eval outputs agree), the same post-norm ReLU computation and dropout at the
    same four places, attention weights included. Two things differ, neither in distribution: dropout masks
    come from :class:`Dropout`'s cheaper sampler (torch's drew most of a training step's time), and attention
    runs in the fused kernel (``scaled_dot_product_attention``) wherever it supports the step: always in
    evaluation, and in training on a GPU; a CPU training step with attention dropout computes the weights
    explicitly, as torch does.
    """

    def __init__(self, d_model: int, heads: int, ff_dim: int, dropout: float):
        super().__init__()
        # created in nn.TransformerEncoderLayer's order so that a seed gives its initial weights
        self.self_attn = nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, ff_dim)
        self.dropout = Dropout(dropout)
        self.linear2 = nn.Linear(ff_dim, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.attention_dropout = Dropout(dropout)
        self.heads = heads

    def attend(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """Multi-head self-attention over the frames that ``keep`` (batch, frames) marks as real."""
        batch, frames, width = x.shape
        q, k, v = (F.linear(x, self.self_attn.in_proj_weight, self.self_attn.in_proj_bias)
                   .view(batch, frames, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4))
        allowed = keep[:, None, None, :]
        p = self.attention_dropout.p if self.training else 0.0
        if p == 0 or x.device.type != "cpu":
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        else:  # the CPU's fused kernel has no dropout: its steps written out, scale and mask fused into one product
            heads = batch * self.heads
            bias = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device).masked_fill_(~allowed, float("-inf"))
            scores = torch.baddbmm(bias.expand(-1, self.heads, -1, -1).reshape(heads, 1, frames),
                                   q.reshape(heads, frames, -1), k.reshape(heads, frames, -1).transpose(1, 2),
                                   alpha=q.shape[-1] ** -0.5)
            weights = self.attention_dropout.unscaled(scores.softmax(-1))
            out = (weights @ v.reshape(heads, frames, -1)).mul_(self.attention_dropout.scale()).view(q.shape)
        return self.self_attn.out_proj(out.transpose(1, 2).reshape(batch, frames, width))

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.dropout1(self.attend(x, keep)))
        return self.norm2(x + self.dropout2(self.linear2(self.dropout(F.relu(self.linear1(x))))))


class Encoder(nn.Module):
    """``nn.TransformerEncoder`` of :class:`EncoderLayer` (its layers start as copies of one, as torch's do)."""

    def __init__(self, d_model: int, heads: int, layers: int, ff_dim: int, dropout: float):
        super().__init__()
        layer = EncoderLayer(d_model, heads, ff_dim, dropout)
        self.layers = nn.ModuleList([copy.deepcopy(layer) for _ in range(layers)])

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """Encode ``x`` (batch, frames, d_model); ``keep`` (batch, frames) is True on real frames."""
        for layer in self.layers:
            x = layer(x, keep)
        return x


def _prepend(token: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor):
    """Put a learned token before a padded sequence; the token is always attended to."""
    batch = tokens.shape[0]
    always = torch.ones(batch, 1, dtype=torch.bool, device=mask.device)
    return torch.cat([token.expand(batch, 1, -1), tokens], 1), torch.cat([always, mask], 1)


def _pack(tokens: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move each row's real tokens to its front, in order, and cut the padding no row needs.

    Concatenated modalities leave padding between them; attention with a padding mask does not depend on
    where the real tokens sit (their positions are already added), so packing changes no output, only the
    work: a batch costs its longest video's tokens, not the sum of every modality's longest.
    """
    lengths = mask.sum(1)
    longest = int(lengths.max())
    order = torch.argsort((~mask).to(torch.uint8), dim=1, stable=True)[:, :longest]
    packed = tokens.gather(1, order.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
    return packed, torch.arange(longest, device=mask.device) < lengths.unsqueeze(1)


class SingleTransformer(FeatureClassifier):
    """One transformer over all modalities: <CLS>, then each modality's tokens after its own <SEP>.

    As in the paper and the authors' code, the <SEP> vector is prepended to each modality's sequence.

    Feed-forward width and the number of learned positions are not given in
    the paper; PyTorch's default width (2,048) and 4,096 positions per
    modality reproduce its parameter count at its feature sizes. We keep the
    width and size the position tables to use (see the module docstring).
    """

    kind = "single-transformer"

    def __init__(self, dims: dict[str, int], d_model: int = SINGLE_TRANSFORMER["d_model"],
                 layers: int = SINGLE_TRANSFORMER["layers"], heads: int = SINGLE_TRANSFORMER["heads"],
                 ff_dim: int = 2048, dropout: float = 0.5, positions: dict[str, int] | None = None):
        positions = position_rows(dims, positions)
        super().__init__(dims, d_model=d_model, layers=layers, heads=heads, ff_dim=ff_dim, dropout=dropout,
                         positions=positions)
        self.embed = nn.ModuleDict({n: TokenEmbedding(d, d_model, positions[n]) for n, d in dims.items()})
        self.sep = nn.ParameterDict({n: nn.Parameter(torch.randn(1, 1, d_model) * 0.02) for n in dims})
        self.cls = nn.Parameter(torch.randn(1, 1, d_model) * 0.02)
        self.encoder = Encoder(d_model, heads, layers, ff_dim, dropout)
        self.head = nn.Sequential(Dropout(dropout), nn.Linear(d_model, N_GENRES))

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        parts, masks = [], []
        for name, x, mask in self._inputs(batch):
            tokens, mask = _prepend(self.sep[name], self.embed[name](x, mask), mask)
            parts.append(tokens)
            masks.append(mask)
        tokens, mask = _prepend(self.cls, *_pack(torch.cat(parts, 1), torch.cat(masks, 1)))
        return self.head(self.encoder(tokens, mask)[:, 0])


class MultiTransformer(FeatureClassifier):
    """One small transformer per modality, each with its own <CLS>; outputs concatenated.

    Modalities named in ``averaged`` skip the transformer and contribute the
    temporal mean of their (standardised) features instead.
    """

    kind = "multi-transformer"

    def __init__(self, dims: dict[str, int], d_model: int = MULTI_TRANSFORMER["d_model"],
                 layers: int = MULTI_TRANSFORMER["layers"], heads: int = MULTI_TRANSFORMER["heads"],
                 ff_dim: int = 2048, dropout: float = 0.5, positions: dict[str, int] | None = None,
                 averaged: tuple = ()):
        unknown = set(averaged) - set(dims)
        if unknown:
            raise ValueError(f"averaged modalities {sorted(unknown)} are not among {sorted(dims)}")
        positions = position_rows(dims, positions)
        super().__init__(dims, d_model=d_model, layers=layers, heads=heads, ff_dim=ff_dim, dropout=dropout,
                         positions=positions, averaged=tuple(averaged))
        self.averaged = tuple(averaged)
        encoded = [n for n in dims if n not in self.averaged]
        self.embed = nn.ModuleDict({n: TokenEmbedding(dims[n], d_model, positions[n]) for n in encoded})
        self.cls = nn.ParameterDict({n: nn.Parameter(torch.randn(1, 1, d_model) * 0.02) for n in encoded})
        self.encoders = nn.ModuleDict({n: Encoder(d_model, heads, layers, ff_dim, dropout) for n in encoded})
        width = d_model * len(encoded) + sum(dims[n] for n in self.averaged)
        self.head = nn.Sequential(Dropout(dropout), nn.Linear(width, N_GENRES))

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        outputs = []
        for name, x, mask in self._inputs(batch):
            if name in self.averaged:
                outputs.append(masked_mean(x, mask))
                continue
            tokens, mask = _prepend(self.cls[name], self.embed[name](x, mask), mask)
            outputs.append(self.encoders[name](tokens, mask)[:, 0])
        return self.head(torch.cat(outputs, -1))


class GenreAttention(FeatureClassifier):
    """Ours, not the paper's: one learned attention query per genre and modality, over that modality's frames.

    The paper's transformers read a trailer through one <CLS> query per modality, so 8 heads share 21 genres'
    evidence. Here each genre attends on its own: frame t of modality m gets the weight
    softmax_t(q_{m,g} . k_t) for genre g, the weighted mean of the frames' values is read by that genre's
    own readout, and the modalities' contributions add up. With a sharp softmax this is the best-single-frame
    detector per genre; with a flat one, a temporal mean. No positions: it asks where evidence is, not when.
    """

    kind = "genre-attention"

    def __init__(self, dims: dict[str, int], d_model: int = 64, dropout: float = 0.1):
        super().__init__(dims, d_model=d_model, dropout=dropout)
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


class FrameMLP(nn.Module):
    """Stage 1 of the raw-input baseline: a 2-layer MLP that classifies single frames of one modality."""

    clips_gradients = False

    def __init__(self, dim: int, hidden: int = BASELINE["width"], dropout: float = 0.5):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU())
        self.head = nn.Sequential(Dropout(dropout), nn.Linear(hidden, N_GENRES))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(frames))


class TwoStageBaseline(FeatureClassifier):
    """Stage 2 of the paper's ViT + AST baseline: frozen per-frame MLP trunks, then per-modality fusion.

    Each modality's frames pass through its stage-1 trunk (frozen by
    :meth:`freeze_trunks`), then a 1-layer, 4-head transformer with its own
    <CLS>; the <CLS> outputs are concatenated and a linear layer gives the logits.
    """

    kind = "two-stage-baseline"

    def __init__(self, dims: dict[str, int], hidden: int = BASELINE["width"], heads: int = BASELINE["fusion_heads"],
                 ff_dim: int = 2048, dropout: float = 0.5, positions: dict[str, int] | None = None):
        positions = position_rows(dims, positions)
        super().__init__(dims, hidden=hidden, heads=heads, ff_dim=ff_dim, dropout=dropout, positions=positions)
        self.frame_mlps = nn.ModuleDict({n: FrameMLP(d, hidden, dropout) for n, d in dims.items()})
        self.positions = nn.ModuleDict({n: PositionTable(positions[n], hidden) for n in dims})
        self.cls = nn.ParameterDict({n: nn.Parameter(torch.randn(1, 1, hidden) * 0.02) for n in dims})
        self.encoders = nn.ModuleDict({n: Encoder(hidden, heads, BASELINE["fusion_layers"], ff_dim, dropout)
                                       for n in dims})
        self.head = nn.Sequential(Dropout(dropout), nn.Linear(hidden * len(dims), N_GENRES))

    def freeze_trunks(self, frame_mlps: dict[str, FrameMLP]) -> None:
        """Take the stage-1 MLPs' weights and stop training them."""
        for name, trained in frame_mlps.items():
            self.frame_mlps[name].load_state_dict(trained.state_dict())
            self.frame_mlps[name].requires_grad_(False)

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        outputs = []
        for name, x, mask in self._inputs(batch):
            tokens = self.frame_mlps[name].trunk(x) + self.positions[name](mask)
            tokens, mask = _prepend(self.cls[name], tokens, mask)
            outputs.append(self.encoders[name](tokens, mask)[:, 0])
        return self.head(torch.cat(outputs, -1))


MODELS = {cls.kind: cls for cls in (MLP, SingleTransformer, MultiTransformer, TwoStageBaseline, GenreAttention)}


def build_model(kind: str, dims: dict[str, int], **hyper) -> FeatureClassifier:
    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}; choose one of {sorted(MODELS)}")
    return MODELS[kind](dims, **hyper)


def transformer_variants(dims: dict[str, int], dropout: float = 0.5,
                         averaged_text: tuple[str, ...] = ("ocr", "asr")) -> dict[str, FeatureClassifier]:
    """The paper's two transformers over ``dims`` and, when any of ``averaged_text`` is among them, the
    multi-transformer variant that averages those text modalities instead of encoding them; by name."""
    variants = {"single-transformer": build_model("single-transformer", dims, dropout=dropout),
                "multi-transformer": build_model("multi-transformer", dims, dropout=dropout)}
    averaged = tuple(name for name in averaged_text if name in dims)
    if averaged:
        variants[f"multi-transformer, {'+'.join(averaged)} averaged"] = build_model(
            "multi-transformer", dims, dropout=dropout, averaged=averaged)
    return variants


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_with_paper_tables(model: FeatureClassifier) -> int:
    """The parameter count the model would have with 4,096-row position tables, the size that reproduces
    the paper's printed counts."""
    tables = [m.table for m in model.modules() if isinstance(m, PositionTable)]
    return count_parameters(model) + sum((PAPER_POSITION_ROWS - len(t)) * t.shape[1] for t in tables)


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
