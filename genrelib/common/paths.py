"""Where things live: the repository and the artifacts folder (feature stores, checkpoints, caches, results)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_ENV_VAR = "GENRELIB_ARTIFACTS"


def in_checkout() -> bool:
    """Whether genrelib runs from the book's repository, not from an installed copy (in site-packages)."""
    return (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "notebooks").is_dir()


def artifacts_dir() -> Path:
    """``$GENRELIB_ARTIFACTS``, else ``artifacts/`` in the repository, or in the current folder when genrelib is
    an installed copy (read at each call)."""
    if ARTIFACTS_ENV_VAR in os.environ:
        return Path(os.environ[ARTIFACTS_ENV_VAR])
    return (REPO_ROOT if in_checkout() else Path.cwd()) / "artifacts"


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

    def checkpoint(self, model_name: str, store_name: str) -> Path:
        """Where a chapter keeps the model ``model_name`` trained on the store ``store_name``."""
        safe = "".join(c if c.isalnum() or c in "-+." else "_" for c in model_name)
        return self.artifact("checkpoints", f"{safe}-{store_name}.pt")


def shown(path: str | os.PathLike) -> str:
    """A path as the book prints it: relative to the repository (``../`` for its neighbours) or to ``~``, never
    the building machine's absolute path."""
    path = Path(path).resolve()
    for base, prefix in ((REPO_ROOT, ""), (REPO_ROOT.parent, "../"), (Path.home().resolve(), "~/")):
        if path.is_relative_to(base):
            return prefix + str(path.relative_to(base))
    return path.name


def default_paths() -> Paths:
    return Paths(repo=REPO_ROOT, artifacts=artifacts_dir())
