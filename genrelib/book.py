"""Book stage: execute the chapter sources headless with validated parameters.

Chapters live in ``notebooks/NN_name.md`` (MyST markdown, paired by jupytext).
A parameter file (``params/*.yaml``) maps a chapter's stem to the values that
override its ``parameters`` cell. papermill itself only logs unknown names;
here an unknown name, or a section for a chapter that does not exist, is an
error before anything runs.

    python -m genrelib.book --params params/ci.yaml --out book/executed [--only 01_data]

One chapter with papermill's habits: ``-p NAME VALUE`` (repeatable) and ``-f FILE``
(a flat YAML mapping of that chapter's parameters), on top of ``--params`` when given:

    python -m genrelib.book --only 03_mlp -p learning_rate 1e-5 -f my_mlp.yaml

A chapter runs again only when something it depends on changed (:func:`stale`); otherwise its executed
notebook of an earlier build is reused. What it depends on is recorded when it runs: its source, its
parameters, the genrelib definitions its code reaches (:func:`genrelib.imports.reached_definitions`),
the installed packages, the ``GENRELIB_*`` settings, and the content of every data file it read or wrote
and every folder it listed under the data folders (:func:`data_folders`), as its kernel's audit events
saw them. ``--force``, or ``CI`` set to true, runs every chapter. Each build writes ``status.ipynb`` beside
the executed chapters: what ran, what was reused and why, on what machine.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from .paths import REPO_ROOT, Paths, artifacts_dir, shown

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


class ParameterError(ValueError):
    """A parameter file names a chapter or parameter that does not exist."""


def chapters(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """Chapter sources in reading order (their file names start with the number)."""
    return sorted(p for p in notebook_dir.glob("[0-9][0-9]_*.md"))


def declared_parameters(source: Path) -> dict[str, object]:
    """Names and default values assigned in the chapter's ``parameters`` cell."""
    import jupytext

    cells = [c for c in jupytext.read(source).cells if PARAMETERS_TAG in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{source}: expected exactly one cell tagged {PARAMETERS_TAG!r}, found {len(cells)}")
    declared = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            declared[node.targets[0].id] = ast.literal_eval(node.value)
    return declared


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    return {str: "text", dict: "a mapping"}.get(type(value), type(value).__name__)


def check_parameters(where: str, chapter: str, values: dict, declared: dict) -> None:
    """Every name must be declared by the chapter, and every value of the kind its default has (a number,
    text, a list ...; null is always allowed). YAML reads ``1e-5`` without a dot as text: caught here."""
    unknown = set(values) - set(declared)
    if unknown:
        raise ParameterError(f"{where}: {chapter} has no parameter(s) {sorted(unknown)}; "
                             f"its parameters cell declares {sorted(declared)}")
    for name, value in values.items():
        default = declared[name]
        if value is not None and default is not None and _kind(value) != _kind(default):
            raise ParameterError(f"{where}: {chapter}'s {name} = {value!r} is {_kind(value)}, but its default "
                                 f"{default!r} is {_kind(default)}" + (" (write 1.0e-5, not 1e-5, in YAML)"
                                                                     if isinstance(value, str) else ""))


def load_parameter_file(path: Path, sources: list[Path]) -> dict[str, dict]:
    """Read a parameter file and check every chapter, name and value it mentions."""
    content = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(content, dict):
        raise ParameterError(f"{path}: expected a mapping of chapter name -> parameters")
    by_stem = {s.stem: s for s in sources}
    for stem, values in content.items():
        if stem not in by_stem:
            raise ParameterError(f"{path}: section {stem!r} names no chapter; chapters are {sorted(by_stem)}")
        check_parameters(str(path), stem, values or {}, declared_parameters(by_stem[stem]))
    return {stem: dict(values or {}) for stem, values in content.items()}


# The first cell of every executed chapter, removed from the notebook afterwards: it logs each file the kernel
# opens and each folder it lists under the data folders (Python's audit events; PyAV opens its files in C, so
# genrelib.media raises an event of its own). Plain Python: a chapter depends on nothing of the runner.
TRACE_CELL = """\
def _trace(log, folders, ignored):
    import os, sys
    out, seen, writing = open(log, "a", buffering=1), set(), os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT

    def within(path, roots):
        return any(path == root or path.startswith(root + os.sep) for root in roots)

    def note(kind, path):
        if path is None or isinstance(path, int) or (kind, path) in seen:
            return
        seen.add((kind, path))
        path = os.path.realpath(os.fsdecode(path))
        if within(path, folders) and not within(path, ignored) and "__pycache__" not in path.split(os.sep):
            out.write(kind + "\\t" + path + "\\n")

    def hook(event, args):
        if event == "open":  # a folder opened (tempfile probes its folder so) is not its files
            if not (isinstance(args[0], (str, bytes)) and os.path.isdir(args[0])):
                note("write" if args[2] & writing else "read", args[0])
        elif event == "os.rename":
            note("write", args[1])
        elif event in ("os.listdir", "os.scandir"):  # not the import system's listings of sys.path
            folder = "." if args[0] is None else args[0]
            path_entries = [os.path.realpath(entry or ".") for entry in sys.path]
            if isinstance(folder, int) or os.path.realpath(os.fsdecode(folder)) not in path_entries:
                note("list", folder)
        elif event == "genrelib.read":
            note("read", args[0])

    sys.addaudithook(hook)


_trace({log!r}, {folders!r}, {ignored!r})
del _trace
"""
TRACE_TAG = "genrelib-trace"


def execute(source: Path, parameters: dict, out_dir: Path, cell_timeout: int = 1800,
            trace: tuple[Path, list[Path], list[Path]] | None = None) -> Path:
    """Run one chapter with papermill into ``out_dir/<stem>.ipynb``.

    The injected-parameters cell is tagged ``hide-cell`` so the book shows it
    folded: readers see which values produced the page without it leading it.
    With ``trace`` (log file, data folders, folders to leave out), the kernel logs
    the data it reads and writes there (:data:`TRACE_CELL`).
    """
    import jupytext
    import nbformat
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{source.stem}.ipynb"
    unexecuted = out_dir / f".{source.stem}.input.ipynb"
    notebook = jupytext.read(source)
    if trace is not None:
        log, folders, ignored = trace
        code = TRACE_CELL.format(log=str(log), folders=[str(f) for f in folders], ignored=[str(f) for f in ignored])
        notebook.cells.insert(0, nbformat.v4.new_code_cell(code, metadata={"tags": [TRACE_TAG]}))
    nbformat.write(notebook, unexecuted)
    try:
        papermill.execute_notebook(str(unexecuted), str(target), parameters=parameters, kernel_name="python3",
                                   cwd=str(source.parent), execution_timeout=cell_timeout, progress_bar=False)
    finally:
        unexecuted.unlink(missing_ok=True)
    executed = nbformat.read(target, as_version=4)
    if trace is not None:  # the page as if the chapter had run without it, execution counts included
        executed.cells = [c for c in executed.cells if TRACE_TAG not in c.metadata.get("tags", [])]
        for cell in executed.cells:
            if cell.get("execution_count"):
                cell.execution_count -= 1
    for cell in executed.cells:
        tags = cell.metadata.get("tags", [])
        if INJECTED_TAG in tags and "hide-cell" not in tags:
            cell.metadata["tags"] = tags + ["hide-cell"]
    nbformat.write(executed, target)
    return target


# --- the cache: a chapter runs again only when something it depends on changed ---------------------------------

def use_cache(force: bool = False) -> bool:
    """Whether earlier runs may be reused: not with ``--force``, and never under CI, which always runs fresh."""
    return not force and os.environ.get("CI", "").strip().lower() not in ("1", "true", "yes")


def cache_dir() -> Path:
    """Where each chapter's latest run is recorded: beside the artifacts it depends on."""
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
    settings or by parameters; not the library, the chapter sources, the virtual environment or this cache
    (code and packages are keyed on their own)."""
    folders = [artifacts_dir(), REPO_ROOT, REPO_ROOT.parent / "shared", out_dir]
    folders += [Path(v).expanduser() for v in [*settings().values(), *parameters.values()]
                if isinstance(v, str) and v and Path(v).expanduser().exists()]
    ignored = [REPO_ROOT / "genrelib", NOTEBOOK_DIR, REPO_ROOT / ".git", REPO_ROOT / "_build", Path(sys.prefix),
               cache_dir()]
    return [Path(os.path.realpath(f)) for f in folders], [Path(os.path.realpath(f)) for f in ignored]


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
        self.path.write_text(json.dumps(self.known))


def listing(folder: Path, suffixes: set[str]) -> str | None:
    """A digest of a folder's entries (hidden ones, this code's temporary files, left out; only those ending in
    ``suffixes`` when given); None when the folder is gone."""
    if not folder.is_dir():
        return None
    names = sorted(n for n in os.listdir(folder) if not n.startswith(".") and
                   (not suffixes or Path(n).suffix in suffixes))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def traced(log: Path, digests: Digests, own: Path) -> dict:
    """What a chapter's kernel logged, as the digests of the data files it read or wrote (a folder written by a
    rename counts with its files) and of the folders it listed; its own executed notebook left out."""
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
    suffixes = {}
    for file in map(Path, data):
        suffixes.setdefault(file.parent, set()).add(file.suffix)
    folders = {str(d): listing(d, suffixes.get(d, set())) for d in sorted(seen["list"]) if d.is_dir()}
    return {"files": data, "folders": folders, "written": [str(f) for f in written]}


def stale(entry: dict | None, key: dict, digests: Digests) -> str | None:
    """Why a chapter must run again, or None when its recorded run (``entry``) still holds: the first thing
    found that differs, among its key (:func:`chapter_key`) and the data it read and wrote."""
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
    suffixes = {}
    for file in map(Path, entry["files"]):
        suffixes.setdefault(file.parent, set()).add(file.suffix)
    for folder, digest in entry["folders"].items():
        if listing(Path(folder), suffixes.get(Path(folder), set())) != digest:
            return f"the files in {shown(folder)} changed"
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
                library: Path | None = None) -> dict:
    """Reuse the chapter's recorded run when nothing it depends on changed, else execute it and record what it
    depended on. Returns how this build made it: ``this build`` (executed or reused), ``why``, ``seconds``."""
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
        execute(source, parameters, out_dir, trace=(Path(log), folders, ignored))
        data = traced(Path(log), digests, Path(os.path.realpath(target)))
    finally:
        Path(log).unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    write_entry(source.stem, {"key": key, **data, "seconds": seconds}, target)
    return {"this build": "executed", "why": why, "seconds": seconds}


def status_table(executed_dir: Path, build: dict[str, dict] | None = None) -> pd.DataFrame:
    """Each executed chapter's run time and parameters, from the metadata papermill wrote; with ``build`` (what
    :func:`run_chapter` returned, by chapter) also how this build made it: executed or reused, why, in how long."""
    import nbformat

    rows = []
    for path in sorted(Path(executed_dir).glob("[0-9][0-9]_*.ipynb")):
        papermill = nbformat.read(path, as_version=4).metadata.get("papermill", {})
        started = papermill.get("start_time") or ""
        rows.append({"chapter": path.stem, "started": f"{started[:10]} {started[11:16]}".strip(),
                     "seconds": round(papermill.get("duration") or 0.0, 1),
                     "status": ("error" if papermill.get("exception") else
                                "ok" if papermill.get("end_time") else "running (this page)"),
                     "parameters": ", ".join(f"{k} = {v}" for k, v in (papermill.get("parameters") or {}).items())})
    table = pd.DataFrame(rows, columns=["chapter", "started", "seconds", "status", "parameters"]).set_index("chapter")
    if build is None:
        return table
    made = pd.DataFrame.from_dict(build, orient="index").reindex(table.index)
    table.insert(0, "this build", [f"{how} in {seconds:.1f} s" if isinstance(how, str) else "not run"
                                   for how, seconds in zip(made["this build"], made["seconds"], strict=True)])
    table.insert(1, "recorded run", [f"{started}, {seconds:.1f} s"
                                     for started, seconds in zip(table["started"], table["seconds"], strict=True)])
    table["why"] = made["why"].fillna("")
    table = table.drop(columns=["started", "seconds"])
    return table.drop(columns="status") if (table["status"] == "ok").all() else table


STATUS_PAGE = "status.ipynb"  # in the table of contents after the chapters
KEY_PACKAGES = ("torch", "numpy", "pandas", "scikit-learn", "onnxruntime", "ctranslate2", "faster-whisper",
                "transformers", "av", "papermill", "jupyter-book")


def machine() -> pd.Series:
    """What this build ran on: Python, the key packages' versions, the CPU and its cores, the GPU."""
    from .extractors.base import package_version

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    try:
        import torch

        gpu = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())) or "none"
    except ImportError:
        gpu = "unknown (torch is not installed)"
    return pd.Series({"Python": platform.python_version(), "platform": platform.platform(), "CPU": cpu,
                      "CPU cores": os.cpu_count(), "GPU": gpu,
                      **{package: package_version(package) for package in KEY_PACKAGES}}, name="version")


def markdown_table(table: pd.DataFrame) -> str:
    """A table of prose as a Markdown table (its index first), so a page wraps long cells instead of
    truncating them as a DataFrame's display does."""
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")

    header = [table.index.name or "", *table.columns]
    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(cell, [index, *row])) + " |" for index, row in zip(table.index, table.values,
                                                                                      strict=True)]
    return "\n".join(lines)


def status_page(executed_dir: Path, build: dict[str, dict], seconds: float, params: Path | None):
    """The book's build status page, QuantEcon's habit: how this build made each chapter, and on what (a notebook
    whose tables are outputs, shown as every chapter's tables are)."""
    import nbformat

    def shown_table(table: pd.DataFrame, made_by: str, prose: bool = False):
        # the source is hidden but must not be empty: the book leaves out an empty cell, outputs and all
        cell = nbformat.v4.new_code_cell(made_by, metadata={"tags": ["remove-input"]})
        shown_as = {"text/html": table.to_html()}
        if prose:  # reasons and paths as Markdown, whose cells wrap; a path may break after each "/"
            shown_as = {"text/markdown": markdown_table(
                table.astype(object).fillna("\u2013").map(lambda v: str(v).replace("/", "/\u200b")))}
        cell.outputs = [nbformat.v4.new_output("display_data", data={**shown_as, "text/plain": table.to_string()})]
        return cell

    executed = sum(made["this build"] == "executed" for made in build.values())
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with_params = f" with `{shown(params)}`" if params else ""
    intro = f"""# Build status

This page is written by the build (`genrelib.book`), not by hand. Built {when}{with_params} in {seconds:.0f} s:
{executed} chapter(s) executed, {len(build) - executed} reused.

A chapter is executed again only when something it depends on changed since its recorded run: its source,
its parameters, the genrelib code it uses, the installed packages, or a data file it read or wrote (label
files, the stores, checkpoints and results of earlier chapters, by content). Otherwise its executed page of
that run is reused, with the time and duration of that run. `make book FORCE=1` executes every chapter;
`make test` and CI always do."""
    notes = """*this build*: how this build made the page, and in how long (for a reused page, the check that
found nothing changed); *recorded run*: when the page shown was executed (UTC), and for how long.

## Environment"""
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(intro),
               shown_table(status_table(executed_dir, build), "book.status_table(executed_dir, build)", prose=True),
               nbformat.v4.new_markdown_cell(notes), shown_table(machine().to_frame(), "book.machine()")],
        metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                  "language_info": {"name": "python"}})


# a paragraph holding a table's header line, then its |---| line (dashes, or typeset as a dash)
RAW_MARKDOWN_TABLE = re.compile(r"<p>\|[^<]*\n\|(?:-{3}|\u2014|\u2013)")


# the source of prose computed in a code cell: Markdown(f"...") shown above the sentence it writes
FSTRING_PROSE = re.compile(r"Markdown\(\s*f[\"']")
# a table cell that shows a missing value as the computer names it instead of a dash
MISSING_CELL = re.compile(r"<td>\s*(?:NaN|nan|&lt;NA&gt;|None|NaT)\s*</td>")
# a progress summary line (genrelib.progress) or a live tqdm bar
PROGRESS_LINE = re.compile(r"\b\d+ done in \d\d:\d\d\b|\d+%\|")
COLUMN_PX = 760  # the text column at a 1280 px window
CHARACTER_PX, CELL_PADDING_PX = 7.2, 18  # a DataFrame cell's font and padding in the book's theme


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&quot;", '"').replace("&#39;", "'")


def table_width(table_html: str) -> float:
    """The least width in pixels a DataFrame table needs: per column, its longest unbreakable word (a browser
    wraps cells only at spaces) plus the cell's padding."""
    widths: dict[int, int] = {}
    for row in re.findall(r"<tr.*?</tr>", table_html, flags=re.S):
        for column, cell in enumerate(re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)):
            longest = max((len(word) for word in _text(cell).split()), default=0)
            widths[column] = max(widths.get(column, 0), longest)
    return sum(CHARACTER_PX * w + CELL_PADDING_PX for w in widths.values())


def check_built_html(html_dir: Path, forbidden: tuple[str, ...] | None = None) -> list[str]:
    """Problems a reader would meet in the built book: a page without the stylesheet that lets wide tables and
    code scroll inside their cell (book/_static/book.css), a Markdown table printed as its raw text (an
    output that the book's Markdown renderer did not parse as a table), a page that shows an absolute path
    of the building machine (the repository, its parent folder, the home folder), the f-string source of
    prose above the prose, a table cell showing NaN or None, a DataFrame wider than the text column at
    1280 px, or a progress line."""
    if forbidden is None:
        forbidden = tuple(dict.fromkeys(str(p) + "/" for p in (REPO_ROOT, REPO_ROOT.parent, Path.home())))
    pages = sorted(p for p in Path(html_dir).rglob("*.html") if "_static" not in p.parts
                   and p.name not in ("genindex.html", "search.html"))
    if not pages:
        return [f"{html_dir}: no built page; build the book first"]
    problems = []
    for page in pages:
        html = page.read_text(errors="replace")
        name = page.relative_to(html_dir)
        if 'http-equiv="Refresh"' in html[:200]:  # a redirect (the root index.html), no content
            continue
        if "book.css" not in html:
            problems.append(f"{name}: lacks book.css, so wide tables and code are cut at the column's edge")
        raw_table = RAW_MARKDOWN_TABLE.search(html)
        if raw_table:
            problems.append(f"{name}: shows a Markdown table as raw text: {raw_table.group(0)[:80]!r}...")
        for path in forbidden:
            if path in html:
                at = html.index(path)
                problems.append(f"{name}: shows the build machine's path {path!r}: ...{html[at - 60:at + 60]!r}...")
        text = _text(html)
        if FSTRING_PROSE.search(text):
            problems.append(f"{name}: shows the f-string source of computed prose; glue its values "
                            "(myst_nb.glue) or hide the cell's input")
        for found in MISSING_CELL.findall(html)[:1]:
            problems.append(f"{name}: a table cell shows {_text(found).strip()!r}; show a dash (report.show)")
        for table in re.findall(r'<table[^>]*class="[^"]*dataframe.*?</table>', html, flags=re.S):
            if table_width(table) > COLUMN_PX:
                header = _text(re.search(r"<tr.*?</tr>", table, flags=re.S).group(0)).split()
                problems.append(f"{name}: a table about {table_width(table):.0f} px wide overflows the "
                                f"{COLUMN_PX} px column: {' '.join(header)[:80]!r}...")
        for line in PROGRESS_LINE.findall(text)[:1]:
            problems.append(f"{name}: shows a progress line ({line!r}); run the chapter with progress off")
    return problems


def parse_value(text: str):
    """A ``-p`` value as papermill reads it: an int, else a float (``1e-5`` too), else YAML (lists,
    mappings, true/false, null), else the text itself."""
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            pass
    return yaml.safe_load(text)


def chapter_overrides(chapter: Path, pairs: list[tuple[str, str]], flat_file: Path | None) -> dict:
    """One chapter's parameters from ``-f FILE`` then ``-p NAME VALUE`` pairs, checked against its cell."""
    values = {}
    if flat_file is not None:
        content = yaml.safe_load(Path(flat_file).read_text()) or {}
        if not isinstance(content, dict):
            raise ParameterError(f"{flat_file}: expected a mapping of parameter name -> value for {chapter.stem}")
        values.update(content)
    values.update({name: parse_value(value) for name, value in pairs})
    check_parameters("-p/-f", chapter.stem, values, declared_parameters(chapter))
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=Path, default=None, help="parameter file, e.g. params/ci.yaml "
                        "(required unless -p/-f name one chapter's parameters)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "book" / "executed")
    parser.add_argument("--only", nargs="*", default=None, help="chapter stems to run (default: all)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="one parameter of the one chapter named by --only (papermill's -p)")
    parser.add_argument("-f", "--parameters-file", type=Path, default=None,
                        help="a flat YAML file of that chapter's parameters (papermill's -f)")
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
    sources = chapters()
    try:
        unknown = set(args.only or ()) - {s.stem for s in sources}
        if unknown:
            raise ParameterError(f"--only names no chapter {sorted(unknown)}; chapters are {[s.stem for s in sources]}")
        one_chapter = args.parameter or args.parameters_file
        if one_chapter and len(args.only or ()) != 1:
            raise ParameterError("-p and -f set one chapter's parameters: name it with --only, e.g. --only 03_mlp")
        if not one_chapter and args.params is None:
            raise ParameterError("give --params FILE, or -p/-f with --only CHAPTER")
        parameters = load_parameter_file(args.params, sources) if args.params else {}
        if one_chapter:
            [chapter] = [s for s in sources if s.stem == args.only[0]]
            parameters[chapter.stem] = {**parameters.get(chapter.stem, {}),
                                        **chapter_overrides(chapter, args.parameter, args.parameters_file)}
    except (ParameterError, OSError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    build(sources, parameters, args.out, use_cache(args.force), only=args.only, params_file=args.params)
    return 0


def build(sources: list[Path], parameters: dict[str, dict], out_dir: Path, reuse: bool = True,
          only: list[str] | None = None, params_file: Path | None = None, library: Path | None = None) -> dict:
    """Make every chapter (those in ``only``), each executed or reused (:func:`run_chapter`), then the status page
    (:data:`STATUS_PAGE`) beside them; returns how each was made."""
    import nbformat

    results = Path(os.path.realpath(Paths(REPO_ROOT, artifacts_dir()).results))
    if not only:  # a full build: only results that a reusable recorded run wrote may reach chapter 8
        kept = {file for s in sources if reuse and (entry := read_entry(s.stem)) for file in entry["written"]}
        for file in results.glob("*") if results.is_dir() else []:
            if str(file) not in kept:
                file.unlink()
    digests = Digests(cache_dir() / "digests.json")
    made, start = {}, time.perf_counter()
    for source in sources:
        if only and source.stem not in only:
            continue
        print(f"{source.name} with {parameters.get(source.stem, {})}", flush=True)
        try:
            made[source.stem] = run_chapter(source, parameters.get(source.stem, {}), out_dir, reuse, digests,
                                            results, library)
        finally:
            digests.save()
        how = made[source.stem]
        print(f"  {how['this build']} in {how['seconds']:.1f} s" +
              (f" ({how['why']})" if how["this build"] == "executed" else ""), flush=True)
    nbformat.write(status_page(out_dir, made, time.perf_counter() - start, params_file), out_dir / STATUS_PAGE)
    return made


if __name__ == "__main__":
    sys.exit(main())
