"""Bootstrap intervals at MovieNet's test-split size: seconds for ``metrics.confidence_interval`` (mAP, P@0.5,
R@0.5) and ``metrics.paired_difference`` (mAP) against the target of 10 s per call on 2 cores.

The test set is synthetic: 5,283 videos (MovieNet's test split) x 21 genres with prevalences from 0.5 % to
40 %, scores a sigmoid of label signal plus noise, rounded to 3 decimals so that many scores tie. Each call
is timed ``--repeats`` times and the fastest is printed (the machine's other load only adds time).

    python -m benchmarks.bootstrap [--videos 5283] [--resamples 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from genrelib.data.labels import GENRES
from genrelib.evaluation import metrics
from genrelib.sources import paper

TARGET_SECONDS = 10.0


def test_set(videos: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels and two models' scores on them: a stronger (noise 1.5) and a weaker (noise 2)."""
    rng = np.random.default_rng(seed)
    y = (rng.random((videos, len(GENRES))) < np.linspace(0.005, 0.4, len(GENRES))).astype(np.float64)
    stronger, weaker = (np.round(1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, noise, y.shape)))), 3)
                        for noise in (1.5, 2.0))
    return y, stronger, weaker


def fastest(call, repeats: int):
    """(fewest seconds of ``repeats`` calls, the result)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=paper.SPLIT_SIZES["tst"])
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    y, stronger, weaker = test_set(args.videos)
    print(f"{args.videos} videos x {len(GENRES)} genres, {args.resamples} resamples, {os.cpu_count()} CPU cores, "
          f"{len(np.unique(stronger))} distinct scores; fastest of {args.repeats}, target {TARGET_SECONDS:.0f} s")
    calls = {f"confidence_interval {metric}": lambda metric=metric: metrics.confidence_interval(
        y, stronger, metric, resamples=args.resamples) for metric in metrics.METRICS}
    calls["paired_difference mAP"] = lambda: metrics.paired_difference(y, stronger, weaker, resamples=args.resamples)
    for name, call in calls.items():
        seconds, result = fastest(call, args.repeats)
        print(f"{name:<28}{seconds:>6.2f} s  {'within' if seconds <= TARGET_SECONDS else 'OVER'} the target  "
              f"(interval {result.low:.2f} to {result.high:.2f})", flush=True)


if __name__ == "__main__":
    main()
