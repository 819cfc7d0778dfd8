"""Training stage: several independent models trained at once, each in a process of its own.

A chapter's small transformers use a second thread poorly (``benchmarks/README.md``: 20 epochs of the
multi-transformer took 6.1 s on two threads and 6.8 s on one), so two models on one thread each get more done
than one model on two. :func:`train_and_test_each` gives each run to a worker process; every run seeds itself
from its config (:func:`~genrelib.training.loop.train`), so the results are those of the same runs one after
another.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

from genrelib.data.store import FeatureStore
from genrelib.models.base import FeatureClassifier
from genrelib.training.loop import Experiment, TrainConfig, train_and_test


class Run(NamedTuple):
    """One :func:`~genrelib.training.loop.train_and_test` call's arguments."""

    model: FeatureClassifier
    store: FeatureStore
    config: TrainConfig
    checkpoint: Path


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def train_and_test_each(runs: dict[str, Run], workers: int = 1, progress: bool = False) -> dict[str, Experiment]:
    """Each run of ``runs`` (by name) trained and tested, up to ``workers`` at once in processes of their own
    (one thread each); ``workers=1`` trains them here, one after another, with ``progress`` lines. The
    experiments come back by name in the order given."""
    if workers <= 1 or len(runs) <= 1:
        return {name: train_and_test(*run, progress=progress) for name, run in runs.items()}
    # spawn: a forked child of a process whose torch threads have started can hang
    with ProcessPoolExecutor(min(workers, len(runs)), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_one_thread) as pool:
        started = {name: pool.submit(train_and_test, *run, progress=False) for name, run in runs.items()}
        return {name: future.result() for name, future in started.items()}


__all__ = ["Run", "train_and_test_each"]
