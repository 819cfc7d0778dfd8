"""Report stage: tables that put our numbers next to the paper's.

Only values printed in the paper are entered here, each with where it comes
from; a value we have not transcribed is absent, never guessed.
"""

from __future__ import annotations

import pandas as pd

from .labels import PAPER_SPLIT_SIZES, SPLIT_NAMES
from .metrics import Scores

# Sulun, Viana, Davies (2024), main result: macro scores on the MovieNet test split, in percent.
PAPER_RESULTS: dict[str, dict[str, float]] = {
    "multi-transformer": {"P@0.5": 82.00, "R@0.5": 38.33, "mAP": 66.02},
}
# The paper's reported trainable parameters of its three classifiers (five modalities).
PAPER_PARAMETER_COUNTS = {"mlp": 57_000, "single-transformer": 8_560_000, "multi-transformer": 6_980_000}


def split_sizes(recomputed: dict[str, list], released: dict[str, list]) -> pd.DataFrame:
    """Split sizes: our recomputation, the released splits.json and the paper's text."""
    return pd.DataFrame({
        "recomputed": {s: len(recomputed[s]) for s in SPLIT_NAMES},
        "splits.json": {s: len(released[s]) for s in SPLIT_NAMES},
        "same ids": {s: recomputed[s] == released[s] for s in SPLIT_NAMES},
        "paper (text)": PAPER_SPLIT_SIZES,
    }).rename_axis("split")


def scores_table(results: dict[str, Scores], with_paper: bool = False) -> pd.DataFrame:
    """One row per model: macro P@0.5, R@0.5 and mAP in percent.

    With ``with_paper`` the paper's published rows are appended, labelled as such.
    """
    rows = {name: scores.summary() for name, scores in results.items()}
    if with_paper:
        rows.update({f"paper: {name}": values for name, values in PAPER_RESULTS.items()})
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model").round(2)
