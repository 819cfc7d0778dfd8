"""Extraction over many videos: cached per video, resumable, parallel, then compiled into a store.

Each finished video is one ``<cache>/<video id>.npz`` (its feature sequences
plus the seconds each extractor took), written to a temporary name and
renamed, so a killed run leaves only whole entries and a rerun skips them; a
rerun that asks for a modality an entry lacks extracts only that one and adds
it to the entry. A video that cannot be read is logged to ``<cache>/errors.jsonl`` with the file
and the reason, and the run goes on. A modality with nothing to read (no
audio stream, no text on screen, silence) is stored as an empty sequence.

Work is spread over local processes (``workers``) or, for users who outgrow
one machine, over a Dask cluster (``dask_address``): the same per-video
function runs in both.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from .extractors import build_extractors, modality_names
from .extractors.base import Trailer
from .media import MediaError
from .store import FeatureStore, Modality, StoreWriter

ERROR_LOG = "errors.jsonl"
_worker_extractors: dict[tuple, list] = {}


@dataclass
class ExtractionReport:
    done: list[str] = field(default_factory=list)  # extracted in this run
    skipped: list[str] = field(default_factory=list)  # already in the cache
    failed: dict[str, str] = field(default_factory=dict)  # video id -> reason


def cache_path(cache: Path, video_id: str) -> Path:
    return Path(cache) / f"{video_id}.npz"


def _extractors(backend: str, modalities: tuple[str, ...]):
    key = (backend, modalities)
    if key not in _worker_extractors:
        _worker_extractors[key] = build_extractors(backend, list(modalities))
    return _worker_extractors[key]


def missing_modalities(cache: Path, video_id: str, wanted: tuple[str, ...]) -> tuple[str, ...]:
    """The wanted modalities that the video's cache entry does not hold yet (all of them without an entry)."""
    if not cache_path(cache, video_id).is_file():
        return wanted
    with np.load(cache_path(cache, video_id)) as data:
        return tuple(m for m in wanted if m not in data.files)


def extract_one(video_id: str, path: str, cache: str, backend: str, modalities: tuple[str, ...],
                scene_threshold: float) -> tuple[str, str | None]:
    """Extract ``modalities`` of one video into its cache entry, keeping the modalities already there;
    returns (video id, error message or None)."""
    trailer = Trailer(path, scene_threshold)
    target = cache_path(Path(cache), video_id)
    arrays, meta = read_cached(Path(cache), video_id) if target.is_file() else ({}, {"seconds": {}})
    seconds = meta["seconds"]
    try:
        duration = trailer.info.duration
        if duration <= 0:
            raise MediaError(f"{path}: lasts 0 seconds")
        for extractor in _extractors(backend, modalities):
            start = time.perf_counter()
            arrays[extractor.modality] = np.asarray(extractor.extract(trailer), np.float32)
            seconds[extractor.modality] = time.perf_counter() - start
    except MediaError as exc:
        return video_id, str(exc)
    except Exception as exc:  # one bad video must not stop a batch of thousands; the log keeps the cause
        return video_id, f"{path}: {type(exc).__name__}: {exc}"
    meta = {"path": str(path), "duration": duration, "seconds": seconds,
            "keyframe_times": trailer.keyframes.times.tolist() if trailer.info.has_video else []}
    tmp = target.with_name(f".{target.name}.part")
    with open(tmp, "wb") as handle:
        np.savez(handle, __meta__=np.asarray(json.dumps(meta)), **arrays)
    os.replace(tmp, target)
    return video_id, None


def read_cached(cache: Path, video_id: str) -> tuple[dict[str, np.ndarray], dict]:
    """The cached features and meta (duration, per-extractor seconds, keyframe times) of one video."""
    with np.load(cache_path(cache, video_id)) as data:
        meta = json.loads(str(data["__meta__"]))
        return {k: data[k] for k in data.files if k != "__meta__"}, meta


def extract_videos(videos: dict[str, str | Path], cache: str | Path, backend: str = "offline",
                   modalities: list[str] | None = None, workers: int = 1, dask_address: str | None = None,
                   scene_threshold: float = 0.3, progress: bool = True) -> ExtractionReport:
    """Extract what ``cache`` does not hold yet of every video (default: all of the backend's modalities);
    failures are logged and do not stop the run."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    wanted = tuple(modalities or modality_names(backend))
    report = ExtractionReport()
    todo, args = {}, []
    for video_id, path in videos.items():
        missing = missing_modalities(cache, video_id, wanted)
        if not missing:
            report.skipped.append(video_id)
            continue
        todo[video_id] = str(path)
        args.append((video_id, str(path), str(cache), backend, missing, scene_threshold))
    bar = tqdm(total=len(args), desc=f"extract ({backend})", disable=not progress, file=sys.stdout, mininterval=5)
    for video_id, error in _run(args, workers, dask_address):
        if error is None:
            report.done.append(video_id)
        else:
            report.failed[video_id] = error
            with open(cache / ERROR_LOG, "a") as log:
                log.write(json.dumps({"video": video_id, "path": todo[video_id], "error": error}) + "\n")
        bar.update()
    bar.close()
    return report


def _run(args: list[tuple], workers: int, dask_address: str | None):
    if dask_address:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        with Client(dask_address) as client:
            futures = [client.submit(extract_one, *a, pure=False) for a in args]
            for future in dask_completed(futures):
                yield future.result()
    elif workers > 1:
        # spawn, not fork: a forked child inherits the parent's OpenMP/ONNX thread pools and can deadlock
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread_per_worker) as pool:
            futures = [pool.submit(extract_one, *a) for a in args]
            for future in as_completed(futures):
                yield future.result()
    else:
        for a in args:
            yield extract_one(*a)


def _one_thread_per_worker() -> None:
    import torch

    torch.set_num_threads(1)


def compile_store(cache: str | Path, out: str | Path, labels: dict[str, np.ndarray], splits: dict[str, str],
                  modalities: list[Modality], description: str) -> FeatureStore:
    """Write the cached videos that have labels and a split into a feature store (atomically)."""
    cache = Path(cache)
    with StoreWriter(out, modalities, description=description) as writer:
        for video_id in sorted(labels):
            if not cache_path(cache, video_id).is_file():
                continue
            features, _ = read_cached(cache, video_id)
            writer.add(video_id, {m.name: features[m.name] for m in modalities}, labels[video_id], splits[video_id])
    return FeatureStore(out)


def seconds_per_video(cache: str | Path, video_ids) -> pd.Series:
    """Mean extraction seconds per video for each extractor, over the given cached videos."""
    rows = [read_cached(Path(cache), v)[1]["seconds"] for v in video_ids]
    if not rows:
        raise ValueError("no cached video to time")
    return pd.DataFrame(rows).mean().rename("extraction s per video")


def runtime_per_minute(cache: str | Path, video_ids) -> pd.DataFrame:
    """Seconds each extractor spent per minute of video, over the given cached videos."""
    seconds, duration = {}, 0.0
    for video_id in video_ids:
        _, meta = read_cached(Path(cache), video_id)
        duration += meta["duration"]
        for name, spent in meta["seconds"].items():
            seconds[name] = seconds.get(name, 0.0) + spent
    if duration == 0:
        raise ValueError("no cached video to time")
    table = pd.Series(seconds).mul(60 / duration).rename("seconds per minute of video").to_frame()
    table.loc["all extractors"] = table.sum()
    return table.rename_axis("extractor").round(2)
