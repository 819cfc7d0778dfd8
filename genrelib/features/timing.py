"""What extraction costs: seconds each extractor spends per minute of video.

Two views: :func:`time_extractors` times built extractors in this process on
the same videos (both backends compared like for like), and
:func:`runtime_per_minute` reads what a cached extraction run recorded.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from genrelib.features.extraction import read_cached
from genrelib.features.extractors.base import Extractor, Trailer


def time_extractors(extractors: list[Extractor], videos, label: str) -> pd.Series:
    """Seconds per minute of video of each extractor, timed in this process on ``videos``.

    Every extractor first runs once on the first video (loading and first-call costs are not
    counted); then each video is decoded once, into what the extractors read (the ``decode`` row: keyframes,
    audio at each rate an audio model or speech recogniser reads), and every extractor reads it.
    The series is named ``"{label}: s per minute of video"``.
    """
    videos = [Path(v) for v in videos]
    if not videos:
        raise ValueError("no video to time: pass at least one video file")
    if not extractors:
        raise ValueError("no extractor to time")
    warm = Trailer.for_extractors(videos[0], extractors)
    for extractor in extractors:
        extractor.extract(warm)
    seconds, duration = dict.fromkeys(["decode"] + [e.modality for e in extractors], 0.0), 0.0
    for video in videos:
        start = time.perf_counter()
        trailer = Trailer.for_extractors(video, extractors)
        for extractor in extractors:
            extractor.decode(trailer)
        seconds["decode"] += time.perf_counter() - start
        duration += trailer.info.duration
        for extractor in extractors:
            start = time.perf_counter()
            extractor.extract(trailer)
            seconds[extractor.modality] += time.perf_counter() - start
    if duration <= 0:
        raise ValueError(f"the videos {[v.name for v in videos]} last 0 seconds in all: nothing to time per minute")
    return pd.Series(seconds).mul(60 / duration).rename(f"{label}: s per minute of video")


def runtime_per_minute(cache: str | Path, video_ids) -> pd.DataFrame:
    """Seconds each extractor spent per minute of video, over the given cached videos."""
    seconds, duration = {}, 0.0
    for video_id in video_ids:
        _, meta = read_cached(Path(cache), video_id)
        duration += meta["duration"]
        for name, spent in meta["seconds"].items():
            seconds[name] = seconds.get(name, 0.0) + spent
    if duration == 0:
        raise ValueError(f"{cache}: no cached video with a duration among {list(video_ids)[:5]}: nothing to time")
    table = pd.Series(seconds).mul(60 / duration).rename("seconds per minute of video").to_frame()
    table.loc["all extractors"] = table.sum()
    return table.rename_axis("extractor").round(2)
