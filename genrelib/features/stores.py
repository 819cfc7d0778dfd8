"""Which data a chapter runs on, named by one parameter, and the real videos the book times and explains.

``store`` in a chapter's parameters is one of

* ``"demo"``: features that chapter 2 extracted from the demo corpus of
  :mod:`genrelib.data.demo_corpus` with the offline backend (``"demo-paper"``: the paper
  backend; run chapter 2 first);
* ``"synthetic"``: the paper-like stand-in of :mod:`genrelib.data.synthetic`, over real
  MovieNet label sets, built on first use under the artifacts folder;
* ``"planted"``: :mod:`genrelib.data.planted`, a few evidence frames per genre among many
  noise frames (options in ``planted``), built on first use;
* ``"trailers"`` (``"trailers-paper"``): features that chapter 2 extracted from a folder of
  real trailers (its ``trailers_dir``, e.g. MovieNet's fetched by ``genrelib download-trailers``);
* ``"authors"``: the authors' released features, imported once by ``genrelib import-features``
  (:func:`authors_store_path`);
* the path of a store directory, e.g. one extracted from the user's own MovieNet trailers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from genrelib.common import files
from genrelib.common.paths import Paths, shown
from genrelib.data import labels, planted, synthetic
from genrelib.data.store import MANIFEST, FeatureStore

# Big Buck Bunny's trailer (Blender Foundation, CC-BY 3.0), from the moviepy 2.2.1 sdist, beside the checkout.
SAMPLE_TRAILER = Path(__file__).resolve().parents[3] / "shared" / "media" / "bbb_trailer.mp4"
SAMPLE_TRAILER_SHA256 = "ce0d2ba68822a89ae65ee41b53be9de621771130c2aa1d0ff02d935df75b59ae"


def sample_trailer(path: Path = SAMPLE_TRAILER) -> Path | None:
    """The real sample trailer when it is there with the expected sha256; None when it is absent."""
    if not path.is_file():
        return None
    if files.sha256_of(path) != SAMPLE_TRAILER_SHA256:
        raise ValueError(f"{path}: sha256 differs from the Big Buck Bunny trailer's {SAMPLE_TRAILER_SHA256}; "
                         "replace it with trailer_bbb.mp4 from the moviepy 2.2.1 sdist")
    return path


def demo_clips_path(paths: Paths) -> Path:
    """Where chapter 2 writes the demo corpus: its video files and manifest."""
    return paths.artifacts / "demo" / "clips"


def demo_corpus_table(paths: Paths) -> pd.DataFrame:
    """The demo corpus chapter 2 made: one row per clip (split, genres, path, evidence scenes)."""
    from genrelib.data import demo_corpus  # the [demo] extra: imported only to make or read the clips

    return demo_corpus.read_corpus(demo_clips_path(paths) / demo_corpus.MANIFEST)


def trailer_table(folder, movienet_dir=None) -> pd.DataFrame:
    """A folder of MovieNet trailers (``<youtube id>.mkv``) in the demo corpus's layout: split, genres and path of
    each trailer that the label file and the split know (others are left out)."""
    from genrelib.features.extraction import trailer_files

    movienet, splits = labels.load_labels(movienet_dir), labels.load_splits(movienet_dir)
    split_of = {video: name for name, ids in splits.items() for video in ids}
    rows = [{"video_id": video, "youtube_id": video, "split": split_of[video],
             "genres": movienet.frame.loc[video, "genres"], "path": str(path), "evidence": ""}
            for video, path in trailer_files(folder).items() if video in split_of and video in movienet.frame.index]
    if not rows:
        raise FileNotFoundError(f"{shown(folder)}: no trailer named by a YouTube id of the MovieNet split")
    return pd.DataFrame(rows).set_index("video_id")


def chapter_videos(paths: Paths, trailers_dir=None, corpus_videos: dict[str, int] | None = None, movienet_dir=None,
                   seed: int = 0, progress: bool = True, workers: int = 1) -> tuple[str, pd.DataFrame]:
    """The videos chapter 2 extracts, as (data name, table): a folder of real trailers when ``trailers_dir`` is
    given, else the demo corpus, made (or completed) first by ``workers`` processes."""
    from genrelib.data import demo_corpus

    if trailers_dir:
        return "trailers", trailer_table(trailers_dir, movienet_dir)
    manifest = demo_corpus.make_corpus(demo_clips_path(paths), corpus_videos or {}, movienet_dir, seed=seed,
                                       progress=progress, workers=workers)
    return "demo", demo_corpus.read_corpus(manifest)


def held_out_clip(store: str, paths: Paths, video: str | None = None) -> pd.Series | None:
    """A test-split video file of the named store that no model saw in training (``video``, by its id, or the
    first), or None when the store has no video files (everything but the demo corpus)."""
    if store != "demo":
        return None
    corpus = demo_corpus_table(paths)
    test = corpus[corpus["split"] == "tst"]
    return test.loc[video] if video is not None else test.iloc[0]


def timing_videos(paths: Paths, demo_clips: int = 3) -> list[Path]:
    """Videos to time extractors on: the first ``demo_clips`` test clips of the demo corpus (speech, title
    cards, music) when chapter 2 made it, and the Big Buck Bunny trailer (a real film) when it is beside the
    checkout."""
    from genrelib.data import demo_corpus

    manifest = demo_clips_path(paths) / demo_corpus.MANIFEST
    videos = []
    if demo_clips and manifest.is_file():
        corpus = demo_corpus.read_corpus(manifest)
        videos = [Path(p) for p in corpus.loc[corpus["split"] == "tst", "path"].sort_index()[:demo_clips]]
    videos += [trailer for trailer in [sample_trailer()] if trailer is not None]
    if not videos:
        raise FileNotFoundError(f"no video to time extractors on: run chapter 2 (the demo corpus) or place the Big "
                                f"Buck Bunny trailer at {SAMPLE_TRAILER}")
    return videos


def demo_store_path(paths: Paths, backend: str = "offline", data: str = "demo") -> Path:
    """The store chapter 2 compiles: of the demo corpus, or (``data="trailers"``) of a folder of real trailers."""
    return paths.artifacts / "stores" / f"{data}-{backend}"


def demo_cache_path(paths: Paths, backend: str = "offline", data: str = "demo") -> Path:
    """Per-video extraction cache of chapter 2's videos (with each extractor's timing)."""
    return paths.artifacts / data / f"features-{backend}"


def authors_store_path(paths: Paths) -> Path:
    """Where ``genrelib import-features`` writes the authors' release by default, and ``store: authors`` reads."""
    return paths.artifacts / "stores" / "authors"


def open_or_write(kind: str, write, folder: Path, videos_per_split: dict[str, int], seed: int,
                   **options) -> FeatureStore:
    """Open the ``kind`` store for these settings under ``folder``, writing it first with ``write`` if absent."""
    key = "-".join(f"{s}{n}" for s, n in sorted(videos_per_split.items()))
    extra = "".join(f"-{k}{v}" for k, v in sorted(options.items())).replace(" ", "")
    path = Path(folder) / f"{kind}-{key}-seed{seed}{extra}"
    if (path / MANIFEST).is_file():
        return FeatureStore(path)
    return write(path, videos_per_split=videos_per_split, seed=seed, **options)


def open_store(store: str, paths: Paths, movienet_dir=None, synthetic_videos: dict[str, int] | None = None,
               seed: int = 0, planted_options: dict | None = None) -> FeatureStore:
    """The feature store a chapter's ``store`` parameter names (see the module's docstring)."""
    data, _, backend = store.partition("-")
    if data in ("demo", "trailers") and backend in ("", "offline", "paper"):
        path = demo_store_path(paths, backend or "offline", data)
        if not (path / MANIFEST).is_file():
            raise FileNotFoundError(f"{shown(path)}: the {store} feature store does not exist yet; execute chapter 2 "
                                    "(02_extraction) first, as `make book` does")
        return FeatureStore(path)
    if store == "authors":
        if not (authors_store_path(paths) / MANIFEST).is_file():
            raise FileNotFoundError(f"{shown(authors_store_path(paths))}: the authors' release is not imported yet: "
                                    "genrelib download-authors-release --dest DIR, then genrelib import-features "
                                    "DIR/features.pkl --trust-pickle")
        return FeatureStore(authors_store_path(paths))
    if store in ("synthetic", "planted") and not synthetic_videos:
        raise ValueError(f"store={store!r} needs synthetic_videos, e.g. {{'trn': 600, 'val': 150, 'tst': 300}}")
    if store == "synthetic":
        movienet, splits = labels.load_labels(movienet_dir), labels.load_splits(movienet_dir)
        return open_or_write("synthetic", lambda path, **kw: synthetic.write_store(path, movienet, splits, **kw),
                              paths.artifacts / "stores", synthetic_videos, seed)
    if store == "planted":
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in (planted_options or {}).items()}
        return open_or_write("planted", planted.write_store, paths.artifacts / "stores", synthetic_videos, seed,
                              **options)
    return FeatureStore(Path(store).expanduser())


def headline(store: FeatureStore) -> str:
    """One sentence naming a chapter's data, for the top of its page (the extractors in full are in chapter 2
    and in chapter 8's table of sources)."""
    counts = " / ".join(f"{len(store.indices(split)):,}" for split in labels.SPLIT_NAMES)
    return (f"**Data:** {store.description} (store `{store.path.name}`; {counts} videos for training / validation "
            "/ test); chapter 8 lists every data source of this build.")


def describe(store: FeatureStore) -> str:
    """One line naming the data and the extractors behind a store, for the top of a results section."""
    extractors = ", ".join(sorted({f"{m.package} ({m.model})" for m in store.modalities.values()}))
    counts = ", ".join(f"{split} {len(store.indices(split))}" for split in labels.SPLIT_NAMES)
    return f"Store {store.path.name}: {store.description}. Videos: {counts}. Extractors: {extractors}."
