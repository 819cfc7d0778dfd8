"""A documented generator of stand-in feature stores (no video involved).

It exists so the classifier chapters can run, and be tested, before real
extracted features are at hand. What it makes:

* videos are real MovieNet trailers: their genre sets, durations and split
  membership come from the label file;
* each modality gets one random unit "prototype" direction per genre and a
  shared random subspace of "neutral" content;
* a video's sequence length follows its duration and the modality's rate
  (about one keyframe per second, one audio tag per 1.5 s, one music tag per
  11 s, text on a fifth of the keyframes, one speech segment per 2.5 s);
* a frame carries genre evidence with probability ``evidence`` (per
  modality): it is then a prototype of one of the video's genres; all other
  frames are neutral. Every frame gets Gaussian noise. Evidence is therefore
  sparse in time, as in a trailer whose few decisive scenes sit among
  neutral ones.

Numbers measured on such a store say how well a classifier recovers planted
structure; they say nothing about MovieNet, and the chapters say so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .labels import GENRES, MovieNetLabels
from .models import PAPER_FEATURE_DIMS
from .store import FeatureStore, Modality, StoreWriter


@dataclass(frozen=True)
class SyntheticModality:
    name: str
    dim: int
    frames_per_second: float
    evidence: float  # probability that a frame shows one of the video's genres


# The paper's five modalities at their feature sizes, with frame rates and evidence rates of our choosing.
PAPER_LIKE = (
    SyntheticModality("clip", PAPER_FEATURE_DIMS["clip"], 1.0, 0.10),
    SyntheticModality("audiotag", PAPER_FEATURE_DIMS["audiotag"], 1 / 1.5, 0.08),
    SyntheticModality("musicnet", PAPER_FEATURE_DIMS["musicnet"], 1 / 11, 0.15),
    SyntheticModality("ocr", PAPER_FEATURE_DIMS["ocr"], 0.2, 0.05),
    SyntheticModality("asr", PAPER_FEATURE_DIMS["asr"], 0.4, 0.06),
)


def synthetic_store(path: str | os.PathLike, movienet: MovieNetLabels, splits: dict[str, list[str]],
                    videos_per_split: dict[str, int], modalities=PAPER_LIKE, signal: float = 0.6, noise: float = 1.0,
                    neutral_rank: int = 16, seed: int = 0) -> FeatureStore:
    """Write a synthetic store over the first ``videos_per_split[s]`` ids of each split.

    A genre frame is its prototype (per-dimension amplitude ``signal``) plus
    neutral content plus noise of standard deviation ``noise``.
    """
    rng = np.random.default_rng(seed)
    n_genres = len(GENRES)
    prototypes, neutral_bases = {}, {}
    for m in modalities:
        unit = rng.standard_normal((n_genres, m.dim))
        # per-dimension amplitude `signal` against unit noise
        prototypes[m.name] = signal * np.sqrt(m.dim) * unit / np.linalg.norm(unit, axis=1, keepdims=True)
        neutral_bases[m.name] = rng.standard_normal((neutral_rank, m.dim)) / np.sqrt(neutral_rank)
    stores = [Modality(m.name, m.dim, "synthetic", "genrelib.synthetic", f"evidence={m.evidence}")
              for m in modalities]
    description = (f"synthetic features over real MovieNet label sets (seed {seed}); "
                   "not extracted from any video")
    with StoreWriter(path, stores, description=description) as writer:
        for split, count in videos_per_split.items():
            for video in splits[split][:count]:
                labels = movienet.multi_hot([video])[0]
                duration = float(movienet.frame.loc[video, "duration"])
                features = {m.name: _sequence(rng, m, labels, duration, prototypes[m.name],
                                              neutral_bases[m.name], noise) for m in modalities}
                writer.add(video, features, labels, split)
    return FeatureStore(path)


def _sequence(rng, modality: SyntheticModality, labels: np.ndarray, duration: float, prototypes: np.ndarray,
              neutral_basis: np.ndarray, noise: float) -> np.ndarray:
    length = rng.poisson(modality.frames_per_second * duration)
    frames = rng.standard_normal((length, len(neutral_basis))) @ neutral_basis
    genres = np.flatnonzero(labels)
    if len(genres):
        shows_genre = rng.random(length) < modality.evidence
        frames[shows_genre] += prototypes[rng.choice(genres, size=int(shows_genre.sum()))]
    return frames + noise * rng.standard_normal(frames.shape)


def _cached(kind: str, write, folder: str | os.PathLike, videos_per_split: dict[str, int], seed: int,
            **options) -> FeatureStore:
    """Open the ``kind`` store for these settings under ``folder``, writing it first with ``write`` if absent."""
    key = "-".join(f"{s}{n}" for s, n in sorted(videos_per_split.items()))
    extra = "".join(f"-{k}{v}" for k, v in sorted(options.items())).replace(" ", "")
    path = Path(folder) / f"{kind}-{key}-seed{seed}{extra}"
    if (path / "manifest.json").is_file():
        return FeatureStore(path)
    return write(path, videos_per_split=videos_per_split, seed=seed, **options)


def cached_synthetic_store(folder: str | os.PathLike, movienet: MovieNetLabels, splits: dict[str, list[str]],
                           videos_per_split: dict[str, int], seed: int = 0, **options) -> FeatureStore:
    """Open the synthetic store for these settings under ``folder``, writing it first if absent."""
    return _cached("synthetic", lambda path, **kw: synthetic_store(path, movienet, splits, **kw), folder,
                   videos_per_split, seed, **options)


def cached_planted_store(folder: str | os.PathLike, videos_per_split: dict[str, int], seed: int = 0,
                         **options) -> FeatureStore:
    """Open the planted-evidence store for these settings under ``folder``, writing it first if absent."""
    return _cached("planted", planted_store, folder, videos_per_split, seed, **options)


def planted_directions(dim: int, seed: int = 0) -> np.ndarray:
    """The unit genre directions (genres x dim) that :func:`planted_store` plants for ``seed``."""
    unit = np.random.default_rng([seed, dim]).standard_normal((len(GENRES), dim))
    return unit / np.linalg.norm(unit, axis=1, keepdims=True)


def planted_store(path: str | os.PathLike, videos_per_split: dict[str, int], dim: int = 64,
                  frames: tuple[int, int] = (20, 80), strength: float = 3.0, evidence_frames: int = 1,
                  genres_per_video: tuple[int, int] = (1, 3), modality: str = "clip",
                  seed: int = 0) -> FeatureStore:
    """A store where each genre of a video shows in ``evidence_frames`` frames among many noise frames.

    Every frame is standard Gaussian noise; each of the video's genres (1 to 3,
    drawn at random) adds its unit direction times ``strength`` to
    ``evidence_frames`` random frames. A temporal mean dilutes that evidence
    by the sequence length, a model that looks at single frames does not:
    this is the paper's argument for attention, in its purest form.
    :func:`oracle_scores` gives the reference points.
    """
    rng = np.random.default_rng(seed)
    directions = planted_directions(dim, seed)
    modalities = [Modality(modality, dim, "synthetic", "genrelib.synthetic.planted_store",
                           f"strength={strength}, evidence_frames={evidence_frames}")]
    description = (f"planted evidence (seed {seed}): {evidence_frames} frame(s) per genre of strength {strength} "
                   f"among {frames[0]}-{frames[1]} noise frames; made-up labels, not extracted from any video")
    with StoreWriter(path, modalities, description=description) as writer:
        for split, count in videos_per_split.items():
            for number in range(count):
                labels = np.zeros(len(GENRES), np.float32)
                genres = rng.choice(len(GENRES), rng.integers(genres_per_video[0], genres_per_video[1] + 1),
                                    replace=False)
                labels[genres] = 1
                sequence = rng.standard_normal((rng.integers(frames[0], frames[1] + 1), dim))
                for genre in genres:
                    chosen = rng.choice(len(sequence), min(evidence_frames, len(sequence)), replace=False)
                    sequence[chosen] += strength * directions[genre]
                writer.add(f"planted-{split}-{number:05d}", {modality: sequence}, labels, split)
    return FeatureStore(path)


def oracle_scores(store: FeatureStore, directions: np.ndarray, split: str = "tst",
                  modality: str = "clip") -> dict[str, np.ndarray]:
    """Genre scores of a planted store's videos by rules that know the planted directions.

    ``prior``: every video scores each genre by its training frequency (what a
    model that learned nothing achieves); ``temporal mean``: projection of the
    mean frame on each direction, the best a model of temporal means can do;
    ``best frame``: the largest projection of any single frame, the evidence
    detector that attention can learn.
    """
    indices = store.indices(split)
    prior = store.labels[store.indices("trn")].mean(0)
    projections = [store.frames(int(i), modality) @ directions.T for i in indices]
    return {"prior": np.tile(prior, (len(indices), 1)),
            "temporal mean": np.stack([p.mean(0) for p in projections]),
            "best frame": np.stack([p.max(0) for p in projections])}
