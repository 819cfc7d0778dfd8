"""The authors' release (zenodo record 13909366): features of every MovieNet trailer and their classifiers.

``features.pkl`` is a pickle of ``{"samples": {youtube_id: {"features": {name: array}, "label": multi-hot}},
"stats": {name: {...}}, "idx_to_label": {index: genre}}`` with five features: ``clip`` (512-d per frame),
``beats`` (768-d audio per chunk), ``face_emotion`` (768-d per face frame), ``asr_sentiment`` and
``ocr_sentiment`` (one 768-d vector per video, stored 1-D). A sample can lack a feature or hold an empty
array for it (no face, no speech). The trained classifiers are ``{mlp,single_transformer,
multi_transformer}.pt`` with ``*_config.pt``. :func:`download` fetches them (resumable) and records each
file's size and sha256 beside it; :func:`verify` checks that record on every later use;
:func:`write_synthetic` writes a small release of exactly this format for tests.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np

from .downloads import fetch
from .labels import GENRES, MovieNetLabels, sha256_of

URL_TEMPLATE = "https://zenodo.org/records/13909366/files/{name}?download=1"
FEATURES = "features.pkl"
CLASSIFIERS = ("mlp", "single_transformer", "multi_transformer")
# The release's features: width, and vectors per second of trailer (None: one vector per video).
FEATURE_SHAPES = {"clip": (512, 1.0), "beats": (768, 1 / 1.5), "face_emotion": (768, 0.5),
                  "asr_sentiment": (768, None), "ocr_sentiment": (768, None)}


class ReleaseError(OSError):
    """A release file is missing, damaged or not what was downloaded; the message says what to do."""


def files(classifiers: bool = False) -> list[str]:
    names = [FEATURES]
    if classifiers:
        names += [f"{kind}{suffix}" for kind in CLASSIFIERS for suffix in (".pt", "_config.pt")]
    return names


def _record(path: Path) -> Path:
    return path.with_name(f"{path.name}.sha256.json")


def download(dest: str | os.PathLike, classifiers: bool = False, url_template: str = URL_TEMPLATE,
             progress: bool = True) -> list[Path]:
    """Fetch the release into ``dest`` (resuming an interrupted file); a file already there is verified instead.
    The size and sha256 of each new file are recorded beside it."""
    dest = Path(dest).expanduser()
    fetched = []
    for name in files(classifiers):
        target = dest / name
        if target.is_file():
            verify(target)
        else:
            fetch(url_template.format(name=name), target, progress=progress)
            _record(target).write_text(json.dumps({"size": target.stat().st_size, "sha256": sha256_of(target)}))
        fetched.append(target)
    return fetched


def verify(path: str | os.PathLike) -> Path:
    """Check a release file against the size and sha256 recorded when it was downloaded (a file placed by hand,
    without a record, is taken as it is)."""
    path = Path(path)
    record = _record(path)
    if not record.is_file():
        return path
    expected = json.loads(record.read_text())
    size = path.stat().st_size
    if size != expected["size"] or sha256_of(path) != expected["sha256"]:
        raise ReleaseError(f"{path}: differs from the file downloaded ({record.name} records {expected['size']:,} "
                           f"bytes, sha256 {expected['sha256'][:12]}...; now {size:,} bytes). It was changed or "
                           f"damaged: delete it and run genrelib download-authors-release again")
    return path


class _StreamedDict:
    """Pickles as a plain dict whose items are drawn from an iterator while the pickle is written."""

    def __init__(self, items):
        self.items = items

    def __reduce__(self):
        return dict, (), None, None, self.items


def write_synthetic(path: str | os.PathLike, movienet: MovieNetLabels, splits: dict[str, list[str]],
                    videos_per_split: dict[str, int], signal: float = 1.0, seed: int = 0) -> Path:
    """A small release in exactly the published format, over the first ``videos_per_split[s]`` real MovieNet
    ids of each split: random vectors whose frames carry a genre direction with some probability, lengths
    following each trailer's duration, some features missing or empty as in the real file.

    Samples are drawn while the pickle is written and not kept, so a release of full size (26,412 trailers,
    about 14 GiB) needs little memory to write; it reads back as the same plain dicts."""
    rng = np.random.default_rng(seed)
    directions = {name: rng.standard_normal((len(GENRES), dim)) for name, (dim, _) in FEATURE_SHAPES.items()}
    order = rng.permutation(len(GENRES))  # the release's label order is its own: a test that it is mapped

    def sample(video: str) -> dict:
        labels = movienet.multi_hot([video])[0]
        duration = float(movienet.frame.loc[video, "duration"])
        features = {}
        for name, (dim, rate) in FEATURE_SHAPES.items():
            if rng.random() < 0.1:
                continue  # the sample lacks this feature
            length = 1 if rate is None else int(rng.poisson(rate * duration))
            frames = rng.standard_normal((length, dim), dtype=np.float32)
            shows = rng.random(length) < 0.3
            if labels.any() and shows.any():
                frames[shows] += signal * directions[name][rng.choice(np.flatnonzero(labels), shows.sum())]
            features[name] = frames[0] if rate is None and length else frames
        return {"features": features, "label": labels[order].astype(np.float32)}

    videos = [video for split, count in videos_per_split.items() for video in splits[split][:count]]
    samples = _StreamedDict((video, sample(video)) for video in videos)
    release = {"samples": samples, "stats": {}, "idx_to_label": {i: GENRES[g] for i, g in enumerate(order)}}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: it would keep every written array alive (the release shares no object)
        pickler.dump(release)
    return path
