"""Experiments stage: three of the paper's claims as controlled experiments, each mechanism on and off.

Each :class:`ControlledTest` plants the mechanism a claim rests on in a store of :mod:`genrelib.data.planted`,
trains the two models the claim compares on it, and measures the paired difference in test mAP; then the
same on the store without the mechanism. Two rules that know the planted structure (the oracles) give the
same difference before any model is trained: it must be large when the mechanism is on and vanish or
reverse when it is off, else the store does not test the claim. Whether the models follow is the result.

A verdict alone cannot say why a model fails, so each test also trains a **positive control**: a model of ours
built to exploit the planted mechanism, at the same budget on the same store. Each model's share of the
oracles' gap that it closes, (model - weaker oracle) / (stronger oracle - weaker oracle), then tells three
stories apart (:func:`story`): the design cannot use the mechanism (the control closes the gap, the design does
not), the budget is too small (the control fails too), or the store does not test it (no gap to close). The
mechanism-on stores are trained at several sizes of the training split (its first videos: the same
validation and test videos), a learning curve of every difference.
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
from genrelib.features.moments import moment_store
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
    control: str  # the positive control: a name of MODELS, built to exploit the mechanism
    control_reads: str  # what the control reads: "the store" or "moment tokens" (features.moments)
    bounds: str  # which models the oracle pair bounds, in words

    def store(self, paths: Paths, name: str, videos: dict[str, int], seed: int, setting, on: bool) -> FeatureStore:
        """The planted store of one setting, written under the artifacts folder on first use."""
        return open_or_write(f"controlled-{name.replace(' ', '_')}", self.write, paths.artifacts / "stores",
                             videos, seed, setting=setting, mechanism="on" if on else "off")


def checkpoint(paths: Paths, model_name: str, store: FeatureStore, training_videos: int | None = None):
    """Where :func:`run_test` keeps a model it trained on a controlled store (on its first ``training_videos``
    training videos when given)."""
    return paths.checkpoint(f"controlled-{model_name}", store.path.name + (f"-trn{training_videos}"
                                                                            if training_videos else ""))


class FirstTrainingVideos(FeatureStore):
    """A store whose training split is its first ``count`` training videos, the rest as it is: a smaller
    budget on the same validation and test videos (a planted store draws its videos in order, so every
    smaller training split is part of every larger one)."""

    def __init__(self, store: FeatureStore, count: int):
        super().__init__(store.path)
        if count > len(store.indices("trn")):
            raise ValueError(f"{store.path}: {count} training videos asked, {len(store.indices('trn'))} held")
        self.count = count

    def indices(self, split: str | None = None) -> np.ndarray:
        found = super().indices(split)
        return found[:self.count] if split == "trn" else found


def trained(paths: Paths, name: str, model_name: str, setting, videos: dict[str, int], seed: int = 0,
            on: bool = True, training_videos=()):
    """A model that :func:`run_test` trained at the budget ``videos["trn"]``, with its store: e.g. the
    multi-transformer of the frames test at 32 frames with the mechanism on, to see where it looks
    (``training_videos``: the test's learning-curve sizes, which set how many training videos its store holds)."""
    from genrelib.models.checkpoints import load_checkpoint

    stored = {**videos, "trn": max([*training_videos, videos["trn"]])}
    store = TESTS[name].store(paths, name, stored, seed, setting, on)
    return load_checkpoint(checkpoint(paths, model_name, store, videos["trn"]))[0], store


# The models compared, each in the paper's configuration over a store's modalities.
MODELS = {"mlp": partial(build_model, "mlp"),
          "multi-transformer": partial(build_model, "multi-transformer"),
          "single-transformer": partial(build_model, "single-transformer"),
          "multi-transformer, text averaged": lambda dims: build_model("multi-transformer", dims,
                                                                       averaged=tuple(dims)),
          # ours: the positive controls
          "frame detector": partial(build_model, "frame-detector"),
          # wider: a moment's score needs two events at once, and 64 hidden units learned that on one store only
          "frame detector, 256 hidden": partial(build_model, "frame-detector", hidden=256),
          "mlp, standardised": partial(build_model, "mlp", standardize=True)}

STRENGTHS = {"frames": 4.0, "correspondence": 3.0, "averaged text": 3.0}  # planted evidence against unit noise
GENRES_USED = 4  # genres with planted evidence: 1-2 per video, so each has hundreds of positives to learn from


def _frames_store(path, videos_per_split, seed, setting, mechanism):
    on = mechanism == "on"
    return planted.write_store(path, videos_per_split, frames=(setting, setting), strength=STRENGTHS["frames"],
                               genres=GENRES_USED, genres_per_video=(1, 2), seed=seed,
                               placement="few" if on else "spread")


def _frame_oracles(store: FeatureStore, seed: int) -> dict[str, np.ndarray]:
    return planted.oracle_scores(store, planted.directions(store.modalities["clip"].dim, seed))


def _correspondence_store(path, videos_per_split, seed, setting, mechanism):
    on = mechanism == "on"
    return planted.write_correspondence_store(path, videos_per_split, frames=setting, aligned=on,
                                              strength=STRENGTHS["correspondence"], genres=GENRES_USED, seed=seed)


def _text_store(path, videos_per_split, seed, setting, mechanism):
    on = mechanism == "on"
    return planted.write_text_store(path, videos_per_split, corrupted=setting if on else 0.0,
                                    strength=STRENGTHS["averaged text"], genres=GENRES_USED, seed=seed)


TESTS = {
    "frames": ControlledTest(
        "more frames help, the transformer more than the MLP",
        "each genre in one frame among the video's frames", "the same evidence spread evenly over all frames",
        ("multi-transformer", "mlp"), ("best frame", "temporal mean"), "frames per video", "{} frames",
        _frames_store, _frame_oracles, lambda settings: settings, "frame detector", "the store",
        "the temporal mean bounds the MLP from above (it reads means only); the best frame is what a detector "
        "of single frames learns, so it stands for attention that finds the evidence frame"),
    "correspondence": ControlledTest(
        "the single-transformer sees correspondences in time, the multi-transformer only globally",
        "a genre shows only where an image and an audio event meet in the same frame",
        "each modality shows its genres' events on its own", ("single-transformer", "multi-transformer"),
        ("same moment", "each alone"), "frames per video", "{} frames", _correspondence_store,
        lambda store, seed: planted.correspondence_oracles(store, seed), lambda settings: settings,
        "frame detector, 256 hidden", "moment tokens",
        "each alone is the most that per-modality summaries carry, so it bounds the multi-transformer, whose "
        "streams meet only in the head; same moment is what a model reaches that matches frame t of one "
        "stream to frame t of the other, which the single-transformer can but need not do"),
    "averaged text": ControlledTest(
        "averaging the text streams helps",
        "a share of the tokens replaced by misread words that look like a random genre's evidence",
        "clean tokens, sparse evidence", ("multi-transformer, text averaged", "multi-transformer"),
        ("token mean", "best token"), "corrupted share", "{:.0%} misread", _text_store,
        lambda store, seed: planted.text_oracles(store, seed), lambda settings: [0.0], "mlp, standardised", "the store",
        "the token mean bounds the averaged model, which reads only that mean; the best token bounds neither "
        "model: the encoder can average its tokens too, so it can reach the token mean, and the store tests "
        "whether averaging saves the encoder the data it needs to learn to average, not what it can reach"),
}

GAP_MIN = 2.0  # mAP points: a smaller gap between the oracles leaves no gap to close


def gap_closed(model_map: float, oracle_maps: tuple[float, float]) -> float:
    """The share of the oracles' gap that a model closes: 0 at the weaker oracle, 1 at the stronger; NaN when
    the oracles lie within :data:`GAP_MIN` points."""
    weaker, stronger = sorted(oracle_maps)
    return (model_map - weaker) / (stronger - weaker) if stronger - weaker >= GAP_MIN else float("nan")


def story(agrees: str, oracle_difference: float, b_closed: float, control_closed: float) -> str:
    """Which of three explanations a mechanism-on result supports, from the oracles, the disfavoured model b
    and the control."""
    if oracle_difference < GAP_MIN:
        return "the store does not test it, since the oracle the claim favours does not win"
    if b_closed >= 0.5:
        return "the store does not test it, since model b closes half the gap or more and its oracle does not bound it"
    if not control_closed >= 0.5:
        return "the budget is too small, since the control, built for the mechanism, closes under half the gap too"
    if agrees == "yes":
        return "the design uses the mechanism, and so does the control"
    return "the design cannot use the mechanism at this budget, since the control closes half the gap or more"


def agrees_with_paper(mechanism: str, low: float, high: float) -> str:
    """Whether a paired difference (model a - model b) with interval [low, high] is what the claim predicts:
    an advantage for a with the mechanism on; no advantage without it."""
    if mechanism == "on":
        return "yes" if low > 0 else "reversed" if high < 0 else "not told apart"
    return "no: the advantage stays without the mechanism" if low > 0 else "yes"


def train_model(paths: Paths, model_name: str, store: FeatureStore, config: TrainConfig, seed: int, count: int,
                progress: bool) -> np.ndarray:
    """Test probabilities of ``model_name`` trained on the store's first ``count`` training videos, in the
    paper's configuration (ours for our models), every sequence read at full length."""
    session.seed_everything(seed)
    model = MODELS[model_name]({m: d.dim for m, d in store.modalities.items()})
    full_length = {m: int(store.lengths(m).max()) for m in store.modalities}  # nothing cut
    run_config = replace(config, seed=seed, train_lengths=full_length)
    return train_and_test(model, FirstTrainingVideos(store, count), run_config,
                          checkpoint(paths, model_name, store, count), progress=progress).test_probabilities


def run_test(name: str, paths: Paths, settings, videos: dict[str, int], config: TrainConfig, seeds=(0,),
             resamples: int = RESAMPLES, progress: bool = False,
             training_videos=()) -> tuple[pd.DataFrame, dict]:
    """One controlled test: per store (mechanism on at each of ``settings``, off at the test's off settings)
    and seed, both models and the positive control trained on the store and the paired difference of the two
    models in test mAP with its 95 % interval, beside the oracles' difference and each model's share of the
    oracles' gap. With the mechanism on, also at each of ``training_videos`` (the first videos of the
    training split); ``videos["trn"]`` is the budget of every other row. Also returns each store's test
    scores by model, for figures."""
    test = TESTS[name]
    sizes = sorted({*training_videos, videos["trn"]})
    stored = {**videos, "trn": sizes[-1]}  # one store per setting: every budget reads the same test videos
    rows, scores = [], {}
    for mechanism in MECHANISMS:
        on = mechanism == "on"
        for setting in settings if on else test.off_settings(settings):
            for seed in seeds:
                store = test.store(paths, name, stored, seed, setting, on)
                control_store = (moment_store(store, paths.artifacts / "stores") if test.control_reads ==
                                 "moment tokens" else store)
                truth = store.labels[store.indices("tst")]
                oracle = {rule: evaluate(truth, s).map for rule, s in test.oracle(store, seed).items()}
                bounds = (oracle[test.oracles[0]], oracle[test.oracles[1]])
                for count in sizes if on else [videos["trn"]]:
                    probabilities = {m: train_model(paths, m, store, config, seed, count, progress)
                                     for m in test.models}
                    control = evaluate(truth, train_model(paths, test.control, control_store, config, seed, count,
                                                          progress)).map
                    a, b = test.models
                    difference = paired_difference(truth, probabilities[a], probabilities[b], resamples=resamples,
                                                   seed=seed)
                    maps = {m: evaluate(truth, p).map for m, p in probabilities.items()}
                    scores[(mechanism, setting, seed, count)] = {**maps, test.control: control}
                    agrees = agrees_with_paper(mechanism, difference.low, difference.high)
                    closed = {m: gap_closed(v, bounds) for m, v in {"a": maps[a], "b": maps[b],
                                                                     "control": control}.items()}
                    rows.append({"claim": test.claim, "mechanism": mechanism, "setting": test.shown.format(setting),
                                 "seed": seed, "training_videos": count, "a": a, "b": b, "a mAP": maps[a],
                                 "b mAP": maps[b], "difference": difference.difference, "low": difference.low,
                                 "high": difference.high, "oracle_difference": bounds[0] - bounds[1],
                                 "test_videos": len(truth), "agrees_with_paper": agrees,
                                 "control": f"{test.control}" + (" on moment tokens" if control_store is not store
                                                                 else ""),
                                 "control_mAP": control, "gap_closed_a": closed["a"], "gap_closed_b": closed["b"],
                                 "gap_closed_control": closed["control"],
                                 "story": story(agrees, bounds[0] - bounds[1], closed["b"], closed["control"])
                                 if on else ""})
    return pd.DataFrame(rows), scores


def describe_tests(names=None) -> pd.DataFrame:
    """The tests of :data:`TESTS` (``names``, default all) as a page lists them: the claim, the mechanism with
    the store on and off, the models compared and the oracles that stand for them."""
    return pd.DataFrame([{"test": name, "claim": test.claim, "mechanism on": test.mechanism,
                          "off": test.absent, "models: a − b": " − ".join(test.models),
                          "oracles: a − b": " − ".join(test.oracles), "knob": test.knob,
                          "positive control": test.control + (" on moment tokens" if test.control_reads
                                                              == "moment tokens" else ""),
                          "oracles bound": test.bounds}
                         for name, test in TESTS.items() if names is None or name in names]).set_index("test")


def for_page(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`controlled_tests`' table as a page prints it, at the budget of the mechanism-off stores: per store,
    the two models' test mAP, their paired difference with its interval, the oracles' difference, the verdict,
    the positive control's mAP (column "control"; the model is named in :func:`describe_tests`' table) and the
    share of the oracles' gap each closes, rounded."""
    names = {test.claim: name for name, test in TESTS.items()}
    table = at_main_budget(table)
    shown = pd.DataFrame({
        "test": table["claim"].map(names), "mechanism": table["mechanism"], "store": table["setting"],
        "seed": table["seed"], "a mAP": table["a mAP"].round(1), "b mAP": table["b mAP"].round(1),
        "a − b [95 %]": [f"{d:+.1f} [{low:.1f}, {high:.1f}]" for d, low, high in
                         zip(table["difference"], table["low"], table["high"], strict=True)],
        "oracles' a − b": table["oracle_difference"].round(1), "verdict": table["agrees_with_paper"],
        "control": table["control_mAP"].round(1),
        "gap closed: a, b, control": [", ".join("–" if np.isnan(v) else f"{v:.2f}" for v in row) for row in
                                      table[["gap_closed_a", "gap_closed_b", "gap_closed_control"]].to_numpy()]})
    if shown["seed"].nunique() == 1:
        shown = shown.drop(columns="seed")
    return shown.set_index(["test", "mechanism", "store"])


def at_main_budget(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`controlled_tests`' table at each test's main budget, the one its mechanism-off stores
    were trained at (the learning curve's other sizes left out)."""
    off = table[table["mechanism"] == "off"].groupby("claim")["training_videos"].first()
    return table[table["training_videos"] == table["claim"].map(off)]


def learning_curves(table: pd.DataFrame) -> pd.DataFrame:
    """The mechanism-on rows of :func:`controlled_tests`' table by training budget: per test, setting and
    size, the paired difference with its interval, and each model's and the control's share of the gap."""
    names = {test.claim: name for name, test in TESTS.items()}
    on = table[table["mechanism"] == "on"]
    return pd.DataFrame({"test": on["claim"].map(names), "store": on["setting"], "seed": on["seed"],
                         "training videos": on["training_videos"], "a − b": on["difference"], "low": on["low"],
                         "high": on["high"], "gap closed: a": on["gap_closed_a"], "b": on["gap_closed_b"],
                         "control": on["gap_closed_control"]}).reset_index(drop=True)


def headline(table: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Per claim of :func:`controlled_tests`' table, the two rows its result is stated by: the mechanism on at
    the largest setting, and off at the same setting (or the only one), for the first seed, both at the
    budget the mechanism-off stores were trained at."""
    first = at_main_budget(table[table["seed"] == table["seed"].min()])
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
                     seeds=(0,), resamples: int = RESAMPLES, progress: bool = False,
                     training_videos: dict[str, list[int]] | None = None) -> pd.DataFrame:
    """Every test of :data:`TESTS` named in ``settings`` (name -> the settings of its knob), in one table:
    the chapter result ``controlled_tests``, one row per claim, store, seed and training budget
    (``training_videos``: test name -> the learning curve's sizes, mechanism on)."""
    parts = [run_test(name, paths, values, videos, config, seeds, resamples, progress,
                      (training_videos or {}).get(name, ()))[0] for name, values in settings.items()]
    return pd.concat(parts, ignore_index=True)


__all__ = ["ControlledTest", "TESTS", "MODELS", "MECHANISMS", "FirstTrainingVideos", "agrees_with_paper", "gap_closed",
           "story", "at_main_budget", "run_test", "controlled_tests", "describe_tests", "for_page", "learning_curves",
           "headline", "source", "checkpoint", "trained", "train_model", "STRENGTHS"]
