"""The paper's data preparation: MovieNet trailers fetched from YouTube and stored as the paper stored them.

Section 3.1: for each trailer, the lowest resolution at least 300 pixels high (no audio stream named: we take
yt-dlp's best; the authors' script the smallest file's, ``evidence.AUTHORS['smallest_audio']``), stored as x265
(HEVC, CRF 23) video with mono Opus audio at 48 kbit/s (§3.1; the authors' script uses 16 kbit/s,
``download_movienet.py:104``: ``transcode(..., audio_bitrate=16_000)``). yt-dlp picks and fetches the
streams; PyAV's bundled FFmpeg transcodes (its wheel carries libx265 and libopus: no system
ffmpeg). One ``<youtube id>.mkv`` per trailer, written under a temporary name and renamed, so a killed
run leaves no half file under a final name. A rerun skips finished ids; every failure is kept in
``failures.json`` with its reason (removed, private, geo-blocked, not found, network, other) and
retried only on request.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import pandas as pd

from genrelib.common.files import write_atomically
from genrelib.common.progress import progress as progress_bar

YOUTUBE = "https://www.youtube.com/watch?v={id}"
FAILURES = "failures.json"
MIN_HEIGHT, CRF = 300, 23
AUDIO_BITRATE = 48_000  # the paper's "48k" (§3.1), a bit rate
AUDIO_RATE = 48_000  # Opus's own sample rate
# yt-dlp's choice: the smallest video stream at least 300 px high (a stream of unknown height is allowed) with
# the best audio, or else the smallest combined stream of that height.
FORMAT = f"bv*[height>=?{MIN_HEIGHT}]+ba/b[height>=?{MIN_HEIGHT}]"
FORMAT_SORT = ["+res"]
REASONS = (("private", ("private video",)), ("removed", ("video unavailable", "has been removed", "account associated",
                                                         "no longer available", "terminated")),
           ("geo-blocked", ("available in your country", "geo restriction", "geo-restricted")),
           ("not found", ("http error 404", "404: not found")),
           ("network", ("timed out", "connection", "name or service not known", "temporary failure",
                        "network is unreachable", "urlopen error")))


@dataclass
class DownloadReport:
    done: list[str] = field(default_factory=list)  # fetched and stored in this run
    skipped: list[str] = field(default_factory=list)  # already stored, or failed before and not retried
    failed: dict[str, dict] = field(default_factory=dict)  # youtube id -> {"reason", "message"}


def failure_reason(message: str) -> str:
    """The kind of a download failure, from yt-dlp's message."""
    lowered = message.lower()
    return next((reason for reason, marks in REASONS if any(mark in lowered for mark in marks)), "other")


def transcode(source: str | os.PathLike, target: str | os.PathLike, crf: int = CRF,
              audio_bitrate: int = AUDIO_BITRATE, height: int | None = None) -> Path:
    """Store ``source`` as the paper did: HEVC (libx265, CRF ``crf``) video and mono Opus audio at
    ``audio_bitrate`` bits per second in a Matroska file, written atomically. A file without a video or an audio
    stream keeps what it has. ``height``: a taller video is scaled down to it first, its aspect kept (the
    authors' script scales every trailer to 300 px high); None keeps the source's size."""
    import av

    def write(handle) -> None:
        with av.open(str(source)) as inp, av.open(handle, "w", format="matroska") as out:
            video = inp.streams.video[0] if inp.streams.video else None
            sound = inp.streams.audio[0] if inp.streams.audio else None
            if video is None and sound is None:
                raise ValueError(f"{source}: no video or audio stream to store")
            if video is not None:
                rate = video.average_rate or Fraction(25)
                hevc = out.add_stream("libx265", rate=rate, options={"crf": str(crf), "x265-params": "log-level=error"})
                hevc.width, hevc.height = _stored_size(video.codec_context.width, video.codec_context.height, height)
                hevc.pix_fmt = "yuv420p"
            if sound is not None:
                opus = out.add_stream("libopus", rate=AUDIO_RATE, layout="mono")
                opus.bit_rate = audio_bitrate
                resampler = av.AudioResampler(format="s16", layout="mono", rate=AUDIO_RATE)
            frames = 0
            for packet in inp.demux([s for s in (video, sound) if s is not None]):
                for frame in packet.decode():
                    if packet.stream.type == "video":
                        frame = frame.reformat(width=hevc.width, height=hevc.height, format="yuv420p")
                        frame.pts, frame.time_base = frames, 1 / rate
                        frames += 1
                        out.mux(hevc.encode(frame))
                    else:
                        for piece in resampler.resample(frame):
                            out.mux(opus.encode(piece))
            if video is not None:
                out.mux(hevc.encode(None))
            if sound is not None:
                for piece in resampler.resample(None):
                    out.mux(opus.encode(piece))
                out.mux(opus.encode(None))

    target = Path(target)
    write_atomically(target, write)
    return target


def _stored_size(width: int, height: int, most: int | None) -> tuple[int, int]:
    """A video's stored width and height: scaled down to ``most`` pixels high when it is taller, the aspect kept
    and the width even (yuv420p halves the colour planes), as FFmpeg's ``scale=-2:most`` does."""
    if most is None or height <= most:
        return width, height
    return max(2, 2 * round(width * most / height / 2)), most


class _Pacer:
    """At most one download starts every ``interval`` seconds, whatever the number of workers: politeness."""

    def __init__(self, interval: float):
        self.interval, self.lock, self.next = interval, threading.Lock(), 0.0

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next)
            self.next = start + self.interval
        time.sleep(max(0.0, start - now))


def fetch_one(youtube_id: str, dest: Path, url_template: str) -> Path:
    """Download one trailer with yt-dlp into a scratch folder and store it as ``dest/<id>.mkv``."""
    import yt_dlp

    with tempfile.TemporaryDirectory(prefix=f"genrelib-{youtube_id}-", dir=dest) as scratch:
        options = {"format": FORMAT, "format_sort": FORMAT_SORT, "outtmpl": f"{scratch}/%(id)s.%(ext)s",
                   "quiet": True, "no_warnings": True, "noprogress": True, "retries": 3, "merge_output_format": "mkv"}
        with yt_dlp.YoutubeDL(options) as downloader:
            downloader.download([url_template.format(id=youtube_id)])
        fetched = [p for p in Path(scratch).iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl"))]
        if not fetched:
            raise RuntimeError("yt-dlp finished without a file")
        return transcode(max(fetched, key=lambda p: p.stat().st_size), dest / f"{youtube_id}.mkv")


def download_trailers(youtube_ids, dest: str | os.PathLike, url_template: str = YOUTUBE, workers: int = 4,
                      retry_failed: bool = False, limit: int | None = None, interval: float = 1.0,
                      progress: bool = True) -> DownloadReport:
    """Fetch and store the trailers ``dest`` lacks (at most ``limit`` of them), ``workers`` at a time, starting
    one download every ``interval`` seconds at most. Failures are recorded in ``dest/failures.json`` and skipped
    by later runs unless ``retry_failed``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.glob("genrelib-*"):  # scratch folders of a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    failures_path = dest / FAILURES
    failures = json.loads(failures_path.read_text()) if failures_path.is_file() else {}
    report, todo = DownloadReport(), []
    for youtube_id in dict.fromkeys(youtube_ids):
        if (dest / f"{youtube_id}.mkv").is_file() or (youtube_id in failures and not retry_failed):
            report.skipped.append(youtube_id)
        else:
            todo.append(youtube_id)
    todo = todo[:limit] if limit is not None else todo
    pacer = _Pacer(interval)

    def attempt(youtube_id: str) -> tuple[str, str | None]:
        pacer.wait()
        try:
            fetch_one(youtube_id, dest, url_template)
            return youtube_id, None
        except Exception as exc:  # a failed trailer must not stop the others; its reason is kept
            return youtube_id, f"{type(exc).__name__}: {exc}"

    bar = progress_bar(total=len(todo), desc="download trailers", enabled=progress)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for future in as_completed([pool.submit(attempt, youtube_id) for youtube_id in todo]):
            youtube_id, error = future.result()
            if error is None:
                report.done.append(youtube_id)
                failures.pop(youtube_id, None)
            else:
                failures[youtube_id] = report.failed[youtube_id] = {"reason": failure_reason(error), "message": error}
            write_atomically(failures_path, lambda handle: handle.write(json.dumps(failures, indent=1).encode()))
            bar.set_postfix(failed=len(report.failed))
            bar.update()
    bar.close()
    return report


def storage_cost(videos, scratch: str | os.PathLike, height: int | None = None) -> pd.DataFrame:
    """What storing each video as the paper did costs: its resolution as stored (scaled down to ``height`` when
    taller, see :func:`transcode`), the seconds transcoding took and the stored megabytes, both per minute of
    video (the stored files are written to ``scratch`` and removed)."""
    from genrelib.data import media

    rows = []
    for video in map(Path, videos):
        info = media.probe(video)
        start = time.perf_counter()
        stored = transcode(video, Path(scratch) / f"{video.stem}.mkv", height=height)
        seconds = time.perf_counter() - start
        width, tall = _stored_size(info.width, info.height, height)
        rows.append({"video": video.name, "resolution": f"{width}x{tall}", "duration (s)": info.duration,
                     "transcode s per minute": seconds * 60 / info.duration,
                     "MB per minute": stored.stat().st_size / 1e6 * 60 / info.duration})
        stored.unlink()
    return pd.DataFrame(rows).set_index("video").round(2)
