"""One setup call for every chapter: seeds, determinism, plotting style, paths."""

from __future__ import annotations

import io
import os
import random
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

# Libraries import tqdm.auto, which warns in notebooks without ipywidgets; the text bars work fine.
warnings.filterwarnings("ignore", message="IProgress not found")

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS_ENV_VAR = "GENRELIB_ARTIFACTS"


@dataclass(frozen=True)
class Paths:
    repo: Path
    artifacts: Path  # derived data: feature stores, checkpoints, extraction caches

    @property
    def results(self) -> Path:
        """Result tables the chapters keep for the results chapter; cleared at the start of a full build."""
        return self.artifacts / "results"

    def artifact(self, *parts: str) -> Path:
        path = self.artifacts.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def artifacts_dir() -> Path:
    return Path(os.environ.get(ARTIFACTS_ENV_VAR, REPO_ROOT / "artifacts"))


class _OneLine(tqdm):
    """tqdm that draws nothing while running and prints one summary line when closed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, file=io.StringIO(), **kwargs)

    def close(self):
        if not self.disable:
            elapsed = self.format_interval(self.format_dict["elapsed"])
            print(f"{self.desc}: {self.n} done in {elapsed}" + (f" ({self.postfix})" if self.postfix else ""),
                  flush=True)
        super().close()


def progress(iterable=None, *, total: int | None = None, desc: str = "", enabled: bool = True) -> tqdm:
    """A progress bar: live at a terminal; elsewhere (an executed notebook, a log) silent while running and
    one line when closed, so a book page shows one line per finished stage."""
    if not enabled:
        return tqdm(iterable, total=total, disable=True)
    if sys.stdout.isatty():
        return tqdm(iterable, total=total, desc=desc, file=sys.stdout)
    return _OneLine(iterable, total=total, desc=desc)


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
    """Call once at the top of a chapter: same seed, same numbers, same look."""
    import matplotlib
    import seaborn as sns

    seed_everything(seed)
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    matplotlib.rcParams.update({"figure.dpi": 110, "savefig.bbox": "tight", "figure.figsize": (8, 4)})
    paths = Paths(repo=REPO_ROOT, artifacts=artifacts_dir())
    paths.artifacts.mkdir(parents=True, exist_ok=True)
    return paths
