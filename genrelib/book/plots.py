"""Plots stage: the book's figures. Each function draws one figure and returns its axes."""

from __future__ import annotations

import textwrap
import zlib

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from genrelib.data.labels import GENRES

# One colour per model across every figure of the book; a variant of ours is the same colour, darker.
MODEL_COLOURS = {"mlp": "#1f77b4", "single-transformer": "#ff7f0e", "multi-transformer": "#2ca02c",
                 "multi-transformer, averaged": "#17becf", "two-stage": "#9467bd", "genre-attention": "#d62728",
                 "paper": "#7f7f7f", "reference": "#7f7f7f", "prior": "#7f7f7f"}
OURS_MARKERS = ("(ours)", "our options", "standardised")
RUNTIME_COLOURS = ("#0173b2", "#de8f05", "#029e73", "#cc78bc")  # blue, orange, green, pink: told apart at a glance


def colour(model: str) -> str:
    """The book's colour of a model from its name: its kind (the multi-transformer that averages text streams
    has its own), darkened for a variant of ours; an unknown name gets one of matplotlib's defaults."""
    from matplotlib import colors

    kind = model.removeprefix("paper (MovieNet): ")
    known = [key for key in MODEL_COLOURS if "," not in key and kind.startswith(key)]
    if not known:
        return f"C{zlib.crc32(model.encode()) % 10}"
    base = max(known, key=len)
    if base == "multi-transformer" and "averaged" in kind:
        base = "multi-transformer, averaged"
    if any(marker in kind for marker in OURS_MARKERS):
        return colors.to_hex([0.45 * c for c in colors.to_rgb(MODEL_COLOURS[base])])  # told apart at a glance
    return MODEL_COLOURS[base]


def legend_below(fig, ax=None, columns: int = 3, **options):
    """A figure legend under the axes, where it hides no data."""
    handles, labels = (ax or fig.axes[0]).get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=columns, frameon=False, fontsize=11, **options)


def genre_frequencies(labels: np.ndarray, ax=None):
    """Bar chart of how many videos carry each genre, most frequent first."""
    counts = pd.Series(labels.sum(axis=0), index=GENRES).sort_values(ascending=False)
    ax = ax or plt.subplots(figsize=(9, 4))[1]
    sns.barplot(x=counts.index, y=counts.values, color="C0", ax=ax)
    ax.set(xlabel="", ylabel="videos", title=f"Genre frequency ({len(labels):,} trailers)")
    ax.tick_params(axis="x", rotation=60)
    return ax


def cooccurrence(labels: np.ndarray, ax=None):
    """Heatmap of P(column genre | row genre): how often genres appear together."""
    counts = labels.T @ labels
    conditional = counts / np.maximum(np.diag(counts)[:, None], 1)
    ax = ax or plt.subplots(figsize=(9, 7.5))[1]
    sns.heatmap(pd.DataFrame(conditional, index=GENRES, columns=GENRES), cmap="viridis", vmin=0, vmax=1,
                square=True, cbar_kws={"label": "P(column | row)"}, ax=ax)
    ax.set(title="Genre co-occurrence", xlabel="", ylabel="")
    return ax


def cardinality(labels: np.ndarray, ax=None):
    """Histogram of the number of genres per trailer."""
    per_video = labels.sum(axis=1).astype(int)
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    values, counts = np.unique(per_video, return_counts=True)
    ax.bar(values, counts, color="C0")
    ax.set(xlabel="genres per trailer", ylabel="trailers", xticks=values,
           title=f"Label cardinality (mean {per_video.mean():.2f})")
    return ax


def durations(seconds: np.ndarray, fences: tuple[float, float], ax=None):
    """Histogram of trailer durations with the paper's outlier fences."""
    ax = ax or plt.subplots(figsize=(8, 3.5))[1]
    ax.hist(seconds, bins=80, color="C0")
    for fence in fences:
        ax.axvline(fence, color="C3", linestyle="--")
    ax.set(xlabel="duration (s)", ylabel="trailers",
           title=f"Trailer durations; dashed: paper's IQR fences {fences[0]} s and {fences[1]} s")
    return ax


def split_genre_shares(labels_by_split: dict[str, np.ndarray], ax=None):
    """Share of videos carrying each genre, per split: the splits should look alike."""
    shares = pd.DataFrame({name: y.mean(axis=0) * 100 for name, y in labels_by_split.items()}, index=GENRES)
    long = shares.rename_axis("genre").reset_index().melt(id_vars="genre", var_name="split", value_name="share")
    ax = ax or plt.subplots(figsize=(10, 4))[1]
    sns.barplot(data=long, x="genre", y="share", hue="split", ax=ax)
    ax.set(xlabel="", ylabel="% of the split's videos", title="Genre shares per split")
    ax.tick_params(axis="x", rotation=60)
    return ax


def learning_curves(histories: dict[str, pd.DataFrame], best_epochs: dict[str, int] | None = None):
    """Training and validation loss, and validation mAP, per epoch for each model. A variant of ours is darker and
    also marked with circles, so two variants of one model are told apart in print and in grey; the figure is
    drawn at about the text column's width, so its fonts keep their size on the page."""
    rows = -(-len(histories) // 2)  # of the legend, two names to a row
    fig, (loss_ax, map_ax) = plt.subplots(1, 2, figsize=(8.5, 3.6 + 0.3 * rows))
    for name, history in histories.items():
        ours = any(marker in name for marker in OURS_MARKERS)  # a variant of ours: marked, not only darker
        style = {"color": colour(name), "marker": "o" if ours else None, "markersize": 3.5, "markevery": 2}
        loss_ax.plot(history["epoch"], history["train_loss"], **style)
        loss_ax.plot(history["epoch"], history["val_loss"], linestyle="--", **style)
        map_ax.plot(history["epoch"], history["val_map"], label=name, **style)
        if best_epochs and name in best_epochs:
            map_ax.axvline(best_epochs[name], color=colour(name), linestyle=":", alpha=0.7)
    loss_ax.set(xlabel="epoch", ylabel="weighted BCE")
    loss_ax.set_title("Loss (solid: training,\ndashed: validation)", fontsize=12)
    map_ax.set(xlabel="epoch", ylabel="validation mAP (%)")
    map_ax.set_title("Validation mAP\n(dotted: kept epoch)", fontsize=12)
    for ax in (loss_ax, map_ax):
        ax.tick_params(labelsize=11)
        ax.xaxis.label.set_fontsize(12)
        ax.yaxis.label.set_fontsize(12)
    legend_below(fig, map_ax, columns=min(len(histories), 2))
    fig.tight_layout(rect=(0, 0.055 * rows + 0.02, 1, 1))
    return fig


def data_curve(table: pd.DataFrame, target: int | None = None, target_label: str = ""):
    """Test mAP against the number of training videos (log scale), one line per model (:func:`genrelib.evaluation.
    experiments.data_curve`); ``target``, when given, is a training-set size far beyond the curve (MovieNet's),
    marked as a dashed line so the reader sees how far any extrapolation would reach."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for model, rows in table.groupby("model", sort=False):
        ours = any(marker in model for marker in OURS_MARKERS)
        ax.plot(rows["training videos"], rows["mAP"], color=colour(model), marker="s" if ours else "o", label=model,
                linewidth=2)
    counts = sorted(table["training videos"].unique())
    ax.set_xscale("log")
    ticks = counts + ([target] if target else [])
    ax.set_xticks(ticks, [f"{t:,}" for t in ticks])
    ax.minorticks_off()
    if target:
        ax.axvline(target, color="grey", linestyle="--")
        ax.annotate(target_label, (target, 0.5), xycoords=("data", "axes fraction"), rotation=90, ha="right",
                    va="center", fontsize=11, color="grey")
    ax.set_xlabel("training videos (log scale)", fontsize=12)
    ax.set_ylabel("test mAP (%)", fontsize=12)
    ax.tick_params(labelsize=11)
    legend_below(fig, ax, columns=2)
    fig.tight_layout(rect=(0, 0.05 * -(-table["model"].nunique() // 2) + 0.03, 1, 1))
    return fig


def per_genre_ap(results: dict[str, pd.DataFrame]):
    """Horizontal bars of test AP per genre for each model, with each genre's positive test videos in its
    label; the legend sits under the bars."""
    first = next(iter(results.values()))
    names = {genre: f"{genre} ({count})" for genre, count in first["positives"].items()}
    long = pd.concat({name: table["ap"] for name, table in results.items()}, names=["model", "genre"]).reset_index()
    long["genre"] = long["genre"].map(names)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(first) * max(1, len(results) / 2) + 1.5))
    sns.barplot(data=long, y="genre", x="ap", hue="model", palette={n: colour(n) for n in results}, ax=ax)
    ax.set(xlabel="test AP (%)", ylabel="genre (positive test videos)", title="Average precision per genre")
    ax.get_legend().remove()
    legend_below(fig, ax, columns=min(len(results), 2))
    fig.tight_layout(rect=(0, 0.04 * ((len(results) + 1) // 2) + 0.02, 1, 1))
    return ax


def keyframe_strip(images: list, captions: list[str], per_row: int = 4):
    """Keyframes side by side with a caption under each, four to a row: at the text column's width each is
    wide enough to see what it shows. A page shows the figure at the column's width, so a wider row is drawn
    smaller: its captions grow with ``per_row`` to be read at the size of a four-a-row strip's."""
    rows = max(1, -(-len(images) // per_row))
    fig, axes = plt.subplots(rows, per_row, figsize=(2.2 * per_row, 2.1 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, caption in zip(axes.flat, images, captions, strict=False):
        ax.imshow(image)
        ax.set_title(caption, fontsize=12 * max(per_row, 4) / 4)
    fig.tight_layout()
    return fig


def frame_count_curves(table: pd.DataFrame, ax=None, references: dict[str, float] | None = None):
    """Test mAP against the number of frames per model: mean over seeds, band of one standard deviation;
    ``references`` (name -> mAP) are drawn as dotted horizontal lines."""
    ax = ax or plt.subplots(figsize=(7, 4))[1]
    for j, (name, value) in enumerate((references or {}).items()):
        ax.axhline(value, color="grey", linestyle=(0, (1, 1 + j)), linewidth=1)
        # labels sit in the margin right of the axes, where no data marker can cover them
        ax.annotate(f"{name} {value:.1f}", (1.01, value), xycoords=("axes fraction", "data"), fontsize=9,
                    color="grey", ha="left", va="center", annotation_clip=False)
    for model, rows in table.groupby("model"):
        stats = rows.groupby("frames")["mAP"].agg(["mean", "std"]).fillna(0.0)
        ax.plot(stats.index, stats["mean"], marker="o", color=colour(model), label=model)
        ax.fill_between(stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"], color=colour(model),
                        alpha=0.2)
    ax.set_xscale("log", base=2)
    counts = sorted(table["frames"].unique())
    ax.set_xticks(counts, [str(int(c)) for c in counts])
    ax.minorticks_off()
    ax.set(xlabel="frames per video", ylabel="test mAP (%)",
           title=f"mAP vs number of frames ({table['seed'].nunique()} seeds; band: ±1 std)")
    legend_below(ax.figure, ax, columns=2)
    ax.figure.tight_layout(rect=(0, 0.08, 0.8 if references else 1, 1))  # room for the reference labels
    return ax


def ablation_bars(table: pd.DataFrame):
    """Three panels sharing the feature sets: this build's test mAP (with its standard deviation over seeds, when
    there are several), the paper's printed mAP (MovieNet), each on its own axis since the data differ, and the
    runtime per video of each runtime column (``s/video: <backend>``, measured here, and the paper's GPU
    seconds). A row without a value draws no bar."""
    fig, (map_ax, paper_ax, time_ax) = plt.subplots(1, 3, figsize=(13, 0.5 * len(table) + 2.4), sharey=True)
    labels = table.index.tolist()[::-1]
    positions = np.arange(len(labels))
    spread = table["mAP std"].fillna(0).tolist()[::-1] if "mAP std" in table else None
    map_ax.barh(positions, table["mAP"].tolist()[::-1], xerr=spread, color=colour("multi-transformer"), capsize=3)
    map_ax.set(yticks=positions, xlabel="test mAP (%), mean ± sd over seeds", title="This build (its store)")
    map_ax.set_yticklabels(labels, fontsize=11)
    if "paper mAP" in table:
        paper_ax.barh(positions, table["paper mAP"].tolist()[::-1], color=MODEL_COLOURS["paper"])
    paper_ax.set(xlabel="test mAP (%), as printed", title="The paper (MovieNet)")
    runtimes = [c for c in table.columns if c.startswith("s/video") or c == "paper s/video (GPU)"]
    height = 0.8 / max(len(runtimes), 1)
    for number, column in enumerate(runtimes):
        paper_column = column == "paper s/video (GPU)"
        time_ax.barh(positions + (number - (len(runtimes) - 1) / 2) * height, table[column].tolist()[::-1],
                     height=height, color=MODEL_COLOURS["paper"] if paper_column
                     else RUNTIME_COLOURS[number % len(RUNTIME_COLOURS)],
                     label="the paper (GPU, as printed)" if paper_column else column.removeprefix("s/video: "))
    time_ax.set(xlabel="seconds per video (extraction + classifier)", title="Runtime")
    for ax in (map_ax, paper_ax, time_ax):
        ax.tick_params(labelsize=11)
        ax.title.set_fontsize(13)
        ax.xaxis.label.set_fontsize(11)
    time_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False, fontsize=11)
    fig.tight_layout()
    return fig


def build_vs_paper(scores: pd.DataFrame):
    """This build's macro P@0.5, R@0.5 and mAP with their 95 % intervals (top panel), and the paper's printed
    values (bottom panel): per model, one bar per metric in the metric's colour. The two come from different data,
    so they share the scale but never an axis. ``scores`` as :func:`genrelib.book.claims.scores_beside_paper`
    gathers them (a ``source`` column; the paper's rows labelled ``paper (MovieNet)``)."""
    metrics_ = ["P@0.5", "R@0.5", "mAP"]
    printed = scores["source"] == "paper (MovieNet)"
    parts = [(f"This build ({', '.join(dict.fromkeys(scores.loc[~printed, 'source']))})", scores[~printed]),
             ("The paper (MovieNet, as printed)", scores[printed])]
    parts = [(title, part) for title, part in parts if len(part)]
    fig, axes = plt.subplots(len(parts), 1, figsize=(8.5, 0.62 * len(scores) + 1.2 * len(parts) + 0.5),
                             sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [len(part) + 0.6 for _, part in parts]})
    width = 0.27
    for ax, (title, part) in zip(axes[:, 0], parts, strict=True):
        positions = np.arange(len(part))[::-1]
        for offset, (metric, shade) in enumerate(zip(metrics_, RUNTIME_COLOURS, strict=False)):
            where = positions + (1 - offset) * width  # P@0.5 on top of each group
            ax.barh(where, part[metric], height=width, color=shade, label=metric)
            low, high = part.get(f"{metric} low"), part.get(f"{metric} high")
            if low is not None:  # intervals where the part has them: the paper prints none
                shown = low.notna().to_numpy()
                errors = np.vstack([(part[metric] - low)[shown].clip(lower=0),
                                    (high - part[metric])[shown].clip(lower=0)])
                ax.errorbar(part[metric][shown], where[shown], xerr=errors, fmt="none", ecolor="black",
                            capsize=2, linewidth=0.8)
        ax.set(xlim=(0, 100), yticks=positions,  # long names on two lines: the bars keep the width
               yticklabels=[textwrap.fill(name.removeprefix("paper (MovieNet): "), 26) for name in part.index])
        ax.set_title(title, fontsize=12, fontweight="bold")
        ax.tick_params(labelsize=11)
    axes[-1, 0].set_xlabel("% (black bars: 95 % interval; the paper prints none)", fontsize=11)
    legend_below(fig, axes[0, 0], columns=3)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def evidence_sweep(table: pd.DataFrame):
    """Test mAP against evidence strength and against the number of training videos (mean over seeds, band of
    one standard deviation); the planted store's reference rules dotted, the models solid."""
    # the sweep varies one axis at a time: each panel holds the other at the value it was swept around
    fixed_videos = table.groupby("training videos")["strength"].nunique().idxmax()
    fixed_strength = table.groupby("strength")["training videos"].nunique().idxmax()
    panels = [("strength", table[table["training videos"] == fixed_videos], f"evidence strength ({fixed_videos:,} "
               "training videos)"),
              ("training videos", table[table["strength"] == fixed_strength], f"training videos (strength "
               f"{fixed_strength:g})")]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), sharey=True)
    reference_styles = iter([":", "-.", "--", (0, (1, 3))])
    styles = {model: next(reference_styles) if model.startswith("reference") else "-"
              for model in table["model"].unique()}
    for ax, (column, rows, label) in zip(axes, panels, strict=True):
        for model, group in rows.groupby("model", sort=False):
            stats = group.groupby(column)["mAP"].agg(["mean", "std"]).fillna(0.0)
            reference = model.startswith("reference")
            ax.plot(stats.index, stats["mean"], marker="." if reference else "o", linestyle=styles[model],
                    color="grey" if reference else colour(model), label=model, alpha=0.8 if reference else 1.0)
            if not reference:
                ax.fill_between(stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"],
                                color=colour(model), alpha=0.2)
        ax.set(xlabel=label, ylabel="test mAP (%)")
        if column == "training videos":
            ax.set_xscale("log")
        ax.set_xticks(sorted(rows[column].unique()), [f"{v:,g}" for v in sorted(rows[column].unique())])
        ax.minorticks_off()
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=10, frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    return fig


def cls_attention(weights: list[np.ndarray], planted: list[list[int]], names: list[str]):
    """The <CLS> token's attention over the frames of a few videos, one panel each; the frames that carry
    planted evidence in red, the others grey, and the even share (1 / frames) as a dotted line."""
    fig, axes = plt.subplots(len(weights), 1, figsize=(9, 1.5 * len(weights) + 0.8), sharex=True, squeeze=False)
    for ax, attention, marked, name in zip(axes[:, 0], weights, planted, names, strict=True):
        shown = attention / attention.sum()
        colours = ["#d62728" if t in set(marked) else "#bbbbbb" for t in range(len(shown))]
        ax.bar(np.arange(len(shown)), shown, color=colours, width=0.9)
        ax.axhline(1 / len(shown), color="black", linestyle=":", linewidth=1)
        ax.set_ylabel("attention", fontsize=9)
        ax.set_title(name, fontsize=10, loc="left")
    axes[-1, 0].set_xlabel("frame")
    fig.legend(handles=[plt.Rectangle((0, 0), 1, 1, color="#d62728"), plt.Rectangle((0, 0), 1, 1, color="#bbbbbb"),
                        plt.Line2D([], [], color="black", linestyle=":")],
               labels=["planted frame", "noise frame", "even share"], loc="lower center", ncol=3, frameon=False,
               fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def controlled_tests(table: pd.DataFrame):
    """One panel per controlled test (:func:`genrelib.evaluation.controlled.controlled_tests`), stacked: the models'
    paired difference in test mAP with its 95 % interval against the knob's setting, the mechanism on (dark) and off
    (light), and the oracles' difference for the same store as a hollow diamond; the first seed."""
    from genrelib.evaluation.controlled import TESTS, at_main_budget

    table = at_main_budget(table[table["seed"] == table["seed"].min()])
    names = {test.claim: name for name, test in TESTS.items()}
    tests = list(dict.fromkeys(table["claim"]))
    fig, axes = plt.subplots(len(tests), 1, figsize=(8, 2.9 * len(tests) + 0.6), squeeze=False)
    styles = {"on": "#1f4e79", "off": "#9ecae1"}
    for ax, claim in zip(axes[:, 0], tests, strict=True):
        rows = table[table["claim"] == claim]
        settings = list(dict.fromkeys(rows["setting"]))
        for offset, (mechanism, group) in zip((-0.1, 0.1), rows.groupby("mechanism", sort=False), strict=False):
            where = np.array([settings.index(s) for s in group["setting"]]) + offset
            errors = np.vstack([group["difference"] - group["low"], group["high"] - group["difference"]])
            ax.errorbar(where, group["difference"], yerr=errors, fmt="o", color=styles[mechanism], capsize=3,
                        label=f"models, mechanism {mechanism}")
            ax.scatter(where, group["oracle_difference"], marker="D", facecolors="none", edgecolors=styles[mechanism],
                       s=45, label=f"oracles, mechanism {mechanism}", zorder=3)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(settings)), settings)
        ax.set_xlim(-0.5, len(settings) - 0.5)
        first = rows.iloc[0]
        ax.set_ylabel("a − b (mAP points)")
        ax.set_title(f"{names.get(claim, claim)}: a = {first['a']}, b = {first['b']}", fontsize=11, loc="left")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=10, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def controlled_learning_curves(curves: pd.DataFrame):
    """One panel per controlled test with more than one training budget (:func:`genrelib.evaluation.controlled.
    learning_curves`, first seed, largest setting): the share of the oracles' gap that model a, model b and
    the positive control close, against the number of training videos (log scale)."""
    from genrelib.evaluation.controlled import TESTS

    curves = curves[curves["seed"] == curves["seed"].min()]
    curves = curves[curves["store"] == curves.groupby("test")["store"].transform("last")]
    tests = [name for name, rows in curves.groupby("test", sort=False) if rows["training videos"].nunique() > 1]
    fig, axes = plt.subplots(1, len(tests), figsize=(4.2 * len(tests) + 0.4, 3.6), squeeze=False)
    for ax, name in zip(axes[0], tests, strict=True):
        rows = curves[curves["test"] == name].sort_values("training videos")
        test = TESTS[name]
        for column, label, style in (("gap closed: a", f"a: {test.models[0]}", "o-"),
                                     ("b", f"b: {test.models[1]}", "s--"),
                                     ("control", f"control: {test.control}", "D-")):
            ax.plot(rows["training videos"], rows[column], style, label=label)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.axhline(1, color="grey", linewidth=0.8, linestyle=":")
        ax.set_xscale("log")
        # the budgets run, and no log-scale minor labels, which overlap ("3×10²4×10²")
        ax.set_xticks(rows["training videos"], [f"{n:,}" for n in rows["training videos"]])
        ax.minorticks_off()
        ax.set_xlabel("training videos")
        ax.set_ylabel("share of the oracles' gap closed")
        ax.set_title(f"{name}, {rows['store'].iloc[-1]}", fontsize=11, loc="left")
        ax.legend(fontsize=9, frameon=False)
    fig.tight_layout()
    return fig
