"""Report stage: tables that put our numbers next to the paper's.

Only values printed in the paper are entered here, each with where it comes
from; a value we have not transcribed is absent, never guessed.
"""

from __future__ import annotations

import json

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


def per_genre_table(results: dict[str, Scores]) -> pd.DataFrame:
    """The paper's per-genre layout: a row per genre plus the macro row; P, R, AP per model."""
    tables = {}
    for name, scores in results.items():
        table = scores.per_genre[["precision", "recall", "ap"]].rename(columns=str.upper)
        table.loc["macro"] = [scores.precision, scores.recall, scores.map]
        tables[name] = table.rename(columns={"PRECISION": "P@0.5", "RECALL": "R@0.5"})
    return pd.concat(tables, axis=1).round(2)


def parameter_table(models: dict[str, object]) -> pd.DataFrame:
    """Trainable parameters of our models next to the paper's reported counts."""
    from .models import count_parameters

    table = pd.DataFrame({
        "ours": {name: count_parameters(model) for name, model in models.items()},
        "paper": {name: PAPER_PARAMETER_COUNTS.get(name) for name in models},
    }).rename_axis("model")
    return table.astype("Int64")


# The paper's training recipe for the feature classifiers.
PAPER_RECIPE = {"learning_rate": 1e-5, "batch_size": 32, "positive_weight": 0.25, "clip_grad_norm": 1.0,
                "dropout": 0.5, "early stopping": "validation mAP"}


def recipe_table(config, dropout: float) -> pd.DataFrame:
    """The training settings this run used next to the paper's; differences are flagged."""
    ours = {"learning_rate": config.learning_rate, "batch_size": config.batch_size,
            "positive_weight": config.positive_weight, "clip_grad_norm": config.clip_grad_norm,
            "dropout": dropout, "early stopping": f"validation mAP, patience {config.patience}"}
    table = pd.DataFrame({"this run": {k: str(v) for k, v in ours.items()},
                          "paper": {k: str(v) for k, v in PAPER_RECIPE.items()}})
    table["same"] = [k == "early stopping" or ours[k] == PAPER_RECIPE[k] for k in table.index]
    return table.rename_axis("setting")


def save_result(folder, name: str, table: pd.DataFrame, caption: str) -> None:
    """Keep a chapter's result table for the results chapter (``folder/name.json``)."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(table.columns, pd.MultiIndex):
        table = table.set_axis([" ".join(map(str, c)) for c in table.columns], axis=1)
    payload = {"caption": caption, "table": json.loads(table.reset_index().to_json(orient="split", index=False))}
    (folder / f"{name}.json").write_text(json.dumps(payload))


def load_results(folder) -> dict[str, tuple[str, pd.DataFrame]]:
    """Every saved result table, by name: (caption, table)."""
    from pathlib import Path

    results = {}
    for path in sorted(Path(folder).glob("*.json")):
        payload = json.loads(path.read_text())
        split = payload["table"]
        table = pd.DataFrame(split["data"], columns=split["columns"])
        results[path.stem] = (payload["caption"], table.set_index(table.columns[0]))
    return results
