"""Experiments stage: three of the paper's claims as controlled experiments, each mechanism on and off.

Each :class:`ControlledTest` plants the mechanism a claim rests on in a store of :mod:`genrelib.data.planted`,
trains the two models the claim compares on it, and measures the paired difference in test mAP; then the
same on the store without the mechanism. Two rules that know the planted structure (the oracles) give the
same difference before any model is trained: it must be large when the mechanism is on and vanish or
reverse when it is off, else the store does not test the claim. Whether the models follow is the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pandas as pd

from genrelib.common import session
from genrelib.common.paths import Paths
from genrelib.data import planted
from genrelib.data.store import FeatureStore
from genrelib.evaluation.metrics import RESAMPLES, evaluate, paired_difference
from genrelib.features.stores import open_or_write
from genrelib.models.classifiers import build_model
from genrelib.training.loop import TrainConfig, train_and_test

MECHANISMS = ("on", "off")


@dataclass(frozen=True)
class ControlledTest:
    claim: str  # a key of genrelib.book.claims.CLAIMS
    mechanism: str  # what the store plants when on, in words
    absent: str  # what it holds instead when off
    models: tuple[str, str]  # (a, b): the difference is a - b; names of MODELS below
    oracles: tuple[str, str]  # the rules that stand for a and b
    knob: str  # the setting varied across stores
    shown: str  # a setting as a page names it, e.g. "{} frames"
    write: Callable  # (path, videos_per_split, seed, setting, mechanism) -> FeatureStore
    oracle: Callable  # (store, seed) -> {rule: test scores}
    off_settings: Callable  # settings -> the settings of the store without the mechanism

    def store(self, paths: Paths, name: str, videos: dict[str, int], seed: int, setting, on: bool) -> FeatureStore:
        """The planted store of one setting, written under the artifacts folder on first use."""
        return open_or_write(f"controlled-{name.replace(' ', '_')}", self.write, paths.artifacts / "stores",
                             videos, seed, setting=setting, mechanism="on" if on else "off")


def checkpoint(paths: Paths, model_name: str, store: FeatureStore):
    """Where :func:`run_test` keeps a model it trained on a controlled store."""
    return paths.checkpoint(f"controlled-{model_name}", store.path.name)


def trained(paths: Paths, name: str, model_name: str, setting, videos: dict[str, int], seed: int = 0,
            on: bool = True):
    """A model that :func:`run_test` trained, with its store: e.g. the multi-transformer of the frames test at
    32 frames with the mechanism on, to see where it looks."""
    from genrelib.models.checkpoints import load_checkpoint

    store = TESTS[name].store(paths, name, videos, seed, setting, on)
    return load_checkpoint(checkpoint(paths, model_name, store))[0], store


# The models compared, each in the paper's configuration over a store's modalities.
MODELS = {"mlp": partial(build_model, "mlp"),
          "multi-transformer": partial(build_model, "multi-transformer"),
          "single-transformer": partial(build_model, "single-transformer"),
          "multi-transformer, text averaged": lambda dims: build_model("multi-transformer", dims,
                                                                       averaged=tuple(dims))}

GENRES_USED = 4  # genres with planted evidence: 1-2 per video, so each has hundreds of positives to learn from


def _frames_store(path, videos_per_split, seed, setting, mechanism):
    on = mechanism == "on"
    return planted.write_store(path, videos_per_split, frames=(setting, setting), strength=4.0,
                               genres=GENRES_USED, genres_per_video=(1, 2), seed=seed,
                               placement="few" if on else "spread")


def _frame_oracles(store: FeatureStore, seed: int) -> dict[str, np.ndarray]:
    return planted.oracle_scores(store, planted.directions(store.modalities["clip"].dim, seed))


def _correspondence_store(path, videos_per_split, seed, setting, mechanism):
    on = mechanism == "on"
    return planted.write_correspondence_store(path, videos_per_split, frames=setting, aligned=on,
                                              genres=GENRES_USED, seed=seed)


def _text_store(path, videos_per_split, seed, setting, mechanism):
    on = mechanism == "on"
    return planted.write_text_store(path, videos_per_split, corrupted=setting if on else 0.0,
                                    genres=GENRES_USED, seed=seed)


TESTS = {
    "frames": ControlledTest(
        "more frames help, the transformer more than the MLP",
        "each genre in one frame among the video's frames", "the same evidence spread evenly over all frames",
        ("multi-transformer", "mlp"), ("best frame", "temporal mean"), "frames per video", "{} frames",
        _frames_store, _frame_oracles, lambda settings: settings),
    "correspondence": ControlledTest(
        "the single-transformer sees correspondences in time, the multi-transformer only globally",
        "a genre shows only where an image and an audio event meet in the same frame",
        "each modality shows its genres' events on its own", ("single-transformer", "multi-transformer"),
        ("same moment", "each alone"), "frames per video", "{} frames", _correspondence_store,
        lambda store, seed: planted.correspondence_oracles(store, seed), lambda settings: settings),
    "averaged text": ControlledTest(
        "averaging the text streams helps",
        "a share of the tokens replaced by misread words that look like a random genre's evidence",
        "clean tokens, sparse evidence", ("multi-transformer, text averaged", "multi-transformer"),
        ("token mean", "best token"), "corrupted share", "{:.0%} misread", _text_store,
        lambda store, seed: planted.text_oracles(store, seed), lambda settings: [0.0]),
}


def agrees_with_paper(mechanism: str, low: float, high: float) -> str:
    """Whether a paired difference (model a - model b) with interval [low, high] is what the claim predicts:
    an advantage for a with the mechanism on; no advantage without it."""
    if mechanism == "on":
        return "yes" if low > 0 else "reversed" if high < 0 else "not told apart"
    return "no: the advantage stays without the mechanism" if low > 0 else "yes"


def run_test(name: str, paths: Paths, settings, videos: dict[str, int], config: TrainConfig, seeds=(0,),
             resamples: int = RESAMPLES, progress: bool = False) -> tuple[pd.DataFrame, dict]:
    """One controlled test: per store (mechanism on at each of ``settings``, off at the test's off settings)
    and seed, both models trained on the store and their paired difference in test mAP with its 95 %
    interval, beside the oracles' difference. Also returns each store's test scores by model, for figures."""
    test = TESTS[name]
    rows, scores = [], {}
    for mechanism in MECHANISMS:
        on = mechanism == "on"
        for setting in settings if on else test.off_settings(settings):
            for seed in seeds:
                store = test.store(paths, name, videos, seed, setting, on)
                truth = store.labels[store.indices("tst")]
                oracle = {rule: evaluate(truth, s).map for rule, s in test.oracle(store, seed).items()}
                probabilities = {}
                for model_name in test.models:
                    session.seed_everything(seed)
                    model = MODELS[model_name]({m: d.dim for m, d in store.modalities.items()})
                    full_length = {m: int(store.lengths(m).max()) for m in store.modalities}  # nothing cut
                    run_config = replace(config, seed=seed, train_lengths=full_length)
                    probabilities[model_name] = train_and_test(model, store, run_config,
                                                               checkpoint(paths, model_name, store),
                                                               progress=progress).test_probabilities
                a, b = test.models
                difference = paired_difference(truth, probabilities[a], probabilities[b], resamples=resamples,
                                               seed=seed)
                scores[(mechanism, setting, seed)] = {m: evaluate(truth, p).map for m, p in probabilities.items()}
                rows.append({"claim": test.claim, "mechanism": mechanism, "setting": test.shown.format(setting),
                             "seed": seed, "a": a, "b": b, "a mAP": scores[(mechanism, setting, seed)][a],
                             "b mAP": scores[(mechanism, setting, seed)][b], "difference": difference.difference,
                             "low": difference.low, "high": difference.high,
                             "oracle_difference": oracle[test.oracles[0]] - oracle[test.oracles[1]],
                             "test_videos": len(truth),
                             "agrees_with_paper": agrees_with_paper(mechanism, difference.low, difference.high)})
    return pd.DataFrame(rows), scores


def describe_tests(names=None) -> pd.DataFrame:
    """The tests of :data:`TESTS` (``names``, default all) as a page lists them: the claim, the mechanism with
    the store on and off, the models compared and the oracles that stand for them."""
    return pd.DataFrame([{"test": name, "claim": test.claim, "mechanism on": test.mechanism,
                          "off": test.absent, "models: a − b": " − ".join(test.models),
                          "oracles: a − b": " − ".join(test.oracles), "knob": test.knob}
                         for name, test in TESTS.items() if names is None or name in names]).set_index("test")


def for_page(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`controlled_tests`' table as a page prints it: per store, the two models' test mAP, their paired
    difference with its interval, the oracles' difference and the verdict, rounded to 0.1."""
    names = {test.claim: name for name, test in TESTS.items()}
    shown = pd.DataFrame({
        "test": table["claim"].map(names), "mechanism": table["mechanism"], "store": table["setting"],
        "seed": table["seed"], "a mAP": table["a mAP"].round(1), "b mAP": table["b mAP"].round(1),
        "a − b": table["difference"].round(1),
        "95 % interval": [f"[{low:.1f}, {high:.1f}]" for low, high in zip(table["low"], table["high"], strict=True)],
        "oracles' a − b": table["oracle_difference"].round(1), "as the claim predicts?": table["agrees_with_paper"]})
    if shown["seed"].nunique() == 1:
        shown = shown.drop(columns="seed")
    return shown.set_index(["test", "mechanism", "store"])


def headline(table: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Per claim of :func:`controlled_tests`' table, the two rows its result is stated by: the mechanism on at
    the largest setting, and off at the same setting (or the only one), for the first seed."""
    first = table[table["seed"] == table["seed"].min()]
    rows = {}
    for claim, runs in first.groupby("claim", sort=False):
        on = runs[runs["mechanism"] == "on"].iloc[-1]
        off = runs[runs["mechanism"] == "off"]
        rows[claim] = on, (off[off["setting"] == on["setting"]] if (off["setting"] == on["setting"]).any()
                           else off).iloc[-1]
    return rows


def source(videos: dict[str, int], seeds=(0,)) -> str:
    """The data behind :func:`controlled_tests`, for its saved result and chapter 8's list of sources."""
    counts = ", ".join(f"{split} {count}" for split, count in videos.items())
    return (f"Planted stores of genrelib.data.planted, one per test, mechanism and setting (64-d frames, {GENRES_USED} "
            f"genres with evidence, seeds {', '.join(map(str, seeds))}); videos per store: {counts}. Made-up "
            "labels, not extracted from any video.")


def controlled_tests(paths: Paths, settings: dict[str, list], videos: dict[str, int], config: TrainConfig,
                     seeds=(0,), resamples: int = RESAMPLES, progress: bool = False) -> pd.DataFrame:
    """Every test of :data:`TESTS` named in ``settings`` (name -> the settings of its knob), in one table:
    the chapter result ``controlled_tests``, one row per claim, store and seed."""
    parts = [run_test(name, paths, values, videos, config, seeds, resamples, progress)[0]
             for name, values in settings.items()]
    return pd.concat(parts, ignore_index=True)


__all__ = ["ControlledTest", "TESTS", "MODELS", "MECHANISMS", "agrees_with_paper", "run_test", "controlled_tests",
           "describe_tests", "for_page", "headline", "source", "checkpoint", "trained"]
