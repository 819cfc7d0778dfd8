import os
from pathlib import Path

import pytest

from genrelib import labels

REAL_MOVIENET = labels.default_movienet_dir()


@pytest.fixture
def real_movienet() -> Path:
    """The real MovieNet label files; tests that need them are skipped where they are absent."""
    if not (REAL_MOVIENET / labels.LABEL_FILE).is_file():
        pytest.skip(f"real MovieNet labels not found in {REAL_MOVIENET} (set ${labels.ENV_VAR})")
    return REAL_MOVIENET


@pytest.fixture(autouse=True)
def _artifacts_in_tmp(tmp_path, monkeypatch):
    """Tests never write into the repository's artifacts folder."""
    monkeypatch.setenv("GENRELIB_ARTIFACTS", os.fspath(tmp_path / "artifacts"))
