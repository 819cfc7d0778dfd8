"""Experiments that train many models: the paper's feature ablation and frame-count study.

Each returns a tidy table (one row per trained model) that the chapters plot
and the results chapter collects.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from genrelib import models, training
from genrelib.common import session
from genrelib.data import planted
from genrelib.data.store import FeatureStore
from genrelib.evaluation.metrics import evaluate
from genrelib.features.stores import open_store
from genrelib.models.classifiers import build_model
from genrelib.sources import paper
from genrelib.training.batches import Padding
from genrelib.training.loop import TrainConfig, predict, train_and_test


def paper_feature_sets() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """The feature sets of the paper's ablation (Table 3, :data:`genrelib.sources.paper.TABLE_3`, the baseline row
    left out) as (label, modalities, modalities averaged instead of encoded)."""
    rows = paper.TABLE_3.iloc[1:]
    return [(label, tuple(row["modalities"].split("+")), tuple(filter(None, row["averaged"].split("+"))))
            for label, row in rows.iterrows()]


def feature_sets(available, sets=None) -> tuple[list[tuple[str, tuple, tuple]], list[str]]:
    """The feature sets (default: the paper's) whose modalities are all ``available``, and the labels of the
    others. A set is (label, modalities, averaged), the two as tuples or as "a+b" text."""
    def names(value) -> tuple[str, ...]:
        return tuple(filter(None, value.split("+"))) if isinstance(value, str) else tuple(value or ())

    kept, skipped = [], []
    for label, modalities, averaged in sets or paper_feature_sets():
        if set(names(modalities)) <= set(available):
            kept.append((label, names(modalities), names(averaged)))
        else:
            skipped.append(label)
    return kept, skipped


def ablation_study(store: FeatureStore, config: TrainConfig, checkpoints: Path, seeds=(0,),
                   progress: bool = False, sets=None, **model_options) -> tuple[pd.DataFrame, dict]:
    """Train a multi-transformer per feature set (default: the paper's Table 3) and seed; per set, the test
    mAP's mean and standard deviation over seeds and the classifier's seconds per test video (median over
    seeds); extraction time is added by :func:`genrelib.book.tables.ablation_beside_paper`. Also returns each set's
    test :class:`~genrelib.evaluation.metrics.Scores` of the first seed, for paired comparisons."""
    kept, _ = feature_sets(store.modalities, sets)
    test = store.indices("tst")
    rows, first_seed = [], {}
    for number, (label, modalities, averaged) in enumerate(kept):
        maps, classify = [], []
        for seed in seeds:
            session.seed_everything(seed)
            # the store's modality order, as every chapter builds its models: a seed then draws the same weights
            model = build_model("multi-transformer", {m: d.dim for m, d in store.modalities.items() if m in modalities},
                                averaged=averaged, **model_options)
            run_config = replace(config, seed=seed)
            run = train_and_test(model, store, run_config,
                                 checkpoints / f"ablation-{number}-seed{seed}-{store.path.name}.pt", progress=progress)
            maps.append(run.test_scores.map)
            first_seed.setdefault(label, run.test_scores)
            padding = Padding.for_testing(run_config, {m: config.train_lengths.get(m) for m in modalities})
            predict(model, store, test[:1], padding=padding)  # warm-up: the first call pays one-off allocation costs
            start = time.perf_counter()
            predict(model, store, test, padding=padding)
            classify.append((time.perf_counter() - start) / max(len(test), 1))
        rows.append({"features": label, "modalities": "+".join(modalities), "averaged": "+".join(averaged),
                     "mAP": float(np.mean(maps)), "mAP std": float(np.std(maps, ddof=1)) if len(maps) > 1 else np.nan,
                     "seeds": len(maps), "classifier s/video": float(np.median(classify))})
    return pd.DataFrame(rows).set_index("features"), first_seed


def option_study(store: FeatureStore, kind: str, config: TrainConfig, checkpoints: Path, seeds=(0,),
                 progress: bool = False, **model_options) -> tuple[pd.DataFrame, dict]:
    """Test mAP of the paper configuration of ``kind``, of it with each of the authors' departures from the
    paper's text (:data:`genrelib.training.loop.AUTHORS`), with each of our options alone
    (:data:`genrelib.models.classifiers.OURS`, :data:`genrelib.training.loop.OURS`) and with all of ours, on one store
    and the same seeds: :func:`variant_study`, with the difference from the paper configuration's mean."""
    dims = {name: m.dim for name, m in store.modalities.items()}
    accepted = set(build_model(kind, dims, **model_options).hyper)
    ours = {name: (options, {}) for name, options in models.OURS.items() if set(options) <= accepted}
    ours |= {name: ({}, options) for name, options in training.OURS.items()}
    everything = ({k: v for options, _ in ours.values() for k, v in options.items()},
                  {k: v for _, options in ours.values() for k, v in options.items()})
    # the authors' code where it departs from the paper's text (mixed precision only where CUDA runs it)
    authors = {name: ({}, options) for name, options in training.AUTHORS.items()
               if not options.get("amp") or torch.cuda.is_available()}
    choices = {"paper configuration": ({}, {}), **authors, **ours, "all of ours": everything}
    table, first_seed = variant_study(store, kind, config, checkpoints, choices, seeds, progress, **model_options)
    table["vs paper configuration"] = table["mAP"] - table.loc["paper configuration", "mAP"]
    return table, first_seed


# What standardising the inputs fixes (chapter 4): each half of it alone, and the loss weight it might stand in for
STANDARDISING = {"scaled only (ours)": ({"standardize": "scale"}, {}),
                 "positive weight 1": ({}, {"positive_weight": 1.0})}


def variant_study(store: FeatureStore, kind: str, config: TrainConfig, checkpoints: Path,
                  choices: dict[str, tuple[dict, dict]], seeds=(0,), progress: bool = False, tag: str = "options",
                  **model_options) -> tuple[pd.DataFrame, dict]:
    """Train ``kind`` once per choice (label -> (model arguments, :class:`TrainConfig` changes)) and seed, on one
    store; one row per choice with the mean and standard deviation of test mAP over seeds. Also returns each
    choice's test :class:`~genrelib.evaluation.metrics.Scores` of the first seed, for paired comparisons."""
    dims = {name: m.dim for name, m in store.modalities.items()}
    rows, first_seed = [], {}
    for number, (label, (model_changes, train_changes)) in enumerate(choices.items()):
        maps = []
        for seed in seeds:
            session.seed_everything(seed)
            model = build_model(kind, dims, **{**model_options, **model_changes})
            run = train_and_test(model, store, replace(config, seed=seed, **train_changes),
                                 checkpoints / f"{tag}-{kind}-{number}-seed{seed}-{store.path.name}.pt",
                                 progress=progress)
            maps.append(run.test_scores.map)
            first_seed.setdefault(label, run.test_scores)
        changes = {**model_changes, **train_changes}
        rows.append({"configuration": label, "changes": ", ".join(f"{k}={v}" for k, v in changes.items()) or "none",
                     "mAP": float(np.mean(maps)), "mAP std": float(np.std(maps, ddof=1)) if len(maps) > 1 else np.nan,
                     "seeds": len(maps)})
    return pd.DataFrame(rows).set_index("configuration"), first_seed


FRAME_LOCATIONS = ("random", "equidistant")


def frame_count_study(store: FeatureStore, counts, seeds, config: TrainConfig, checkpoints: Path,
                      kinds=("mlp", "multi-transformer"), modality: str = "clip",
                      progress: bool = False, locations: str = "random") -> tuple[pd.DataFrame, dict]:
    """Test mAP of each model kind trained and tested on ``count`` frames of one modality, per seed; and the
    test :class:`~genrelib.evaluation.metrics.Scores` of the first seed by (kind, count), for paired comparisons.

    A longer video gives ``count`` frames from ``locations``: random ones, as the paper's Figure 6 takes them
    (§4: "random locations"), drawn anew each training epoch and once per seed at test time; or equidistant
    ones (a fixed choice; a controlled variant of ours).
    """
    if locations not in FRAME_LOCATIONS:
        raise ValueError(f"locations must be one of {FRAME_LOCATIONS}, not {locations!r}")
    training_rule = "random" if locations == "random" else "equidistant"
    rows, first_seed = [], {}
    for kind in kinds:
        for count in counts:
            for seed in seeds:
                session.seed_everything(seed)
                model = build_model(kind, {modality: store.modalities[modality].dim})
                run_config = replace(config, seed=seed, train_lengths={modality: int(count)}, frames=training_rule)
                run = train_and_test(model, store, run_config,
                                     checkpoints / f"frames-{kind}-{count}-{locations}-{seed}.pt",
                                     progress=progress, test_lengths={modality: int(count)},
                                     test_rule=training_rule)
                rows.append({"model": kind, "frames": int(count), "seed": seed, "mAP": run.test_scores.map})
                first_seed.setdefault((kind, int(count)), run.test_scores)
    return pd.DataFrame(rows), first_seed


def frame_attention(model, store: FeatureStore, index: int, modality: str = "clip") -> np.ndarray:
    """A multi-transformer's <CLS> attention over one video's frames of ``modality``, full length, as its
    last layer computes it (:meth:`~genrelib.models.classifiers.MultiTransformer.frame_attention`)."""
    from genrelib.training.batches import make_batch

    model.eval()
    batch, _ = make_batch(store, [index], [modality], scaling=model.scaling)
    return model.frame_attention(batch, modality)[0].numpy()


def attention_on_evidence(model, store: FeatureStore, modality: str = "clip",
                          planted_frames: dict[str, list[int]] | None = None,
                          split: str = "tst") -> tuple[pd.DataFrame, list[np.ndarray]]:
    """Where a multi-transformer's <CLS> looks on a planted store: per test video, the share of its last
    layer's attention over the frames (:meth:`~genrelib.models.classifiers.MultiTransformer.frame_attention`) that lands
    on the frames carrying evidence (``planted_frames``, else what the store recorded), against the share
    those frames have of the video (what attention spread evenly would give). Returns the means over the
    split's videos (one row: ``share on planted``, ``share by chance``, ``test videos``) and each video's
    attention over its frames."""
    planted_frames = planted_frames or planted.evidence_frames(store)
    shares, chances, weights = [], [], []
    for index in store.indices(split):
        attention = frame_attention(model, store, int(index), modality)
        marked = planted_frames[store.videos[index]]
        shares.append(attention[marked].sum() / attention.sum())
        chances.append(len(marked) / len(attention))
        weights.append(attention)
    table = pd.DataFrame({"share on planted": [float(np.mean(shares))], "share by chance": [float(np.mean(chances))],
                          "test videos": [len(shares)]}, index=pd.Index([model.kind], name="model"))
    return table, weights


def cross_modal_attention(model, store: FeatureStore, image: str = "clip", audio: str = "audiotag",
                          split: str = "tst") -> pd.DataFrame:
    """Whether a single-transformer matches moments across modalities: per layer but the last (whose other
    queries the classifier never reads; the last alone for a one-layer model), each ``image`` frame's
    attention on the ``audio`` frame of the same moment (same index: a correspondence store's frames meet
    by index), against the share of one token by chance (1 over the tokens it reads), averaged over the
    split's videos and frames, each video read at full length."""
    from genrelib.training.batches import make_batch

    model.eval()
    layers = max(len(model.encoder.layers) - 1, 1)
    same, chance = np.zeros(layers), []
    indices = store.indices(split)
    for index in indices:
        batch, _ = make_batch(store, [int(index)], model.dims, scaling=model.scaling)
        weights, where = model.token_attention(batch)
        frames = min(where[image].stop - where[image].start, where[audio].stop - where[audio].start)
        seen, heard = np.arange(frames) + where[image].start, np.arange(frames) + where[audio].start
        for layer in range(layers):
            same[layer] += float(weights[layer][0, seen, heard].mean())
        chance.append(1 / weights[0].shape[-1])
    return pd.DataFrame({"model": model.kind, "layer": np.arange(1, layers + 1),
                         "share_same_moment": same / len(indices), "share_by_chance": float(np.mean(chance)),
                         "test_videos": len(indices)})


def evidence_sweep(paths, strengths, train_videos, kinds, seeds, config: TrainConfig, planted_options: dict,
                   held_out: dict[str, int], modality: str = "clip", progress: bool = False) -> pd.DataFrame:
    """Where attention's advantage holds: test mAP of each model kind, and of the planted store's reference
    rules, on planted stores of each evidence strength (with the first count of training videos) and of each
    count of training videos (at the first strength), per seed. ``held_out`` gives the val and tst sizes.
    A model of ours trains with its own options (:func:`genrelib.training.loop.with_model_options`), the paper's
    with ``config``."""
    grid = dict.fromkeys([(float(s), int(train_videos[0])) for s in strengths]
                         + [(float(strengths[0]), int(n)) for n in train_videos[1:]])
    rows = []
    for strength, videos in grid:
        for seed in seeds:
            store = open_store("planted", paths, None, {"trn": videos, **held_out}, seed,
                               {**planted_options, "strength": strength})
            point = {"strength": strength, "training videos": videos, "seed": seed}
            rows += [{**point, "model": f"reference: {name}", "mAP": value}
                     for name, value in oracle_maps(store, modality, seed).items()]
            for kind in kinds:
                session.seed_everything(seed)
                model = build_model(kind, {modality: store.modalities[modality].dim})
                checkpoint = paths.checkpoint(f"sweep-{kind}-s{strength}-n{videos}-seed{seed}", store.path.name)
                run = train_and_test(model, store, replace(config, seed=seed), checkpoint,
                                     progress=progress)
                rows.append({**point, "model": kind, "mAP": run.test_scores.map})
    return pd.DataFrame(rows)


def data_curve(store: FeatureStore, models_: dict[str, tuple[str, dict, TrainConfig]], counts, checkpoints: Path,
               seed: int = 0, progress: bool = False) -> pd.DataFrame:
    """A learning curve in data: test mAP of each model (label -> (kind, model arguments, its recipe)) trained
    on ``count`` of the store's training videos, for each count (:meth:`FeatureStore.training_subset`, drawn
    with ``seed``: the smaller sets are not nested), on the same validation and test videos. One row per model
    and count."""
    rows = []
    dims = {name: m.dim for name, m in store.modalities.items()}
    for count in counts:
        subset = store.training_subset(int(count), seed)
        for label, (kind, options, config) in models_.items():
            session.seed_everything(seed)
            model = build_model(kind, dims, **options)
            run = train_and_test(model, subset, replace(config, seed=seed),
                                 checkpoints / f"curve-{kind}-{_options_name(options)}-n{count}-{store.path.name}.pt",
                                 progress=progress)
            rows.append({"model": label, "training videos": int(count), "mAP": run.test_scores.map})
    return pd.DataFrame(rows)


def _options_name(options: dict) -> str:
    """A short stable name for a set of model arguments, for checkpoint file names."""
    return "-".join(f"{k}{v}" for k, v in sorted(options.items())) or "paper"


def oracle_maps(store: FeatureStore, modality: str = "clip", seed: int = 0) -> dict[str, float]:
    """Test mAP of the reference rules of a planted store (:func:`genrelib.data.planted.oracle_scores`)."""
    directions = planted.directions(store.modalities[modality].dim, seed)
    truth = store.labels[store.indices("tst")]
    return {name: evaluate(truth, scores).map
            for name, scores in planted.oracle_scores(store, directions, "tst", modality).items()}


def advantage(table: pd.DataFrame, model: str, baseline: str) -> pd.DataFrame:
    """Per frame count, ``model``'s test mAP minus ``baseline``'s, paired by seed: mean and sd over seeds."""
    by_seed = table.pivot_table(index=["frames", "seed"], columns="model", values="mAP")
    gap = (by_seed[model] - by_seed[baseline]).groupby("frames").agg(["mean", "std"])
    return gap.rename(columns={"mean": f"{model} - {baseline} (mAP)", "std": "sd over seeds"}).round(2)


def summarize_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation of mAP over seeds, per model and frame count."""
    return (table.astype({"frames": int}).groupby(["model", "frames"])["mAP"].agg(["mean", "std", "count"])
            .rename(columns={"mean": "mAP mean", "std": "mAP std", "count": "seeds"}).round(2))


__all__ = ["paper_feature_sets", "feature_sets", "ablation_study", "option_study", "evidence_sweep",
           "attention_on_evidence", "frame_attention",
           "frame_count_study", "oracle_maps", "advantage", "summarize_seeds"]
