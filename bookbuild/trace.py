"""The data files a process reads, writes and lists, logged for the book's execution cache.

The build starts each chapter's kernel with :func:`install`. It exports the settings in ``$BOOKBUILD_TRACE``
and puts ``bookbuild/site`` first on ``$PYTHONPATH``, whose ``sitecustomize`` installs the same hook in every
Python process the chapter starts (the extraction and demo-corpus workers, which are spawned fresh), before
that process imports anything; all append to the same log. What it sees are Python's audit events: ``open``,
``os.rename``, ``os.listdir`` / ``os.scandir``. A file read by C code that raises no event is not seen: the
build declares such data itself (the extractors' weights). genrelib knows nothing of it. Standard library
only: it runs first.
"""

from __future__ import annotations

import json
import os
import sys

ENV_VAR = "BOOKBUILD_TRACE"
SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site")  # holds the sitecustomize
_installed: list[str] = []  # the log this process already writes to


def install(log: str, folders: list[str], ignored: list[str]) -> None:
    """From now on, log to ``log`` each file opened and folder listed within ``folders`` but not within
    ``ignored`` (one ``read``, ``write`` or ``list`` line, tab, real path), in this process and in the
    Python processes it starts. Once per process."""
    os.environ[ENV_VAR] = json.dumps({"log": log, "folders": folders, "ignored": ignored})
    search_path = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if SITE_DIR not in search_path:
        os.environ["PYTHONPATH"] = os.pathsep.join([SITE_DIR, *filter(None, search_path)])
    if _installed:
        return
    _installed.append(log)
    out, seen, writing = open(log, "a", buffering=1), set(), os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT

    def within(path, roots):
        return any(path == root or path.startswith(root + os.sep) for root in roots)

    def note(kind, path):
        if path is None or isinstance(path, int) or (kind, path) in seen:
            return
        seen.add((kind, path))
        path = os.path.realpath(os.fsdecode(path))
        if within(path, folders) and not within(path, ignored) and "__pycache__" not in path.split(os.sep):
            out.write(kind + "\t" + path + "\n")  # one short line per write: appends from processes do not mix

    def hook(event, args):
        if event == "open":  # a folder opened (tempfile probes its folder so) is not its files
            if not (isinstance(args[0], str | bytes) and os.path.isdir(args[0])):
                note("write" if args[2] & writing else "read", args[0])
        elif event == "os.rename":
            note("write", args[1])
        elif event in ("os.listdir", "os.scandir"):  # not the import system's listings of sys.path
            folder = "." if args[0] is None else args[0]
            path_entries = [os.path.realpath(entry or ".") for entry in sys.path]
            if isinstance(folder, int) or os.path.realpath(os.fsdecode(folder)) not in path_entries:
                note("list", folder)

    sys.addaudithook(hook)


def install_from_environment() -> None:
    """:func:`install` with the settings a tracing parent process exported, if any."""
    settings = os.environ.get(ENV_VAR)
    if settings:
        install(**json.loads(settings))
