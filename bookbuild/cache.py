"""The execution cache: a chapter runs again only when something it depends on changed (:func:`stale`).

What a chapter depends on is recorded when it runs: its source, its parameters, the genrelib definitions its
code reaches (:func:`bookbuild.imports.reached_definitions`), the installed packages, the ``GENRELIB_*``
settings, the content of every data file it read or wrote and every folder it listed under the data folders
(:func:`data_folders`), as the audit events of its kernel and of the worker processes it started saw them
(:mod:`bookbuild.trace`), and the folders it declares (:data:`DECLARED`: the extractors' weights, which C code
reads unseen). ``--force``, or ``CI`` set to true, runs every chapter.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

from bookbuild.myst import NOTEBOOK_DIR, declared_parameters
from genrelib.common.paths import REPO_ROOT, artifacts_dir, shown

from .execute import execute
from .watch import watching


def use_cache(force: bool = False) -> bool:
    """Whether earlier runs may be reused: not with ``--force``, and never under CI, which always runs fresh."""
    return not force and os.environ.get("CI", "").strip().lower() not in ("1", "true", "yes")


def cache_dir() -> Path:
    """Where each chapter's latest run is recorded: beside the artifacts it depends on (``make test`` and an
    exercise's rerun, :mod:`bookbuild.runs`, have artifacts folders of their own, so their runs never replace
    those of ``make book``)."""
    return artifacts_dir() / "book-cache"


@cache
def environment() -> dict[str, str]:
    """What every chapter's results rest on besides its inputs: Python, the platform, each installed package."""
    packages = sorted(f"{d.metadata['Name']}=={d.version}".lower() for d in importlib.metadata.distributions())
    return {"python": platform.python_version(), "platform": platform.platform(),
            "packages": hashlib.sha256("\n".join(packages).encode()).hexdigest()}


def settings() -> dict[str, str]:
    """The ``GENRELIB_*`` variables, which move data and weights."""
    return {name: value for name, value in sorted(os.environ.items()) if name.startswith("GENRELIB_")}


def chapter_code(source: Path) -> str:
    import jupytext

    return "\n".join(cell.source for cell in jupytext.read(source).cells if cell.cell_type == "code")


def chapter_key(source: Path, parameters: dict, library: Path | None = None) -> dict:
    """What a chapter's run depends on besides its data: its source, parameters, the code it uses of the library
    (genrelib unless another package is named), the packages and the settings."""
    from .imports import PACKAGE, reached_definitions

    return {"source": hashlib.sha256(source.read_bytes()).hexdigest(), "parameters": parameters,
            "code": reached_definitions(chapter_code(source), library or PACKAGE), "environment": environment(),
            "settings": settings()}


def data_folders(out_dir: Path, parameters: dict) -> tuple[list[Path], list[Path]]:
    """The folders whose files count as a chapter's data, and those inside them that do not: the artifacts,
    the repository and the shared folder beside it, the executed chapters, folders named by ``GENRELIB_*``
    settings or by parameters; not the library, the chapter sources, the virtual environment, this cache or
    the rendered book (code and packages are keyed on their own)."""
    folders = [artifacts_dir(), REPO_ROOT, REPO_ROOT.parent / "shared", out_dir]
    folders += [Path(v).expanduser() for v in [*settings().values(), *parameters.values()]
                if isinstance(v, str) and v and Path(v).expanduser().exists()]
    ignored = [REPO_ROOT / "genrelib", REPO_ROOT / "bookbuild", NOTEBOOK_DIR, REPO_ROOT / ".git",
               REPO_ROOT / "_build" / "html", REPO_ROOT / "_build" / ".doctrees", Path(sys.prefix), cache_dir()]
    return [Path(os.path.realpath(f)) for f in folders], [Path(os.path.realpath(f)) for f in ignored]


def weight_folders() -> list[Path]:
    """The extractors' weights: those assembled once (Whisper base) and the paper backend's folder."""
    from genrelib.features.extractors import weights

    folders = {Path(os.path.realpath(f)) for f in (weights.MODEL_CACHE, weights.paper_folder())}
    return sorted(f for f in folders if not any(f != other and f.is_relative_to(other) for other in folders))


# Folders a chapter depends on as a whole when its code reaches definitions under a prefix: ONNX Runtime and
# CTranslate2 read the weights in C, which raises no audit event, so swapping stand-in weights for real ones
# would go unseen.
DECLARED = {"genrelib.features.extractors.weights.": weight_folders}


def declared_folders(code: dict[str, str]) -> list[Path]:
    return [folder for prefix, folders in DECLARED.items() if any(name.startswith(prefix) for name in code)
            for folder in folders()]


class Digests:
    """sha256 of files, remembered by size and modification time so that an unchanged store is not read again."""

    def __init__(self, path: Path):
        self.path = path
        self.known = json.loads(path.read_text()) if path.is_file() else {}

    def __call__(self, file: Path) -> str | None:
        """The file's digest, None when it is gone."""
        try:
            stat = file.stat()
        except FileNotFoundError:
            return None
        size, mtime, digest = self.known.get(str(file), (None, None, None))
        if (size, mtime) != (stat.st_size, stat.st_mtime_ns):
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
            self.known[str(file)] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(dict(self.known)))  # a copy: chapters side by side add to it


def listing(folder: Path, suffixes: set[str]) -> str | None:
    """A digest of a folder's entries (hidden ones, this code's temporary files, left out; only those ending in
    ``suffixes`` when given); None when the folder is gone."""
    if not folder.is_dir():
        return None
    names = sorted(n for n in os.listdir(folder) if not n.startswith(".") and
                   (not suffixes or Path(n).suffix in suffixes))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def tree(folder: Path, digests: Digests) -> str | None:
    """A digest of the names and contents of every file under ``folder`` (hidden ones left out); None when the
    folder is gone."""
    if not folder.is_dir():
        return None
    files = sorted(f.relative_to(folder) for f in folder.rglob("*")
                   if f.is_file() and not any(part.startswith(".") for part in f.relative_to(folder).parts))
    return hashlib.sha256("\n".join(f"{f}\t{digests(folder / f)}" for f in files).encode()).hexdigest()


def traced(log: Path, digests: Digests, own: Path) -> dict:
    """What a chapter's processes logged, as the digests of the data files they read or wrote (a folder written
    by a rename counts with its files) and of the folders they listed; its own executed notebook left out."""
    seen = {"read": set(), "write": set(), "list": set()}
    for line in log.read_text().splitlines():
        kind, path = line.split("\t", 1)
        seen[kind].add(Path(path))

    def files(paths):
        for path in paths:
            if path.is_dir():
                yield from (f for f in path.rglob("*") if f.is_file() and not f.name.startswith("."))
            elif path.is_file() and not path.name.startswith(".") and path != own:
                yield path

    written = sorted(set(files(seen["write"])))
    data = {str(f): digests(f) for f in sorted(set(files(seen["read"])) | set(written))}
    folders = {str(d): listing(d, _suffixes(data).get(d, set())) for d in sorted(seen["list"]) if d.is_dir()}
    return {"files": data, "folders": folders, "written": [str(f) for f in written]}


def _suffixes(files) -> dict[Path, set[str]]:
    """The suffixes of the data files in each folder: a listing counts the names of those kinds only."""
    suffixes: dict[Path, set[str]] = {}
    for file in map(Path, files):
        suffixes.setdefault(file.parent, set()).add(file.suffix)
    return suffixes


def stale(entry: dict | None, key: dict, digests: Digests) -> str | None:
    """Why a chapter must run again, or None when its recorded run (``entry``) still holds: the first thing
    found that differs, among its key (:func:`chapter_key`) and the data it read, wrote and declared."""
    if entry is None:
        return "no earlier run recorded"
    for part, what in (("source", "its source"), ("parameters", "its parameters"),
                       ("environment", "the installed packages or Python"), ("settings", "the GENRELIB_* settings")):
        if entry["key"][part] != key[part]:
            return f"{what} changed"
    before, now = entry["key"]["code"], key["code"]
    changed = sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name))
    if changed:
        names = [name.removeprefix("genrelib.") for name in changed[:3]]
        return "genrelib code it uses changed: " + ", ".join(names) + (" ..." if len(changed) > 3 else "")
    for file, digest in entry["files"].items():
        if digests(Path(file)) != digest:
            return f"{shown(file)} changed" if Path(file).exists() else f"{shown(file)} is gone"
    suffixes = _suffixes(entry["files"])
    for folder, digest in entry["folders"].items():
        if listing(Path(folder), suffixes.get(Path(folder), set())) != digest:
            return f"the files in {shown(folder)} changed"
    trees = entry.get("trees", {})  # an entry recorded before folders were declared has none
    if {str(f) for f in declared_folders(key["code"])} != set(trees):
        return "the folders its code reads as a whole changed"
    for folder, digest in trees.items():
        if tree(Path(folder), digests) != digest:
            return f"the files under {shown(folder)} changed"
    return None


def read_entry(stem: str) -> dict | None:
    path = cache_dir() / f"{stem}.json"
    entry = json.loads(path.read_text()) if path.is_file() else None
    return entry if entry is not None and (cache_dir() / f"{stem}.ipynb").is_file() else None


def write_entry(stem: str, entry: dict, notebook: Path) -> None:
    cache_dir().mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, cache_dir() / f"{stem}.ipynb")
    (cache_dir() / f"{stem}.json").write_text(json.dumps(entry, indent=1))


def forget_entry(stem: str) -> None:
    for suffix in (".json", ".ipynb"):
        (cache_dir() / f"{stem}{suffix}").unlink(missing_ok=True)


def run_chapter(source: Path, parameters: dict, out_dir: Path, reuse: bool, digests: Digests, results: Path,
                library: Path | None = None, say: Callable[[str], None] = print) -> dict:
    """Reuse the chapter's recorded run when nothing it depends on changed, else execute it (``say`` tells its
    progress: :mod:`bookbuild.watch`) and record what it depended on. Returns how this build made it: ``this
    build`` (executed or reused), ``why``, ``seconds``."""
    start = time.perf_counter()
    key = chapter_key(source, parameters, library)
    entry = read_entry(source.stem)
    why = stale(entry, key, digests) if reuse else "every chapter runs (--force, or CI)"
    target = out_dir / f"{source.stem}.ipynb"
    if why is None:
        recorded = cache_dir() / f"{source.stem}.ipynb"
        if not target.is_file() or target.read_bytes() != recorded.read_bytes():
            out_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(recorded, target)
        return {"this build": "reused", "why": "nothing it depends on changed",
                "seconds": time.perf_counter() - start}
    forget_entry(source.stem)
    for file in (entry or {}).get("written", []):  # results it wrote last time: this run writes its own
        if Path(file).is_relative_to(results):
            Path(file).unlink(missing_ok=True)
    folders, ignored = data_folders(out_dir, {**declared_parameters(source), **parameters})
    handle, log = tempfile.mkstemp(prefix=f"genrelib-{source.stem}-", suffix=".trace")
    os.close(handle)
    try:
        with watching(source.stem, Path(log), say):
            execute(source, parameters, out_dir, trace=(Path(log), folders, ignored))
        data = traced(Path(log), digests, Path(os.path.realpath(target)))
    finally:
        Path(log).unlink(missing_ok=True)
    data["trees"] = {str(f): tree(f, digests) for f in declared_folders(key["code"])}
    seconds = time.perf_counter() - start
    write_entry(source.stem, {"key": key, **data, "seconds": seconds}, target)
    return {"this build": "executed", "why": why, "seconds": seconds}
