"""Results stage: the tables chapters save for later chapters (chapter 8 gathers them), each with its caption and
the data and extractors behind it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pandas as pd


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


def _chapter(name: str) -> str:
    """The chapter a saved result comes from, for a reader: ``04_options`` -> ``chapter 4``; a name without a
    chapter number in words (``controlled_tests`` -> ``controlled tests``)."""
    number, _, rest = name.partition("_")
    return f"chapter {int(number)}" if number.isdigit() and rest else name.replace("_", " ")


def data_sources(results: dict[str, SavedResult]) -> pd.DataFrame:
    """Each distinct data source of the saved results once, labelled S1, S2 ..., with the chapters (or
    results) it produced."""
    found: dict[str, list[str]] = {}
    for name, result in results.items():
        shown = found.setdefault(result.source, [])
        if _chapter(name) not in shown:
            shown.append(_chapter(name))
    return pd.DataFrame([{"source": f"S{i}", "data and extractors": source, "results": ", ".join(names)}
                         for i, (source, names) in enumerate(found.items(), start=1)]).set_index("source")
