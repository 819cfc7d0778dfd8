"""One setup call for every chapter: seeds, determinism, the device to compute on, plotting style."""

from __future__ import annotations

import random

import numpy as np

from genrelib.common.apart import outside_the_build
from genrelib.common.paths import Paths, default_paths


def device(preferred: str | None = None):
    """The torch device to compute on: ``preferred`` when given ("cpu", "cuda", "cuda:1"), else the GPU
    when there is one, else the CPU."""
    import torch

    if preferred:
        return torch.device(preferred)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch and ask PyTorch for deterministic kernels."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def setup(seed: int = 0) -> Paths:
    """Call once at the top of a chapter: same seed, same numbers, same look; outside the book's build, the
    chapter's own artifacts folder (:mod:`genrelib.apart`)."""
    import matplotlib
    import pandas as pd
    import seaborn as sns

    seed_everything(seed)
    pd.set_option("display.max_colwidth", 120)  # the default 50 cuts model names and transcripts mid-word
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    matplotlib.rcParams.update({"figure.dpi": 110, "savefig.bbox": "tight", "figure.figsize": (8, 4)})
    outside_the_build()
    paths = default_paths()
    paths.artifacts.mkdir(parents=True, exist_ok=True)
    return paths
