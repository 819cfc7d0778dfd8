"""The extractor interface: one trailer in, one (frames x dim) feature sequence out."""

from __future__ import annotations

import ctypes
import importlib.metadata
from abc import ABC, abstractmethod
from functools import cached_property
from pathlib import Path

import numpy as np

from genrelib.data import media
from genrelib.data.store import Modality


class Trailer:
    """A video file with its keyframes and soundtrack decoded once and shared by all extractors."""

    def __init__(self, path: str | Path, scene_threshold: float = media.SCENE_THRESHOLD,
                 full_resolution: bool = False, read_video: bool = True):
        self.path = Path(path)
        self.scene_threshold = scene_threshold
        self.full_resolution = full_resolution  # keep full-resolution keyframes from the one decoding pass
        self.read_video = read_video  # False: no keyframes, as for a file without video (an audio file's cover)
        self._audio: dict[int, np.ndarray] = {}

    @classmethod
    def for_extractors(cls, path: str | Path, extractors, scene_threshold: float = media.SCENE_THRESHOLD) -> Trailer:
        """A trailer that decodes, in one pass, the keyframes that ``extractors`` read."""
        return cls(path, scene_threshold, any(e.reads_full_resolution for e in extractors))

    @cached_property
    def info(self) -> media.MediaInfo:
        return media.probe(self.path)

    @cached_property
    def keyframes(self) -> media.Keyframes:
        if not self.read_video:
            return media.Keyframes(np.zeros(0), np.zeros(0), [], [] if self.full_resolution else None)
        return media.keyframes(self.path, self.scene_threshold, full_resolution=self.full_resolution)

    def full_resolution_keyframes(self) -> list[np.ndarray]:
        """The keyframes at the video's own resolution (decoded again if the trailer was not built to keep them)."""
        if self.keyframes.full is None:
            self.full_resolution = True
            self.__dict__["keyframes"] = media.keyframes(self.path, self.scene_threshold, full_resolution=True)
        return self.keyframes.full

    def audio(self, rate: int) -> np.ndarray:
        if rate not in self._audio:
            self._audio[rate] = media.audio(self.path, rate)
        return self._audio[rate]

    def has_content(self) -> bool:
        """Whether at least one keyframe or one audio sample can be decoded."""
        return bool(len(self.keyframes.times)) or bool(len(self.audio(16_000)))


class Extractor(ABC):
    """A frozen pretrained model that turns a trailer into a sequence of feature vectors.

    ``modality`` names the stream in the feature store; ``package`` (the
    distribution that runs the model), ``model`` and ``version`` are stored
    with it so every feature says what produced it.
    An extractor with nothing to read (no audio, no text) returns ``(0, dim)``.
    """

    modality: str
    dim: int
    package: str
    model: str
    reads_full_resolution = False  # True: reads keyframes at the video's resolution, not the 448-px copies

    @property
    def version(self) -> str:
        return package_version(self.package)

    def spec(self) -> Modality:
        return Modality(self.modality, self.dim, self.package, self.model, self.version)

    @abstractmethod
    def extract(self, trailer: Trailer) -> np.ndarray:
        """Features of one trailer, (frames x dim) float32."""

    def decode(self, trailer: Trailer) -> None:
        """Decode what this extractor reads (the trailer keeps it), so that it can be timed apart: keyframes."""
        trailer.keyframes  # noqa: B018 - a cached property: reading it decodes

    def extract_timed(self, trailer: Trailer) -> tuple[np.ndarray, np.ndarray]:
        """Features and the time (s) each frame starts at: here one frame per keyframe."""
        features = self.extract(trailer)
        return features, np.asarray(trailer.keyframes.times[:len(features)], float)

    def moment_times(self, trailer: Trailer) -> tuple[np.ndarray, np.ndarray]:
        """Features and the moment each frame stands for (s), which the store keeps for moment tokens
        (:mod:`genrelib.features.moments`): a keyframe's time, the keyframe an OCR token was read from, the
        start of an ASR segment; an audio chunk's centre."""
        return self.extract_timed(trailer)

    def explain(self, trailer: Trailer) -> list[tuple[float, str]]:
        """What the model read or heard, as (time in s, words) for people; [] when it has no words to say."""
        return []

    def empty(self) -> np.ndarray:
        return np.zeros((0, self.dim), np.float32)


# glibc's mallopt options (malloc.h) and the largest freed block kept for reuse
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
REUSED_BLOCK_BYTES = 256 << 20


def reuse_freed_memory() -> bool:
    """Make glibc's malloc keep freed blocks of up to 256 MB for the next allocation, for this process.

    By default glibc serves a block over 32 MB with its own ``mmap`` and unmaps it when freed, so memory
    that an extractor allocates afresh on every call (Whisper base's attention scores, 72 MB a layer, in
    CTranslate2; musicnn's activations) is page-faulted in again each time: 135,000 minor faults and about
    a quarter of Whisper's encoder time per 30 s window (2-3 % of chapter 2 in all: benchmarks/README.md).
    Served from the heap and kept there, the same memory is reused, for some 150 MB more per process.
    One arena for all threads, because CTranslate2 computes in a thread of its own, and a thread's own
    arena grows only to 64 MB. Only where memory comes from changes, not what is computed.
    Returns False (and changes nothing) where the C library is not glibc.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    settings = ((_M_ARENA_MAX, 1), (_M_MMAP_THRESHOLD, REUSED_BLOCK_BYTES), (_M_TRIM_THRESHOLD, REUSED_BLOCK_BYTES))
    return all(mallopt(option, value) == 1 for option, value in settings)


def package_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"



class ChunkedAudio(Extractor):
    """An audio model read on ``window_seconds``-long chunks of the soundtrack starting every ``hop_seconds``:
    one vector per chunk, the activations before the model's output layer (:func:`genrelib.data.media.chunks`)."""

    rate: int
    window_seconds: float
    hop_seconds: float

    def chunks(self, trailer: Trailer) -> np.ndarray:
        return media.chunks(trailer.audio(self.rate), self.rate, self.window_seconds, self.hop_seconds)

    def decode(self, trailer: Trailer) -> None:
        trailer.audio(self.rate)

    def chunk_starts(self, count: int) -> np.ndarray:
        return np.arange(count) * self.hop_seconds

    def embed_chunks(self, trailer: Trailer, embed, batch_size: int) -> np.ndarray:
        """``embed`` (a network reading a batch of chunks) over the trailer's chunks, ``batch_size`` at a time,
        without gradients; ``(0, dim)`` when the trailer has no sound."""
        import torch

        chunks = torch.from_numpy(self.chunks(trailer))
        if not len(chunks):
            return self.empty()
        with torch.inference_mode():
            return torch.cat([embed(batch) for batch in chunks.split(batch_size)]).numpy()

    def extract_timed(self, trailer: Trailer) -> tuple[np.ndarray, np.ndarray]:
        features = self.extract(trailer)
        return features, self.chunk_starts(len(features))

    def moment_times(self, trailer: Trailer) -> tuple[np.ndarray, np.ndarray]:
        features, starts = self.extract_timed(trailer)
        return features, starts + self.window_seconds / 2
