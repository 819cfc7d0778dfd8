import os
from pathlib import Path

import network_guard
import pytest

from genrelib.data import labels


def pytest_addoption(parser):
    parser.addoption("--run-browser", action="store_true", help="run the browser tests (test_lab_browser.py: "
                     "JupyterLab; test_layout_browser.py: the HTML's layout) in a headless Chromium, on the book whose "
                     "artifacts $GENRELIB_ARTIFACTS names (make test-lab)")


def pytest_configure(config):
    """Every test runs without the network (loopback stays open for local servers, kernels and Dask)."""
    network_guard.install()

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


@pytest.fixture(scope="session")
def tiny_movienet(tmp_path_factory):
    """A made-up label file and split: 60 videos with one or two genres each."""
    import json

    import numpy as np

    folder = tmp_path_factory.mktemp("movienet")
    rng = np.random.default_rng(0)
    rows, ids = [], [f"vid{i:03d}" for i in range(60)]
    for i, video in enumerate(ids):
        genres = sorted({labels.GENRES[i % 5], labels.GENRES[rng.integers(5)]})
        rows.append(f'tt{i},{video},"{genres}",Title {i},{rng.uniform(20, 60):.1f}\n')
    (folder / labels.LABEL_FILE).write_text("imdb_id,youtube_id,genres,title,duration\n" + "".join(rows))
    (folder / labels.SPLIT_FILE).write_text(json.dumps(labels.alphabetical_split(ids)))
    return folder


@pytest.fixture(scope="session")
def tiny_store(tiny_movienet, tmp_path_factory):
    """A synthetic store with strong, easy-to-learn genre evidence and short sequences."""
    from genrelib.data import synthetic

    modalities = (synthetic.SyntheticModality("clip", 16, 0.5, 0.5), synthetic.SyntheticModality("ocr", 8, 0.1, 0.5))
    return synthetic.write_store(tmp_path_factory.mktemp("stores") / "tiny", labels.load_labels(tiny_movienet),
                                 labels.load_splits(tiny_movienet), {"trn": 42, "val": 6, "tst": 12},
                                 modalities=modalities, signal=2.0, seed=0)


@pytest.fixture(scope="session")
def paper_stand_ins(tmp_path_factory) -> Path:
    """Random weights of the paper backend's exact architectures (stand_ins.save_random), made once: the
    paper-backend tests and the prediction test read the same folder."""
    from genrelib.features.extractors import stand_ins

    return stand_ins.save_random(tmp_path_factory.mktemp("paper-weights"))


@pytest.fixture
def paper_weights(paper_stand_ins, monkeypatch) -> Path:
    """The paper backend reads :func:`paper_stand_ins` for this test."""
    from genrelib.features.extractors import weights

    monkeypatch.setenv(weights.PAPER_ENV_VAR, os.fspath(paper_stand_ins))
    return paper_stand_ins


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI a skipped ``paper`` test is a failure: the paper backend must run there."""
    report = yield
    if os.environ.get("CI") and report.skipped and item.get_closest_marker("paper"):
        report.outcome = "failed"
        report.longrepr = f"paper test skipped under CI: {report.longrepr}"
    return report
