"""Experiments stage: which model reads the correspondence test's moment tokens, the positive control of
:mod:`genrelib.evaluation.controlled`.

A control that closes the oracles' gap on one store may owe it to that store's ease (four genres, a fixed
length, every genre's events in every video). Each candidate is trained on moment tokens of the default store
at several seeds and of a harder store, :data:`HARDER_CORRESPONDENCE`; a control must close the gap on both.
"""

from __future__ import annotations

import pandas as pd

from genrelib.common.paths import Paths
from genrelib.data import planted
from genrelib.data.labels import GENRES
from genrelib.evaluation import controlled
from genrelib.evaluation.metrics import evaluate
from genrelib.features.moments import moment_store
from genrelib.features.stores import open_or_write
from genrelib.training.loop import TrainConfig

# A harder correspondence store, where a control that only suits the default store would fail: all genres,
# 20 to 60 frames a video, 1 to 3 genres a video and two other genres' image and audio events apart as distractors.
HARDER_CORRESPONDENCE = {"genres": len(GENRES), "frames": (20, 60), "genres_per_video": (1, 3), "distractors": 2}


def _harder_correspondence_store(path, videos_per_split, seed):
    return planted.write_correspondence_store(path, videos_per_split, seed=seed,
                                              strength=controlled.STRENGTHS["correspondence"], **HARDER_CORRESPONDENCE)


def control_candidates(paths: Paths, candidates, setting, videos: dict[str, int], harder_videos: dict[str, int],
                       config: TrainConfig, seeds=(0,), harder_seeds=(0,), training_videos=(),
                       progress: bool = False) -> pd.DataFrame:
    """The models that could read the correspondence test's moment tokens (``candidates``, names of
    :data:`~genrelib.evaluation.controlled.MODELS`),
    each trained on the default store of every seed of ``seeds`` (mechanism on, ``setting`` frames,
    ``videos["trn"]`` training videos: the store
    :func:`~genrelib.evaluation.controlled.run_test` trains on, sized by ``training_videos``) and on
    the harder store of :data:`HARDER_CORRESPONDENCE` (``harder_videos``) of every seed of ``harder_seeds``: per
    store, seed and model, the test mAP and the share of the oracles' gap closed. A control must close it on
    both stores, whatever the seed."""
    test = controlled.TESTS["correspondence"]
    stored = {**videos, "trn": max([*training_videos, videos["trn"]])}
    runs = [("default", test.store(paths, "correspondence", stored, seed, setting, True), videos["trn"], seed)
            for seed in seeds]
    runs += [("harder", open_or_write("controlled-correspondence-harder", _harder_correspondence_store,
                                      paths.artifacts / "stores", harder_videos, seed), harder_videos["trn"], seed)
             for seed in harder_seeds]
    rows = []
    for name, store, count, seed in runs:
        truth = store.labels[store.indices("tst")]
        oracle = {rule: evaluate(truth, s).map for rule, s in test.oracle(store, seed).items()}
        tokens = moment_store(store, paths.artifacts / "stores")
        shortest, longest = store.lengths("clip").min(), store.lengths("clip").max()
        for model in candidates:
            probabilities = controlled.train_model(paths, model, tokens, config, seed, count, progress)
            mean_ap = evaluate(truth, probabilities).map
            rows.append({"store": name, "seed": seed, "genres": int(truth.any(0).sum()),
                         "frames": f"{shortest}" if shortest == longest else f"{shortest}–{longest}",
                         "training videos": count, "model": f"{model} on moment tokens", "mAP": mean_ap,
                         **oracle, "gap closed": controlled.gap_closed(mean_ap, (oracle[test.oracles[0]],
                                                                                 oracle[test.oracles[1]]))})
    return pd.DataFrame(rows)


def candidates_for_page(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`control_candidates`' table as a page prints it: per store and model, the share of the oracles'
    gap closed at each seed, and the test mAP with the oracles' at the first seed."""
    first = table.groupby(["store", "model"], sort=False).first()
    return pd.DataFrame({
        "genres": first["genres"], "frames": first["frames"], "training videos": first["training videos"],
        "gap closed, by seed": table.groupby(["store", "model"], sort=False)["gap closed"].agg(
            lambda closed: ", ".join(f"{v:.2f}" for v in closed)),
        "mAP (first seed)": first["mAP"].round(1),
        "oracles: each alone – same moment": [f"{alone:.1f} – {same:.1f}" for alone, same in
                                              zip(first["each alone"], first["same moment"], strict=True)]})


def candidates_source(videos: dict[str, int], harder_videos: dict[str, int], seeds=(0,), harder_seeds=(0,)) -> str:
    """The data behind :func:`control_candidates`, for its saved result and chapter 8's list of sources."""
    counts = ", ".join(f"{split} {count}" for split, count in harder_videos.items())
    harder = HARDER_CORRESPONDENCE
    return (f"{controlled.source(videos, seeds)} And the harder correspondence store: all {harder['genres']} genres, "
            f"{harder['frames'][0]} to {harder['frames'][1]} frames, {harder['genres_per_video'][0]} to "
            f"{harder['genres_per_video'][1]} genres a video and {harder['distractors']} other genres' events apart, "
            f"seeds {', '.join(map(str, harder_seeds))}; videos: {counts}.")


__all__ = ["HARDER_CORRESPONDENCE", "control_candidates", "candidates_for_page", "candidates_source"]
