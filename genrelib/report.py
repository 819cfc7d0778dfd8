"""Report stage: tables that put our numbers next to the paper's (read from :mod:`genrelib.paper`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import media, paper
from .extractors import widths
from .labels import SPLIT_NAMES
from .metrics import Scores, confidence_interval, paired_difference
from .models import MODELS, FeatureClassifier, build_model, count_parameters
from .training import TrainConfig, upper_whisker


def markdown_table(table: pd.DataFrame) -> str:
    """A table of prose as a Markdown table (its index first), so a page wraps long cells instead of
    truncating them as a DataFrame's display does."""
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")

    header = [table.index.name or "", *table.columns]
    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(cell, [index, *row])) + " |" for index, row in zip(table.index, table.values,
                                                                                      strict=True)]
    return "\n".join(lines)


def ablation_beside_paper(ablation: pd.DataFrame, extraction_seconds: pd.DataFrame) -> pd.DataFrame:
    """Our ablation rows with a runtime per video for each column of ``extraction_seconds`` (seconds per video
    of each modality and of ``decode``, one column per backend): decoding, its feature set's extractors and the
    classifier, as the paper counts; then the paper's printed mAP and GPU seconds for the same feature set,
    where the paper has that row."""
    table = ablation.copy()
    for backend in extraction_seconds.columns:
        # a modality this backend was not timed on leaves the sum unknown rather than too small
        seconds = extraction_seconds[backend]
        decode = seconds.reindex(["decode"]).fillna(0.0).sum()  # untimed decoding counts as none
        extraction = [decode + seconds.reindex(m.split("+")).sum(skipna=False) for m in table["modalities"]]
        table[f"s/video: {backend}"] = np.asarray(extraction) + table["classifier s/video"]
    printed = paper.TABLE_3.reset_index().set_index(["modalities", "averaged"])[["paper mAP", "paper s/video (GPU)"]]
    return table.join(printed, on=["modalities", "averaged"])


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
    removes (:class:`genrelib.models.InputScaling`)."""
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


def glue(name: str, value, display: bool = False) -> None:
    """``myst_nb.glue`` for a page's prose, numpy scalars passed as Python numbers: their repr
    (``np.float64(...)``) is what the page would otherwise try to format, and cannot."""
    from myst_nb import glue as myst_glue

    myst_glue(name, value.item() if isinstance(value, np.generic) else value, display=display)


def source(*objects):
    """The source of library functions or methods as one highlighted code block, for the page that teaches
    them (the library is the one place the code lives; the page shows it, never a copy)."""
    import inspect

    from IPython.display import Code

    return Code("\n".join(inspect.getsource(obj) for obj in objects), language="python")


def verdict(low: float, high: float) -> str:
    """Words for a paired difference's interval: which side of zero it lies on, or that it straddles zero."""
    if low > 0:
        return "distinguishably above zero"
    if high < 0:
        return "distinguishably below zero"
    return "not distinguishable from zero"


def seeds_verdict(gaps, model: str, baseline: str) -> str:
    """Words for one model's advantage over another measured once per seed (``gaps``, in points): whether
    every seed, none or only some of them favour ``model``."""
    gaps = np.asarray(gaps, dtype=float)
    if (gaps > 0).all():
        return f"the {model} beats the {baseline} in every seed"
    if (gaps <= 0).all():
        return f"the {model} beats the {baseline} in no seed"
    return (f"the seeds disagree: the {model} beats the {baseline} in {int((gaps > 0).sum())} of {len(gaps)} seeds, "
            "so at this budget the outcome depends on the seed")


LEVEL = 0.95  # every interval in the book
FEW_POSITIVES = 5  # a genre with fewer positive test videos has an AP too noisy to read


def scores_table(results: dict[str, Scores], paper_rows: tuple[str, ...] = (), resamples: int = 1000) -> pd.DataFrame:
    """One row per model: macro P@0.5, R@0.5 and mAP in percent, each with its 95 % bootstrap interval over
    the test videos (columns ``<metric> low`` / ``<metric> high``), and the number of test videos; then the
    named rows of the paper's Table 1 (keys of :data:`genrelib.paper.TABLE_1`), labelled as the paper's,
    without intervals (it prints none). :func:`show` formats it for a page."""
    unknown = set(paper_rows) - set(paper.TABLE_1)
    if unknown:
        raise ValueError(f"the paper's Table 1 has no rows {sorted(unknown)}; it has {list(paper.TABLE_1)}")
    rows = {}
    for name, scores in results.items():
        row = {}
        for metric, value in scores.summary().items():
            interval = confidence_interval(scores.y_true, scores.scores, metric, LEVEL, resamples)
            row |= {metric: value, f"{metric} low": interval.low, f"{metric} high": interval.high}
        rows[name] = row | {"test videos": len(scores.y_true)}
    rows.update({f"paper (MovieNet): {name}": dict(paper.TABLE_1[name], **{"test videos": paper.SPLIT_SIZES["tst"]})
                 for name in paper_rows})
    columns = [c for metric in ("P@0.5", "R@0.5", "mAP") for c in (metric, f"{metric} low", f"{metric} high")]
    return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=[*columns, "test videos"]).rename_axis("model")


def _number(value, digits: int = 1) -> str:
    """A number for a page: thousands separated, a dash where there is none."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "\u2013"
    if isinstance(value, int | np.integer) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1000):
        return f"{int(value):,}"
    if value and abs(value) < 0.5 * 10 ** -digits:  # would round to a signed zero: show what it is
        return f"{value:.1g}"
    return f"{value:,.{digits}f}"


OUTSIDE = " \u2020"  # marks a score outside its own interval (interval_note says why)


def interval_note(table: pd.DataFrame) -> str:
    """A sentence for a page whose table marks a score outside its own interval (:func:`show`), else ''."""
    lows = [c for c in table.columns if isinstance(c, str) and c.endswith(" low") and c[:-4] in table.columns]
    outside = any(((table[c[:-4]] < table[c]) | (table[c[:-4]] > table[f"{c[:-4]} high"])).any() for c in lows)
    if not outside:
        return ""
    return ("\u2020 The score lies outside its 95 % interval: the test split is too small for a macro score over "
            "21 genres (chapter 3's note *Reading an interval on a small test set* says why).")


def show(table: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """A numeric result table as a page shows it: each ``X`` with ``X low`` / ``X high`` beside it becomes
    "X [low, high]"; numbers rounded to ``digits``, thousands separated, a dash for a missing value."""
    out = pd.DataFrame(index=table.index)
    names = {str(c) for c in table.columns}
    for column in table.columns:
        if isinstance(column, str) and column.endswith((" low", " high")) and column.rsplit(" ", 1)[0] in names:
            continue
        if isinstance(column, str) and f"{column} low" in names:
            out[column] = [_number(v, digits) if np.isnan(lo) else f"{_number(v, digits)} [{_number(lo, digits)}, "
                           f"{_number(hi, digits)}]" + ("" if lo <= v <= hi else OUTSIDE) for v, lo, hi in
                           zip(table[column], table[f"{column} low"], table[f"{column} high"], strict=True)]
        elif pd.api.types.is_numeric_dtype(table[column]):
            out[column] = [_number(v, digits) for v in table[column]]
        else:
            out[column] = table[column].fillna("\u2013")
    if isinstance(table.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out


def videos_to_tell(half_width: float, videos: int, difference: float) -> int | None:
    """Test videos an interval of ``half_width`` points at ``videos`` videos would need to shrink below
    ``difference`` (intervals narrow as one over the square root of the test set's size)."""
    if not difference or not np.isfinite(half_width):
        return None
    return int(np.ceil(videos * (half_width / abs(difference)) ** 2))


def comparisons(results: dict[str, Scores], pairs, paper_differences: dict | None = None, metric: str = "mAP",
                resamples: int = 1000) -> pd.DataFrame:
    """Each pair (a, b) of models scored on the same test videos: a's score minus b's with its 95 % paired
    bootstrap interval, whether the interval excludes 0, and, where ``paper_differences`` gives the paper's
    difference for the pair, how many test videos this build would need to tell a difference that size."""
    rows = []
    for a, b in pairs:
        first, second = results[a], results[b]
        if not np.array_equal(first.y_true, second.y_true):
            raise ValueError(f"{a} and {b} were not scored on the same test videos: no paired comparison")
        diff = paired_difference(first.y_true, first.scores, second.scores, metric, LEVEL, resamples)
        printed = (paper_differences or {}).get((a, b), np.nan)
        needed = videos_to_tell((diff.high - diff.low) / 2, len(first.y_true), printed) if np.isfinite(printed) \
            else None
        rows.append({"comparison": f"{a} \u2212 {b}", f"{metric} difference": diff.difference,
                     f"{metric} difference low": diff.low, f"{metric} difference high": diff.high,
                     "distinguishable from 0": "yes" if diff.low > 0 or diff.high < 0 else "no",
                     "paper's difference": printed, "test videos to tell the paper's": needed})
    table = pd.DataFrame(rows).set_index("comparison")
    table["test videos to tell the paper's"] = table["test videos to tell the paper's"].astype("Int64")
    return table


def threshold_note(scores: dict[str, Scores]) -> str:
    """A sentence for each model whose P@0.5 and R@0.5 are 0 because no test probability reached 0.5, or one
    saying that every model shown crossed 0.5 somewhere. With the paper's weight of 0.25 on positive labels
    the loss favours low probabilities, so a weakly trained model can rank videos well (its mAP) while never
    crossing the threshold."""
    notes = [f"**{name}**: no test probability reaches 0.5 (the highest is {result.scores.max():.2f}), so its "
             "P@0.5 and R@0.5 are 0 by definition while its ranking, which mAP measures, can still be good."
             for name, result in scores.items() if result.scores.max() < 0.5]
    return "\n\n".join(notes) or ("Every model shown gives some test probability above 0.5, so its P@0.5 and R@0.5 "
                                  "count real decisions.")


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
    """Trainable parameters of the given models next to the paper's printed counts (where it prints one)."""
    return pd.DataFrame({
        "this build": {name: count_parameters(model) for name, model in models.items()},
        "paper (printed)": {name: paper.PARAMETER_COUNTS.get(name) for name in models},
    }).rename_axis("model").astype("Int64")


def parameter_counts_tried() -> pd.DataFrame:
    """The paper's three classifiers at its five feature widths, counted in the paper configuration and in the
    other configurations we tried for the two counts it does not reproduce; each beside the printed count."""
    dims, averaged = paper.FEATURE_DIMS, ("ocr", "asr")
    tried = [
        ("single-transformer", "the paper configuration (5,000-row tables)", {}),
        ("single-transformer", "tables of 530 rows, the authors' as released (total_len)", {"position_rows": 530}),
        ("multi-transformer", "the paper configuration: five encoded streams, d 128", {}),
        ("multi-transformer", "OCR and ASR averaged (Table 1's multi-transformer), d 128", {"averaged": averaged}),
        ("multi-transformer", "feed-forward 2,048 (PyTorch's default), d 128", {"ff_dim": 2048}),
        ("multi-transformer", "OCR and ASR averaged, each stream at its own width (the authors' d_model -1)",
         {"averaged": averaged, "d_model": None}),
        ("mlp", "the paper configuration: one linear layer", {}),
        ("mlp", "two layers, the hidden one of 256 (the paper's d = 256)", {"layers": 2, "hidden": 256}),
    ]
    rows = []
    for kind, configuration, options in tried:
        count = count_parameters(build_model(kind, dims, **options))
        printed = paper.PARAMETER_COUNTS[kind]
        rows.append({"model": kind, "configuration": configuration, "parameters": f"{count:,}",
                     "printed": f"{printed / 1e6:.2f}M" if printed >= 1e6 else f"{printed / 1e3:.0f}k",
                     "vs printed": f"{100 * (count / printed - 1):+.1f} %"})
    return pd.DataFrame(rows).set_index(["model", "configuration"])


def _batches(config: TrainConfig) -> str:
    return f"by length (runs of {config.bucket_batches} sorted)" if config.bucket_batches > 1 else "random"


def recipe_table(config: TrainConfig, model: FeatureClassifier) -> pd.DataFrame:
    """Every setting a run of ``model`` used beside the paper configuration (the defaults of
    :class:`~genrelib.training.TrainConfig` and :func:`~genrelib.models.build_model`), where each of those comes
    from (the paper, or the authors' code where the paper is silent), and whether they are the same."""
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
        ("frames of a longer video", config.frames, reference.frames, "authors' code"),
        ("padding", config.padding, reference.padding, "authors' code"),
        ("batches", _batches(config), _batches(reference), "authors' code"),
        ("model kept", f"best validation mAP; stops after {config.patience} epochs without a better one",
         f"best validation mAP; stops after {reference.patience} epochs without a better one",
         "paper (the stop is ours)"),
        ("inputs", "standardised" if hyper.get("standardize") else "as extracted",
         "standardised" if defaults.get("standardize") else "as extracted", "authors' code"),
    ]
    for key, label, source in (("dropout", "dropout", "paper"), ("positions", "position tables", "authors' code"),
                               ("position_dropout", "dropout after positions", "authors' code"),
                               ("head_dropout", "dropout before the head", "authors' code"),
                               ("input_dropout", "dropout on the MLP's inputs", "authors' code"),
                               ("ff_dim", "feed-forward width", "authors' code"), ("layers", "layers", "paper")):
        if key in hyper:
            unset = "4 x d_model" if key == "ff_dim" else "none"  # None: the model's own default
            rows.append((label, unset if hyper[key] is None else hyper[key],
                         unset if defaults[key] is None else defaults[key], source))
    table = pd.DataFrame([{"setting": label, "this run": str(ours), "paper configuration": str(theirs),
                           "from": source, "same": str(ours) == str(theirs)} for label, ours, theirs, source in rows])
    return table.set_index("setting").rename_axis(f"setting ({model.kind})")


def parameters_table(chapter: str, namespace: dict) -> pd.DataFrame:
    """The parameters a chapter ran with: each name its ``parameters`` cell declares, the value it had when this
    was called (a parameter file's or ``-p``'s where one was given) and the chapter's default."""
    from .chapters import NOTEBOOK_DIR, declared_parameters

    declared = declared_parameters(NOTEBOOK_DIR / f"{chapter}.md")
    rows = [{"parameter": name, "value this run": repr(namespace[name]), "chapter default": repr(default),
             "changed": "yes" if namespace[name] != default else ""} for name, default in declared.items()]
    return pd.DataFrame(rows).set_index("parameter")


def parameters_ran(chapter: str, namespace: dict):
    """:func:`parameters_table` as a page shows it: a Markdown table, values as code."""
    from IPython.display import Markdown

    table = parameters_table(chapter, namespace)
    code = table.copy()
    for column in ("value this run", "chapter default"):
        code[column] = [f"`{value}`" for value in table[column]]
    code.index = [f"`{name}`" for name in table.index]
    return Markdown(markdown_table(code.rename_axis("parameter")))


class SavedResult(NamedTuple):
    caption: str  # what the table is
    source: str  # the data and extractors behind it (sources.describe of its store)
    table: pd.DataFrame


def save_result(folder, name: str, table: pd.DataFrame, caption: str, source: str) -> None:
    """Keep a chapter's result table for the results chapter (``folder/name.json``), with what it is and the
    data it was computed on."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(table.columns, pd.MultiIndex):
        table = table.set_axis([" ".join(map(str, c)) for c in table.columns], axis=1)
    payload = {"caption": caption, "source": source,
               "table": json.loads(table.reset_index().to_json(orient="split", index=False))}
    (folder / f"{name}.json").write_text(json.dumps(payload))


def load_results(folder) -> dict[str, SavedResult]:
    """Every saved result table, by name."""
    results = {}
    for path in sorted(Path(folder).glob("*.json")):
        payload = json.loads(path.read_text())
        split = payload["table"]
        table = pd.DataFrame(split["data"], columns=split["columns"])
        for column in table.columns[1:]:  # JSON writes NaN as null: numeric columns come back as numbers
            if all(value is None or isinstance(value, int | float) for value in table[column]):
                table[column] = table[column].astype(float)
        results[path.stem] = SavedResult(payload["caption"], payload["source"], table.set_index(table.columns[0]))
    return results


def data_sources(results: dict[str, SavedResult]) -> pd.DataFrame:
    """Each distinct data source of the saved results once, labelled S1, S2 ..., with the results it produced."""
    found: dict[str, list[str]] = {}
    for name, result in results.items():
        found.setdefault(result.source, []).append(name)
    return pd.DataFrame([{"source": f"S{i}", "data and extractors": source, "results": ", ".join(names)}
                         for i, (source, names) in enumerate(found.items(), start=1)]).set_index("source")


SCORE_COLUMNS = [c for metric in ("P@0.5", "R@0.5", "mAP") for c in (metric, f"{metric} low", f"{metric} high")]


def scores_beside_paper(results: dict[str, SavedResult]) -> pd.DataFrame:
    """The saved score tables of :func:`scores_table` (chapters 3-5, the release's classifiers) in one table,
    each row with its data source and intervals; the paper's rows once each, as printed. This build's values
    are rounded to 0.1: on small test splits the second decimal is noise."""
    sources = {description: label for label, description in data_sources(results)["data and extractors"].items()}
    parts = []
    for result in results.values():
        if set(SCORE_COLUMNS) <= set(result.table.columns):
            part = result.table[[*SCORE_COLUMNS, "test videos"]].copy()
            part["source"] = [("paper (MovieNet)" if model.startswith("paper") else sources[result.source])
                              for model in part.index]
            parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*SCORE_COLUMNS, "test videos", "source"])
    table = pd.concat(parts)
    table = table[~table.index.duplicated()]
    ours = table["source"] != "paper (MovieNet)"
    table.loc[ours, SCORE_COLUMNS] = table.loc[ours, SCORE_COLUMNS].round(1)
    return table


# The paper's claims that this build's comparisons speak to: for each, what the paper measured and what a
# comparison on each kind of data can and cannot say.
CLAIMS = {
    "pretrained multimodal features beat the two-stage baseline": (
        "Table 1: baseline 59.73, multi-transformer 66.02 mAP",
        "not here: both read the same features in this build, so the comparison tests two-stage training"),
    "transformers beat temporal means": (
        "Table 1: single 65.09, multi 66.02 against the MLP's 63.16 mAP",
        "on this build's data only: features and labels that are not MovieNet's can reverse it"),
    "more so with more frames": (
        "Figure 6 (an image: no values in the text)",
        "yes, in principle: chapter 7 plants the evidence, a controlled test of the mechanism"),
    "the multi-transformer beats the single-transformer": (
        "Table 1: 66.02 against 65.09 mAP", "on this build's data only"),
    "averaging the text streams helps": (
        "Table 3: 66.02 averaged against 64.66 encoded mAP", "on this build's data only"),
    "each modality adds accuracy for its runtime": (
        "Table 3: 64.73 (CLIP) to 66.02 mAP, 5.3 to 33.6 s per video", "on this build's data only"),
}


def _claim_of(result: str, comparison: str) -> str | None:
    """Which of :data:`CLAIMS` a saved comparison row speaks to (None: none)."""
    first, _, second = comparison.partition(" \u2212 ")
    if result == "05_comparisons":
        return "pretrained multimodal features beat the two-stage baseline"
    if result == "06_comparisons":
        return "each modality adds accuracy for its runtime"
    if result == "07_comparisons":
        return "more so with more frames"
    if result == "04_comparisons":
        if second.startswith("mlp"):
            return "transformers beat temporal means"
        if "averaged" in first and second == "single-transformer":
            return "the multi-transformer beats the single-transformer"
        if "averaged" in first and second == "multi-transformer":
            return "averaging the text streams helps"
    return None


def claims_table(results: dict[str, SavedResult]) -> pd.DataFrame:
    """One row per comparison of this build that speaks to one of the paper's claims (in the paper's
    configuration, and with our options where a chapter compares them too): the claim, what the paper measured,
    this build's paired difference in test mAP with its interval and data source, whether it is distinguishable
    from zero, how many test videos would tell a difference the size of the paper's, and whether this build's
    data can test the claim at all."""
    sources = {description: label for label, description in data_sources(results)["data and extractors"].items()}
    rows = []
    for name, result in results.items():
        table = result.table
        if "mAP difference" not in table.columns:
            continue
        for comparison, row in table.iterrows():
            claim = _claim_of(name, comparison)
            if claim is None:
                continue
            paper_said, testable = CLAIMS[claim]
            printed = row.get("paper's difference", np.nan)
            needed = row.get("test videos to tell the paper's", np.nan)
            rows.append({
                "claim": claim,
                "the paper": paper_said + ("" if pd.isna(printed) else f" (difference {_number(printed)})"),
                "this build: paired difference in test mAP": f"{comparison}: {_number(row['mAP difference'])} "
                f"[{_number(row['mAP difference low'])}, {_number(row['mAP difference high'])}] "
                f"({sources[result.source]})",
                "told from 0?": row["distinguishable from 0"],
                "test videos to tell the paper's": _number(needed, 0),
                "can this build test it?": testable})
    order = {claim: i for i, claim in enumerate(CLAIMS)}
    table = pd.DataFrame(rows, columns=["claim", "the paper", "this build: paired difference in test mAP",
                                        "told from 0?", "test videos to tell the paper's",
                                        "can this build test it?"])
    return table.sort_values("claim", key=lambda c: c.map(order), kind="stable").set_index("claim")
