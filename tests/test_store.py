import json
import pickle

import numpy as np
import pytest

from genrelib import release
from genrelib.data import store as fs
from genrelib.data.labels import GENRES

MODALITIES = [fs.Modality("clip", 4, "test", "random", "1"), fs.Modality("ocr", 3, "test", "random", "1")]


def label(*genres):
    out = np.zeros(len(GENRES), np.float32)
    out[[GENRES.index(g) for g in genres]] = 1
    return out


def write_small(path, fail_after=None):
    rng = np.random.default_rng(0)
    videos = {"a": (5, 2, "trn"), "b": (3, 0, "val"), "c": (7, 1, "tst")}
    written = {}
    with fs.StoreWriter(path, MODALITIES, description="test store") as writer:
        for n, (video, (n_clip, n_ocr, split)) in enumerate(videos.items()):
            if fail_after is not None and n == fail_after:
                raise RuntimeError("interrupted")
            features = {"clip": rng.standard_normal((n_clip, 4)), "ocr": rng.standard_normal((n_ocr, 3))}
            writer.add(video, features, label("Drama"), split)
            written[video] = features
    return written


def test_round_trip_keeps_frames_lengths_splits_and_provenance(tmp_path):
    written = write_small(tmp_path / "s")
    store = fs.FeatureStore(tmp_path / "s")
    assert store.videos == ["a", "b", "c"] and len(store) == 3
    assert store.indices("val").tolist() == [1]
    assert store.lengths("ocr").tolist() == [2, 0, 1]
    np.testing.assert_array_equal(store.frames(2, "clip"), written["c"]["clip"].astype(np.float16))
    assert store.frames(1, "ocr").shape == (0, 3)
    assert store.labels[0, GENRES.index("Drama")] == 1
    assert store.provenance().loc["clip", "package"] == "test"
    assert isinstance(store._frames["clip"], np.memmap)  # mapped lazily, not loaded


def test_interrupted_write_leaves_the_previous_store_intact(tmp_path):
    write_small(tmp_path / "s")
    with pytest.raises(RuntimeError, match="interrupted"):
        write_small(tmp_path / "s", fail_after=1)
    assert fs.FeatureStore(tmp_path / "s").videos == ["a", "b", "c"]
    assert [p.name for p in tmp_path.iterdir()] == ["s"]  # no temporary directory left behind


def test_interrupted_first_write_leaves_no_store(tmp_path):
    with pytest.raises(RuntimeError):
        write_small(tmp_path / "s", fail_after=2)
    assert not (tmp_path / "s").exists()
    with pytest.raises(fs.StoreError, match="no feature store here"):
        fs.FeatureStore(tmp_path / "s")


@pytest.mark.parametrize("features, split, message", [
    ({"clip": np.zeros((2, 5)), "ocr": np.zeros((0, 3))}, "trn", r"expected frames x 4, got \(2, 5\)"),
    ({"clip": np.full((2, 4), np.nan), "ocr": np.zeros((0, 3))}, "trn", "NaN"),
    ({"clip": np.zeros((2, 4))}, "trn", "got modalities"),
    ({"clip": np.zeros((2, 4)), "ocr": np.zeros((0, 3))}, "train", "split must be one of"),
])
def test_bad_video_is_rejected_with_its_name(tmp_path, features, split, message):
    with pytest.raises(fs.StoreError, match=message) as error, fs.StoreWriter(tmp_path / "s", MODALITIES) as writer:
        writer.add("bad-video", features, label(), split)
    assert "bad-video" in str(error.value)


def test_moments_are_the_frame_mean_and_std(tmp_path):
    write_small(tmp_path / "s")
    store = fs.FeatureStore(tmp_path / "s")
    frames = np.concatenate([store.frames(i, "clip") for i in (0, 2)])
    mean, std = store.moments("clip", np.array([0, 2]), chunk=2)
    np.testing.assert_allclose(mean, frames.mean(0), atol=1e-5)
    np.testing.assert_allclose(std, frames.std(0), atol=1e-5)


def test_an_unknown_modality_is_named(tmp_path):
    write_small(tmp_path / "s")
    store = fs.FeatureStore(tmp_path / "s")
    with pytest.raises(fs.StoreError, match="no modality 'asr'"):
        store.frames(0, "asr")


def release_pickle(path):
    published = {"samples": {
        "a": {"features": {"clip": np.ones((3, 4)), "beats": np.arange(2.0)}, "label": [1, 0]},
        "b": {"features": {"clip": np.zeros((2, 4)), "beats": np.ones(2)}, "label": [0, 1]},
        "x": {"features": {"clip": np.zeros((2, 4)), "beats": np.ones(2)}, "label": [0, 1]},
    }, "stats": {}, "idx_to_label": {0: "War", 1: "Action"}}
    path.write_bytes(pickle.dumps(published))
    return path


def test_import_refuses_a_pickle_without_opt_in(tmp_path):
    with pytest.raises(fs.StoreError, match="runs code"):
        release.import_authors_features(release_pickle(tmp_path / "f.pkl"), tmp_path / "s", {"trn": ["a"]})
    assert not (tmp_path / "s").exists()


def test_import_converts_layout_and_reorders_labels(tmp_path):
    store = release.import_authors_features(release_pickle(tmp_path / "f.pkl"), tmp_path / "s",
                                       {"trn": ["a"], "val": ["b"], "tst": []}, trust_pickle=True)
    assert store.videos == ["a", "b"]  # "x" is in no split
    assert store.labels[0, GENRES.index("War")] == 1 and store.labels[1, GENRES.index("Action")] == 1
    assert store.modalities["beats"].dim == 2 and store.lengths("beats").tolist() == [1, 1]
    assert store.modalities["clip"].package == "authors-release"


def test_import_keeps_a_feature_the_first_sample_lacks_and_empties_what_a_sample_lacks(tmp_path):
    published = {"samples": {
        "a": {"features": {"clip": np.ones((3, 4)), "face_emotion": np.zeros((0, 5))}, "label": [1, 0]},
        "b": {"features": {"clip": np.zeros((2, 4)), "face_emotion": np.ones((4, 5)), "asr": np.ones(6)},
              "label": [0, 1]},
        "c": {"features": {"asr": np.arange(6.0)}, "label": [1, 1]},
    }, "stats": {}, "idx_to_label": {0: "War", 1: "Action"}}
    (tmp_path / "f.pkl").write_bytes(pickle.dumps(published))
    store = release.import_authors_features(tmp_path / "f.pkl", tmp_path / "s", {"trn": ["a", "b", "c"]},
                                            trust_pickle=True)
    assert {name: m.dim for name, m in store.modalities.items()} == {"asr": 6, "clip": 4, "face_emotion": 5}
    assert store.lengths("face_emotion").tolist() == [0, 4, 0]  # empty in "a", absent in "c"
    assert store.lengths("asr").tolist() == [0, 1, 1] and store.lengths("clip").tolist() == [3, 2, 0]
    np.testing.assert_array_equal(store.frames(2, "asr")[0], np.arange(6.0))


def test_import_command_requires_the_trust_flag(tmp_path, capsys, tiny_movienet):
    from genrelib import cli

    pickle_path = release_pickle(tmp_path / "f.pkl")
    args = ["import-features", str(pickle_path), "--out", str(tmp_path / "s"), "--movienet-dir", str(tiny_movienet)]
    assert cli.main(args) == 1 and "--trust-pickle" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("damage, message", [
    (lambda m: "{half a manifest", "not valid JSON"),
    (lambda m: json.dumps({k: v for k, v in json.loads(m).items() if k != "videos"}), r"lacks \['videos'\]"),
    (lambda m: json.dumps({**json.loads(m), "format": "other/9"}), "format 'other/9' is not"),
    (lambda m: json.dumps({**json.loads(m), "splits": ["trn"]}), "3 videos but 1 split entries"),
    (lambda m: "[1, 2]", "format 'list' is not"),
])
def test_a_corrupt_manifest_is_named_with_what_to_do(tmp_path, damage, message):
    write_small(tmp_path / "s")
    manifest = tmp_path / "s" / fs.MANIFEST
    manifest.write_text(damage(manifest.read_text()))
    with pytest.raises(fs.StoreError, match=f"manifest.json: {message}.*rebuild the store"):
        fs.FeatureStore(tmp_path / "s")


def test_import_command_writes_a_store(tmp_path, capsys):
    from genrelib import cli

    movienet = tmp_path / "movienet"
    movienet.mkdir()
    (movienet / "splits.json").write_text(json.dumps({"trn": ["a"], "val": ["b"], "tst": []}))
    args = ["import-features", str(release_pickle(tmp_path / "f.pkl")), "--out", str(tmp_path / "s"),
            "--movienet-dir", str(movienet), "--trust-pickle"]
    assert cli.main(args) == 0
    assert f"{tmp_path / 's'}: 2 videos, modalities ['beats', 'clip']" in capsys.readouterr().out
    assert fs.FeatureStore(tmp_path / "s").videos == ["a", "b"]
