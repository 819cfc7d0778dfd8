import numpy as np

from genrelib.common import paths
from genrelib.data import labels, synthetic
from genrelib.features import stores


def test_synthetic_store_follows_the_label_file(tiny_movienet, tmp_path):
    movienet, splits = labels.load_labels(tiny_movienet), labels.load_splits(tiny_movienet)
    modality = synthetic.SyntheticModality("clip", 8, frames_per_second=1.0, evidence=0.3)
    store = synthetic.write_store(tmp_path / "s", movienet, splits, {"trn": 10, "tst": 4}, modalities=(modality,))
    assert store.videos == splits["trn"][:10] + splits["tst"][:4]
    np.testing.assert_array_equal(store.labels, movienet.multi_hot(store.videos))
    durations = movienet.frame.loc[store.videos, "duration"].to_numpy()
    assert abs(store.lengths("clip").sum() - durations.sum()) < 4 * np.sqrt(durations.sum())  # Poisson rate 1/s
    assert "not extracted from any video" in store.description


def test_cached_store_is_built_once(tiny_movienet, tmp_path):
    where = paths.Paths(repo=paths.REPO_ROOT, artifacts=tmp_path)
    first = stores.open_store("synthetic", where, tiny_movienet, {"trn": 3, "val": 2})
    stamp = (first.path / "manifest.json").stat().st_mtime_ns
    second = stores.open_store("synthetic", where, tiny_movienet, {"trn": 3, "val": 2})
    assert second.path == first.path and (second.path / "manifest.json").stat().st_mtime_ns == stamp


def test_open_store_names_the_data(tiny_movienet, tmp_path):
    where = paths.Paths(repo=paths.REPO_ROOT, artifacts=tmp_path)
    store = stores.open_store("synthetic", where, tiny_movienet, {"trn": 4, "val": 2, "tst": 2})
    assert "synthetic features over real MovieNet label sets" in stores.describe(store)
    assert "trn 4, val 2, tst 2" in stores.describe(store)
