"""Tables that put this build's numbers beside the paper's (read from :mod:`genrelib.sources.paper`): feature
shapes, split sizes, per-genre scores, parameter counts, a run's recipe."""

from __future__ import annotations

import numpy as np
import pandas as pd

from genrelib.data import media
from genrelib.data.labels import SPLIT_NAMES
from genrelib.evaluation.metrics import Scores
from genrelib.features.extractors import widths
from genrelib.models.base import STANDARDIZE
from genrelib.models.classifiers import MODELS, PAPER_POSITION_ROWS, FeatureClassifier, build_model, count_parameters
from genrelib.sources import paper
from genrelib.sources.evidence import cite
from genrelib.training.batches import upper_whisker
from genrelib.training.loop import TrainConfig

FEW_POSITIVES = 5  # a genre with fewer positive test videos has an AP too noisy to read


def ablation_beside_paper(ablation: pd.DataFrame, extraction_seconds: pd.DataFrame) -> pd.DataFrame:
    """Our ablation rows with a runtime per video for each column of ``extraction_seconds`` (seconds per video
    of each modality and of ``decode``, one column per backend): decoding, its feature set's extractors and the
    classifier, as the paper counts; then the paper's printed mAP and GPU seconds for the same feature set,
    where the paper has that row. The paper's baseline row leads, with nothing of this build's in it (chapter 5
    trains this build's)."""
    table = ablation.copy()
    for backend in extraction_seconds.columns:
        # a modality this backend was not timed on leaves the sum unknown rather than too small
        seconds = extraction_seconds[backend]
        decode = seconds.reindex(["decode"]).fillna(0.0).sum()  # untimed decoding counts as none
        extraction = [decode + seconds.reindex(m.split("+")).sum(skipna=False) for m in table["modalities"]]
        table[f"s/video: {backend}"] = np.asarray(extraction) + table["classifier s/video"]
    printed = paper.TABLE_3.reset_index().set_index(["modalities", "averaged"])[["paper mAP", "paper s/video (GPU)"]]
    baseline = paper.TABLE_3.iloc[:1][["modalities", "averaged", "paper mAP", "paper s/video (GPU)"]]
    return pd.concat([baseline, table.join(printed, on=["modalities", "averaged"])])


def audio_training_lengths(durations) -> pd.DataFrame:
    """Per audio modality, the upper whisker of chunk counts over ``durations`` (seconds) with back-to-back and
    with half-overlapping chunks, beside the paper's training length."""
    rows = {}
    for modality, window in paper.CHUNK_SECONDS.items():
        counts = {hop: [media.chunk_count(d, window, hop) for d in durations] for hop in (window, window / 2)}
        rows[modality] = {"chunk (s)": window, "whisker, hop = chunk": upper_whisker(counts[window]),
                          "whisker, hop = half a chunk": upper_whisker(counts[window / 2]),
                          "paper's training length": paper.TRAIN_LENGTHS[modality]}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("modality").round(1)


def feature_shapes(store, durations: pd.Series) -> pd.DataFrame:
    """Per modality: this store's vector width and vectors per minute of video (median over its videos), the
    widths of both backend families, and the paper's width and training length."""
    per_minute = {name: np.median(store.lengths(name) * 60 / durations.reindex(store.videos).to_numpy())
                  for name in store.modalities}
    return pd.DataFrame({
        "width, this store": {name: m.dim for name, m in store.modalities.items()},
        "vectors per minute, this store (median)": per_minute,
        "width, offline backend": widths("offline"),
        "width, paper backend": widths("paper"),
        "width, paper": paper.FEATURE_DIMS,
        "paper's training length": paper.TRAIN_LENGTHS,
    }).rename_axis("modality").reindex(list(store.modalities)).round(1)


def offset_and_spread(store, indices) -> pd.DataFrame:
    """Per modality, over the frames of the given videos: the mean absolute offset of a dimension (its mean
    over frames), the mean spread (its standard deviation) and their ratio, the quantity standardisation
    removes (:class:`genrelib.models.base.InputScaling`)."""
    rows = {}
    for name in store.modalities:
        mean, std = store.moments(name, indices)
        rows[name] = {"mean |offset|": float(np.abs(mean).mean()), "mean spread": float(std.mean()),
                      "offset / spread": float(np.abs(mean).mean() / std.mean())}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("modality")


def split_sizes(recomputed: dict[str, list], released: dict[str, list]) -> pd.DataFrame:
    """Split sizes: our recomputation, the released splits.json and the paper's text."""
    return pd.DataFrame({
        "recomputed": {s: len(recomputed[s]) for s in SPLIT_NAMES},
        "splits.json": {s: len(released[s]) for s in SPLIT_NAMES},
        "same ids": {s: recomputed[s] == released[s] for s in SPLIT_NAMES},
        "paper (text)": paper.SPLIT_SIZES,
    }).rename_axis("split")


def threshold_note(scores: dict[str, Scores]) -> str:
    """One sentence naming the models whose P@0.5 and R@0.5 are 0 because no test probability reached 0.5,
    or saying that every model shown crossed 0.5 somewhere. With the paper's weight of 0.25 on positive labels
    the loss favours low probabilities, so a weakly trained model can rank videos well (its mAP) while never
    crossing the threshold."""
    below = [f"**{name}** (highest {result.scores.max():.2f})" for name, result in scores.items()
             if result.scores.max() < 0.5]
    if not below:
        return "Every model shown gives some test probability above 0.5, so its P@0.5 and R@0.5 count real decisions."
    named = below[0] if len(below) == 1 else ", ".join(below[:-1]) + " and " + below[-1]
    one = len(below) == 1
    return (f"No test probability reaches 0.5 for {named}, so {'its' if one else 'their'} P@0.5 and R@0.5 are 0 by "
            f"definition while {'its ranking' if one else 'their rankings'}, which mAP measures, can still be good.")


def threshold_table(scores: dict[str, Scores]) -> pd.DataFrame:
    """Per model: test mAP (the ranking), P@0.5 and R@0.5 (the decisions at 0.5), the highest test probability
    and the share of probabilities at or above 0.5: a model can rank well and decide nothing."""
    return pd.DataFrame({name: {"mAP": s.map, "P@0.5": s.precision, "R@0.5": s.recall,
                                "highest probability": float(s.scores.max()),
                                "probabilities >= 0.5 (%)": 100 * float((s.scores >= 0.5).mean())}
                         for name, s in scores.items()}).T.rename_axis("model")


def per_genre_table(results: dict[str, Scores], scores: tuple[str, ...] = ("AP",)) -> pd.DataFrame:
    """The paper's per-genre layout (its Table 2): a row per genre with its positive test videos, then each
    model's per-genre ``scores`` (of "P@0.5", "R@0.5", "AP"), and the macro row. A genre with fewer than
    :data:`FEW_POSITIVES` positives is marked "too few": its AP moves by tens of points with one video. With
    one score the columns are the models' names; with several, (model, score) pairs."""
    columns = {"P@0.5": "precision", "R@0.5": "recall", "AP": "ap"}
    first = next(iter(results.values()))
    tables = {}
    for name, result in results.items():
        table = result.per_genre[[columns[s] for s in scores]].set_axis(list(scores), axis=1)
        table.loc["macro"] = [{"P@0.5": result.precision, "R@0.5": result.recall, "AP": result.map}[s]
                              for s in scores]
        tables[name] = table
    table = pd.concat(tables, axis=1)
    if len(scores) == 1:
        table.columns = list(results)
    positives = first.per_genre["positives"].reindex(table.index).astype("Int64")
    table.insert(0, "positives" if len(scores) == 1 else ("", "positives"), positives)
    table.insert(1, "read" if len(scores) == 1 else ("", "read"),
                 ["" if pd.isna(p) or p >= FEW_POSITIVES else "too few" for p in positives])
    return table


def parameter_table(models: dict[str, FeatureClassifier]) -> pd.DataFrame:
    """Trainable parameters of the given models next to the paper's printed counts, as printed (where it prints
    one)."""
    return pd.DataFrame({
        "this build": pd.Series({name: count_parameters(model) for name, model in models.items()}, dtype="Int64"),
        "paper (printed)": {name: paper.as_printed(paper.PARAMETER_COUNTS[name]) if name in paper.PARAMETER_COUNTS
                            else "\u2013" for name in models},
    }).rename_axis("model")


def parameter_counts_tried() -> pd.DataFrame:
    """The paper's three classifiers at its five feature widths, counted in the paper configuration and in the
    other configurations we tried for the two counts it does not reproduce; each beside the printed count."""
    dims, averaged = paper.FEATURE_DIMS, ("ocr", "asr")
    tried = [
        ("single-transformer", f"the paper configuration ({PAPER_POSITION_ROWS:,}-row tables, inferred from the "
         "printed count)", {}),
        ("single-transformer", f"tables of {paper.SINGLE_TOTAL_LEN} rows, the authors' class as released: its "
         f"total_len at the paper's lengths ({cite('single_total_len')})", {"position_rows": paper.SINGLE_TOTAL_LEN}),
        ("multi-transformer", "the paper configuration: five encoded streams, d 128", {}),
        ("multi-transformer", "OCR and ASR averaged (Table 1's multi-transformer), d 128", {"averaged": averaged}),
        ("multi-transformer", "feed-forward 2,048 (PyTorch's default), d 128", {"ff_dim": 2048}),
        ("multi-transformer", "OCR and ASR averaged, each stream at its own width (the authors' d_model -1)",
         {"averaged": averaged, "d_model": None}),
        ("multi-transformer", "config='printed count': as above, 2 layers, training-length tables",
         {"config": "printed count"}),
        ("mlp", "the paper configuration: one linear layer", {}),
        ("mlp", "one hidden layer of 256 (the paper's d = 256)", {"layers": 2, "hidden": 256}),
    ]
    rows = []
    for kind, configuration, options in tried:
        count = count_parameters(build_model(kind, dims, **options))
        printed = paper.PARAMETER_COUNTS[kind]
        rows.append({"model": kind, "configuration": configuration, "parameters": f"{count:,}",
                     "printed": paper.as_printed(printed),
                     "vs printed": f"{100 * (count / printed - 1):+.1f} %"})
    return pd.DataFrame(rows).set_index(["model", "configuration"])


def run_label(kind: str, config: TrainConfig) -> str:
    """A run's name that says what ran: ``"mlp (paper configuration)"`` only with the paper's recipe, else the
    paper's model with what differs, e.g. ``"mlp (paper's model, lr 0.001)"``."""
    reference, changed = TrainConfig(), []
    for field, label in (("learning_rate", "lr {:g}"), ("batch_size", "batch {}"), ("positive_weight", "w+ {:g}"),
                         ("frames", "{} frames"), ("padding", "{} padding")):
        if getattr(config, field) != getattr(reference, field):
            changed.append(label.format(getattr(config, field)))
    return f"{kind} (paper configuration)" if not changed else f"{kind} (paper's model, {', '.join(changed)})"


def _batches(config: TrainConfig) -> str:
    return f"by length (runs of {config.bucket_batches} sorted)" if config.bucket_batches > 1 else "random"


def recipe_table(config: TrainConfig, model: FeatureClassifier) -> pd.DataFrame:
    """Every setting a run of ``model`` used beside the paper configuration (the defaults of
    :class:`~genrelib.training.loop.TrainConfig` and :func:`~genrelib.models.classifiers.build_model`), where each of
    those comes from (the paper, or the authors' code where the paper is silent), and whether they are the same."""
    reference, defaults = TrainConfig(), build_model(model.kind, model.dims).hyper
    clips = MODELS[model.kind].clips_gradients
    hyper = model.hyper
    rows = [
        ("learning rate", config.learning_rate, reference.learning_rate, "paper"),
        ("batch size", config.batch_size, reference.batch_size, "paper"),
        ("weight on positive labels", config.positive_weight, reference.positive_weight, "paper"),
        ("gradient clipping (norm)", config.clip_grad_norm if clips else "none",
         reference.clip_grad_norm if clips else "none", "paper"),
        ("training lengths", ", ".join(f"{n} {config.train_lengths.get(n)}" for n in model.dims),
         ", ".join(f"{n} {reference.train_lengths.get(n)}" for n in model.dims), "paper"),
        ("frames of a longer video", config.frames, reference.frames, "paper (§3.2.6: truncated)"),
        ("padding", config.padding, reference.padding, "authors' code"),
        ("batches", _batches(config), _batches(reference), "authors' code"),
        ("model kept", f"best validation mAP; stops after {config.patience} epochs without a better one",
         f"best validation mAP; stops after {reference.patience} epochs without a better one",
         f"authors' code ({cite('best_model')}; the stop is ours)"),
        ("inputs", STANDARDIZE[hyper.get("standardize", False)], STANDARDIZE[defaults.get("standardize", False)],
         "authors' code"),
    ]
    # a one-layer MLP has no hidden layer for its dropout to act on: the row would claim a rate nothing applies
    hidden = [key for key in hyper if key != "dropout" or model.kind != "mlp" or hyper.get("layers", 1) > 1]
    for key, label, source in (("dropout", "dropout", "paper"), ("positions", "position tables", "authors' code"),
                               ("position_dropout", "dropout after positions", "authors' code"),
                               ("head_dropout", "dropout before the head", "authors' code"),
                               ("input_dropout", "dropout on the MLP's inputs", "authors' code"),
                               ("ff_dim", "feed-forward width", "authors' code"), ("layers", "layers", "paper")):
        if key in hidden:
            unset = "4 x d_model" if key == "ff_dim" else "none"  # None: the model's own default
            rows.append((label, unset if hyper[key] is None else hyper[key],
                         unset if defaults[key] is None else defaults[key], source))
    table = pd.DataFrame([{"setting": label, "this run": str(ours), "paper configuration": str(theirs),
                           "from": source, "same": str(ours) == str(theirs)} for label, ours, theirs, source in rows])
    return table.set_index("setting").rename_axis(f"setting ({model.kind})")
