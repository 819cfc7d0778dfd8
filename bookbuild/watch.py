"""A long chapter's progress while it runs, from the files its processes write (the trace log of
:mod:`bookbuild.trace`): chapter 2 extracts for minutes with nothing on its page until it ends, but each video's
features land in the feature cache as they are made."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from genrelib.common.paths import shown

EVERY_SECONDS = 30.0


@contextmanager
def watching(stem: str, log: Path, say: Callable[[str], None], every: float = EVERY_SECONDS) -> Iterator[None]:
    """While the context lasts, every ``every`` seconds, ``say`` how many files the chapter has written so far
    (those still there: a temporary file renamed into place counts once) and the latest."""
    stop, written, start = threading.Event(), {}, time.monotonic()

    def report() -> None:
        offset = 0
        while not stop.wait(every):
            with open(log, "rb") as handle:
                handle.seek(offset)
                text = handle.read()
            complete = text[:text.rfind(b"\n") + 1]  # a line still being written waits for the next look
            offset += len(complete)
            for line in complete.decode(errors="replace").splitlines():
                kind, _, path = line.partition("\t")
                if kind == "write":
                    written.pop(path, None)
                    written[path] = True  # the latest last
            kept = [path for path in written if os.path.exists(path)]
            say(f"  {stem}: running {time.monotonic() - start:.0f} s, {len(kept)} file(s) written"
                + (f", the latest {shown(kept[-1])}" if kept else ""))

    thread = threading.Thread(target=report, name=f"watch-{stem}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
