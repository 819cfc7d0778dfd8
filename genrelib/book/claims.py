"""Claims stage: the paper's claims, each as the paper makes it and where, set beside the paired comparisons
this build's chapters saved (:mod:`genrelib.book.results`), with whether each clear result has the paper's sign."""

from __future__ import annotations

import numpy as np
import pandas as pd

from genrelib.book.formatting import interval, number
from genrelib.book.results import SavedResult, data_sources
from genrelib.sources.claims import CLAIMS
from genrelib.sources.evidence import cite

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


def agrees_with_paper(low: float, high: float, expected_sign: float) -> str:
    """Whether a paired difference with interval [low, high] has the paper's sign: "yes" or "reversed" when
    the interval excludes zero, else "not told apart"."""
    if low <= 0 <= high or not np.isfinite(expected_sign) or expected_sign == 0:
        return "not told apart"
    return "yes" if (low > 0) == (expected_sign > 0) else "reversed"


CONTROLLED = "controlled test (chapter 7): on / off"
CONTROL = "positive control (chapter 7): share of the oracles' gap closed"


def controlled_summary(table: pd.DataFrame) -> dict[str, str]:
    """Per claim, the saved ``controlled_tests`` result in a line: the paired difference with its interval and
    whether it is what the claim predicts, with the mechanism on and off
    (:func:`genrelib.evaluation.controlled.headline`)."""
    from genrelib.evaluation.controlled import headline

    lines = {}
    for claim, (on, off) in headline(table).items():
        said = [f"{row['mechanism']}: {interval(row['difference'], row['low'], row['high'])}"
                f" ({row['agrees_with_paper']})" for row in (on, off)]
        lines[claim] = f"{on['a']} − {on['b']}; " + "; ".join(said) + f" ({on['setting']})"
    return lines


def control_summary(table: pd.DataFrame) -> dict[str, str]:
    """Per claim, its controlled test's positive control with the mechanism on, in a line: the share of the
    oracles' gap it closes beside models a and b, and the story that tells (the rows of
    :func:`controlled_summary`)."""
    from genrelib.evaluation.controlled import headline

    def share(value) -> str:
        return "–" if pd.isna(value) else f"{value:.2f}"

    return {claim: f"{on['control']}: {share(on['gap_closed_control'])} (a {share(on['gap_closed_a'])}, b "
                   f"{share(on['gap_closed_b'])}); {on['story']}"
            for claim, (on, _) in headline(table).items() if "control" in on}


def claims_table(results: dict[str, SavedResult]) -> pd.DataFrame:
    """One row per comparison of this build that speaks to one of the paper's claims (in the paper's
    configuration, and with our options where a chapter compares them too): the claim, what the paper measured,
    this build's paired difference in test mAP with its interval and data source, whether it is distinguishable
    from zero, how many test videos would tell a difference the size of the paper's, whether this build's
    data can test the claim at all, and the claim's controlled test on a planted store (chapter 7), with the
    mechanism on and off; a claim with only a controlled test gets a row of its own."""
    sources = {description: label for label, description in data_sources(results)["data and extractors"].items()}
    tested = results["controlled_tests"].table.reset_index() if "controlled_tests" in results else None
    controlled = controlled_summary(tested) if tested is not None else {}
    controls = control_summary(tested) if tested is not None else {}
    rows = []
    for result in results.values():
        table = result.table
        if "mAP difference" not in table.columns:
            continue
        if "claim" not in table.columns:  # a study's table beside its differences, not comparisons of claims
            continue
        for _, row in table.iterrows():
            claim = row["claim"]
            if not isinstance(claim, str):
                continue
            said = CLAIMS[claim]
            printed = row.get("paper's difference", np.nan)
            needed = row.get("test videos to tell the paper's", np.nan)
            expected = said.sign if pd.isna(printed) else np.sign(printed)
            rows.append({
                "claim": f"{claim} ({cite(said.evidence)})",
                "the paper": said.paper,
                "this build: paired difference in test mAP":
                f"{row['a']} \u2212 {row['b']}: "
                f"{interval(row['mAP difference'], row['mAP difference low'], row['mAP difference high'])} "
                f"({sources[result.source]})" + ("" if pd.isna(printed) else
                                                 f"; the paper's, same pair: {number(printed)}"),
                "agrees with the paper's sign?": agrees_with_paper(row["mAP difference low"],
                                                                    row["mAP difference high"], expected),
                "test videos to tell the paper's": number(needed, 0),
                "can this build test it?": said.testable, CONTROLLED: controlled.get(claim, ""),
                CONTROL: controls.get(claim, "")})
    compared = {row["claim"] for row in rows}
    for claim, line in controlled.items():
        said = CLAIMS[claim]
        if f"{claim} ({cite(said.evidence)})" not in compared:
            rows.append({"claim": f"{claim} ({cite(said.evidence)})", "the paper": said.paper,
                         "this build: paired difference in test mAP": "", "agrees with the paper's sign?": "",
                         "test videos to tell the paper's": "", "can this build test it?": said.testable,
                         CONTROLLED: line, CONTROL: controls.get(claim, "")})
    order = {f"{claim} ({cite(said.evidence)})": i for i, (claim, said) in enumerate(CLAIMS.items())}
    table = pd.DataFrame(rows, columns=["claim", "the paper", "this build: paired difference in test mAP",
                                        "agrees with the paper's sign?", "test videos to tell the paper's",
                                        "can this build test it?", CONTROLLED, CONTROL])
    return table.sort_values("claim", key=lambda c: c.map(order), kind="stable").set_index("claim")


def summary(table: pd.DataFrame) -> dict[str, int | str]:
    """What chapter 8 says of :func:`claims_table`'s rows, counted from them: of the comparisons whose claim
    this build's data can test (:attr:`~genrelib.sources.claims.Claim.here`), how many are told apart from zero,
    agree with the paper's sign, reverse it (and which claims); and the claims whose comparisons test something
    else here."""
    here = {f"{claim} ({cite(said.evidence)})": said.here for claim, said in CLAIMS.items()}
    verdicts = table["agrees with the paper's sign?"]
    verdicts = verdicts[verdicts != ""]  # a claim with only a controlled test has no comparison
    tested = verdicts[[here[claim] for claim in verdicts.index]]
    return {"rows": len(tested), "clear": int((tested != "not told apart").sum()),
            "agree": int((tested == "yes").sum()), "reversed": int((tested == "reversed").sum()),
            "reversed_list": "; ".join(sorted(set(tested.index[tested == "reversed"]))) or "none",
            "untested_list": "; ".join(sorted(set(verdicts.index) - set(tested.index))) or "none"}


def controlled_counts(table: pd.DataFrame) -> dict[str, int]:
    """What chapter 8 says of the controlled tests, counted from the rows its claims table shows
    (:func:`controlled_summary`: per claim, the mechanism on at the largest setting and off at the same one):
    with it on, how many give the predicted advantage, cannot tell, or reverse it; with it off, how many show
    no advantage, as the claim predicts."""
    from genrelib.evaluation.controlled import headline

    rows = headline(table)
    on = [row["agrees_with_paper"] for row, _ in rows.values()]
    off = [row["agrees_with_paper"] for _, row in rows.values()]
    return {"claims": len(rows), "on_yes": on.count("yes"), "on_unclear": on.count("not told apart"),
            "on_reversed": on.count("reversed"), "off_yes": off.count("yes")}


def for_page(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`claims_table` as a page prints it: a claim, what the paper reports and what this build can test
    written once, on the first of the rows that share them (the table is sorted by claim)."""
    flat = table.reset_index()
    repeated = flat["claim"].eq(flat["claim"].shift())
    for column in ("claim", "the paper", "can this build test it?", CONTROLLED, CONTROL):
        flat.loc[repeated & flat[column].eq(flat[column].shift()), column] = ""
    return flat.set_index("claim")
