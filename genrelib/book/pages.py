"""Page stage: what a chapter's prose is made of. Glued numbers (the paper's, and a run's), the library's own
source shown where a chapter teaches it, and verdicts in words for intervals and seeds."""

from __future__ import annotations

import numpy as np

from genrelib.sources import paper


def glue(name: str, value, display: bool = False) -> None:
    """``myst_nb.glue`` for a page's prose, numpy scalars passed as Python numbers: their repr
    (``np.float64(...)``) is what the page would otherwise try to format, and cannot."""
    from myst_nb import glue as myst_glue

    myst_glue(name, value.item() if isinstance(value, np.generic) else value, display=display)


def glue_paper() -> None:
    """Glue the paper's printed numbers that the chapters' prose quotes, so that no page types one:
    ``paper_<model>_<metric>`` for Table 1 (e.g. ``paper_multi_map``), ``paper_<split>`` for the split sizes,
    ``paper_count_<model>`` for the parameter counts as printed, ``paper_table3_row<n>_map`` and ``_seconds``
    for Table 3's rows (1: the baseline), ``paper_fence_low`` and ``paper_fence_high``."""
    short = {"mlp": "mlp", "single-transformer": "single", "multi-transformer": "multi",
             "two-stage-baseline": "baseline"}
    metric = {"P@0.5": "precision", "R@0.5": "recall", "mAP": "map"}
    for model, name in short.items():
        for column, label in metric.items():
            glue(f"paper_{name}_{label}", paper.TABLE_1[model][column])
    for split, size in paper.SPLIT_SIZES.items():
        glue(f"paper_{split}", size)
    for model, count in paper.PARAMETER_COUNTS.items():  # as printed: 57k, 8.56M
        glue(f"paper_count_{short[model]}", paper.as_printed(count))
    for number, (_, row) in enumerate(paper.TABLE_3.iterrows(), 1):
        glue(f"paper_table3_row{number}_map", row["paper mAP"])
        glue(f"paper_table3_row{number}_seconds", row["paper s/video (GPU)"])
    glue("paper_fence_low", paper.DURATION_FENCES[0])
    glue("paper_fence_high", paper.DURATION_FENCES[1])


RARE_POSITIVES = 5  # a genre with fewer training videos than this is learnt from a handful of examples


def glue_store_scale(store) -> None:
    """Glue what the caveat at the top of a results chapter says about its store's size (``store_trn``,
    ``store_rare_genres``, ``store_rare``, ``store_median_positives``, ``store_frames``, ``store_frames_of``):
    training videos, genres with fewer than :data:`RARE_POSITIVES` training positives, the median genre's
    positives, and the median frame count of the store's first modality per training video."""
    trn = store.indices("trn")
    positives = store.labels[trn].sum(0)
    first = next(iter(store.modalities))
    glue("store_trn", len(trn))
    glue("store_rare_genres", int((positives < RARE_POSITIVES).sum()))
    glue("store_rare", RARE_POSITIVES)
    glue("store_median_positives", float(np.median(positives)))
    glue("store_frames", float(np.median(store.lengths(first)[trn])))
    glue("store_frames_of", first)


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


class _Nothing:
    """Displays as nothing at all, by ``display()`` or as a cell's value (None would print "None")."""

    def _ipython_display_(self) -> None:
        pass


NOTHING = _Nothing()


def prose(text: str):
    """``text`` as Markdown for a page, or nothing when it is empty (an empty Markdown object would print its
    repr on the page)."""
    from IPython.display import Markdown

    return Markdown(text) if text else NOTHING


_SMALL = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def counted(n: int, noun: str) -> str:
    """``n`` ``noun``s in words for prose: "one seed", "three seeds", "12 seeds"."""
    return f"{_SMALL.get(n, n)} {noun}{'' if n == 1 else 's'}"


def verdicts(by_name: dict[str, str]) -> str:
    """Several verdicts (:func:`verdict`) in one phrase, without repeating a shared one: "both ...", "all
    three not distinguishable from zero", else each verdict once with the names it holds for."""
    values = list(by_name.values())
    if len(set(values)) == 1:
        if len(values) <= 2:
            return values[0] if len(values) == 1 else f"both {values[0]}"
        return f"all {_SMALL.get(len(values), len(values))} {values[0]}"
    grouped: dict[str, list[str]] = {}
    for name, verdict in by_name.items():  # each verdict once, with every name it holds for
        grouped.setdefault(verdict, []).append(f"the {name}")
    parts = [f"{verdict} for {_and(names)}" for verdict, names in grouped.items()]
    return _and(parts, ", and " if any(len(names) > 1 for names in grouped.values()) else " and ")


def _and(items: list[str], last: str = " and ") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]
