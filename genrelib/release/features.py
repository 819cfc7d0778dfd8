"""The authors' released features (``features.pkl``) converted once into a feature store, with their statistics.

``features.pkl`` is a pickle of ``{"samples": {youtube_id: {"features": {name: array}, "label": multi-hot}},
"stats": {name: {...}}, "idx_to_label": {index: genre}}`` with the five features of :data:`FEATURE_SHAPES`.
A sample can lack a feature or hold an empty array for it (no face, no speech).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from genrelib.data.labels import GENRES
from genrelib.data.store import FeatureStore, Modality, StoreError, StoreWriter
from genrelib.release.download import verify

# The release's features: width, and vectors per second of trailer (None: one vector per video).
FEATURE_SHAPES = {"clip": (512, 1.0), "beats": (768, 1 / 1.5), "face_emotion": (768, 0.5),
                  "asr_sentiment": (768, None), "ocr_sentiment": (768, None)}


def import_authors_features(pickle_path: str | os.PathLike, out: str | os.PathLike,
                            splits: dict[str, list[str]], *, trust_pickle: bool = False) -> FeatureStore:
    """Convert the authors' released ``features.pkl`` (zenodo record 13909366) into a store, once.

    Unpickling runs whatever code the file names, so this refuses to read it
    unless ``trust_pickle`` is set by someone who trusts the file. Layout read
    (:mod:`genrelib.release.features`)::

        {"samples": {youtube_id: {"features": {name: array}, "label": multi-hot}},
         "stats": {...}, "idx_to_label": {index: genre}}

    Every feature any sample has becomes a modality; a sample that lacks a feature or holds an empty
    array for it gets an empty sequence, and a 1-D vector is one frame. Label columns are reordered to
    ``GENRES``; videos in none of ``splits`` are skipped. Each sample is dropped from memory once written,
    so the peak is the unpickled release itself.
    """
    import pickle

    pickle_path = Path(pickle_path)
    if not trust_pickle:
        raise StoreError(f"{pickle_path}: reading a pickle runs code stored in it. If you trust this file, "
                         "pass trust_pickle=True (CLI: --trust-pickle); it is converted once into a feature store.")
    verify(pickle_path)
    with open(pickle_path, "rb") as handle:
        release = pickle.load(handle)  # noqa: S301 -- explicit opt-in above
    try:
        samples, idx_to_label = release["samples"], release["idx_to_label"]
    except (KeyError, TypeError):
        raise StoreError(f"{pickle_path}: expected a dict with 'samples' and 'idx_to_label'") from None
    column_of = {int(i): GENRES.index(name) for i, name in dict(idx_to_label).items()}
    split_of = {video: name for name, ids in splits.items() for video in ids}
    dims = {}
    for sample in samples.values():
        for name, array in sample["features"].items():
            if np.size(array) and name not in dims:
                dims[name] = int(np.shape(array)[-1])
    modalities = [Modality(name, dims[name], "authors-release", name, "zenodo-13909366") for name in sorted(dims)]
    description = f"the authors' released features of MovieNet ({pickle_path.name}, zenodo record 13909366)"
    with StoreWriter(out, modalities, description=description) as writer:
        for video in list(samples):
            sample = samples.pop(video)
            if video not in split_of:
                continue
            labels = np.zeros(len(GENRES), np.float32)
            for i, value in enumerate(np.asarray(sample["label"]).ravel()):
                labels[column_of[i]] = value
            features = {}
            for m in modalities:
                array = np.asarray(sample["features"].get(m.name, np.zeros((0, m.dim))), np.float32)
                features[m.name] = array.reshape(-1, m.dim) if array.size else np.zeros((0, m.dim), np.float32)
            writer.add(video, features, labels, split_of[video])
    write_stats(out, release.get("stats"))  # the statistics the authors' classifiers may have been trained with
    return FeatureStore(out)


STATS_FILE = "release-stats.npz"


def write_stats(store_dir: str | os.PathLike, stats: dict) -> None:
    """Keep the release's per-feature statistics (``stats``: name -> mean, std, min, max) beside its store."""
    arrays = {f"{name}.{key}": np.asarray(value, np.float64) for name, values in (stats or {}).items()
              for key, value in dict(values).items() if key in ("mean", "std", "min", "max")}
    np.savez(Path(store_dir) / STATS_FILE, **arrays)


def read_stats(store_dir: str | os.PathLike) -> dict | None:
    path = Path(store_dir) / STATS_FILE
    if not path.is_file():
        return None
    stats: dict[str, dict] = {}
    with np.load(path) as saved:
        for key in saved.files:
            name, _, stat = key.rpartition(".")
            stats.setdefault(name, {})[stat] = saved[key]
    return stats
