"""The planted-evidence store: one genre's evidence in a few frames among many noise frames.

The paper argues that attention beats a temporal mean because a trailer's
decisive scenes are few. This store makes that argument measurable: every
frame is Gaussian noise, and each genre of a video adds its direction to a
chosen number of frames. A temporal mean dilutes the evidence by the sequence
length; a model that looks at single frames does not. :func:`oracle_scores`
gives the reference points (the prior, the best a temporal mean can do, the
best single frame). Labels are made up: nothing here says anything about MovieNet.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .labels import GENRES
from .store import FeatureStore, Modality, StoreWriter

EVIDENCE = "planted_frames.json"  # beside the store's own files: which frames carry evidence


def directions(dim: int, seed: int = 0) -> np.ndarray:
    """The unit genre directions (genres x dim) that :func:`write_store` plants for ``seed``."""
    unit = np.random.default_rng([seed, dim]).standard_normal((len(GENRES), dim))
    return unit / np.linalg.norm(unit, axis=1, keepdims=True)


def write_store(path: str | os.PathLike, videos_per_split: dict[str, int], dim: int = 64,
                  frames: tuple[int, int] = (20, 80), strength: float = 3.0, evidence_frames: int = 1,
                  genres_per_video: tuple[int, int] = (1, 3), modality: str = "clip",
                  seed: int = 0) -> FeatureStore:
    """A store where each genre of a video shows in ``evidence_frames`` frames among many noise frames.

    Every frame is standard Gaussian noise; each of the video's genres (1 to 3,
    drawn at random) adds its unit direction times ``strength`` to
    ``evidence_frames`` random frames.
    """
    rng = np.random.default_rng(seed)
    genre_directions = directions(dim, seed)
    planted = {}
    modalities = [Modality(modality, dim, "synthetic", "genrelib.planted.write_store",
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
                video, frames_with_evidence = f"planted-{split}-{number:05d}", set()
                for genre in genres:
                    chosen = rng.choice(len(sequence), min(evidence_frames, len(sequence)), replace=False)
                    sequence[chosen] += strength * genre_directions[genre]
                    frames_with_evidence.update(int(t) for t in chosen)
                writer.add(video, {modality: sequence}, labels, split)
                planted[video] = sorted(frames_with_evidence)
    (Path(path) / EVIDENCE).write_text(json.dumps(planted))
    return FeatureStore(path)


def evidence_frames(store: FeatureStore) -> dict[str, list[int]]:
    """Each video of a planted store -> the frames that carry evidence of any of its genres, as
    :func:`write_store` recorded them beside the store."""
    recorded = store.path / EVIDENCE
    if not recorded.is_file():
        raise FileNotFoundError(f"{recorded}: this store records no planted frames; it was written by an older "
                                "genrelib or is no planted store: delete the folder to have it written again")
    return json.loads(recorded.read_text())


def oracle_scores(store: FeatureStore, genre_directions: np.ndarray, split: str = "tst",
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
    projections = [store.frames(int(i), modality) @ genre_directions.T for i in indices]
    return {"prior": np.tile(prior, (len(indices), 1)),
            "temporal mean": np.stack([p.mean(0) for p in projections]),
            "best frame": np.stack([p.max(0) for p in projections])}
