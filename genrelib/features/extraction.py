"""Extraction over many videos: cached per video, resumable, parallel, then compiled into a store.

(Timing extractors is :mod:`genrelib.features.timing`.)

Each finished video is one ``<cache>/<video id>.npz`` (its feature sequences
plus the seconds each extractor took), written to a temporary name and
renamed, so a killed run leaves only whole entries and a rerun skips them; a
rerun that asks for a modality an entry lacks extracts only that one and adds
it to the entry. Temporary names are unique per writer, so two runs on one
cache cannot mix their files; an entry that cannot be read (a disk fault, a
file copied in half) is reported and extracted again.

Every video ends as features or as a per-video error: a video id that is not
a plain file name, a file that cannot be read, or one from which nothing at
all can be decoded is logged to ``<cache>/errors.jsonl`` with the file and the
reason, and the run goes on. A modality with nothing to read (no audio
stream, no text on screen, silence) is stored as an empty sequence.

Work is spread over local processes (``workers``) or, for users who outgrow
one machine, over a Dask cluster (``dask_address``): the same per-video
function runs in both.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from genrelib.common.files import write_atomically
from genrelib.common.progress import progress as progress_bar
from genrelib.data.media import SCENE_THRESHOLD, MediaError
from genrelib.data.store import FeatureStore, Modality, StoreWriter
from genrelib.features.extractors import build_extractors, modality_names
from genrelib.features.extractors.base import Trailer, reuse_freed_memory

ERROR_LOG = "errors.jsonl"
_worker_extractors: dict[tuple, list] = {}


@dataclass(frozen=True)
class VideoJob:
    """One video's work, as it travels to a worker process or a Dask worker (plain, picklable values)."""

    video_id: str
    path: str
    cache: str
    backend: str  # the extractor family, "offline" or "paper"
    modalities: tuple[str, ...]  # the ones its cache entry lacks
    scene_threshold: float


@dataclass
class ExtractionReport:
    done: list[str] = field(default_factory=list)  # extracted in this run
    skipped: list[str] = field(default_factory=list)  # already in the cache
    failed: dict[str, str] = field(default_factory=dict)  # video id -> reason
    broken: list[str] = field(default_factory=list)  # cache entries that could not be read and were redone


def check_video_id(video_id: str) -> str:
    """A video id names its cache file, so it must be a plain file name: no folder part, not hidden."""
    if (not isinstance(video_id, str) or not video_id.strip() or video_id in (".", "..") or video_id.startswith(".")
            or any(c in video_id for c in "/\\\0") or len(video_id) > 200):
        raise ValueError(f"video id {video_id!r} cannot name a cache file: use a plain name of at most 200 "
                         "characters without '/', '\\' or a leading '.', e.g. the YouTube id")
    return video_id


def cache_path(cache: Path, video_id: str) -> Path:
    return Path(cache) / f"{check_video_id(video_id)}.npz"


def _extractors(backend: str, modalities: tuple[str, ...]):
    key = (backend, modalities)
    if key not in _worker_extractors:
        _worker_extractors[key] = build_extractors(backend, list(modalities))
    return _worker_extractors[key]


def cached_modalities(cache: Path, video_id: str) -> set[str] | None:
    """The modalities the video's cache entry holds; an empty set without an entry, None for a broken one."""
    try:
        features, _ = read_cached(cache, video_id)
    except FileNotFoundError:
        return set()
    except Exception:  # a truncated or foreign file: whatever numpy or zipfile raise, the entry is unusable
        return None
    return set(features)


def extract_one(job: VideoJob) -> tuple[str, str | None]:
    """Extract the job's modalities of one video into its cache entry, keeping the modalities already there;
    returns (video id, error message or None)."""
    video_id, path, cache = job.video_id, job.path, Path(job.cache)
    target = cache_path(cache, video_id)
    arrays, seconds, times = {}, {}, {}
    if cached_modalities(cache, video_id):
        arrays, meta = read_cached(cache, video_id)
        seconds, times = meta["seconds"], meta.get("times", {})
    try:
        extractors = _extractors(job.backend, job.modalities)
        trailer = Trailer.for_extractors(path, extractors, job.scene_threshold)
        duration = trailer.info.duration
        if duration <= 0:
            raise MediaError(f"{path}: lasts 0 seconds")
        for extractor in extractors:
            start = time.perf_counter()
            features, at = extractor.moment_times(trailer)
            arrays[extractor.modality] = np.asarray(features, np.float32)
            seconds[extractor.modality] = time.perf_counter() - start
            times[extractor.modality] = np.asarray(at, float).round(3).tolist()
        if not any(len(a) for a in arrays.values()) and not trailer.has_content():
            raise MediaError(f"{path}: no keyframe and no sound could be decoded, so it gives no features; "
                             "check that the file plays from start to end")
    except MediaError as exc:
        return video_id, str(exc)
    except Exception as exc:  # one bad video must not stop a batch of thousands; the log keeps the cause
        return video_id, f"{path}: {type(exc).__name__}: {exc}"
    meta = {"path": str(path), "duration": duration, "seconds": seconds, "times": times,
            "keyframe_times": trailer.keyframes.times.tolist() if trailer.info.has_video else []}
    write_atomically(target, lambda handle: np.savez(handle, __meta__=np.asarray(json.dumps(meta)), **arrays))
    return video_id, None


def read_cached(cache: Path, video_id: str) -> tuple[dict[str, np.ndarray], dict]:
    """The cached features and meta (duration, per-extractor seconds, each frame's time by modality, keyframe
    times) of one video."""
    with np.load(cache_path(cache, video_id)) as data:
        meta = json.loads(str(data["__meta__"]))
        return {k: data[k] for k in data.files if k != "__meta__"}, meta


def extract_videos(videos: dict[str, str | Path], cache: str | Path, backend: str = "offline",
                   modalities: list[str] | None = None, workers: int = 1, dask_address: str | None = None,
                   scene_threshold: float = SCENE_THRESHOLD, progress: bool = True) -> ExtractionReport:
    """Extract what ``cache`` does not hold yet of every video (default: all of the backend's modalities);
    failures are logged and do not stop the run."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    wanted = tuple(modalities or modality_names(backend))
    report = ExtractionReport()
    jobs = []

    def fail(video_id, path, error):
        report.failed[video_id] = error
        with open(cache / ERROR_LOG, "a") as log:
            log.write(json.dumps({"video": video_id, "path": str(path), "error": error}) + "\n")

    for video_id, path in videos.items():
        try:
            check_video_id(video_id)
        except ValueError as exc:
            fail(video_id, path, f"{path}: {exc}")
            continue
        held = cached_modalities(cache, video_id)
        if held is None:
            report.broken.append(video_id)
            held = set()
        missing = tuple(m for m in wanted if m not in held)
        if not missing:
            report.skipped.append(video_id)
            continue
        jobs.append(VideoJob(video_id, str(path), str(cache), backend, missing, scene_threshold))
    paths = {job.video_id: job.path for job in jobs}
    bar = progress_bar(total=len(jobs), desc=f"extract ({backend})", enabled=progress)
    for video_id, error in _run(jobs, workers, dask_address):
        if error is None:
            report.done.append(video_id)
        else:
            fail(video_id, paths[video_id], error)
        bar.update()
    bar.close()
    return report


def _run(jobs: list[VideoJob], workers: int, dask_address: str | None):
    if dask_address:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        with Client(dask_address) as client:
            futures = [client.submit(extract_one, job, pure=False) for job in jobs]
            for future in dask_completed(futures):
                yield future.result()
    elif workers > 1:
        # spawn, not fork: a forked child inherits the parent's OpenMP/ONNX thread pools and can deadlock
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),))
        try:
            futures = [pool.submit(extract_one, job) for job in jobs]
            for future in as_completed(futures):
                yield future.result()
        finally:  # an interrupted batch leaves no queued work behind
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        for job in jobs:
            yield extract_one(job)


def _start_worker(parent: int) -> None:
    """Malloc tuned for the extractors, one thread per worker, and an exit as soon as the parent is gone
    (killed, even with SIGKILL)."""
    reuse_freed_memory()  # first, before any thread of the extractors has an arena of its own
    import torch

    torch.set_num_threads(1)

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch_parent, daemon=True).start()


VIDEO_SUFFIXES = (".mkv", ".mp4", ".webm", ".mov", ".avi")


def trailer_files(folder: str | os.PathLike) -> dict[str, Path]:
    """The video files of a folder by id (the file name's stem, a YouTube id for MovieNet trailers)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of trailers; `genrelib download-trailers --dest` makes one")
    return {path.stem: path for path in sorted(folder.iterdir()) if path.suffix.lower() in VIDEO_SUFFIXES}


def cached_durations(cache: str | Path, video_ids) -> pd.Series:
    """Each cached video's duration in seconds, as extraction measured it."""
    return pd.Series({video_id: read_cached(Path(cache), video_id)[1]["duration"] for video_id in video_ids},
                     name="duration (s)", dtype=float)


def compile_store(cache: str | Path, out: str | Path, labels: dict[str, np.ndarray], splits: dict[str, str],
                  modalities: list[Modality], description: str) -> FeatureStore:
    """Write the cached videos that have labels and a split into a feature store (atomically), with each
    frame's time where the cache recorded it (an entry cached before times were recorded has none, and the
    store then keeps no times for that modality)."""
    cache = Path(cache)
    wanted = {m.name for m in modalities}
    with StoreWriter(out, modalities, description=description) as writer:
        for video_id in sorted(labels):
            if not cache_path(cache, video_id).is_file():
                continue
            features, meta = read_cached(cache, video_id)
            writer.add(video_id, {m.name: features[m.name] for m in modalities}, labels[video_id], splits[video_id],
                       {name: np.asarray(at) for name, at in meta.get("times", {}).items()
                        if name in wanted and len(at) == len(features[name])})
    return FeatureStore(out)
