"""Features stage: moment tokens (ours, not the paper's): one token per keyframe, on the trailer's own clock.

The paper's single-transformer puts every modality's tokens side by side in one sequence and leaves it to
attention to find that frame t of the image stream and chunk t of the audio stream are the same moment;
chapter 7's correspondence test measures whether it does. A moment token states it instead: the keyframe's
image vector joined with the audio and music chunks covering its time and the text read or spoken there,

    m_k = [x_k ; y_nearest(t_k) ; z_nearest(t_k) ; mean of the OCR tokens in moment k ; mean of the ASR ones],

where moment k runs from halfway to the previous keyframe to halfway to the next, a chunk covers t_k when its
centre is the nearest to it, and a text with no token in the moment gives zeros. Any classifier then reads the
moments as one stream (chapter 7 measures which reads them best). The times come from the store
(:meth:`~genrelib.data.store.FeatureStore.times`); a store without them (the authors' release) either gets an
approximate timeline, every stream spread evenly over its video, said so in the store's description, or a
:class:`~genrelib.data.store.StoreError` naming what is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from genrelib.data.labels import SPLIT_NAMES
from genrelib.data.store import FeatureStore, Modality, StoreError, StoreWriter

CLOCK = "clip"  # the keyframes set the moments
AVERAGED_WITHIN = ("ocr", "asr")  # text tokens: averaged within their moment; other streams: the covering chunk
MODALITY = "moments"


def assemble(sequences: dict[str, np.ndarray], times: dict[str, np.ndarray], clock: str = CLOCK) -> np.ndarray:
    """The moment tokens of one video, (keyframes x sum of the streams' widths), the clock's stream first and
    the others in the order given: ``sequences`` and ``times`` (s, one per frame) by modality."""
    at = np.asarray(times[clock], float)
    edges = (at[1:] + at[:-1]) / 2  # moment k is [edges[k-1], edges[k])
    parts = [np.asarray(sequences[clock], np.float32)]
    for name, frames in sequences.items():
        if name == clock:
            continue
        frames, when = np.asarray(frames, np.float32), np.asarray(times[name], float)
        joined = np.zeros((len(at), frames.shape[1]), np.float32)
        if len(frames) and len(at):
            if name in AVERAGED_WITHIN:
                moment = np.searchsorted(edges, when, side="right")
                np.add.at(joined, moment, frames)
                joined /= np.maximum(np.bincount(moment, minlength=len(at)), 1)[:, None]
            else:
                joined = frames[nearest(at, when)]
        parts.append(joined)
    return np.concatenate(parts, 1)


def nearest(at: np.ndarray, when: np.ndarray) -> np.ndarray:
    """For each moment at ``at`` (s), the index of the chunk whose centre ``when`` (s) lies nearest to it."""
    return np.abs(np.asarray(when, float)[None, :] - np.asarray(at, float)[:, None]).argmin(1)


def share_read(store: FeatureStore, modality: str, clock: str = CLOCK) -> float:
    """The share of ``modality``'s chunks, over all videos of ``store``, that some moment token reads: a chunk
    nobody's nearest is left out of every token. Text streams (averaged within moments) are read whole, so this
    tells what moment tokens cost a chunked stream denser than the keyframes. On the timeline
    :func:`write_moment_store` uses: recorded times where every stream has them, else spread evenly."""
    recorded = all(store.has_times(name) for name in store.modalities)
    keyframes, chunks = store.lengths(clock), store.lengths(modality)
    read = 0
    for index in np.flatnonzero((keyframes > 0) & (chunks > 0)):
        at, when = ((store.times(index, clock), store.times(index, modality)) if recorded
                    else (spread_evenly(keyframes[index]), spread_evenly(chunks[index])))
        read += len(np.unique(nearest(at, when)))
    return read / max(int(chunks.sum()), 1)


def spread_evenly(count: int) -> np.ndarray:
    """An approximate timeline for a stream of ``count`` tokens with no recorded times: spread evenly over the
    video, as shares of its length (every stream of the video on the same scale)."""
    return (np.arange(count) + 0.5) / max(count, 1)


def write_moment_store(store: FeatureStore, path: str | os.PathLike, clock: str = CLOCK,
                       approximate: bool = False) -> FeatureStore:
    """A store of one modality, :data:`MODALITY`, holding each video's moment tokens (:func:`assemble`) with the
    clock's times. Every stream needs recorded times, unless ``approximate``: then a store that lacks any gets
    every stream spread evenly over each video (:func:`spread_evenly`), and its description says so."""
    if clock not in store.modalities:
        raise StoreError(f"{store.path}: moment tokens need the {clock!r} stream as their clock; the store holds "
                         f"{sorted(store.modalities)}")
    names = [clock, *(name for name in store.modalities if name != clock)]
    untimed = [name for name in names if not store.has_times(name)]
    if untimed and not approximate:
        raise StoreError(f"{store.path}: {', '.join(untimed)} record no times, which moment tokens need; extract "
                         "again (chapter 2 records them) or pass approximate=True for an evenly spread timeline")
    timeline = ("approximate timeline: every stream spread evenly over its video, no recorded times" if untimed
                else "recorded times")
    width = sum(store.modalities[name].dim for name in names)
    modality = Modality(MODALITY, width, "genrelib.features.moments", f"moment tokens of {'+'.join(names)}",
                        timeline)
    with StoreWriter(path, [modality], f"{store.description}; as moment tokens on the {clock} clock "
                                       f"({timeline})") as writer:
        split_of = {int(i): split for split in SPLIT_NAMES for i in store.indices(split)}
        for index, video in enumerate(store.videos):
            sequences = {name: store.frames(index, name) for name in names}
            times = ({name: spread_evenly(len(frames)) for name, frames in sequences.items()} if untimed
                     else {name: store.times(index, name) for name in names})
            writer.add(video, {MODALITY: assemble(sequences, times, clock)}, store.labels[index],
                       split_of[index], {MODALITY: times[clock]})
    return FeatureStore(path)


def moment_store(store: FeatureStore, folder: str | os.PathLike, approximate: bool = False) -> FeatureStore:
    """:func:`write_moment_store` of ``store`` under ``folder``, written on first use."""
    path = Path(folder) / f"{store.path.name}-moments{'-approximate' if approximate else ''}"
    return FeatureStore(path) if (path / "manifest.json").is_file() else write_moment_store(store, path,
                                                                                           approximate=approximate)
