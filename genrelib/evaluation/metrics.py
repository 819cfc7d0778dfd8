"""Metrics stage: the paper's macro precision and recall at 0.5 and macro mAP.

Every chapter scores predictions with :func:`evaluate`. Average precision
follows scikit-learn's definition (step-wise area under the precision-recall
curve, tied scores form one threshold); the tests check equality with
scikit-learn to 1e-9. A genre with no positive video in the evaluated set has
no defined AP and is left out of the macro mean, and the result says so.
:func:`confidence_interval` and :func:`paired_difference` bootstrap these
macro scores over the test videos.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse, stats

from genrelib.data.labels import GENRES


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
    y_true: np.ndarray = field(repr=False, default=None)  # the evaluated labels and scores, for intervals
    scores: np.ndarray = field(repr=False, default=None)

    def summary(self) -> dict[str, float]:
        return {"P@0.5": self.precision, "R@0.5": self.recall, "mAP": self.map}


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
                  genres_without_positives=[g for g, d in zip(genres, defined, strict=True) if not d],
                  y_true=np.asarray(y_true), scores=np.asarray(scores))


METRICS = ("mAP", "P@0.5", "R@0.5")  # the keys of Scores.summary()
LEVEL = 0.95  # the level of every interval in the book
RESAMPLES = 1000  # bootstrap resamples of the test videos behind each interval

# Resamples x videos per bootstrap batch: bounds each batch's float64 arrays to about 64 MiB.
_BATCH_CELLS = 2 ** 23


@dataclass(frozen=True)
class Interval:
    """A macro score in percent with its bootstrap interval; unpacks as ``low, high``."""

    estimate: float  # the score on the whole test set, as evaluate() gives it
    low: float
    high: float
    level: float
    share_without_positives: float  # of the resamples, the share in which some genre had no positive video

    def __iter__(self):
        return iter((self.low, self.high))


@dataclass(frozen=True)
class Difference:
    """Model a's macro score minus model b's, in points, with its paired bootstrap interval; unpacks as
    ``difference, low, high``."""

    difference: float  # on the whole test set
    low: float
    high: float
    level: float
    share_without_positives: float

    def __iter__(self):
        return iter((self.difference, self.low, self.high))


class _WeightedScores:
    """One model's scores on a test set, evaluated under per-video multiplicity weights (videos x resamples).

    A resample repeats videos; weight ``w`` counts a video ``w`` times, so the weighted scores equal
    :func:`evaluate`'s on the resampled rows. Each genre is sorted once: AP only needs, at the end of every
    tie block that holds a positive video, how many (weighted) videos and positives rank at or above it.
    The videos between two such block ends form a segment, and the weight each segment carries is one
    sparse product for all genres and resamples at once.
    """

    def __init__(self, y_true: np.ndarray, scores: np.ndarray):
        self.y_true, self.predicted = y_true, (scores >= 0.5).astype(np.float64)
        rows, videos, positive, self.bounds = [], [], [], [0]
        for col in range(y_true.shape[1]):
            order = np.argsort(-scores[:, col], kind="mergesort")
            y, s = y_true[order, col], scores[order, col]
            block = np.r_[0, np.cumsum(np.diff(s) != 0)]
            blocks_with_positives = np.unique(block[y == 1])
            segment = np.searchsorted(blocks_with_positives, block)
            kept = segment < len(blocks_with_positives)  # videos below the last positive block change no AP
            rows.append(self.bounds[-1] + segment[kept])
            videos.append(order[kept])
            positive.append(y[kept] == 1)
            self.bounds.append(self.bounds[-1] + len(blocks_with_positives))
        rows, videos, positive = np.concatenate(rows), np.concatenate(videos), np.concatenate(positive)
        shape = (self.bounds[-1], len(y_true))
        self.segments = sparse.csr_matrix((np.ones(len(rows)), (rows, videos)), shape=shape)
        self.positive_segments = sparse.csr_matrix((np.ones(positive.sum()), (rows[positive], videos[positive])),
                                                   shape=shape)

    def average_precision(self, weights: np.ndarray) -> np.ndarray:
        """Per-genre AP (genres x resamples); NaN where a resample holds no positive of the genre."""
        counted, hits = self.segments @ weights, self.positive_segments @ weights
        out = np.full((len(self.bounds) - 1, weights.shape[1]), np.nan)
        for genre, (start, stop) in enumerate(zip(self.bounds[:-1], self.bounds[1:], strict=True)):
            if start == stop:
                continue
            true_pos, ranked = np.cumsum(hits[start:stop], axis=0), np.cumsum(counted[start:stop], axis=0)
            # where nothing is ranked yet, nothing is hit either: that block adds no recall
            precision = np.divide(true_pos, ranked, out=np.zeros_like(ranked), where=ranked > 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[genre] = (hits[start:stop] * precision).sum(axis=0) / true_pos[-1]
        return out

    def macro(self, metric: str, weights: np.ndarray) -> np.ndarray:
        """The macro score in percent, per resample, as evaluate() computes it on the resampled rows."""
        if metric == "mAP":
            ap = self.average_precision(weights)
            defined = ~np.isnan(ap)
            if not defined.any(axis=0).all():
                raise ValueError("the test set or one of its resamples holds no positive video of any genre, so "
                                 "its mAP is undefined: too few positives to bootstrap")
            return 100 * np.where(defined, ap, 0.0).sum(axis=0) / defined.sum(axis=0)
        true_pos = (self.y_true * self.predicted).T @ weights
        denominator = (self.predicted if metric == "P@0.5" else self.y_true).T @ weights
        # 0 where undefined, as precision_recall_at
        return 100 * np.divide(true_pos, denominator, out=np.zeros_like(true_pos), where=denominator > 0).mean(axis=0)


def _check_options(metric: str, level: float, resamples: int) -> None:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: expected one of {', '.join(METRICS)}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, not {level}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, not {resamples}")


def _bootstrap(y_true: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray], level: float, resamples: int,
               seed: int) -> tuple[float, float, float, float]:
    """(statistic on the test set, percentile interval, share of resamples in which some genre lacks positives)."""
    n = len(y_true)

    def resampled(draws: np.ndarray, axis: int = -1) -> np.ndarray:  # scipy passes axis=-1: draws' last axis
        # scipy draws video indices (resamples x n); as multiplicities the statistic needs no sorting per resample
        weights = np.bincount((draws * len(draws) + np.arange(len(draws))[:, None]).ravel(),
                              minlength=n * len(draws)).reshape(n, len(draws)).astype(np.float64)
        lacking = ((y_true.T @ weights) == 0).any(axis=0)
        return np.stack([statistic(weights), lacking])  # scipy handles a statistic of several values

    # random_state (not rng, scipy >= 1.15) keeps the scipy >= 1.10 that pyproject.toml allows
    result = stats.bootstrap((np.arange(n),), resampled, n_resamples=resamples, batch=max(1, _BATCH_CELLS // n),
                             vectorized=True, confidence_level=level, method="percentile",
                             random_state=np.random.default_rng(seed))
    return (float(statistic(np.ones((n, 1)))[0]), float(result.confidence_interval.low[0]),
            float(result.confidence_interval.high[0]), float(result.bootstrap_distribution[1].mean()))


def confidence_interval(y_true: np.ndarray, scores: np.ndarray, metric: str = "mAP", level: float = LEVEL,
                        resamples: int = RESAMPLES, seed: int = 0) -> Interval:
    """A macro score ("mAP", "P@0.5" or "R@0.5", in percent as :func:`evaluate` gives it) with its
    percentile bootstrap interval over the test videos (rows): ``resamples`` resamples of as many videos,
    drawn with replacement by :func:`scipy.stats.bootstrap` (``method="percentile"``) from ``seed``.

    In a resample without a positive video of some genre, that genre is handled as :func:`evaluate` handles
    it (left out of the mAP's mean; recall 0); ``share_without_positives`` says how often that happened.
    """
    _check_options(metric, level, resamples)
    y_true, scores = _check(y_true, scores)
    weighted = _WeightedScores(y_true, scores)
    estimate, low, high, share = _bootstrap(y_true, lambda weights: weighted.macro(metric, weights), level,
                                            resamples, seed)
    return Interval(estimate, low, high, level, share)


def paired_difference(y_true: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray, metric: str = "mAP",
                      level: float = LEVEL, resamples: int = RESAMPLES, seed: int = 0) -> Difference:
    """Model a's macro score minus model b's (points of percent) with a percentile bootstrap interval, both
    models scored on the same resampled videos each time, so the luck of which videos were drawn cancels.
    Resampling and genres without positives as in :func:`confidence_interval`.
    """
    _check_options(metric, level, resamples)
    y_true, scores_a = _check(y_true, scores_a)
    _, scores_b = _check(y_true, scores_b)
    a, b = _WeightedScores(y_true, scores_a), _WeightedScores(y_true, scores_b)
    difference, low, high, share = _bootstrap(
        y_true, lambda weights: a.macro(metric, weights) - b.macro(metric, weights), level, resamples, seed)
    return Difference(difference, low, high, level, share)


def best_read(labels: np.ndarray, scores: np.ndarray) -> int:
    """The row (video) whose labelled genres ``scores`` rank highest: the largest share of its k genres among its
    k highest scores, ties to the video with more genres, then to the first. A worked example a reader can follow."""
    labels = np.asarray(labels) > 0
    counts = labels.sum(1)
    order = np.argsort(-np.asarray(scores), axis=1, kind="stable")
    found = np.array([labels[i, order[i, :k]].sum() / k if k else -1.0 for i, k in enumerate(counts)])
    return int(np.lexsort((np.arange(len(found)), -counts, -found))[0])


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
