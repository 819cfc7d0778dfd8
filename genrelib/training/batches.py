"""Batches stage: sequences of a feature store cut, padded and stacked into a model's batch.

How a longer sequence is cut to its training length (:data:`FRAME_RULES`: the paper truncates, the authors'
code takes equidistant frames, ours draws random ones) and how shorter ones are padded (:class:`Padding`:
the paper's zero vectors, read as frames, or our masked padding), for training, validation and the
one-video-at-a-time test. :class:`TemporalMeans` serves a model that reads only each sequence's mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from genrelib.data.store import FeatureStore
from genrelib.models.classifiers import TRAIN_LENGTHS, Padded

# How a longer sequence is cut to its training length, and whose rule each is.
FRAME_RULES = {"truncate": "the paper (§3.2.6: truncated)", "equidistant": "the authors' code (dataset.py:154)",
               "random": "ours: a random time-ordered subset, drawn anew each epoch"}
PADDINGS = ("zeros", "masked")


@dataclass(frozen=True)
class Padding:
    """How the sequences of one batch are brought to one length.

    ``zeros`` (the paper's): padding frames are zero vectors that the model reads as frames (the mask is True
    everywhere), as the authors' loader pads; each sequence is padded to at least ``to[name]`` frames, and a
    modality without frames becomes ``empty[name]`` zero frames. Otherwise (ours): sequences are padded to the
    batch's longest and the padding is masked out; a modality without frames is all mask.
    """

    zeros: bool = False
    to: dict[str, int] | None = None
    empty: dict[str, int] | None = None

    @staticmethod
    def for_training(config, lengths: dict[str, int | None]) -> Padding:
        """Training and validation batches: the paper's pad to the training length."""
        return Padding(True, lengths, lengths) if config.padding == "zeros" else Padding()

    @staticmethod
    def for_testing(config, lengths: dict[str, int | None]) -> Padding:
        """One video at a time at full length: nothing to pad; a missing modality is what it was in training."""
        return Padding(True, None, lengths) if config.padding == "zeros" else Padding()


MASKED = Padding()  # ours: to the batch's longest, masked out


def frame_indices(length: int, target: int | None, rule: str = "equidistant",
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """Which frames of a ``length``-frame sequence to use.

    All of them when ``target`` is None or not smaller than ``length``; else ``target`` frames by ``rule``
    (:data:`FRAME_RULES`): the first ones (``"truncate"``), equidistant ones (the authors'
    ``equidistant_indices``), or a random time-ordered subset drawn from ``rng``.
    """
    if target is None or length <= target:
        return np.arange(length)
    if rule == "truncate":
        return np.arange(target)
    if rule == "random":
        if rng is None:
            raise ValueError("random frames need a random generator (rng)")
        return np.sort(rng.choice(length, size=target, replace=False))
    if rule != "equidistant":
        raise ValueError(f"frames must be one of {sorted(FRAME_RULES)}, not {rule!r}")
    return np.linspace(0, length - 1, target).round().astype(int)


def upper_whisker(values) -> float:
    """Q3 + 1.5 IQR, capped at the largest value (a box plot's upper whisker): how the paper sets its training
    lengths."""
    q1, q3 = np.percentile(values, [25, 75])
    return float(min(q3 + 1.5 * (q3 - q1), np.max(values)))


def whisker_lengths(store: FeatureStore, split: str = "trn") -> dict[str, int]:
    """The paper's rule for training lengths applied to ``store``: per modality, the upper whisker of its
    sequence lengths over the split's videos, rounded up (at least 1)."""
    videos = store.indices(split)
    return {name: max(1, int(np.ceil(upper_whisker(store.lengths(name)[videos])))) for name in store.modalities}


def training_lengths(spec: str | dict | None, store: FeatureStore) -> dict[str, int]:
    """A chapter's ``train_lengths`` parameter as frames per modality: None, the paper's; ``"whiskers"``, the
    paper's rule applied to ``store`` (:func:`whisker_lengths`); a mapping, the paper's with those changed."""
    if spec == "whiskers":
        return whisker_lengths(store)
    if isinstance(spec, str):
        raise ValueError(f"train_lengths must be None, 'whiskers' or a mapping of modality -> frames, not {spec!r}")
    return {**TRAIN_LENGTHS, **(spec or {})}


def bucketed_batches(order: np.ndarray, tokens: np.ndarray, batch_size: int, bucket_batches: int,
                     rng: np.random.Generator) -> list[np.ndarray]:
    """Cut a shuffled ``order`` of videos into batches of similar length, in random order.

    Each run of ``bucket_batches`` batches' worth of videos is sorted by ``tokens`` (each video's length in
    the model's input) before it is cut, so a batch pads to little more than its own videos; the batches are
    then shuffled, so lengths do not rise and fall through the epoch. Every video appears once per epoch, as
    with plain random batches (``bucket_batches`` 1), and batch membership stays random across epochs.
    """
    if bucket_batches <= 1:
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    pool = batch_size * bucket_batches
    batches = []
    for start in range(0, len(order), pool):
        run = order[start:start + pool]
        run = run[np.argsort(tokens[run], kind="stable")]
        batches += [run[i:i + batch_size] for i in range(0, len(run), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def input_tokens(store: FeatureStore, modalities, lengths: dict[str, int | None]) -> np.ndarray:
    """Each video's number of input frames over ``modalities``, each capped at its training length."""
    return sum(np.minimum(store.lengths(name), lengths.get(name) or np.iinfo(np.int64).max) for name in modalities)


def assemble(sequences: dict[str, list[np.ndarray]], dims: dict[str, int], padding: Padding = MASKED,
             scaling=None, device=None) -> dict[str, Padded]:
    """A model's batch from each modality's list of (frames x dim) arrays, one per video.

    ``scaling`` (a model's :class:`~genrelib.models.base.InputScaling`, or None) is applied to the real frames
    before padding, where the authors' loader standardises; ``padding`` says how the rest is filled. """
    batch = {}
    for name, frames_of in sequences.items():
        if padding.zeros:
            empty = (padding.empty or {}).get(name) or 1
            frames_of = [f if len(f) else np.zeros((empty, dims[name]), np.float32) for f in frames_of]
        longest = max(1, max(len(f) for f in frames_of), (padding.to or {}).get(name) or 0 if padding.zeros else 0)
        values = np.zeros((len(frames_of), longest, dims[name]), np.float32)
        real = np.zeros((len(frames_of), longest), bool)
        for row, frames in enumerate(frames_of):
            values[row, :len(frames)] = frames
            real[row, :len(frames)] = True
        values, real = torch.from_numpy(values).to(device), torch.from_numpy(real).to(device)
        if scaling is not None:
            values = torch.where(real[..., None], scaling(name, values), 0.0)
        batch[name] = Padded(values, torch.ones_like(real) if padding.zeros else real)
    return batch


def make_batch(store: FeatureStore, indices, modalities, lengths: dict[str, int] | None = None,
               rng: np.random.Generator | None = None, device=None, padding: Padding = MASKED,
               scaling=None, rule: str = "equidistant") -> tuple[dict[str, Padded], torch.Tensor]:
    """Tensors for the given videos, on ``device`` (default CPU). ``lengths`` caps each modality (None keeps full
    sequences) by ``rule`` (:func:`frame_indices`; ``"random"`` draws from ``rng``)."""
    sequences = {}
    for name in modalities:
        sequences[name] = []
        for i in indices:
            frames = store.frames(int(i), name)
            sequences[name].append(frames[frame_indices(len(frames), (lengths or {}).get(name), rule, rng)])
    dims = {name: store.modalities[name].dim for name in modalities}
    return (assemble(sequences, dims, padding, scaling, device),
            torch.from_numpy(store.labels[np.asarray(indices)]).to(device))


class TemporalMeans:
    """A store seen through the temporal means a model that reads nothing else (the MLP) would compute.

    Training on these costs a linear layer per step instead of reading every frame of the batch. Each
    mean is taken over the frames that ``lengths`` admits, chosen by ``rule`` for a longer video, after the
    model's input ``scaling``; with the paper's zero padding, over the sequence padded to its training
    length (zeros dilute it, as the authors' ``torch.mean`` over padded sequences does), and a missing
    modality is a zero mean. Batches of these are assembled with masked padding: every video has one
    frame (or, with masked padding, none for a missing modality).
    """

    def __init__(self, store: FeatureStore, modalities, lengths: dict[str, int | None], padding: Padding = MASKED,
                 scaling=None, rule: str = "equidistant"):
        self.path, self.labels, self.modalities = store.path, store.labels, store.modalities
        self.indices = store.indices
        self._means = {}
        for name in modalities:
            dim, rows = store.modalities[name].dim, []
            for i in range(len(store)):
                frames = store.frames(i, name)
                frames = frames[frame_indices(len(frames), lengths.get(name), rule)]
                if scaling is not None and len(frames):
                    frames = scaling(name, torch.from_numpy(frames)).numpy()
                count = max(len(frames), (padding.to or {}).get(name) or 0) if padding.zeros else len(frames)
                if count == 0:
                    rows.append(np.zeros((1 if padding.zeros else 0, dim), np.float32))
                else:
                    rows.append((frames.sum(0, keepdims=True) / count).astype(np.float32))
            self._means[name] = rows

    def frames(self, index: int, modality: str) -> np.ndarray:
        return self._means[modality][index]
