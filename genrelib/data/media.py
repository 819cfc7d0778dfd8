"""Media stage: what the extractors see of a trailer file.

* keyframes: FFmpeg's scene-change detector (the ``select='gt(scene,T)'``
  filter, run through PyAV's bundled FFmpeg) cuts the video into scenes, and
  the frame in the middle of each scene is kept, as in the paper;
* audio: the soundtrack decoded to mono float32 at the rate a model needs,
  then cut into fixed-length chunks (3 s for audio tagging, 22 s for music).

Every failure names the file: a :class:`MediaError` for an unreadable file,
and an empty result (no keyframes, no samples) for a stream that is absent,
so the caller can record an empty modality and go on.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# FFmpeg's scene score above which a new scene starts. The paper does not state it; the authors' code
# (video_to_midscenes) uses 0.27, and so do we.
SCENE_THRESHOLD = 0.27


class MediaError(ValueError):
    """A media file cannot be read."""


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float  # seconds
    has_video: bool
    has_audio: bool
    fps: float | None
    width: int | None
    height: int | None
    cover_image: bool = False  # the video stream is one still picture (an audio file's cover art), not a film


@dataclass(frozen=True)
class Keyframes:
    times: np.ndarray  # seconds, middle of each scene
    cuts: np.ndarray  # seconds at which a new scene starts (the first scene starts at 0 and is not listed)
    images: list  # RGB uint8 arrays (height x width x 3), one per time, at most ``max_side`` px
    full: list | None = None  # the same frames at the video's resolution, when asked for


@contextmanager
def _open(path: str | os.PathLike):
    import av

    path = Path(path)
    if path.is_dir():
        raise MediaError(f"{path}: is a directory, not a video file; give the path of a file inside it")
    if not path.is_file():
        raise MediaError(f"{path}: no such file")
    # Python opens the file and FFmpeg reads it through the handle: every read of a media file is then an
    # ordinary `open`, seen by Python's audit hooks like any other file (FFmpeg's own open would not be)
    with open(path, "rb") as handle:
        try:
            container = av.open(handle)
        except (av.error.FFmpegError, UnicodeDecodeError, OSError) as exc:
            raise MediaError(f"{path}: not a readable media file ({exc}); check that it is a complete video "
                             "file") from exc
        with container:
            yield container


def probe(path: str | os.PathLike) -> MediaInfo:
    """Duration, streams and frame rate of a media file, and whether its video is only a cover picture."""
    import av

    with _open(path) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is None and audio is None:
            raise MediaError(f"{path}: holds neither a video nor an audio stream")
        duration = container.duration / 1e6 if container.duration else 0.0
        if not duration:
            streams = [s for s in (video, audio) if s is not None and s.duration is not None]
            duration = max((float(s.duration * s.time_base) for s in streams), default=0.0)
        if not duration and video is not None and video.average_rate:
            duration = _count_frames(path) / float(video.average_rate)
        cover = video is not None and (bool(video.disposition & av.stream.Disposition.attached_pic)
                                       or _one_picture(container, video))
        return MediaInfo(Path(path), duration, video is not None, audio is not None,
                         float(video.average_rate) if video is not None and video.average_rate else None,
                         video.codec_context.width if video is not None else None,
                         video.codec_context.height if video is not None else None, cover)


def _one_picture(container, video) -> bool:
    """Whether the video stream holds a single picture: its second packet is looked for, not every one."""
    packets = (packet for packet in container.demux(video) if packet.size)
    return next(packets, None) is not None and next(packets, None) is None


def _count_frames(path: str | os.PathLike) -> int:
    """Frames of a video stream that records no duration (a raw H.264 file, say), counted from its packets."""
    with _open(path) as container:
        return sum(1 for packet in container.demux(container.streams.video[0]) if packet.size)


def scene_cuts(path: str | os.PathLike, threshold: float = SCENE_THRESHOLD) -> tuple[np.ndarray, float | None]:
    """Times (s) where FFmpeg's scene score exceeds ``threshold``, and the time of the last frame
    (None when no frame could be decoded)."""
    import av

    with _open(path) as container:
        if not container.streams.video:
            return np.zeros(0), None
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame- and slice-threaded decoding
        graph = av.filter.Graph()
        try:
            source = graph.add_buffer(template=stream)
        except ValueError as exc:  # no picture format: the stream's headers could not be decoded
            raise MediaError(f"{path}: video stream is corrupt, its picture format cannot be read ({exc}); "
                             "check that the file plays from start to end") from exc
        select = graph.add("select", f"gt(scene\\,{threshold})")
        sink = graph.add("buffersink")
        source.link_to(select)
        select.link_to(sink)
        graph.configure()
        cuts, last = [], None
        try:
            for index, frame in enumerate(container.decode(stream)):
                last = _timestamp(frame, index, stream)
                graph.push(frame)
                cuts += _drain(graph)
            graph.push(None)
            cuts += _drain(graph)
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: video stream is corrupt ({exc})") from exc
    return np.asarray(sorted(cuts)), last


def _timestamp(frame, index: int, stream) -> float:
    """A frame's time in seconds; a raw stream's frames carry none, and get the time their index implies."""
    if frame.pts is None and stream.average_rate:
        frame.time_base = stream.time_base
        frame.pts = round(index / stream.average_rate / stream.time_base)
    return float(frame.time or 0.0)


def _drain(graph) -> list[float]:
    import av

    times = []
    while True:
        try:
            times.append(float(graph.pull().time))
        except (av.error.BlockingIOError, av.error.EOFError):
            return times


def scene_middles(cuts: np.ndarray, end: float) -> np.ndarray:
    """Middle time of each scene, the scenes being [0, c1), [c1, c2), ..., [cn, end]."""
    bounds = np.concatenate([[0.0], cuts, [end]])
    return (bounds[:-1] + bounds[1:]) / 2


def keyframes(path: str | os.PathLike, threshold: float = SCENE_THRESHOLD, max_side: int = 448,
              full_resolution: bool = False) -> Keyframes:
    """The frame at the middle of each scene, downscaled so its longer side is at most ``max_side``; with
    ``full_resolution`` also each frame as decoded (what the authors' CLIP preprocessing resizes)."""
    cuts, end = scene_cuts(path, threshold)
    if end is None:
        return Keyframes(np.zeros(0), cuts, [], [] if full_resolution else None)
    wanted = scene_middles(cuts, end)
    images, full, taken = [], [], []
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        target = 0
        for index, frame in enumerate(container.decode(stream)):
            time = _timestamp(frame, index, stream)
            while target < len(wanted) and time >= wanted[target] - 1e-6:
                images.append(_rgb(frame, max_side))
                if full_resolution:
                    full.append(frame.to_ndarray(format="rgb24"))
                taken.append(time)
                target += 1
            if target == len(wanted):
                break
    return Keyframes(np.asarray(taken), cuts, images, full if full_resolution else None)


def _rgb(frame, max_side: int) -> np.ndarray:
    scale = min(1.0, max_side / max(frame.width, frame.height))
    width, height = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
    return frame.to_ndarray(format="rgb24", width=width, height=height)


def audio(path: str | os.PathLike, rate: int) -> np.ndarray:
    """The soundtrack as mono float32 samples at ``rate`` Hz; empty when the file has no audio."""
    import av

    with _open(path) as container:
        if not container.streams.audio:
            return np.zeros(0, np.float32)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        pieces = []
        try:
            for frame in container.decode(container.streams.audio[0]):
                pieces += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            pieces += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: audio stream is corrupt ({exc})") from exc
    return np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)


def chunk_starts(length: int, size: int, hop: int) -> np.ndarray:
    """Start positions of ``size``-long chunks every ``hop`` over ``length`` samples (or seconds).

    Every whole chunk that fits; then one more, to be zero-padded, when the tail the last whole chunk
    leaves uncovered is at least half a hop long (with ``hop == size``: half a chunk), or when no whole
    chunk fits in a non-empty input.
    """
    if length <= 0:
        return np.zeros(0, int)
    whole = np.arange(0, length - size + 1, hop) if length >= size else np.zeros(0, int)
    covered = whole[-1] + size if len(whole) else 0
    if not len(whole) or length - covered >= hop / 2:
        whole = np.append(whole, whole[-1] + hop if len(whole) else 0)
    return whole.astype(int)


def chunks(samples: np.ndarray, rate: int, seconds: float, hop_seconds: float | None = None) -> np.ndarray:
    """``seconds``-long chunks starting every ``hop_seconds`` (default: consecutive), as (chunks x samples);
    which chunks, :func:`chunk_starts` says. The paper's audio taggers overlap their chunks by half."""
    size = int(round(rate * seconds))
    hop = int(round(rate * (hop_seconds or seconds)))
    starts = chunk_starts(len(samples), size, hop)
    out = np.zeros((len(starts), size), np.float32)
    for row, start in enumerate(starts):
        piece = samples[start:start + size]
        out[row, :len(piece)] = piece
    return out


def chunk_count(duration: float, seconds: float, hop_seconds: float) -> int:
    """How many chunks :func:`chunks` cuts from ``duration`` seconds of sound (what a trailer's length in
    chunks will be), computed at millisecond resolution without any audio."""
    return len(chunk_starts(round(duration * 1000), round(seconds * 1000), round(hop_seconds * 1000)))


def pool_windows(values: np.ndarray, value_starts: np.ndarray, value_seconds: float, chunk_starts: np.ndarray,
                 chunk_seconds: float) -> np.ndarray:
    """Per chunk, the mean of the ``values`` (one per short analysis window) whose windows lie within it.

    Lets a model that reads short windows (YAMNet's 0.96 s, musicnn's 3 s) serve overlapping chunks
    without computing any window twice. A chunk that holds no whole window takes the windows that
    start in it, or else the last window (a chunk shorter than one window).
    """
    tolerance = 1e-6
    ends = value_starts + value_seconds
    pooled = np.empty((len(chunk_starts), values.shape[1]), np.float32)
    for row, start in enumerate(chunk_starts):
        inside = (value_starts >= start - tolerance) & (ends <= start + chunk_seconds + tolerance)
        if not inside.any():
            inside = (value_starts >= start - tolerance) & (value_starts < start + chunk_seconds)
        pooled[row] = values[inside].mean(0) if inside.any() else values[-1]
    return pooled
