"""Labels stage: the MovieNet trailer genre labels and the paper's split.

The label file (``trailers_genres_clean.csv``) lists the MovieNet trailers that
survive the paper's duration filter, one row per trailer, with its genres as a
Python-list literal. ``splits.json`` holds the paper's train/validation/test
YouTube ids. Neither file is shipped with this repository: they are read from
a directory given by the caller, by ``$GENRELIB_MOVIENET_DIR``, from
``../shared/movienet`` next to the checkout, or from the copy that
``genrelib download-movienet`` fetched, with a checksum check, into the
artifacts folder (``make book`` does that when no other copy exists).
"""

from __future__ import annotations

import ast
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from genrelib.common.downloads import DownloadError, fetch
from genrelib.common.files import sha256_of
from genrelib.common.paths import artifacts_dir

# The 21 MovieNet genres in alphabetical order: the column order of every
# label matrix, prediction matrix and per-genre table in this project.
GENRES: tuple[str, ...] = (
    "Action", "Adventure", "Animation", "Biography", "Comedy", "Crime",
    "Documentary", "Drama", "Family", "Fantasy", "History", "Horror", "Music",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Sport", "Thriller", "War",
    "Western",
)

LABEL_FILE = "trailers_genres_clean.csv"
SPLIT_FILE = "splits.json"
SPLIT_NAMES = ("trn", "val", "tst")
ENV_VAR = "GENRELIB_MOVIENET_DIR"

_SOURCE = ("https://raw.githubusercontent.com/serkansulun/trailer-genre-classification/"
           "caac031754d3c3df2bfb27002b58e47b9408270b/preprocessing/data/")
# name -> (url, sha256): the authors' public files at a fixed commit.
MOVIENET_FILES: dict[str, tuple[str, str]] = {
    LABEL_FILE: (_SOURCE + "labels/" + LABEL_FILE,
                 "4bc8f89d5c52d5786a70fd477294dc212a70ad96b6b7dc91057d704e976c0a05"),
    SPLIT_FILE: (_SOURCE + SPLIT_FILE,
                 "c42e3dc6107a13af3b97cbddb6bcc7842d5628c87168cfa3528bd9dfb4656807"),
}

HOW_TO_GET = (f"run `genrelib download-movienet --dest DIR` (checks sha256) and point "
              f"${ENV_VAR} or the notebook's `movienet_dir` parameter at DIR")


class LabelFileError(ValueError):
    """A MovieNet label or split file is missing or malformed."""


@dataclass
class MovieNetLabels:
    """The parsed label file: one row per trailer plus what parsing had to repair."""

    frame: pd.DataFrame  # youtube_id (index), imdb_id, title, duration, genres (tuple)
    path: Path
    repairs: list[dict] = field(default_factory=list)

    def multi_hot(self, youtube_ids=None) -> np.ndarray:
        """Binary matrix (videos x 21 genres) in ``GENRES`` order."""
        genres = self.frame["genres"] if youtube_ids is None else self.frame.loc[list(youtube_ids), "genres"]
        return multi_hot(genres)


SHARED_MOVIENET_DIR = Path(__file__).resolve().parents[3] / "shared" / "movienet"


def downloaded_movienet_dir() -> Path:
    """Where ``genrelib download-movienet`` puts the files by default: the artifacts folder."""
    return artifacts_dir() / "movienet"


def default_movienet_dir() -> Path:
    """Where the label files are looked for when the caller names no directory: ``$GENRELIB_MOVIENET_DIR``
    when set; else ``../shared/movienet`` or the downloaded copy, whichever holds the label file."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    for folder in (SHARED_MOVIENET_DIR, downloaded_movienet_dir()):
        if (folder / LABEL_FILE).is_file():
            return folder
    return SHARED_MOVIENET_DIR


def resolve_movienet_dir(movienet_dir: str | os.PathLike | None = None) -> Path:
    return Path(movienet_dir) if movienet_dir else default_movienet_dir()


def _require(path: Path) -> Path:
    if not path.is_file():
        raise LabelFileError(f"{path}: file not found. To get it, {HOW_TO_GET}.")
    return path


def parse_genre_list(text: str, where: str = "") -> tuple[tuple[str, ...], list[str]]:
    """Parse a genre-list literal such as ``"['Drama', 'War']"``.

    Returns the genres (sorted in ``GENRES`` order) and the tokens that had to be
    repaired. A token that is not a genre but ends with exactly one genre name
    (the real file has ``'-1ru6xV7SOMDrama'``: an id pasted before ``Drama``) is
    read as that genre; any other unknown token is an error.
    """
    try:
        tokens = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise LabelFileError(f"{where}: genres {text!r} is not a list literal ({exc})") from exc
    if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
        raise LabelFileError(f"{where}: genres {text!r} is not a list of strings")
    genres, repaired = set(), []
    for token in tokens:
        if token in GENRES:
            genres.add(token)
            continue
        suffixes = [g for g in GENRES if token.endswith(g)]
        if len(suffixes) != 1:
            raise LabelFileError(f"{where}: unknown genre {token!r}; expected one of {', '.join(GENRES)}")
        genres.add(suffixes[0])
        repaired.append(token)
    return tuple(g for g in GENRES if g in genres), repaired


def load_labels(movienet_dir: str | os.PathLike | None = None) -> MovieNetLabels:
    """Read and validate ``trailers_genres_clean.csv``."""
    path = _require(resolve_movienet_dir(movienet_dir) / LABEL_FILE)
    try:
        raw = pd.read_csv(path, dtype={"imdb_id": str, "youtube_id": str, "genres": str, "title": str})
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise LabelFileError(f"{path}: not a readable CSV ({exc}). To replace it, {HOW_TO_GET}.") from exc
    expected = {"imdb_id", "youtube_id", "genres", "title", "duration"}
    if missing := expected - set(raw.columns):
        raise LabelFileError(f"{path}: missing column(s) {sorted(missing)}; found {list(raw.columns)}. "
                             f"To replace it, {HOW_TO_GET}.")
    if raw["youtube_id"].isna().any() or raw["youtube_id"].duplicated().any():
        dup = raw.loc[raw["youtube_id"].duplicated(), "youtube_id"].tolist()[:5]
        raise LabelFileError(f"{path}: youtube_id must be present and unique (duplicates: {dup})")
    repairs, parsed = [], []
    for line, (yid, text) in enumerate(zip(raw["youtube_id"], raw["genres"].fillna("[]"), strict=True), start=2):
        genres, repaired = parse_genre_list(text, where=f"{path}, line {line} ({yid})")
        parsed.append(genres)
        repairs += [{"youtube_id": yid, "line": line, "token": t} for t in repaired]
    frame = raw.assign(genres=parsed, duration=pd.to_numeric(raw["duration"], errors="raise"))
    return MovieNetLabels(frame=frame.set_index("youtube_id"), path=path, repairs=repairs)


def multi_hot(genre_lists) -> np.ndarray:
    """Binary matrix (len(genre_lists) x 21) in ``GENRES`` order."""
    column = {g: i for i, g in enumerate(GENRES)}
    out = np.zeros((len(genre_lists), len(GENRES)), dtype=np.float32)
    for row, genres in enumerate(genre_lists):
        out[row, [column[g] for g in genres]] = 1.0
    return out


def alphabetical_split(youtube_ids, fractions=(0.7, 0.1, 0.2)) -> dict[str, list[str]]:
    """The paper's split: sort the ids (Python string order) and cut 70/10/20.

    Training takes the first ``floor(0.7 n)`` ids, test the last ``floor(0.2 n)``
    and validation the rest; on the 26,412 trailers this reproduces the
    authors' ``splits.json`` exactly.
    """
    if not math.isclose(sum(fractions), 1.0):
        raise ValueError(f"split fractions {fractions} must sum to 1")
    ids = sorted(youtube_ids)
    if len(set(ids)) != len(ids):
        raise ValueError("youtube ids must be unique to be split")
    n_trn, n_tst = math.floor(fractions[0] * len(ids)), math.floor(fractions[2] * len(ids))
    return {"trn": ids[:n_trn], "val": ids[n_trn:len(ids) - n_tst], "tst": ids[len(ids) - n_tst:]}


def load_splits(movienet_dir: str | os.PathLike | None = None) -> dict[str, list[str]]:
    """Read and validate ``splits.json`` ({"trn": [...], "val": [...], "tst": [...]})."""
    path = _require(resolve_movienet_dir(movienet_dir) / SPLIT_FILE)
    try:
        splits = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LabelFileError(f"{path}: not valid JSON ({exc}). To replace it, {HOW_TO_GET}.") from exc
    if not isinstance(splits, dict) or set(splits) != set(SPLIT_NAMES):
        raise LabelFileError(f"{path}: expected an object with keys {list(SPLIT_NAMES)}")
    seen: set[str] = set()
    for name in SPLIT_NAMES:
        ids = splits[name]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise LabelFileError(f"{path}: split {name!r} must be a list of youtube ids")
        if overlap := seen.intersection(ids):
            raise LabelFileError(f"{path}: split {name!r} repeats ids of another split, e.g. {sorted(overlap)[:3]}")
        seen.update(ids)
    return {name: splits[name] for name in SPLIT_NAMES}


def download_movienet(dest: str | os.PathLike, files: dict[str, tuple[str, str]] = MOVIENET_FILES) -> list[Path]:
    """Download the label and split files into ``dest`` and verify their sha256.

    A file already present with the right checksum is kept; a download with the
    wrong checksum is discarded and reported, never left in place.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (url, sha256) in files.items():
        target = dest / name
        if target.is_file() and sha256_of(target) == sha256:
            written.append(target)
            continue
        fetched = dest / f".{name}.download"
        try:
            fetch(url, fetched)
        except DownloadError as exc:
            raise LabelFileError(
                f"could not download {name} from {url} ({exc.__cause__ or exc}). Without internet, copy "
                f"{LABEL_FILE} and {SPLIT_FILE} into a folder and point ${ENV_VAR} (or a chapter's movienet_dir) at "
                f"it, or put them in {SHARED_MOVIENET_DIR} or {downloaded_movienet_dir()}") from None
        got = sha256_of(fetched)
        if got != sha256:
            fetched.unlink()
            raise LabelFileError(f"{url}: sha256 {got} does not match the expected {sha256}; nothing was written")
        os.replace(fetched, target)
        written.append(target)
    return written
