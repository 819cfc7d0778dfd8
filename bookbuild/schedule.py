"""The order chapters run in: each after the chapters whose files it reads, several at once where they can.

A chapter declares the chapters it reads from in its front matter, beside jupytext's own keys:

    bookbuild:
      after: [02_extraction, 03_mlp]   # [] for none

A chapter that declares nothing runs after every chapter before it, as a sequential build would. With
``jobs`` > 1 the build starts ready chapters in reading order, up to ``jobs`` at a time, and before each
cell a kernel takes its share of the cores, ``cores // chapters running`` threads (:func:`share_cores`):
two chapters side by side get one thread each, and the one left alone gets the machine. The small models of
chapter 7 use a second thread poorly (0.9 of the time for 1.4 times the CPU), but chapter 4's paper-size
transformers well (a single-transformer's epoch on the demo corpus takes 0.6 of the time on two threads), and
chapter 4 runs long after chapter 6, beside it, is done. A kernel also takes its share again within a cell
when another chapter starts or ends (:func:`share_on_change`): chapter 4's studies are cells of minutes, and
one that started beside chapter 6 would otherwise keep one thread to its end. A thread count changes the last
bits of a float sum, so a number of a cell that got two threads can differ in its last digits from the same
cell on one thread.
After the build, :func:`undeclared_reads` checks the declarations against what each chapter's processes were
seen to read (:mod:`bookbuild.cache`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

import yaml

from genrelib.common.files import write_atomically


def front_matter(source: Path) -> dict:
    """The YAML block at the top of a MyST chapter (empty when there is none)."""
    text = source.read_text()
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    return yaml.safe_load(text[4:end]) or {} if end > 0 else {}


def after(source: Path, sources: list[Path]) -> tuple[str, ...]:
    """The chapters ``source`` waits for (the module's docstring): every earlier one when it declares none."""
    declared = front_matter(source).get("bookbuild") or {}
    stems = [s.stem for s in sources]
    earlier = stems[:stems.index(source.stem)]
    waits_for = declared.get("after", earlier)
    unknown = set(waits_for) - set(earlier)
    if unknown:
        raise ValueError(f"{source}: bookbuild.after names {sorted(unknown)}, which are not chapters before it "
                         f"({earlier}); a chapter can only wait for earlier ones")
    return tuple(waits_for)


def ancestors(stem: str, declared: dict[str, tuple[str, ...]]) -> set[str]:
    """Every chapter ``stem`` waits for, directly or through another."""
    found, todo = set(), list(declared[stem])
    while todo:
        other = todo.pop()
        if other not in found:
            found.add(other)
            todo += declared.get(other, ())
    return found


def declarations(sources: list[Path]) -> tuple[dict[str, Path], dict[str, tuple[str, ...]]]:
    """Every chapter of the folder ``sources`` come from (``--only`` still sees what they wait for), and
    what each waits for."""
    folder = sources[0].parent if sources else Path(".")
    everything = {s.stem: s for s in sorted(folder.glob("[0-9][0-9]_*.md"))} | {s.stem: s for s in sources}
    return everything, {stem: after(source, list(everything.values())) for stem, source in everything.items()}


def run_in_order(sources: list[Path], run: Callable[[Path], dict], jobs: int = 1) -> dict[str, dict]:
    """``run`` each chapter once the chapters it waits for are done, up to ``jobs`` at a time, ready ones in
    reading order; the result of each, by stem, in reading order. A chapter it waits for that is not among
    ``sources`` (``--only``) counts as done."""
    everything, declared = declarations(sources)
    chosen = [s.stem for s in sources]
    waiting, running, done = list(chosen), {}, {}
    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        while waiting or running:
            for stem in [s for s in waiting if all(o in done or o not in chosen for o in declared[s])]:
                if len(running) == max(jobs, 1):
                    break
                waiting.remove(stem)
                running[pool.submit(run, everything[stem])] = stem
            if not running:
                raise RuntimeError(f"chapters {waiting} wait for each other")
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                done[running.pop(future)] = future.result()
    return {stem: done[stem] for stem in chosen}


def threads_per_kernel(jobs: int) -> int:
    """Each kernel's share of the machine's cores when ``jobs`` chapters run side by side."""
    return max(1, (os.cpu_count() or 1) // max(jobs, 1))


class RunningChapters:
    """How many chapters execute now, kept in ``path`` for their kernels to read (:func:`share_cores`)."""

    def __init__(self, path: Path):
        self.path, self.count, self._lock = Path(path), 0, threading.Lock()
        self._write()

    @contextmanager
    def one_more(self) -> Iterator[None]:
        self._add(1)
        try:
            yield
        finally:
            self._add(-1)

    def _add(self, change: int) -> None:
        with self._lock:
            self.count += change
            self._write()

    def _write(self) -> None:
        write_atomically(self.path, lambda handle: handle.write(str(self.count).encode()))


def share_cores(running_file: str | os.PathLike) -> Callable[..., None]:
    """A hook for a chapter's kernel, run before each cell: it sets torch's threads (and ``OMP_NUM_THREADS``,
    for a torch imported later and for the processes the kernel starts) to this kernel's share of the cores
    while the chapters counted in ``running_file`` (:class:`RunningChapters`) run."""
    def share(*_) -> None:
        try:
            running = int(Path(running_file).read_text())
        except (OSError, ValueError):  # the build is gone: keep what the kernel has
            return
        threads = threads_per_kernel(running)
        os.environ["OMP_NUM_THREADS"] = str(threads)
        torch = sys.modules.get("torch")
        if torch is not None and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    return share


def share_on_change(running_file: str | os.PathLike, share: Callable[..., None],
                    every: float = 1.0) -> threading.Event:
    """Run ``share`` in the kernel's main thread whenever the count in ``running_file`` changes, also within a cell.

    torch's thread count belongs to the thread that sets it, so a watcher thread cannot set it for the cell's
    thread: it signals its own process (SIGUSR1), whose handler Python runs in the main thread between two
    bytecodes, once the operation under way returns. The watcher stops when the file is gone or the returned
    event is set. Call it from the main thread (where a cell runs); where there is no SIGUSR1 (Windows), the
    kernel keeps sharing before each cell only."""
    stop = threading.Event()
    if not hasattr(signal, "SIGUSR1"):
        return stop
    signal.signal(signal.SIGUSR1, share)

    def count() -> str | None:
        try:
            return Path(running_file).read_text()
        except OSError:  # the build is gone
            return None

    def watch(seen: str | None) -> None:
        while seen is not None and not stop.wait(every):
            now = count()
            if now not in (seen, None):
                os.kill(os.getpid(), signal.SIGUSR1)
            seen = now

    threading.Thread(target=watch, args=(count(),), name="bookbuild-share-cores", daemon=True).start()
    return stop


def undeclared_reads(sources: list[Path], entries: dict[str, dict]) -> list[str]:
    """Files a chapter read that another chapter wrote without being among those it waits for: with chapters
    running side by side, it may have read them before they were written. ``entries`` are the chapters'
    recorded runs (:func:`bookbuild.cache.read_entry`)."""
    everything, declared = declarations(sources)
    writers = {file: stem for stem, entry in entries.items() for file in entry.get("written", [])}
    problems = []
    for stem, entry in entries.items():
        waits_for = ancestors(stem, declared)
        for file in sorted(set(entry.get("files", {})) - set(entry.get("written", []))):
            writer = writers.get(file)
            if writer is not None and writer != stem and writer not in waits_for:
                problems.append(f"{stem} read {file}, which {writer} writes, but does not wait for it: add "
                                f"{writer} to bookbuild.after in the front matter of {everything[stem].name}")
    return problems
