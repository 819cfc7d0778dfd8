"""Models stage: the paper's classifiers over per-modality feature sequences.

Every model takes a batch ``{modality: Padded(values (B, T, D), mask (B, T))}``, where ``mask`` is True on the
frames the model reads, and returns 21 genre logits (the sigmoid is part of the loss and of
:func:`genrelib.training.loop.predict`). How a batch is filled is the batch builder's business
(:func:`genrelib.training.batches.assemble`): the paper's zero vectors arrive with a mask that is True everywhere, so
the model reads them as frames (the authors' code passes no mask: ``evidence.AUTHORS['no_mask']``); our masked
padding arrives with False on the padding. A
model's input scaling (``scaling``: statistics that travel with its checkpoint) is applied there too, to each video's
frames before padding, where the authors' loader standardises.

**Every default is the paper's configuration.** The paper gives the widths, depths and heads (§3.2.6); where
it is silent, the authors' code (serkansulun/trailer-genre-classification @caac031, ``classifiers.py``; the
facts and their lines are in :data:`genrelib.sources.evidence.AUTHORS`) decides:

* feed-forward width 4 x d_model, post-norm ReLU layers, and a LayerNorm after the encoder stack;
* learned position tables, added after the <SEP> (single) or <CLS> (multi) token is prepended, with dropout
  after them (0.1 in the single-transformer, whose tables are built without a rate; the model's dropout in the
  multi-transformer); <SEP>/<CLS> vectors drawn uniform in [0, 1); a plain linear head, no dropout before it;
* the multi-transformer projects an averaged (one-vector) text stream to d_model before the head;
* the MLP is one linear layer over the concatenated temporal means, with no dropout.

The tables' size is the one thing here that is not the authors' code. Their released classes size each table
to its sequence: the single-transformer's to the sum of the modality lengths plus a <SEP> each and one <CLS>
(``classifiers.py:76,83``; 530 rows at the paper's lengths), the multi-transformer's to a modality's length + 1
(``classifiers.py:147``), which gives the single-transformer 2,840,085 parameters. Tables of
5,000 rows, ``PositionalEncoding``'s default (``classifiers.py:176``), give it 8,561,685, the paper's printed
8.56M, and leave room for the full-length test sequences of §4: we infer the 5,000 rows from the printed count.
Parameters are created in the authors' order, so a seed draws the same initial weights as their classes.

The paper's printed 6.98M for the multi-transformer is matched exactly (6,980,117) by a model its text does
not describe: the authors' class with its default d_model -1 (each stream at its own width), 2 layers, and OCR
and ASR averaged, with training-length tables. ``build_model("multi-transformer", dims, config="printed
count")`` builds it (:data:`CONFIGURATIONS`); the default is the text's 1 layer at d 128.

**Our options** are named arguments whose defaults are the paper's (:data:`OURS` lists them):
``positions="interpolated"`` (training-length tables read interpolated for longer test sequences, instead of rows
never trained), ``standardize=True`` (inputs standardised with training statistics; ``"centre"`` or ``"scale"`` does
one half), ``head_dropout`` and the MLP's ``input_dropout``. Our own models (:mod:`genrelib.models.ours`) have our
options by default. """

from __future__ import annotations

import torch
from torch import nn

from genrelib.models.base import N_GENRES, FeatureClassifier, Padded
from genrelib.models.layers import Dropout, Encoder, Positions, _pack, _prepend, _uniform_token, masked_mean, perceptron
from genrelib.models.ours import FrameDetector, GenreAttention
from genrelib.sources.evidence import AUTHORS
from genrelib.sources.paper import BASELINE, MULTI_TRANSFORMER, SINGLE_TRANSFORMER, TRAIN_LENGTHS

PAPER_POSITION_ROWS = 5000  # inferred from the printed 8.56M: PositionalEncoding's default row count
SINGLE_POSITION_DROPOUT = AUTHORS["position_default"].value["dropout"]  # built without a rate: the default
OTHER_MODALITY_LENGTH = 256  # training length assumed for a modality the paper does not name (interpolated tables)

# input scaling (ours): standardised, only the training mean subtracted, or only divided by the training spread
OURS = {"interpolated positions": {"positions": "interpolated"}, "standardised inputs": {"standardize": True},
        "dropout before the head": {"head_dropout": 0.5}}  # our options: the arguments that turn each on


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
                 input_dropout: float = 0.0, standardize: bool | str = False):
        super().__init__(dims, standardize, layers=layers, hidden=hidden, dropout=dropout,
                         input_dropout=input_dropout)
        self.net = perceptron([sum(dims.values())] + [hidden] * (layers - 1) + [N_GENRES], lambda: Dropout(dropout))
        self.input_dropout = Dropout(input_dropout)

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        self._check(batch)
        return self.net(self.input_dropout(torch.cat([masked_mean(*batch[name]) for name in self.dims], dim=-1)))


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
                 head_dropout: float = 0.0, standardize: bool | str = False):
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

    def _sequence(self, batch: dict[str, Padded]) -> tuple[torch.Tensor, torch.Tensor, dict[str, slice]]:
        """Every modality's <SEP> and frames, positions added, side by side, with the mask and where each
        modality's frames sit (before <CLS> is put in front)."""
        parts, masks, where = [], [], {}
        for name, x, mask in self._inputs(batch):
            tokens, mask = _prepend(self.sep[name], self.project[name](x), mask)
            start = sum(part.shape[1] for part in parts)
            parts.append(self.positions[name](tokens, mask))
            masks.append(mask)
            where[name] = slice(start + 1, start + tokens.shape[1])
        return torch.cat(parts, 1), torch.cat(masks, 1), where

    def forward(self, batch: dict[str, Padded]) -> torch.Tensor:
        tokens, mask, _ = self._sequence(batch)
        tokens, mask = _prepend(self.cls, *_pack(tokens, mask))
        return self.head(self.head_dropout(self.encoder(tokens, mask)))

    @torch.no_grad()
    def token_attention(self, batch: dict[str, Padded]) -> tuple[list[torch.Tensor], dict[str, slice]]:
        """Each layer's attention of every token over every token, averaged over heads, (batch, tokens,
        tokens), and where each modality's frames sit in that sequence (after <CLS>). Unpacked: with masked
        padding a modality's frames sit where they were padded to, and padding takes no attention."""
        tokens, mask, where = self._sequence(batch)
        tokens, mask = _prepend(self.cls, tokens, mask)
        return self.encoder.attention(tokens, mask), {name: slice(s.start + 1, s.stop + 1) for name, s in where.items()}


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
                 head_dropout: float = 0.0, standardize: bool | str = False):
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

    @torch.no_grad()
    def frame_attention(self, batch: dict[str, Padded], modality: str) -> torch.Tensor:
        """Where the <CLS> of ``modality``'s encoder looks: its last layer's attention over that modality's
        frames, averaged over heads, (batch, frames); the share left on the <CLS> itself is dropped, so a row
        sums to at most 1."""
        if modality not in self.encoders:
            raise ValueError(f"{modality!r} has no encoder in this {self.kind} (encoded: {sorted(self.encoders)})")
        x, mask = batch[modality]  # built as for the forward pass (batches.make_batch, the model's scaling)
        if modality in self.project:
            x = self.project[modality](x)
        tokens, keep = _prepend(self.cls[modality], x, mask)
        return self.encoders[modality].cls_attention(self.positions[modality](tokens, keep), keep)[:, 1:]

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


MODELS = {cls.kind: cls for cls in (MLP, SingleTransformer, MultiTransformer, TwoStageBaseline, GenreAttention,
                                    FrameDetector)}


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
