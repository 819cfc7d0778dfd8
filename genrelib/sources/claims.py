"""The paper's claims that the book's comparisons test: each as the paper makes it and where, the direction it
predicts, and what a build on data other than MovieNet can test of it. A comparison names its claim by key
(:class:`genrelib.evaluation.comparisons.Pair`); chapter 8 sets each beside the comparisons that name it."""

from __future__ import annotations

from typing import NamedTuple

from genrelib.sources import paper


class Claim(NamedTuple):
    evidence: str  # key of genrelib.sources.evidence.PAPER: where the paper makes the claim
    paper: str  # what the paper reports, its numbers read from genrelib.sources.paper
    sign: int  # the paper's direction of a - b, for a pair (a, b) as the chapters compare it, where none is printed
    testable: str  # what a comparison on this build's data can and cannot say
    here: bool = True  # whether this build's comparisons test the claim at all (its summary counts only these)


def _map(model: str) -> str:
    return f"{paper.TABLE_1[model]['mAP']:.2f}"


def _table_3(row: str) -> str:
    return f"{paper.TABLE_3.loc[row, 'paper mAP']:.2f}"


# The paper's claims that this build's comparisons speak to, each as the paper makes it, with its section.
CLAIMS = {
    "pretrained features beat the raw-input baseline": Claim(
        "table_1", f"Table 1: baseline {_map('two-stage-baseline')}, multi-transformer {_map('multi-transformer')} "
        "mAP", -1, "not here: both read the same features in this build, so the comparison tests two-stage training",
        here=False),
    "transformers beat temporal means": Claim(
        "table_1", f"Table 1: single {_map('single-transformer')}, multi {_map('multi-transformer')} against the "
        f"MLP's {_map('mlp')} mAP", 1, "on this build's data only: features and labels that are not MovieNet's "
        "can reverse it"),
    "more frames help, the transformer more than the MLP": Claim(
        "more_frames_help", "Figure 6 (an image: no values in the text)", 1,
        "yes, in principle: chapter 7 plants the evidence, a controlled test of the mechanism"),
    "the single-transformer sees correspondences in time, the multi-transformer only globally": Claim(
        "temporal_level", "§3.2.2 and §3.2.3 argue it from the designs; no experiment of the paper measures it", 1,
        "not on this build's data: only in chapter 7's controlled test", here=False),
    "the multi-transformer beats the single-transformer": Claim(
        "table_1", f"Table 1: {_map('multi-transformer')} against {_map('single-transformer')} mAP", 1,
        "on this build's data only"),
    "text features first seem to hurt": Claim(
        "text_first_hurts", f"Table 3: {_table_3('+ Audiotag')} without OCR, {_table_3('+ OCR')} with it", -1,
        "on this build's data only"),
    "averaging the text streams helps": Claim(
        "averaged_text_helps", f"Table 3: {_table_3('+ OCR averaged, + ASR averaged')} averaged against "
        f"{_table_3('+ OCR, + ASR')} encoded mAP", 1, "on this build's data only"),
    "the audio features add to CLIP": Claim(
        "table_3", f"Table 3's rows (the text states no claim): {_table_3('CLIP')}, {_table_3('+ Musicnet')} with "
        f"Musicnet, {_table_3('+ Audiotag')} with Audiotag", 1, "on this build's data only"),
}


