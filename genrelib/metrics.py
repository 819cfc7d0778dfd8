"""Metrics stage: the paper's macro precision and recall at 0.5 and macro mAP.

Every chapter scores predictions with :func:`evaluate`. Average precision
follows scikit-learn's definition (step-wise area under the precision-recall
curve, tied scores form one threshold); the tests check equality with
scikit-learn to 1e-9. A genre with no positive video in the evaluated set has
no defined AP and is left out of the macro mean, and the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .labels import GENRES


def _check(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, scores = np.asarray(y_true, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    if y_true.shape != scores.shape or y_true.ndim != 2:
        raise ValueError(f"labels {y_true.shape} and scores {scores.shape} must be matrices of one shape")
    if not np.isin(y_true, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinity")
    return y_true, scores


def average_precision(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-column average precision; NaN for a column without positives."""
    y_true, scores = _check(y_true, scores)
    out = np.full(y_true.shape[1], np.nan)
    for col in range(y_true.shape[1]):
        order = np.argsort(-scores[:, col], kind="mergesort")
        y, s = y_true[order, col], scores[order, col]
        if y.sum() == 0:
            continue
        last_of_tie = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
        true_pos = np.cumsum(y)[last_of_tie]
        precision = true_pos / (last_of_tie + 1)
        recall = true_pos / true_pos[-1]
        out[col] = np.sum(np.diff(recall, prepend=0.0) * precision)
    return out


def precision_recall_at(y_true: np.ndarray, scores: np.ndarray, threshold: float = 0.5):
    """Per-column precision and recall of ``scores >= threshold`` (0 where undefined)."""
    y_true, scores = _check(y_true, scores)
    predicted = scores >= threshold
    true_pos = (predicted & (y_true == 1)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted.sum(axis=0) > 0, true_pos / predicted.sum(axis=0), 0.0)
        recall = np.where(y_true.sum(axis=0) > 0, true_pos / y_true.sum(axis=0), 0.0)
    return precision, recall


@dataclass
class Scores:
    """Macro scores in percent plus the per-genre table behind them."""

    precision: float
    recall: float
    map: float
    per_genre: pd.DataFrame  # index genre; columns precision, recall, ap, positives
    genres_without_positives: list[str]

    def summary(self) -> dict[str, float]:
        return {"P@0.5": self.precision, "R@0.5": self.recall, "mAP": self.map}

    def coverage_note(self) -> str:
        """Which genres the macro mAP leaves out (no positive video in the evaluated set)."""
        if not self.genres_without_positives:
            return "Every genre has a positive video in the evaluated set; mAP averages all 21."
        return (f"No positive video for {', '.join(self.genres_without_positives)}: mAP averages the other "
                f"{len(self.per_genre) - len(self.genres_without_positives)} genres.")


def evaluate(y_true: np.ndarray, scores: np.ndarray, threshold: float = 0.5,
             genres: tuple[str, ...] = GENRES) -> Scores:
    """The paper's three macro scores, in percent, over the genres."""
    precision, recall = precision_recall_at(y_true, scores, threshold)
    ap = average_precision(y_true, scores)
    positives = np.asarray(y_true).sum(axis=0).astype(int)
    table = pd.DataFrame({"precision": 100 * precision, "recall": 100 * recall, "ap": 100 * ap,
                          "positives": positives}, index=pd.Index(genres, name="genre"))
    defined = ~np.isnan(ap)
    if not defined.any():
        raise ValueError("no genre has a positive video in this set: mAP is undefined")
    return Scores(precision=float(100 * precision.mean()), recall=float(100 * recall.mean()),
                  map=float(100 * ap[defined].mean()), per_genre=table,
                  genres_without_positives=[g for g, d in zip(genres, defined, strict=True) if not d])


def prior_scores(train_labels: np.ndarray, n_videos: int) -> np.ndarray:
    """The constant predictor: every video gets the training-set genre frequencies."""
    return np.tile(np.asarray(train_labels, dtype=np.float64).mean(axis=0), (n_videos, 1))


def random_scores(n_videos: int, seed: int = 0) -> np.ndarray:
    """The chance predictor: independent uniform scores."""
    return np.random.default_rng(seed).random((n_videos, len(GENRES)))


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus word error rate: word-level edit distance (substitutions, insertions, deletions) summed over
    utterances, divided by the number of reference words. Words are compared lower-cased, without punctuation."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    edits = words = 0
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        ref, hyp = _words(reference), _words(hypothesis)
        previous = list(range(len(hyp) + 1))
        for i, word in enumerate(ref, start=1):
            current = [i]
            for j, other in enumerate(hyp, start=1):
                current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
            previous = current
        edits, words = edits + previous[-1], words + len(ref)
    if words == 0:
        raise ValueError("the references hold no words")
    return edits / words


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() or c == "'" else " " for c in text.lower()).split()
