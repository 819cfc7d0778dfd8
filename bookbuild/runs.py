"""An exercise's run: one chapter rerun with other values in a folder of its own, which reads what the book
computed and writes nothing of the book's.

``python -m bookbuild --only 03_mlp -p learning_rate 1e-5`` executes the chapter into
``runs/03_mlp-learning_rate=1e-05/executed/`` with ``runs/03_mlp-learning_rate=1e-05/artifacts`` as the
artifacts folder of the build and of the chapter's kernel (``$GENRELIB_ARTIFACTS``): the checkpoints it
trains, the results it saves and the build's record of the run (:func:`bookbuild.cache.cache_dir`) land
there, while ``book/executed/`` and the book's artifacts stay as they were. ``--run NAME`` names the folder;
chapters rerun into one folder read what the others made there (chapter 8 gathers the results of chapters 3
and 4 rerun on another store), and the book's files where the run has none of its own.

The run's artifacts folder holds a symbolic link to each file of the book's
(:func:`genrelib.common.apart.link_files`), so the chapter reads the stores, clips and checkpoints the book made:
chapter 3's exercise does not redo chapter 2's extraction. Its folders are its own, never links: genrelib writes a
store, a feature-cache entry or a checkpoint under a temporary name in the target's folder and renames it over the
target (:func:`genrelib.common.files.write_atomically`, :class:`genrelib.data.store.StoreWriter`), which replaces a
link to a file and leaves the book's file as it was, whereas through a linked ``stores/`` the new store would have
replaced the book's (and a store folder that is itself a link makes ``StoreWriter`` fail to remove the old one). Not
linked are the build's cache and the files the chapter itself wrote in the book's recorded run: the run makes its
own from its values (chapter 2 with another scene threshold extracts afresh instead of reading features extracted at
the old one, and result tables, which are written in place, never reach the book's through a link). """

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from bookbuild.myst import ParameterError, declared_parameters
from genrelib.common.apart import BOOK_ARTIFACTS_ENV_VAR, link_files
from genrelib.common.paths import ARTIFACTS_ENV_VAR, REPO_ROOT, artifacts_dir, shown

from .cache import cache_dir, read_entry

RUNS_DIR = REPO_ROOT / "runs"
BOOK_PARAMS = REPO_ROOT / "params" / "default.yaml"  # what `make book` runs
LONGEST_NAME = 120


def run_name(stem: str, values: dict) -> str:
    """A readable folder name for chapter ``stem`` rerun with ``values``, e.g. ``03_mlp-learning_rate=1e-05``:
    the brackets, braces, quotes and spaces of lists, mappings and text left out, any other run of characters
    awkward in a path written ``_``; a long name cut, with a digest of the whole that keeps it apart."""
    name = "-".join([stem, *(f"{key}={value}" for key, value in values.items())])
    name = re.sub(r"[^\w.,=+-]+", "_", re.sub(r"[\[\]{}'\" ]", "", name))
    if len(name) > LONGEST_NAME:
        name = name[:LONGEST_NAME - 13] + "-" + hashlib.sha256(name.encode()).hexdigest()[:12]
    return name


def changed(chapter: Path, values: dict) -> dict:
    """Those of ``values`` that differ from what the book runs the chapter with (its parameters cell, then its
    section of :data:`BOOK_PARAMS`): a run's name, so two runs that compute different things never share one."""
    book = {**declared_parameters(chapter), **((yaml.safe_load(BOOK_PARAMS.read_text()) or {}).get(chapter.stem) or {})}
    return {name: value for name, value in values.items() if name not in book or book[name] != value}


def check_run_name(name: str) -> str:
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise ParameterError(f"--run {name!r}: name a folder of runs/ with a plain name, e.g. --run slow_mlp")
    return name


@contextmanager
def apart(name: str, stem: str) -> Iterator[Path]:
    """Prepare ``runs/<name>/`` for a rerun of chapter ``stem`` and make its artifacts folder the build's
    while the context lasts; yields the run's folder."""
    run, book = RUNS_DIR / name, artifacts_dir()
    recorded = read_entry(stem)
    (run / "artifacts").mkdir(parents=True, exist_ok=True)
    for link in [path for path in (run / "artifacts").rglob("*") if path.is_symlink()]:
        link.unlink()  # the links of an earlier run are made again, so that they follow the book
    # a record whose files are gone (the artifacts moved, or were cleaned) no longer says what the chapter writes
    if recorded is None or not all(os.path.exists(file) for file in recorded["written"]):
        print(f"note: the book's build in {shown(book)} has no recorded run of {stem} that matches its artifacts "
              "(`make book` records one), so this run reads nothing of the book's artifacts: a link could lead "
              "a write of the chapter into the book", flush=True)
    else:
        link_files(book, run / "artifacts", frozenset({os.path.realpath(cache_dir()), *recorded["written"]}))
    saved = {variable: os.environ.get(variable) for variable in (ARTIFACTS_ENV_VAR, BOOK_ARTIFACTS_ENV_VAR)}
    os.environ.update({ARTIFACTS_ENV_VAR: str(run / "artifacts"), BOOK_ARTIFACTS_ENV_VAR: str(book)})
    try:
        yield run
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value
