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

import numpy as np

from genrelib.data.labels import GENRES, MovieNetLabels
from genrelib.data.store import FeatureStore, Modality, StoreWriter
from genrelib.sources.paper import FEATURE_DIMS


@dataclass(frozen=True)
class SyntheticModality:
    name: str
    dim: int
    frames_per_second: float
    evidence: float  # probability that a frame shows one of the video's genres


# The paper's five modalities at their feature sizes, with frame rates and evidence rates of our choosing.
PAPER_LIKE = (
    SyntheticModality("clip", FEATURE_DIMS["clip"], 1.0, 0.10),
    SyntheticModality("audiotag", FEATURE_DIMS["audiotag"], 1 / 1.5, 0.08),
    SyntheticModality("musicnet", FEATURE_DIMS["musicnet"], 1 / 11, 0.15),
    SyntheticModality("ocr", FEATURE_DIMS["ocr"], 0.2, 0.05),
    SyntheticModality("asr", FEATURE_DIMS["asr"], 0.4, 0.06),
)


def write_store(path: str | os.PathLike, movienet: MovieNetLabels, splits: dict[str, list[str]],
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
    stores = [Modality(m.name, m.dim, "synthetic", "genrelib.data.synthetic.write_store", f"evidence={m.evidence}")
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
