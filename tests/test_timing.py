import wave

import pytest
from media_fixtures import three_scene_video

from genrelib.features import extraction, timing
from genrelib.features.extractors import build_extractors


def test_time_extractors_reports_each_stage_per_minute(tmp_path):
    video = three_scene_video(tmp_path / "v.mp4")
    rates = timing.time_extractors(build_extractors("offline", ["musicnet"]), [video, video], "offline")
    assert rates.name == "offline: s per minute of video" and list(rates.index) == ["decode", "musicnet"]
    assert (rates > 0).all()


def test_time_extractors_refuses_what_it_cannot_time(tmp_path):
    [music] = build_extractors("offline", ["musicnet"])
    with pytest.raises(ValueError, match="no video to time"):
        timing.time_extractors([music], [], "offline")
    with pytest.raises(ValueError, match="no extractor to time"):
        timing.time_extractors([], [three_scene_video(tmp_path / "v.mp4")], "offline")
    with wave.open(str(tmp_path / "empty.wav"), "wb") as empty:
        empty.setnchannels(1), empty.setsampwidth(2), empty.setframerate(16_000)
    with pytest.raises(ValueError, match=r"\['empty.wav'\] last 0 seconds"):
        timing.time_extractors([music], [tmp_path / "empty.wav"], "offline")


def test_runtime_per_minute_reads_the_cache_and_refuses_an_empty_selection(tmp_path):
    video = three_scene_video(tmp_path / "v.mp4")
    extraction.extract_videos({"v": video}, tmp_path / "cache", modalities=["musicnet"], progress=False)
    _, meta = extraction.read_cached(tmp_path / "cache", "v")
    table = timing.runtime_per_minute(tmp_path / "cache", ["v"])
    assert table.loc["musicnet"].iloc[0] == pytest.approx(meta["seconds"]["musicnet"] * 60 / meta["duration"], abs=0.01)
    with pytest.raises(ValueError, match="no cached video"):
        timing.runtime_per_minute(tmp_path / "cache", [])
