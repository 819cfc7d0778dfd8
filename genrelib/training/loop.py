"""Training stage: the paper's training loop and inference, over batches that :mod:`genrelib.training.batches` builds.

The paper trains on fixed-length sequences (CLIP 216 frames, OCR 64, ASR 86, Audiotag 140, Musicnet 18):
longer ones truncated, shorter ones padded with zero vectors (§3.2.6); it tests one video at a time on its full
sequences (§4). By default a longer training sequence is truncated to its first frames, the paper's words read
literally; ``frames="equidistant"`` is what the authors' code does instead (``dataset.py:154``: their
random-frames branch tests mode ``'train'``, ``dataset.py:151``, but the modes are ``'trn'``, ``'val'``,
``'tst'``, so it never runs). Where the paper is silent the authors' code decides: a shorter sequence is padded
with zero vectors the model attends to, and a modality a video lacks is that many zero vectors. :data:`OURS`
lists our options, :data:`AUTHORS` the authors' alternatives. Every trainer here runs the same loop, :func:`fit`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from genrelib.common.progress import progress as progress_bar
from genrelib.common.session import device as pick_device
from genrelib.data.store import FeatureStore
from genrelib.evaluation.metrics import Scores, average_precision, evaluate
from genrelib.models.checkpoints import save_checkpoint
from genrelib.models.classifiers import N_GENRES, TRAIN_LENGTHS, FeatureClassifier, FrameMLP
from genrelib.sources import paper
from genrelib.training.batches import (
    FRAME_RULES,
    MASKED,
    PADDINGS,
    Padding,
    TemporalMeans,
    bucketed_batches,
    input_tokens,
    make_batch,
)


@dataclass
class TrainConfig:
    """The paper's training recipe; every field can be overridden from a chapter's parameters."""

    learning_rate: float = paper.RECIPE["learning_rate"]
    batch_size: int = paper.RECIPE["batch_size"]
    positive_weight: float = paper.RECIPE["positive_weight"]  # BCE weight on positive labels
    clip_grad_norm: float | None = paper.RECIPE["clip_grad_norm"]  # for models that clip (see clips_gradients)
    max_epochs: int = 200
    patience: int = 10  # ours: epochs without a better validation mAP before stopping (the authors' best model kept)
    train_lengths: dict[str, int] = field(default_factory=lambda: dict(TRAIN_LENGTHS))
    frames: str = "truncate"  # how a longer sequence is cut to its training length: one of FRAME_RULES
    padding: str = "zeros"  # "zeros": zero vectors to the training length, read as frames; "masked" (ours): to the
    #                         batch's longest, masked out
    bucket_batches: int = 1  # ours when > 1: videos drawn in runs of this many batches, sorted by length before
    #                          they are cut, so a batch pads to little more than its own videos (masked padding)
    seed: int = 0
    device: str | None = None  # None: the GPU when there is one, else the CPU
    amp: bool = False  # the authors' mixed precision (config.py:83, on by default there): CUDA autocast only

    def __post_init__(self):
        if self.frames not in FRAME_RULES:
            raise ValueError(f"frames must be one of {sorted(FRAME_RULES)}, not {self.frames!r}")
        if self.padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, not {self.padding!r}")


# Our options, not the paper's: the TrainConfig fields that turn each on (the models' are models.OURS).
OURS = {"random training frames": {"frames": "random"}, "masked padding": {"padding": "masked"},
        "masked padding, batches by length": {"padding": "masked", "bucket_batches": 16}}
# The authors' code where it departs from the paper's text: the TrainConfig fields that select it.
AUTHORS = {"the authors' equidistant training frames": {"frames": "equidistant"},
           "the authors' mixed precision (GPU)": {"amp": True}}


def training_data(store) -> str:
    """What a model trained on ``store`` learned from, for its checkpoint: the store's data and extractors
    and its split sizes."""
    counts = ", ".join(f"{split} {len(store.indices(split))}" for split in ("trn", "val", "tst"))
    extractors = ", ".join(f"{name}: {m.model}" for name, m in store.modalities.items())
    return f"{store.description} (videos: {counts}; features: {extractors})"


def fit_standardization(model: FeatureClassifier, store: FeatureStore, indices) -> None:
    """Set a standardising model's input statistics from the training videos' frames (no-op for the others):
    the mean and spread with ``standardize=True``, the mean alone with ``"centre"``, the spread alone with
    ``"scale"`` (the two halves of standardisation, measured apart in chapter 4)."""
    if model.scaling is not None:
        part = model.hyper["standardize"]
        for name in model.dims:
            mean, std = store.moments(name, indices)
            model.scaling.set(name, np.zeros_like(mean) if part == "scale" else mean,
                              np.ones_like(std) if part == "centre" else std)


@torch.no_grad()
def logits(model: FeatureClassifier, store: FeatureStore, indices, lengths: dict[str, int] | None = None,
           batch_size: int = 1, progress: bool = False, padding: Padding = MASKED,
           rule: str = "equidistant", rng: np.random.Generator | None = None) -> torch.Tensor:
    """Genre logits (videos x 21), on the CPU, computed on the model's device. Defaults: one video at a time,
    full-length sequences, nothing padded; a sequence longer than ``lengths`` is cut by ``rule`` (the authors'
    inference takes equidistant frames, ``inference.py:134``; ``"random"`` draws from ``rng``)."""
    model.eval()
    device = next(model.parameters()).device
    out = [torch.zeros(0, N_GENRES)]
    chunks = range(0, len(indices), batch_size)
    for start in progress_bar(chunks, desc="predict", enabled=progress):
        batch, _ = make_batch(store, indices[start:start + batch_size], model.dims, lengths, rng, device,
                              padding, _scaling(model, store), rule)
        out.append(model(batch).cpu())
    return torch.cat(out)


def _scaling(model: FeatureClassifier, store) -> object:
    """The input scaling to apply to ``store``'s frames for ``model``: none for temporal means (already scaled)."""
    return None if isinstance(store, TemporalMeans) else model.scaling


def predict(model: FeatureClassifier, store: FeatureStore, indices, lengths: dict[str, int] | None = None,
            batch_size: int = 1, progress: bool = False, padding: Padding = MASKED, rule: str = "equidistant",
            rng: np.random.Generator | None = None) -> np.ndarray:
    """Genre probabilities (videos x 21); see :func:`logits` for the defaults."""
    return torch.sigmoid(logits(model, store, indices, lengths, batch_size, progress, padding, rule, rng)).numpy()


def adam(model: nn.Module, config: TrainConfig) -> torch.optim.Adam:
    """The paper's optimiser over the trainable weights; the fused kernel updates them in one pass per step."""
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate, fused=True)


def loss_function(config: TrainConfig, device=None) -> nn.Module:
    return nn.BCEWithLogitsLoss(pos_weight=torch.full((N_GENRES,), config.positive_weight, device=device))


def gradient_clip(model: nn.Module, config: TrainConfig) -> float | None:
    """The norm to clip this model's gradients at: the recipe's, for models that clip (the transformers)."""
    return config.clip_grad_norm if model.clips_gradients else None


def fixed_rule(config: TrainConfig) -> str:
    """How validation batches and temporal means cut a longer sequence: the training rule, or equidistant frames
    where training draws random ones (a validation score must not depend on a draw)."""
    return "equidistant" if config.frames == "random" else config.frames


def grad_scaler(config: TrainConfig, device) -> torch.amp.GradScaler | None:
    """The authors' mixed precision (``amp``): float16 autocast with a gradient scaler, on a CUDA device only."""
    if not config.amp:
        return None
    if torch.device(device).type != "cuda":
        raise ValueError("amp=True is the authors' CUDA mixed precision; this run is on the CPU (set amp: false)")
    return torch.amp.GradScaler("cuda")


def train_epoch(model: nn.Module, batches: Iterable[tuple[object, torch.Tensor]], optimizer: torch.optim.Optimizer,
                loss_fn: nn.Module, clip_norm: float | None, scaler: torch.amp.GradScaler | None = None) -> float:
    """One pass over ``batches`` of (inputs, targets); the mean training loss. With ``scaler`` the forward pass
    and the loss run under CUDA autocast and the scaled gradients are unscaled before clipping, as the
    authors' ``train.py`` does."""
    model.train()
    losses = []
    for inputs, targets in batches:
        with torch.autocast("cuda", enabled=scaler is not None):
            loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        if scaler is None:
            loss.backward()
        else:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        if clip_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        if scaler is None:
            optimizer.step()
        else:
            scaler.step(optimizer)
            scaler.update()
        losses.append(loss.item())
    return float(np.mean(losses))


def fit(model: nn.Module, run_epoch: Callable[[], float], validate: Callable[[], dict[str, float]],
        config: TrainConfig, on_best: Callable[[int, float], None], desc: str,
        progress: bool = True) -> tuple[pd.DataFrame, int, float]:
    """The one training loop: epochs until ``config.max_epochs`` or ``config.patience`` epochs without a
    better validation mAP.

    ``run_epoch`` trains one epoch and returns its mean loss; ``validate`` returns at least ``val_map``
    (in percent) with the model in eval mode; ``on_best(epoch, val_map)`` keeps the best model so far.
    Returns the history (one row per epoch), the best epoch and its validation mAP.
    """
    rows, best_map, best_epoch, waited = [], -1.0, 0, 0
    epochs = progress_bar(range(1, config.max_epochs + 1), desc=desc, enabled=progress)
    for epoch in epochs:
        train_loss = run_epoch()
        model.eval()
        with torch.no_grad():
            row = {"epoch": epoch, "train_loss": train_loss, **validate()}
        rows.append(row)
        epochs.set_postfix(val_map=f"{row['val_map']:.2f}", best=f"{max(best_map, row['val_map']):.2f}")
        if row["val_map"] > best_map:
            best_map, best_epoch, waited = row["val_map"], epoch, 0
            on_best(epoch, best_map)
        else:
            waited += 1
            if waited >= config.patience:
                break
    epochs.close()  # early stopping leaves the loop early: close now so its one line prints here
    return pd.DataFrame(rows), best_epoch, best_map


def with_model_options(model: FeatureClassifier, config: TrainConfig) -> TrainConfig:
    """``config`` with the model's own training options (:attr:`FeatureClassifier.training_options`: genre
    attention's masked padding) in every field that ``config`` leaves at the paper's recipe. The paper's models
    have none, so their recipe is the paper's; a field set to something else is kept as set."""
    recipe = TrainConfig()
    return replace(config, **{name: value for name, value in model.training_options.items()
                              if getattr(config, name) == getattr(recipe, name)})


@dataclass
class TrainResult:
    history: pd.DataFrame  # epoch, train_loss, val_loss, val_map
    best_epoch: int
    best_val_map: float
    checkpoint: Path
    config: TrainConfig


def train(model: FeatureClassifier, store: FeatureStore, config: TrainConfig, checkpoint: str | Path,
          progress: bool = True) -> TrainResult:
    """Train on the store's ``trn`` split with early stopping on ``val`` mAP.

    The best model is saved to ``checkpoint`` (with the config and history) and
    loaded back into ``model`` before returning. Training starts from the
    trainable weights that ``config.seed`` draws (:meth:`~FeatureClassifier.reinitialise`),
    so the same seed gives the same numbers however the model was built. A model of ours trains with its own
    options where ``config`` keeps the paper's (:func:`with_model_options`); the result records the config used.
    """
    config = with_model_options(model, config)
    torch.manual_seed(config.seed)
    model.reinitialise(config.seed)
    rng = np.random.default_rng(config.seed)
    train_idx, val_idx = store.indices("trn"), store.indices("val")
    if len(train_idx) == 0 or len(val_idx) == 0:
        raise ValueError(f"{store.path}: training needs videos in both 'trn' ({len(train_idx)}) "
                         f"and 'val' ({len(val_idx)})")
    fit_standardization(model, store, train_idx)
    trained_on = training_data(store)
    device = pick_device(config.device)
    model.to(device)
    lengths = {name: config.train_lengths.get(name) for name in model.dims}
    padding = Padding.for_training(config, lengths)
    tokens = input_tokens(store, model.dims, lengths)
    held_rule = fixed_rule(config)
    if model.reads_only_temporal_means:
        store, padding = TemporalMeans(store, model.dims, lengths, padding, model.scaling, held_rule), MASKED
    frame_rng = rng if config.frames == "random" else None
    optimizer, loss_fn = adam(model, config), loss_function(config, device)
    scaler = grad_scaler(config, device)
    val_targets = store.labels[val_idx]

    def run_epoch() -> float:
        order = rng.permutation(train_idx)
        chosen = bucketed_batches(order, tokens, config.batch_size,
                                  1 if model.reads_only_temporal_means else config.bucket_batches, rng)
        batches = (make_batch(store, videos, model.dims, lengths, frame_rng, device, padding,
                              _scaling(model, store), config.frames) for videos in chosen)
        return train_epoch(model, batches, optimizer, loss_fn, gradient_clip(model, config), scaler)

    def validate() -> dict[str, float]:
        val_logits = logits(model, store, val_idx, lengths, batch_size=config.batch_size, padding=padding,
                            rule=held_rule)
        return {"val_loss": loss_function(config)(val_logits, torch.from_numpy(val_targets)).item(),
                "val_map": mean_average_precision(val_targets, torch.sigmoid(val_logits).numpy())}

    best_state = {}

    def keep(epoch: int, val_map: float) -> None:  # in memory: the checkpoint is written once, at the end
        best_state.update({k: v.detach().clone() for k, v in model.state_dict().items()})

    history, best_epoch, best_map = fit(model, run_epoch, validate, config, keep, f"train {model.kind}", progress)
    model.load_state_dict(best_state)
    model.eval()
    save_checkpoint(model, checkpoint, best_epoch=best_epoch, best_val_map=best_map, config=asdict(config),
                    store=str(store.path), trained_on=trained_on,
                    genre_prior=store.labels[train_idx].mean(0).tolist())  # a prediction is read against it
    return TrainResult(history, best_epoch, best_map, Path(checkpoint), config)


def train_frame_classifier(store: FeatureStore, modality: str, config: TrainConfig,
                           hidden: int = paper.BASELINE["width"], dropout: float = 0.5, standardize: bool = False,
                           progress: bool = True) -> tuple[FrameMLP, pd.DataFrame]:
    """Stage 1 of the raw-input baseline: classify single frames, each labelled with its video's genres.

    With ``standardize`` (ours) frames are standardised with the training videos' statistics, the ones a
    stage-2 model built with ``standardize=True`` uses. Early stopping watches the validation mAP of each
    video's mean frame probability. Runs on ``config.device``; the model comes back on the CPU.
    """
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = pick_device(config.device)
    train_idx, val_idx = store.indices("trn"), store.indices("val")
    dim = store.modalities[modality].dim
    moments = store.moments(modality, train_idx) if standardize else (np.zeros(dim), np.ones(dim))
    mean, std = (torch.from_numpy(np.asarray(a, np.float32)).to(device) for a in moments)
    frames = np.concatenate([store.frames(int(i), modality) for i in train_idx])
    targets = np.concatenate([np.repeat(store.labels[i][None], store.lengths(modality)[i], 0) for i in train_idx])
    inputs, targets = (torch.from_numpy(frames).to(device) - mean) / std, torch.from_numpy(targets).to(device)
    val_frames = [(torch.from_numpy(store.frames(int(i), modality)).to(device) - mean) / std for i in val_idx]
    model = FrameMLP(store.modalities[modality].dim, hidden, dropout).to(device)
    optimizer, loss_fn = adam(model, config), loss_function(config, device)
    scaler = grad_scaler(config, device)
    best_state = {}

    def run_epoch() -> float:
        order = torch.from_numpy(rng.permutation(len(inputs))).to(device)
        batches = ((inputs[chosen], targets[chosen]) for chosen in order.split(config.batch_size))
        return train_epoch(model, batches, optimizer, loss_fn, gradient_clip(model, config), scaler)

    def validate() -> dict[str, float]:
        video_probs = np.stack([torch.sigmoid(model(x)).mean(0).cpu().numpy() if len(x) else
                                np.full(N_GENRES, 0.5, np.float32) for x in val_frames])
        return {"val_map": mean_average_precision(store.labels[val_idx], video_probs)}

    def keep(epoch: int, val_map: float) -> None:
        best_state.update({k: v.detach().clone() for k, v in model.state_dict().items()})

    history, _, _ = fit(model, run_epoch, validate, config, keep, f"frames {modality}", progress)
    model.load_state_dict(best_state)
    return model.cpu().eval(), history


def mean_average_precision(targets: np.ndarray, probabilities: np.ndarray) -> float:
    """Macro mAP in percent over the genres that have a positive video (early stopping's criterion)."""
    return float(100 * np.nanmean(average_precision(targets, probabilities)))


@dataclass
class Experiment:
    """A trained model with its training record and its test-split evaluation."""

    model: FeatureClassifier
    training: TrainResult
    test_probabilities: np.ndarray
    test_scores: Scores


def train_and_test(model: FeatureClassifier, store: FeatureStore, config: TrainConfig, checkpoint: str | Path,
                   progress: bool = True, test_lengths: dict[str, int] | None = None,
                   test_rule: str = "equidistant") -> Experiment:
    """Train with early stopping, then score the test split one video at a time.

    Test sequences are full length unless ``test_lengths`` caps them (by ``test_rule``: equidistant frames, or
    random ones drawn from ``config.seed``); with the paper's zero padding a modality a video lacks is the zero
    sequence it was in training. A model of ours trains and is tested with its own options
    (:func:`with_model_options`).
    """
    config = with_model_options(model, config)
    result = train(model, store, config, checkpoint, progress=progress)
    scores = evaluate_on(model, store, store.indices("tst"), config, test_lengths, progress, test_rule)
    return Experiment(model, result, scores.scores, scores)


def evaluate_on(model: FeatureClassifier, store: FeatureStore, indices, config: TrainConfig,
                test_lengths: dict[str, int] | None = None, progress: bool = False,
                test_rule: str = "equidistant") -> Scores:
    """The paper's test protocol for a model trained with ``config``: one video at a time, full length unless
    ``test_lengths`` caps it; with the paper's zero padding a modality a video lacks is the zero sequence it
    was in training."""
    padding = Padding.for_testing(config, {name: config.train_lengths.get(name) for name in model.dims})
    rng = np.random.default_rng(config.seed) if test_rule == "random" else None
    probabilities = predict(model, store, indices, test_lengths, progress=progress, padding=padding,
                            rule=test_rule, rng=rng)
    return evaluate(store.labels[indices], probabilities)
