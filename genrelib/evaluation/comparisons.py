"""Paired comparisons of models scored on the same test videos. A comparison is data, not a label: each row
carries the two models (``a``, ``b``) and the paper's claim it tests, so a later chapter reads the claim from
the row (:func:`genrelib.book.claims.claims_table`) and renaming a model changes nothing it finds."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from genrelib.evaluation.metrics import LEVEL, RESAMPLES, Scores, confidence_interval, paired_difference
from genrelib.sources import paper
from genrelib.sources.claims import CLAIMS


def scores_table(results: dict[str, Scores], paper_rows: tuple[str, ...] = (),
                 resamples: int = RESAMPLES) -> pd.DataFrame:
    """One row per model: macro P@0.5, R@0.5 and mAP in percent, each with its 95 % bootstrap interval over
    the test videos (columns ``<metric> low`` / ``<metric> high``), and the number of test videos; then the
    named rows of the paper's Table 1 (keys of :data:`genrelib.sources.paper.TABLE_1`), labelled as the paper's,
    without intervals (it prints none). :func:`genrelib.book.formatting.show` formats it for a page."""
    unknown = set(paper_rows) - set(paper.TABLE_1)
    if unknown:
        raise ValueError(f"the paper's Table 1 has no rows {sorted(unknown)}; it has {list(paper.TABLE_1)}")
    rows = {}
    for name, scores in results.items():
        entry = {}
        for metric, value in scores.summary().items():
            interval = confidence_interval(scores.y_true, scores.scores, metric, LEVEL, resamples)
            entry |= {metric: value, f"{metric} low": interval.low, f"{metric} high": interval.high}
        rows[name] = entry | {"test videos": len(scores.y_true)}
    rows.update({f"paper (MovieNet): {name}": dict(paper.TABLE_1[name], **{"test videos": paper.SPLIT_SIZES["tst"]})
                 for name in paper_rows})
    columns = [c for metric in ("P@0.5", "R@0.5", "mAP") for c in (metric, f"{metric} low", f"{metric} high")]
    return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=[*columns, "test videos"]).rename_axis("model")


def videos_to_tell(half_width: float, videos: int, difference: float) -> int | None:
    """Test videos an interval of ``half_width`` points at ``videos`` videos would need to shrink below
    ``difference`` (intervals narrow as one over the square root of the test set's size)."""
    if not difference or not np.isfinite(half_width):
        return None
    return int(np.ceil(videos * (half_width / abs(difference)) ** 2))


PAIR_COLUMNS = ["a", "b", "claim"]  # a comparison's keys, as data; its page shows them in the row's name


class Pair(NamedTuple):
    """Two models to compare (``a`` minus ``b``) and the paper's claim the comparison tests, a key of
    :data:`genrelib.sources.claims.CLAIMS` (None: it tests none, e.g. a step that changes two things at once)."""
    a: str
    b: str
    claim: str | None = None


def comparisons(results: dict[str, Scores], pairs, paper_differences: dict | None = None, metric: str = "mAP",
                resamples: int = RESAMPLES) -> pd.DataFrame:
    """Each pair (a :class:`Pair`, or a tuple ``(a, b)`` that tests no claim) of models scored on the same test
    videos: a's score minus b's with its 95 % paired bootstrap interval, whether the interval excludes 0, and,
    where ``paper_differences`` gives the paper's difference for ``(a, b)``, how many test videos this build
    would need to tell a difference that size. Each row keeps ``a``, ``b`` and ``claim`` as columns; its
    index, ``"a − b"``, is only for reading."""
    rows = []
    for pair in map(lambda p: Pair(*p), pairs):
        if pair.claim is not None and pair.claim not in CLAIMS:
            raise ValueError(f"{pair.a} \u2212 {pair.b}: no claim {pair.claim!r}; the claims are {sorted(CLAIMS)}")
        first, second = results[pair.a], results[pair.b]
        if not np.array_equal(first.y_true, second.y_true):
            raise ValueError(f"{pair.a} and {pair.b} were not scored on the same test videos: no paired comparison")
        diff = paired_difference(first.y_true, first.scores, second.scores, metric, LEVEL, resamples)
        printed = (paper_differences or {}).get((pair.a, pair.b), np.nan)
        needed = videos_to_tell((diff.high - diff.low) / 2, len(first.y_true), printed) if np.isfinite(printed) \
            else None
        rows.append({"comparison": f"{pair.a} \u2212 {pair.b}", "a": pair.a, "b": pair.b, "claim": pair.claim,
                     f"{metric} difference": diff.difference, f"{metric} difference low": diff.low,
                     f"{metric} difference high": diff.high,
                     "distinguishable from 0": "yes" if diff.low > 0 or diff.high < 0 else "no",
                     "paper's difference": printed, "test videos to tell the paper's": needed})
    table = pd.DataFrame(rows).set_index("comparison")
    table["test videos to tell the paper's"] = table["test videos to tell the paper's"].astype("Int64")
    return table


def row(table: pd.DataFrame, a: str, b: str) -> pd.Series:
    """The row of a :func:`comparisons` table that compares ``a`` with ``b``."""
    found = table[(table["a"] == a) & (table["b"] == b)]
    if len(found) != 1:
        raise KeyError(f"no comparison of {a!r} with {b!r}; the table compares {table.index.tolist()}")
    return found.iloc[0]
