"""The book's build: execute the chapter sources headless with validated parameters, reuse what still holds.

Chapters live in ``notebooks/NN_name.md`` (MyST markdown, paired by jupytext); a parameter file
(``params/*.yaml``) maps a chapter's stem to the values that override its ``parameters`` cell
(:mod:`bookbuild.parameters`). A chapter runs again only when something it depends on changed
(:mod:`bookbuild.cache`); otherwise its executed notebook of an earlier build is reused. Each build writes
``status.ipynb`` beside the executed chapters (:mod:`bookbuild.status`).

    python -m bookbuild --params params/ci.yaml --out book/executed [--only 01_data]

One chapter with papermill's habits: ``-p NAME VALUE`` (repeatable) and ``-f FILE`` (a flat YAML mapping
of that chapter's parameters), on top of ``--params`` when given:

    python -m bookbuild --only 03_mlp -p learning_rate 1e-5 -f my_mlp.yaml

Such a rerun goes to a folder of its own, ``runs/<name>/`` (``--run NAME``; by default named after the chapter
and the values that differ from the book's, those of ``--params`` included), which reads what the book
computed and leaves the book's pages and artifacts as they were (:mod:`bookbuild.runs`); ``--into-book`` (or
``--out DIR``) runs it into the book instead. Chapters rerun with one ``--run NAME`` read each other's results
there, as the book's do.

``--notebooks DIR`` takes the chapter sources from another folder (the tests build small books so).

The rendered book is checked with ``python -m bookbuild --check-html _build/html`` (:mod:`bookbuild.html`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import yaml

from bookbuild.myst import NOTEBOOK_DIR, ParameterError
from genrelib.common.paths import ARTIFACTS_ENV_VAR, REPO_ROOT, Paths, artifacts_dir, shown

from . import runs
from .cache import Digests, cache_dir, read_entry, run_chapter, use_cache
from .execute import RUNNING_ENV_VAR
from .html import check_built_html
from .parameters import chapter_overrides, chapters, load_parameter_file
from .schedule import RunningChapters, run_in_order, threads_per_kernel, undeclared_reads
from .status import STATUS_PAGE, status_page

BOOK_EXECUTED = REPO_ROOT / "book" / "executed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bookbuild", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=Path, default=None, help="parameter file, e.g. params/ci.yaml "
                        "(required unless -p/-f name one chapter's parameters)")
    parser.add_argument("--out", type=Path, default=None, help="where the executed chapters go (default: "
                        "book/executed, or runs/NAME/executed for a rerun with -p/-f)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOK_DIR, help="the folder of chapter sources")
    parser.add_argument("--only", nargs="*", default=None, help="chapter stems to run (default: all)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="one parameter of the one chapter named by --only (papermill's -p)")
    parser.add_argument("-f", "--parameters-file", type=Path, default=None,
                        help="a flat YAML file of that chapter's parameters (papermill's -f)")
    parser.add_argument("--run", default=None, metavar="NAME", help="the folder of runs/ a rerun of the chapter "
                        "named by --only goes to (default for -p/-f: named after the chapter and the values)")
    parser.add_argument("--into-book", action="store_true", help="run a rerun with -p/-f into book/executed "
                        "and the book's artifacts, replacing the book's page, checkpoints and results")
    parser.add_argument("--jobs", type=int, default=1, help="chapters run side by side, each after those it "
                        "reads from (default 1: one at a time, in reading order)")
    parser.add_argument("--force", action="store_true",
                        help="execute every chapter, even those whose recorded run still holds")
    parser.add_argument("--check-html", type=Path, default=None, metavar="HTML_DIR",
                        help="check the built book instead of running chapters (see check_built_html)")
    args = parser.parse_args(argv)
    if args.check_html:
        problems = check_built_html(args.check_html)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"checked the built book in {args.check_html}: {len(problems)} problem(s)")
        return 1 if problems else 0
    sources = chapters(args.notebooks)
    try:
        unknown = set(args.only or ()) - {s.stem for s in sources}
        if unknown:
            raise ParameterError(f"--only names no chapter {sorted(unknown)}; chapters are {[s.stem for s in sources]}")
        one_chapter = args.parameter or args.parameters_file or args.run is not None
        if one_chapter and len(args.only or ()) != 1:
            raise ParameterError("-p, -f and --run rerun one chapter: name it with --only, e.g. --only 03_mlp")
        if not one_chapter and args.params is None:
            raise ParameterError("give --params FILE, or -p/-f with --only CHAPTER")
        if sum((args.run is not None, args.out is not None, args.into_book)) > 1:
            raise ParameterError("--run, --out and --into-book each say where the run goes: give one")
        parameters = load_parameter_file(args.params, sources) if args.params else {}
        if one_chapter:
            [chapter] = [s for s in sources if s.stem == args.only[0]]
            overrides = chapter_overrides(chapter, args.parameter, args.parameters_file)
            parameters[chapter.stem] = {**parameters.get(chapter.stem, {}), **overrides}
            differing = runs.changed(chapter, parameters[chapter.stem])
            name = runs.check_run_name(args.run or runs.run_name(chapter.stem, differing))
    except (ParameterError, OSError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not one_chapter or args.out or args.into_book:
        return _built(sources, parameters, args.out or BOOK_EXECUTED, use_cache(args.force), only=args.only,
                      params_file=args.params, jobs=args.jobs)
    with runs.apart(name, chapter.stem) as run:
        if _built(sources, parameters, run / "executed", use_cache(args.force), only=args.only,
                  params_file=args.params):
            return 1
    print(f"executed notebook: {shown(run / 'executed' / f'{chapter.stem}.ipynb')}; "
          f"artifacts: {shown(run / 'artifacts')}")
    return 0


def _built(*args, **options) -> int:
    """:func:`build`, as an exit status: 1, with each problem said, when a chapter read what another wrote
    without waiting for it."""
    try:
        build(*args, **options)
    except UndeclaredRead as exc:
        for problem in str(exc).splitlines():
            print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


def build(sources: list[Path], parameters: dict[str, dict], out_dir: Path, reuse: bool = True,
          only: list[str] | None = None, params_file: Path | None = None, library: Path | None = None,
          jobs: int = 1) -> dict:
    """Make every chapter (those in ``only``), each executed or reused (:func:`bookbuild.cache.run_chapter`),
    up to ``jobs`` at a time, each after the chapters it declares it reads from (:mod:`bookbuild.schedule`);
    then the status page (:data:`STATUS_PAGE`) beside them; returns how each was made. Raises
    :class:`UndeclaredRead` when a chapter read what another wrote without waiting for it."""
    import nbformat

    # absolute paths throughout: kernels run side by side, and no path here may depend on the process's cwd
    out_dir, sources = Path(out_dir).resolve(), [Path(s).resolve() for s in sources]
    if ARTIFACTS_ENV_VAR in os.environ:
        os.environ[ARTIFACTS_ENV_VAR] = os.path.abspath(os.environ[ARTIFACTS_ENV_VAR])
    results = Path(os.path.realpath(Paths(REPO_ROOT, artifacts_dir()).results))
    if not only:  # a full build: only results that a reusable recorded run wrote may reach chapter 8
        kept = {file for s in sources if reuse and (entry := read_entry(s.stem)) for file in entry["written"]}
        for file in results.glob("*") if results.is_dir() else []:
            if str(file) not in kept:
                file.unlink()
    digests, saving = Digests(cache_dir() / "digests.json"), threading.Lock()
    start = time.perf_counter()
    # outside the data folders, whose reads the trace records: a kernel reads this file before every cell
    running = RunningChapters(Path(tempfile.gettempdir()) / f"bookbuild-{os.getpid()}.running") if jobs > 1 else None
    if running:  # chapters side by side: each kernel its share of the cores, cell by cell (bookbuild.schedule)
        os.environ.setdefault("OMP_NUM_THREADS", str(threads_per_kernel(jobs)))
        os.environ[RUNNING_ENV_VAR] = str(running.path)

    def say(line: str) -> None:  # whole lines, though two chapters may finish at once
        with saving:
            print(line, flush=True)

    def make(source: Path) -> dict:
        say(f"{source.name} with {parameters.get(source.stem, {})}")
        try:
            with running.one_more() if running else nullcontext():
                how = run_chapter(source, parameters.get(source.stem, {}), out_dir, reuse, digests, results,
                                  library, say)
        finally:
            with saving:
                digests.save()
        say(f"  {source.stem} {how['this build']} in {how['seconds']:.1f} s" +
            (f" ({how['why']})" if how["this build"] == "executed" else ""))
        return how

    try:
        made = run_in_order([s for s in sources if not only or s.stem in only], make, jobs)
    finally:
        if running:
            running.path.unlink(missing_ok=True)
            del os.environ[RUNNING_ENV_VAR]
    nbformat.write(status_page(out_dir, made, time.perf_counter() - start, params_file), out_dir / STATUS_PAGE)
    undeclared = undeclared_reads(sources, {s.stem: entry for s in sources if (entry := read_entry(s.stem))})
    if undeclared:
        raise UndeclaredRead("\n".join(undeclared))
    return made


class UndeclaredRead(RuntimeError):
    """A chapter read what another wrote without waiting for it (:func:`bookbuild.schedule.undeclared_reads`)."""

