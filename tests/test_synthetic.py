import numpy as np

from genrelib import datasets, env, labels, synthetic


def test_synthetic_store_follows_the_label_file(tiny_movienet, tmp_path):
    movienet, splits = labels.load_labels(tiny_movienet), labels.load_splits(tiny_movienet)
    modality = synthetic.SyntheticModality("clip", 8, frames_per_second=1.0, evidence=0.3)
    store = synthetic.synthetic_store(tmp_path / "s", movienet, splits, {"trn": 10, "tst": 4}, modalities=(modality,))
    assert store.videos == splits["trn"][:10] + splits["tst"][:4]
    np.testing.assert_array_equal(store.labels, movienet.multi_hot(store.videos))
    durations = movienet.frame.loc[store.videos, "duration"].to_numpy()
    assert abs(store.lengths("clip").sum() - durations.sum()) < 4 * np.sqrt(durations.sum())  # Poisson rate 1/s
    assert "not extracted from any video" in store.description


def test_cached_store_is_built_once(tiny_movienet, tmp_path):
    movienet, splits = labels.load_labels(tiny_movienet), labels.load_splits(tiny_movienet)
    first = synthetic.cached_synthetic_store(tmp_path, movienet, splits, {"trn": 3, "val": 2})
    stamp = (first.path / "manifest.json").stat().st_mtime_ns
    second = synthetic.cached_synthetic_store(tmp_path, movienet, splits, {"trn": 3, "val": 2})
    assert second.path == first.path and (second.path / "manifest.json").stat().st_mtime_ns == stamp


def test_open_store_names_the_data(tiny_movienet):
    paths = env.Paths(repo=env.REPO_ROOT, artifacts=env.artifacts_dir())
    store = datasets.open_store("synthetic", paths, tiny_movienet, {"trn": 4, "val": 2, "tst": 2})
    assert "synthetic features over real MovieNet label sets" in datasets.describe(store)
    assert "trn 4, val 2, tst 2" in datasets.describe(store)


def test_planted_store_puts_each_genre_in_the_asked_number_of_frames(tmp_path):
    store = synthetic.planted_store(tmp_path / "p", {"trn": 30, "tst": 20}, dim=256, frames=(10, 12), strength=9.0,
                                    evidence_frames=2)
    directions = synthetic.planted_directions(256, 0)  # in 256 dimensions the 21 directions are nearly orthogonal
    assert ((store.labels.sum(1) >= 1) & (store.labels.sum(1) <= 3)).all()
    for i in store.indices():
        projections = store.frames(int(i), "clip") @ directions.T
        for genre in np.flatnonzero(store.labels[i]):  # strength 9 stands far above unit noise
            assert (projections[:, genre] > 4.5).sum() == 2


def test_oracles_order_prior_mean_and_best_frame(tmp_path):
    from genrelib import experiments

    store = synthetic.planted_store(tmp_path / "p", {"trn": 200, "tst": 150}, dim=64, frames=(40, 60), strength=4.0)
    maps = experiments.oracle_maps(store)
    assert maps["prior"] < maps["temporal mean"] < maps["best frame"]
    assert maps["best frame"] > 3 * maps["temporal mean"]  # one frame 4 sigma above the noise stands out


def test_open_store_builds_the_planted_store_once(tmp_path):
    paths = env.Paths(repo=env.REPO_ROOT, artifacts=tmp_path)
    options = {"dim": 8, "frames": [5, 9], "strength": 2.0}
    first = datasets.open_store("planted", paths, None, {"trn": 4, "val": 2, "tst": 2}, 0, options)
    again = datasets.open_store("planted", paths, None, {"trn": 4, "val": 2, "tst": 2}, 0, options)
    assert first.path == again.path and "planted evidence" in datasets.describe(first)
    assert first.lengths("clip").min() >= 5 and first.lengths("clip").max() <= 9
