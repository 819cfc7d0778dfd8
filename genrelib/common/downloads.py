"""Fetching files over HTTP for readers with internet: resumable, never a half file under the final name."""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

from genrelib.common.progress import progress as progress_bar


class DownloadError(OSError):
    """A download failed; the message names the URL, what was kept, and how to place the file by hand."""


def fetch(url: str, target: str | os.PathLike, attempts: int = 3, timeout: float = 60, progress: bool = False) -> Path:
    """Download ``url`` to ``target`` through ``target.part``.

    An interrupted transfer is resumed with an HTTP range request (up to ``attempts`` tries in this
    call, and in a later call from what ``.part`` holds); a server that ignores the range is read from
    the start again. ``target`` appears, by a rename, only when the whole file is there. ``progress`` shows the
    bytes fetched and the rate.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f"{target.name}.part")
    error: Exception | None = None
    for _ in range(attempts):
        have = part.stat().st_size if part.is_file() else 0
        request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if response.status != 206:  # a whole body: the server ignored the range, or none was asked
                    have = 0
                length = response.headers.get("Content-Length")
                expected = have + int(length) if length is not None else None
                bar = progress_bar(total=expected, initial=have, desc=target.name, enabled=progress, unit="B",
                                   unit_scale=True, unit_divisor=1024)
                with open(part, "ab" if have else "wb") as out, bar:
                    for block in iter(lambda: response.read(1 << 20), b""):
                        out.write(block)
                        bar.update(len(block))
            if expected is not None and part.stat().st_size != expected:
                raise http.client.IncompleteRead(b"", expected - part.stat().st_size)
            os.replace(part, target)
            return target
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # the range starts at the end: .part already holds the whole file
                os.replace(part, target)
                return target
            error = exc
            if 400 <= exc.code < 500:
                break  # not there, or not allowed: asking again will not help
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            error = exc
    kept = part.stat().st_size if part.is_file() else 0
    raise DownloadError(f"{url}: download failed ({error}); {kept:,} bytes kept in {part} and resumed by the next "
                        f"try. Without internet, fetch the file elsewhere and place it at {target}")
