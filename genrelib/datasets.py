"""Which feature store a chapter runs on, named by one parameter.

``store`` in a chapter's parameters is one of

* ``"demo"``: features that chapter 2 extracted from the demo corpus of
  :mod:`genrelib.demo` with the offline backends (run chapter 2 first);
* ``"synthetic"``: the documented stand-in of :mod:`genrelib.synthetic`, built
  on first use under the artifacts folder;
* ``"planted"``: :func:`genrelib.synthetic.planted_store`, a few evidence frames
  per genre among many noise frames (options in ``planted``), built on first use;
* the path of a store directory, e.g. one imported from the authors' release
  or extracted from the user's own MovieNet trailers.
"""

from __future__ import annotations

from pathlib import Path

from . import labels, synthetic
from .env import Paths
from .store import FeatureStore

# Big Buck Bunny's trailer (Blender Foundation, CC-BY 3.0), from the moviepy 2.2.1 sdist, beside the checkout.
SAMPLE_TRAILER = Path(__file__).resolve().parents[2] / "shared" / "media" / "bbb_trailer.mp4"
SAMPLE_TRAILER_SHA256 = "ce0d2ba68822a89ae65ee41b53be9de621771130c2aa1d0ff02d935df75b59ae"


def sample_trailer(path: Path = SAMPLE_TRAILER) -> Path | None:
    """The real sample trailer when it is there with the expected sha256; None when it is absent."""
    if not path.is_file():
        return None
    if labels.sha256_of(path) != SAMPLE_TRAILER_SHA256:
        raise ValueError(f"{path}: sha256 differs from the Big Buck Bunny trailer's {SAMPLE_TRAILER_SHA256}; "
                         "replace it with trailer_bbb.mp4 from the moviepy 2.2.1 sdist")
    return path


def demo_clips_path(paths: Paths) -> Path:
    """Where chapter 2 writes the demo corpus: its video files and manifest ``corpus.csv``."""
    return paths.artifacts / "demo" / "clips"


def timing_videos(paths: Paths, demo_clips: int = 3) -> list[Path]:
    """Videos to time extractors on: the first ``demo_clips`` test clips of the demo corpus (speech, title
    cards, music) and the Big Buck Bunny trailer (a real film) when it is beside the checkout."""
    from .demo import MANIFEST, read_corpus

    corpus = read_corpus(demo_clips_path(paths) / MANIFEST)
    videos = [Path(p) for p in corpus.loc[corpus["split"] == "tst", "path"].sort_index()[:demo_clips]]
    return videos + [trailer for trailer in [sample_trailer()] if trailer is not None]


def demo_store_path(paths: Paths, backend: str = "offline") -> Path:
    return paths.artifacts / "stores" / f"demo-{backend}"


def demo_cache_path(paths: Paths, backend: str = "offline") -> Path:
    """Per-video extraction cache of the demo corpus (with each extractor's timing)."""
    return paths.artifacts / "demo" / f"features-{backend}"


def open_store(store: str, paths: Paths, movienet_dir=None, synthetic_videos: dict[str, int] | None = None,
               seed: int = 0, planted: dict | None = None) -> FeatureStore:
    if store == "demo":
        path = demo_store_path(paths)
        if not (path / "manifest.json").is_file():
            raise FileNotFoundError(f"{path}: the demo feature store does not exist yet; execute chapter 2 "
                                    "(02_extraction) first, as `make book` does")
        return FeatureStore(path)
    if store == "synthetic":
        if not synthetic_videos:
            raise ValueError("store='synthetic' needs synthetic_videos, e.g. {'trn': 600, 'val': 150, 'tst': 300}")
        return synthetic.cached_synthetic_store(paths.artifacts / "stores", labels.load_labels(movienet_dir),
                                                labels.load_splits(movienet_dir), synthetic_videos, seed=seed)
    if store == "planted":
        if not synthetic_videos:
            raise ValueError("store='planted' needs synthetic_videos, e.g. {'trn': 600, 'val': 150, 'tst': 300}")
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in (planted or {}).items()}
        return synthetic.cached_planted_store(paths.artifacts / "stores", synthetic_videos, seed=seed, **options)
    return FeatureStore(Path(store).expanduser())


def describe(store: FeatureStore) -> str:
    """One line naming the data and the extractors behind a store, for the top of a results section."""
    backends = ", ".join(sorted({f"{m.backend} ({m.model})" for m in store.modalities.values()}))
    counts = ", ".join(f"{split} {len(store.indices(split))}" for split in labels.SPLIT_NAMES)
    return f"Store {store.path.name}: {store.description}. Videos: {counts}. Extractors: {backends}."
