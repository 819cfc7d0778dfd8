"""The authors' release files (zenodo record 13909366): fetched once, checked on every later use.

:func:`download` fetches them (resumable) and records each file's size and sha256 beside it; :func:`verify`
checks that record on every later use.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from genrelib.common.downloads import fetch
from genrelib.common.files import sha256_of

URL_TEMPLATE = "https://zenodo.org/records/13909366/files/{name}?download=1"
FEATURES = "features.pkl"
CLASSIFIERS = ("mlp", "single_transformer", "multi_transformer")


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
