"""Fetching trailers as the paper stored them, against a local HTTP server standing in for YouTube."""

import json
import os
import signal
import subprocess
import sys
import time

import av
import numpy as np
import pytest
from http_fixtures import serving
from media_fixtures import three_scene_video

from genrelib import cli
from genrelib.data import trailers
from genrelib.data.store import FeatureStore


@pytest.fixture
def remote(tmp_path):
    folder = tmp_path / "remote"
    folder.mkdir()
    for name in ("vid001", "vid002"):
        three_scene_video(folder / f"{name}.mp4")
    return folder


def stored_streams(path):
    with av.open(str(path)) as container:
        return [(s.type, s.codec_context.name, s.codec_context.height if s.type == "video" else
                 (s.codec_context.sample_rate, s.codec_context.layout.name)) for s in container.streams]


def test_download_stores_hevc_and_opus_and_records_what_failed(remote, tmp_path, capsys):
    dest = tmp_path / "trailers"
    with serving(remote) as (url, requests):
        code = cli.main(["download-trailers", "--ids", "vid001", "gone404", "vid002", "--dest", str(dest),
                         "--url-template", f"{url}/{{id}}.mp4", "--workers", "2", "--interval", "0"])
        assert code == 0
        assert sorted(p.name for p in dest.iterdir()) == ["failures.json", "vid001.mkv", "vid002.mkv"]
        for name in ("vid001", "vid002"):  # the only stream is 240 px high, so it is the one taken
            assert stored_streams(dest / f"{name}.mkv") == [("video", "hevc", 240), ("audio", "opus", (48000, "mono"))]
        failures = json.loads((dest / "failures.json").read_text())
        assert list(failures) == ["gone404"] and failures["gone404"]["reason"] == "not found"
        assert "gone404: not found" in capsys.readouterr().out
        asked = len(requests)
        again = trailers.download_trailers(["vid001", "gone404", "vid002"], dest, f"{url}/{{id}}.mp4", progress=False)
        assert len(requests) == asked and sorted(again.skipped) == ["gone404", "vid001", "vid002"]  # nothing fetched
        retried = trailers.download_trailers(["gone404"], dest, f"{url}/{{id}}.mp4", retry_failed=True,
                                             progress=False)
        assert list(retried.failed) == ["gone404"] and len(requests) > asked


def audio_bytes(path) -> int:
    with av.open(str(path)) as container:
        return sum(packet.size for packet in container.demux(audio=0))


def test_audio_is_stored_at_the_papers_bit_rate_not_the_authors(remote, tmp_path):
    """§3.1's "48k" is a bit rate: three times the authors' 16 kbit/s gives about three times the bytes."""
    papers = trailers.transcode(remote / "vid001.mp4", tmp_path / "paper.mkv")
    authors = trailers.transcode(remote / "vid001.mp4", tmp_path / "authors.mkv", audio_bitrate=16_000)
    assert 2.0 < audio_bytes(papers) / audio_bytes(authors) < 4.0


def test_the_stored_file_keeps_the_picture_and_the_sound(remote, tmp_path):
    from genrelib.data import media

    stored = trailers.transcode(remote / "vid001.mp4", tmp_path / "vid001.mkv")
    np.testing.assert_allclose(media.keyframes(stored).times, media.keyframes(remote / "vid001.mp4").times, atol=0.1)
    tone = media.audio(stored, 16_000)
    assert abs(len(tone) / 16_000 - 6.5) < 0.1 and np.abs(tone).max() > 0.1


def test_a_taller_video_is_stored_scaled_to_the_height_asked_its_aspect_kept(remote, tmp_path):
    from genrelib.data import media

    source = media.probe(remote / "vid001.mp4")
    stored = trailers.transcode(remote / "vid001.mp4", tmp_path / "short.mkv", height=source.height // 2)
    scaled = media.probe(stored)
    assert scaled.height == source.height // 2
    assert abs(scaled.width / scaled.height - source.width / source.height) < 0.02 and scaled.width % 2 == 0
    cost = trailers.storage_cost([remote / "vid001.mp4"], tmp_path, height=source.height * 2)  # not enlarged
    assert cost["resolution"].iloc[0] == f"{source.width}x{source.height}"
    assert trailers._stored_size(1280, 720, 360) == (640, 360) and trailers._stored_size(1918, 1080, 300) == (532, 300)


@pytest.mark.parametrize("message, reason", [
    ("ERROR: [youtube] x: Private video. Sign in if you've been granted access", "private"),
    ("ERROR: [youtube] x: Video unavailable. This video has been removed by the uploader", "removed"),
    ("ERROR: [youtube] x: The uploader has not made this video available in your country", "geo-blocked"),
    ("ERROR: Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name resolution>", "network"),
    ("ERROR: something else", "other"),
])
def test_failure_reasons_from_yt_dlp_messages(message, reason):
    assert trailers.failure_reason(message) == reason


def test_a_killed_download_leaves_no_file_under_a_final_name(remote, tmp_path):
    dest = tmp_path / "trailers"
    with serving(remote, stall_seconds=30) as (url, requests):
        child = subprocess.Popen([sys.executable, "-m", "genrelib.cli", "download-trailers", "--ids", "vid001",
                                  "--dest", str(dest), "--url-template", f"{url}/{{id}}.mp4", "--interval", "0"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while len(requests) < 2 and time.monotonic() < deadline:  # yt-dlp has asked for the file itself
            time.sleep(0.2)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    assert not (dest / "vid001.mkv").exists()
    with serving(remote) as (url, _):  # the next run cleans up and finishes the job
        assert trailers.download_trailers(["vid001"], dest, f"{url}/{{id}}.mp4", progress=False).done == ["vid001"]
    assert sorted(p.name for p in dest.iterdir()) == ["failures.json", "vid001.mkv"]


def test_extract_command_lists_a_broken_file_and_a_dask_cluster_gives_the_same_store(tmp_path, tiny_movienet, capsys):
    from dask import distributed

    folder = tmp_path / "trailers"
    folder.mkdir()
    ids = json.loads((tiny_movienet / "splits.json").read_text())
    for youtube_id in (ids["trn"][0], ids["tst"][0]):
        three_scene_video(folder / f"{youtube_id}.mp4")
    (folder / f"{ids['val'][0]}.mkv").write_bytes(b"not a video")
    common = ["--movienet-dir", str(tiny_movienet), "--backend", "offline"]
    assert cli.main(["extract", str(folder), "--cache", str(tmp_path / "c1"), "--out", str(tmp_path / "s1"),
                     *common]) == 0
    out = capsys.readouterr().out
    assert "2 videos; extracted 2, reused 0, failed 1" in out and f"{ids['val'][0]}: " in out
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert cli.main(["extract", str(folder), "--cache", str(tmp_path / "c2"), "--out", str(tmp_path / "s2"),
                         "--dask", cluster.scheduler_address, *common]) == 0
    local, on_dask = FeatureStore(tmp_path / "s1"), FeatureStore(tmp_path / "s2")
    assert local.videos == on_dask.videos and list(local.modalities) == list(on_dask.modalities)
    for name in local.modalities:
        for i in range(len(local)):
            np.testing.assert_allclose(local.frames(i, name), on_dask.frames(i, name), atol=1e-2)


def test_chapter_2_reads_a_folder_of_trailers_with_their_labels(tmp_path, tiny_movienet):
    from genrelib.common import paths
    from genrelib.data import labels
    from genrelib.features import stores

    folder = tmp_path / "trailers"
    folder.mkdir()
    ids = json.loads((tiny_movienet / "splits.json").read_text())
    for youtube_id in (ids["trn"][0], ids["tst"][0], "not-in-movienet"):
        (folder / f"{youtube_id}.mkv").write_bytes(b"")
    where = paths.Paths(repo=paths.REPO_ROOT, artifacts=tmp_path / "artifacts")
    data, table = stores.chapter_videos(where, trailers_dir=folder, movienet_dir=tiny_movienet)
    assert data == "trailers" and sorted(table.index) == sorted([ids["trn"][0], ids["tst"][0]])
    assert table.loc[ids["tst"][0], "split"] == "tst"
    assert table.loc[ids["trn"][0], "genres"] == labels.load_labels(tiny_movienet).frame.loc[ids["trn"][0], "genres"]
    with pytest.raises(FileNotFoundError, match="trailers-paper feature store does not exist yet"):
        stores.open_store("trailers-paper", where)
