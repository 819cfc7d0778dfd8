import numpy as np
import pytest

from genrelib.common import paths
from genrelib.data import planted
from genrelib.evaluation import experiments, metrics
from genrelib.features import stores


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
    first = stores.open_store("planted", where, None, {"trn": 4, "val": 2, "tst": 2}, 0, options)
    again = stores.open_store("planted", where, None, {"trn": 4, "val": 2, "tst": 2}, 0, options)
    assert first.path == again.path and "planted evidence" in stores.describe(first)
    assert first.lengths("clip").min() >= 5 and first.lengths("clip").max() <= 9


def _oracle_maps(store, scores):
    truth = store.labels[store.indices("tst")]
    return {rule: metrics.evaluate(truth, s).map for rule, s in scores.items()}


def test_spreading_the_evidence_keeps_the_temporal_mean_and_removes_the_frames_that_stand_out(tmp_path):
    sizes = {"trn": 5, "tst": 400}
    few = planted.write_store(tmp_path / "few", sizes, frames=(32, 32), strength=4.0, genres=4,
                              genres_per_video=(1, 2))
    spread = planted.write_store(tmp_path / "spread", sizes, frames=(32, 32), strength=4.0, genres=4,
                                 genres_per_video=(1, 2), placement="spread")
    assert (few.labels == spread.labels).all()  # the same videos' genres, drawn before any frame
    assert set(np.flatnonzero(few.labels.sum(0))) <= set(range(4))
    on, off = (_oracle_maps(s, planted.oracle_scores(s, planted.directions(64, 0))) for s in (few, spread))
    assert abs(on["temporal mean"] - off["temporal mean"]) < 5  # the mean sees the same evidence either way
    assert on["best frame"] - on["temporal mean"] > 25 and off["best frame"] < off["temporal mean"]
    assert all(len(frames) == 0 for frames in planted.evidence_frames(spread).values())
    with pytest.raises(ValueError, match="placement"):
        planted.write_store(tmp_path / "bad", sizes, placement="everywhere")


def test_correspondence_store_hides_the_genre_from_each_modality_alone(tmp_path):
    store = planted.write_correspondence_store(tmp_path / "on", {"trn": 5, "tst": 60}, dim=256, frames=10,
                                               strength=9.0, genres=4)
    image, audio = planted.directions(256, 0)[:4], planted.directions(256, 0, stream=1)[:4]
    for i in store.indices():
        seen = store.frames(int(i), "clip") @ image.T > 4.5  # strength 9 stands far above unit noise
        heard = store.frames(int(i), "audiotag") @ audio.T > 4.5
        assert (seen.sum(0) == 1).all() and (heard.sum(0) == 1).all()  # every genre's events, once each
        assert seen.sum(1).max() == 1 and heard.sum(1).max() == 1  # a frame of its own for each event
        meet = (seen & heard).any(0)
        assert (meet == store.labels[i, :4].astype(bool)).all()  # they meet exactly for the video's genres
    off_store = planted.write_correspondence_store(tmp_path / "off", {"trn": 5, "tst": 400}, aligned=False)
    on_store = planted.write_correspondence_store(tmp_path / "on64", {"trn": 5, "tst": 400})
    on, off = (_oracle_maps(s, planted.correspondence_oracles(s)) for s in (on_store, off_store))
    assert on["same moment"] - on["each alone"] > 30 and off["same moment"] < off["each alone"]
    with pytest.raises(ValueError, match="twice the genres"):
        planted.write_correspondence_store(tmp_path / "short", {"trn": 1}, frames=6, genres=4)


def test_a_harder_correspondence_store_shows_distractor_events_apart(tmp_path):
    store = planted.write_correspondence_store(tmp_path / "hard", {"trn": 30}, dim=256, frames=(20, 30),
                                               strength=9.0, genres=21, genres_per_video=(1, 3), distractors=2)
    image, audio = planted.directions(256, 0), planted.directions(256, 0, stream=1)
    assert 20 <= store.lengths("clip").min() and store.lengths("clip").max() <= 30
    for i in store.indices():
        seen = store.frames(int(i), "clip") @ image.T > 4.5
        heard = store.frames(int(i), "audiotag") @ audio.T > 4.5
        present = store.labels[i].astype(bool)
        assert ((seen & heard).any(0) == present).all()  # events meet for the video's genres only
        assert seen.any(0).sum() == present.sum() + 2 and heard.any(0).sum() == present.sum() + 2


def test_text_store_replaces_the_asked_share_of_tokens_and_averaging_wins_only_then(tmp_path):
    sizes = {"trn": 5, "tst": 400}
    clean = planted.write_text_store(tmp_path / "clean", sizes)
    noisy = planted.write_text_store(tmp_path / "noisy", sizes, corrupted=0.25)
    assert (clean.labels == noisy.labels).all() and set(noisy.modalities) == {"ocr"}
    recorded_clean, recorded_noisy = planted.evidence_frames(clean), planted.evidence_frames(noisy)
    # 1-2 genres x 4 evidence tokens each, some of them misread in the noisy store
    assert all(4 <= len(frames) <= 8 for frames in recorded_clean.values())
    assert np.mean([len(f) for f in recorded_noisy.values()]) < np.mean([len(f) for f in recorded_clean.values()])
    off, on = (_oracle_maps(s, planted.text_oracles(s)) for s in (clean, noisy))
    assert off["token mean"] < off["best token"] and on["token mean"] - on["best token"] > 10
    with pytest.raises(ValueError, match="share of tokens"):
        planted.write_text_store(tmp_path / "bad", sizes, corrupted=1.5)


def test_a_controlled_test_reports_both_stores_beside_their_oracles(tmp_path):
    from genrelib import training
    from genrelib.evaluation import controlled

    where = paths.Paths(repo=paths.REPO_ROOT, artifacts=tmp_path)
    config = training.TrainConfig(learning_rate=1e-3, max_epochs=1, patience=1)
    table, scores = controlled.run_test("averaged text", where, [0.25], {"trn": 16, "val": 8, "tst": 12}, config,
                                        resamples=20, training_videos=[8])
    # the mechanism on at both budgets, off at the main one only; every budget reads the same test videos
    assert list(table["mechanism"]) == ["on", "on", "off"] and list(table["training_videos"]) == [8, 16, 16]
    assert list(table["setting"]) == ["25% misread", "25% misread", "0% misread"]
    assert (table["control"] == "mlp, standardised").all() and (table["story"] != "").sum() == 2
    assert (table["test_videos"] == 12).all() and (table["low"] <= table["difference"]).all()
    assert np.allclose(table["difference"], table["a mAP"] - table["b mAP"])
    assert set(scores[("on", 0.25, 0, 8)]) == {"multi-transformer, text averaged", "multi-transformer",
                                                "mlp, standardised"}
    assert controlled.gap_closed(60.0, (70.0, 50.0)) == 0.5 and np.isnan(controlled.gap_closed(60.0, (60.5, 60.0)))
    assert controlled.story("not told apart", 40.0, 0.1, 0.9).startswith("the design cannot")
    assert controlled.story("not told apart", 40.0, 0.1, 0.2).startswith("the budget is too small")
    assert controlled.story("reversed", 40.0, 0.8, 0.9).startswith("the store does not test it, since model b")
    assert controlled.story("yes", 1.0, 0.1, 0.9).startswith("the store does not test it")
    assert controlled.agrees_with_paper("on", 1.0, 3.0) == "yes"
    assert controlled.agrees_with_paper("on", -3.0, -1.0) == "reversed"
    assert controlled.agrees_with_paper("off", -1.0, 2.0) == "yes"
    assert controlled.agrees_with_paper("off", 1.0, 2.0).startswith("no")


def test_the_control_candidates_run_on_the_default_and_the_harder_correspondence_store(tmp_path):
    from genrelib import training
    from genrelib.evaluation import control_choice, controlled

    where = paths.Paths(repo=paths.REPO_ROOT, artifacts=tmp_path)
    config = training.TrainConfig(learning_rate=1e-3, max_epochs=1, patience=1)
    candidates = ["frame detector, 256 hidden", "multi-transformer"]
    table = control_choice.control_candidates(where, candidates, 8, {"trn": 16, "val": 8, "tst": 12},
                                          {"trn": 12, "val": 6, "tst": 40}, config, seeds=(0, 1), harder_seeds=(0,),
                                          training_videos=(8,))
    assert list(zip(table["store"], table["seed"], strict=True)) == [("default", 0)] * 2 + [("default", 1)] * 2 + [
        ("harder", 0)] * 2
    assert list(table["training videos"]) == [16] * 4 + [12] * 2
    harder = table[table["store"] == "harder"].iloc[0]
    shortest, longest = map(int, harder["frames"].split("–"))  # the lengths its videos drew
    assert harder["genres"] > controlled.GENRES_USED and 20 <= shortest < longest <= 60
    assert (table[table["store"] == "default"]["frames"] == "8").all()
    for _, row in table.iterrows():  # the share closed is read off the row's own oracles
        assert np.isclose(row["gap closed"], controlled.gap_closed(row["mAP"], (row["same moment"],
                                                                               row["each alone"])))
    described = control_choice.candidates_source({"trn": 16, "val": 8, "tst": 12}, {"trn": 12, "val": 6, "tst": 40},
                                             (0, 1), (0,))
    assert "all 21 genres, 20 to 60 frames" in described and "videos: trn 12, val 6, tst 40" in described
    shown = control_choice.candidates_for_page(table)
    assert len(shown) == 4 and shown.loc[("default", "multi-transformer on moment tokens"),
                                         "gap closed, by seed"].count(",") == 1
