import numpy as np
import pytest

from genrelib import experiments, paths, planted, sources


def test_planted_store_puts_each_genre_in_the_asked_number_of_frames(tmp_path):
    store = planted.write_store(tmp_path / "p", {"trn": 30, "tst": 20}, dim=256, frames=(10, 12), strength=9.0,
                                evidence_frames=2)
    directions = planted.directions(256, 0)  # in 256 dimensions the 21 directions are nearly orthogonal
    assert ((store.labels.sum(1) >= 1) & (store.labels.sum(1) <= 3)).all()
    for i in store.indices():
        projections = store.frames(int(i), "clip") @ directions.T
        for genre in np.flatnonzero(store.labels[i]):  # strength 9 stands far above unit noise
            assert (projections[:, genre] > 4.5).sum() == 2
    recorded = planted.evidence_frames(store)
    for i, video in enumerate(store.videos):  # the recorded frames are exactly those that stand out
        projections = store.frames(i, "clip") @ directions.T
        standing_out = np.flatnonzero((projections[:, np.flatnonzero(store.labels[i])] > 4.5).any(1))
        assert recorded[video] == standing_out.tolist()


def test_attention_on_planted_frames_against_chance(tmp_path):

    from genrelib import models

    store = planted.write_store(tmp_path / "p", {"trn": 4, "tst": 6}, dim=16, frames=(8, 8), evidence_frames=2)
    model = models.build_model("multi-transformer", {"clip": 16}, d_model=16, heads=4).eval()
    table, weights = experiments.attention_on_evidence(model, store, "clip")
    assert table.loc["multi-transformer", "test videos"] == 6
    recorded = planted.evidence_frames(store)
    chance = np.mean([len(recorded[store.videos[i]]) / 8 for i in store.indices("tst")])
    assert table.loc["multi-transformer", "share by chance"] == pytest.approx(chance)
    assert len(weights) == 6 and all(w.shape == (8,) and 0 < w.sum() <= 1 + 1e-6 for w in weights)
    # with every frame counted as planted, all the attention on frames lands on planted ones, as by chance
    everything, _ = experiments.attention_on_evidence(model, store, "clip", {v: list(range(8)) for v in store.videos})
    assert np.isclose(everything.loc["multi-transformer", "share on planted"], 1.0)
    assert everything.loc["multi-transformer", "share by chance"] == 1.0


def test_oracles_order_prior_mean_and_best_frame(tmp_path):
    store = planted.write_store(tmp_path / "p", {"trn": 200, "tst": 150}, dim=64, frames=(40, 60), strength=4.0)
    maps = experiments.oracle_maps(store)
    assert maps["prior"] < maps["temporal mean"] < maps["best frame"]
    assert maps["best frame"] > 3 * maps["temporal mean"]  # one frame 4 sigma above the noise stands out


def test_open_store_builds_the_planted_store_once(tmp_path):
    where = paths.Paths(repo=paths.REPO_ROOT, artifacts=tmp_path)
    options = {"dim": 8, "frames": [5, 9], "strength": 2.0}
    first = sources.open_store("planted", where, None, {"trn": 4, "val": 2, "tst": 2}, 0, options)
    again = sources.open_store("planted", where, None, {"trn": 4, "val": 2, "tst": 2}, 0, options)
    assert first.path == again.path and "planted evidence" in sources.describe(first)
    assert first.lengths("clip").min() >= 5 and first.lengths("clip").max() <= 9
