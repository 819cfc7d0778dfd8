"""A chapter run outside the book's build (JupyterLab, plain papermill) writes to a folder of its own.

The build (``bookbuild``) marks its kernels with ``$GENRELIB_RUN``. A kernel without it is a reader's: its
:func:`genrelib.common.session.setup` calls :func:`outside_the_build`, which makes ``runs/lab/artifacts`` beside the
book's artifacts folder the artifacts folder of this process and of the processes it starts. That folder holds
a link to each file of the book's, so the chapter reads the stores and checkpoints the book computed; genrelib
writes a store, cache entry or checkpoint under a temporary name and renames it over the link, which leaves the
book's file as it was. A write in place through a link (a result table, a manifest) would reach the book's file:
an audit hook first replaces such a link by a copy of its own. Worker processes do not install that hook; they
write only by renaming (extraction caches, demo clips).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from genrelib.common.paths import ARTIFACTS_ENV_VAR, artifacts_dir, shown

RUN_ENV_VAR = "GENRELIB_RUN"  # set by bookbuild in its kernels ("book"), and here ("lab")
# The book's artifacts folder, among a run's GENRELIB_* settings: a bookbuild rerun's record depends on which book
# it read, and the build traces what the chapter reads through the links there (bookbuild.cache.data_folders).
BOOK_ARTIFACTS_ENV_VAR = "GENRELIB_BOOK_ARTIFACTS"
LAB_RUN = "lab"
_WRITING = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_TRUNC
_guarded: list[str] = []  # the folder whose links this process's hook breaks before a write


def outside_the_build() -> Path | None:
    """Outside the build, make this process write to ``runs/lab/artifacts`` beside the book's artifacts and read
    the book's through links there; returns that folder, or None inside the build (or when already apart)."""
    if os.environ.get(RUN_ENV_VAR):
        return None
    book = Path(os.path.abspath(artifacts_dir()))
    own = book.parent / "runs" / LAB_RUN / "artifacts"
    own.mkdir(parents=True, exist_ok=True)
    for link in [path for path in own.rglob("*") if path.is_symlink()]:
        link.unlink()  # made again below, so that they follow the book
    if book.is_dir():
        link_files(book, own)
    os.environ.update({ARTIFACTS_ENV_VAR: str(own), BOOK_ARTIFACTS_ENV_VAR: str(book), RUN_ENV_VAR: LAB_RUN})
    _copy_before_writing(own)
    print(f"Run outside the book's build: this chapter writes to {own.relative_to(book.parent)}/ beside the book's "
          f"{shown(book)}/, and reads the book's files through links there; the book stays as it was.")
    return own


def link_files(book: Path, own: Path, left_out: frozenset[str] = frozenset()) -> None:
    """Fill ``own`` with folders of its own holding a link to each file under ``book``; none to hidden files (a
    write in progress), to the files and folders whose real paths are in ``left_out``, or where ``own`` holds a
    file of its own."""
    book = Path(os.path.abspath(book))
    for folder, subfolders, files in os.walk(book, followlinks=True):
        subfolders[:] = [s for s in subfolders if not s.startswith(".")
                         and os.path.realpath(os.path.join(folder, s)) not in left_out]
        for file in files:
            source = Path(folder) / file
            target = own / source.relative_to(book)
            if file.startswith(".") or os.path.realpath(source) in left_out or target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)


def _copy_before_writing(own: Path) -> None:
    """From now on, a file under ``own`` opened for writing while it is a link becomes a file of its own first (a
    copy, unless the open truncates it), so that the write never reaches the file linked to."""
    if not _guarded:
        sys.addaudithook(_break_link)
    _guarded[:] = [str(own)]


def _break_link(event: str, args: tuple) -> None:
    if event != "open" or args[0] is None or isinstance(args[0], int):
        return
    path, mode, flags = os.fsdecode(args[0]), args[1], args[2]
    writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & _WRITING)
    if not writes or not os.path.islink(path) or not os.path.abspath(path).startswith(_guarded[0] + os.sep):
        return
    linked = os.path.realpath(path)
    os.unlink(path)
    truncates = mode.startswith("w") if isinstance(mode, str) else bool(flags & os.O_TRUNC)
    if not truncates and os.path.isfile(linked):
        shutil.copyfile(linked, path)
