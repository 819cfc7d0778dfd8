"""Numbers and tables as a page prints them: intervals beside their scores, counts as integers, thousands
separated, a dash where there is no value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from genrelib.data.labels import GENRES
from genrelib.evaluation.metrics import LEVEL


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


def number(value, digits: int = 1) -> str:
    """A number for a page: thousands separated, a dash where there is none."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "\u2013"
    if isinstance(value, int | np.integer) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1000):
        return f"{int(value):,}"
    if value and abs(value) < 0.5 * 10 ** -digits:  # would round to a signed zero: show what it is
        return f"{value:.1g}"
    return f"{value:,.{digits}f}"


def interval(value, low, high, digits: int = 1) -> str:
    """A number with its interval, "X [low, high]", all three at the same decimals (a tiny difference that
    :func:`number` would show in its own digits reads 0.0 here, as its bounds do); the number alone where
    there are no bounds."""
    def fixed(v) -> str:
        shown = f"{v:,.{digits}f}"
        return shown.lstrip("-") if float(shown.replace(",", "")) == 0 else shown  # no signed zero
    if pd.isna(value):
        return number(None)
    return fixed(value) if pd.isna(low) or pd.isna(high) else f"{fixed(value)} [{fixed(low)}, {fixed(high)}]"


OUTSIDE = " \u2020"  # marks a score outside its own interval (interval_note says why)


def interval_note(table: pd.DataFrame) -> str:
    """A sentence for a page whose table marks a score outside its own interval (:func:`show`), else ''."""
    lows = [c for c in table.columns if isinstance(c, str) and c.endswith(" low") and c[:-4] in table.columns]
    outside = any(((table[c[:-4]] < table[c]) | (table[c[:-4]] > table[f"{c[:-4]} high"])).any() for c in lows)
    if not outside:
        return ""
    return (f"\u2020 The score lies outside its {LEVEL * 100:.0f} % interval: the test split is too small for a "
            f"macro score over {len(GENRES)} genres (chapter 3's note *Reading an interval on a small test set* "
            "says why).")


# Words that make a column a column of counts: whole numbers, never printed with a decimal point.
COUNT_WORDS = ("videos", "positives", "frames", "seeds", "epochs", "parameters", "clips", "count", "steps")


NOT_COUNTS = ("per", "mean", "sd", "std", "difference", "share", "mAP")  # a rate or a statistic over a count


def is_count_column(name) -> bool:
    """Whether a column (its last level, for a MultiIndex) holds counts, by its name: it names a count
    ("test videos") and no rate or statistic of one ("frames per video", "mAP difference, mean over seeds")."""
    label = str(name[-1] if isinstance(name, tuple) else name)
    words = set(label.replace(",", " ").replace(":", " ").split())
    return any(word in label.lower() for word in COUNT_WORDS) and not words & set(NOT_COUNTS)


def show(table: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """A numeric result table as a page shows it: each ``X`` with ``X low`` / ``X high`` beside it becomes
    "X [low, high]"; numbers rounded to ``digits``, thousands separated, a dash for a missing value; a column
    of counts (:func:`is_count_column`) of whole numbers without decimals."""
    out = pd.DataFrame(index=table.index)
    names = {str(c) for c in table.columns}
    for column in table.columns:
        values = table[column]
        if is_count_column(column) and pd.api.types.is_numeric_dtype(values) and \
                ((values.dropna() % 1) == 0).all():
            out[column] = [number(None if pd.isna(v) else int(v)) for v in values]
            continue
        if isinstance(column, str) and column.endswith((" low", " high")) and column.rsplit(" ", 1)[0] in names:
            continue
        if isinstance(column, str) and f"{column} low" in names:
            out[column] = [interval(v, lo, hi, digits) + ("" if np.isnan(lo) or lo <= v <= hi else OUTSIDE)
                           for v, lo, hi in
                           zip(table[column], table[f"{column} low"], table[f"{column} high"], strict=True)]
        elif pd.api.types.is_numeric_dtype(table[column]):
            out[column] = [number(v, digits) for v in table[column]]
        else:
            out[column] = table[column].fillna("\u2013")
    if isinstance(table.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out
