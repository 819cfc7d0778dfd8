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
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from .paths import REPO_ROOT, Paths, artifacts_dir

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


def execute(source: Path, parameters: dict, out_dir: Path, cell_timeout: int = 1800) -> Path:
    """Run one chapter with papermill into ``out_dir/<stem>.ipynb``.

    The injected-parameters cell is tagged ``hide-cell`` so the book shows it
    folded: readers see which values produced the page without it leading it.
    """
    import jupytext
    import nbformat
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{source.stem}.ipynb"
    unexecuted = out_dir / f".{source.stem}.input.ipynb"
    nbformat.write(jupytext.read(source), unexecuted)
    try:
        papermill.execute_notebook(str(unexecuted), str(target), parameters=parameters, kernel_name="python3",
                                   cwd=str(source.parent), execution_timeout=cell_timeout, progress_bar=False)
    finally:
        unexecuted.unlink(missing_ok=True)
    executed = nbformat.read(target, as_version=4)
    for cell in executed.cells:
        tags = cell.metadata.get("tags", [])
        if INJECTED_TAG in tags and "hide-cell" not in tags:
            cell.metadata["tags"] = tags + ["hide-cell"]
    nbformat.write(executed, target)
    return target


def status_table(executed_dir: Path) -> pd.DataFrame:
    """Each executed chapter's run time and parameters, from the metadata papermill wrote."""
    import nbformat

    rows = []
    for path in sorted(Path(executed_dir).glob("[0-9][0-9]_*.ipynb")):
        papermill = nbformat.read(path, as_version=4).metadata.get("papermill", {})
        rows.append({"chapter": path.stem, "started": (papermill.get("start_time") or "")[:19],
                     "seconds": round(papermill.get("duration") or 0.0, 1),
                     "status": ("error" if papermill.get("exception") else
                                "ok" if papermill.get("end_time") else "running (this page)"),
                     "parameters": ", ".join(f"{k}={v}" for k, v in (papermill.get("parameters") or {}).items())})
    return pd.DataFrame(rows, columns=["chapter", "started", "seconds", "status", "parameters"]).set_index("chapter")


# a paragraph holding a table's header line, then its |---| line (dashes, or typeset as a dash)
RAW_MARKDOWN_TABLE = re.compile(r"<p>\|[^<]*\n\|(?:-{3}|\u2014|\u2013)")


def check_built_html(html_dir: Path, forbidden: tuple[str, ...] | None = None) -> list[str]:
    """Problems a reader would meet in the built book: a page without the stylesheet that lets wide tables and
    code scroll inside their cell (book/_static/book.css), a Markdown table printed as its raw text (an
    output that the book's Markdown renderer did not parse as a table), or a page that shows an absolute path
    of the building machine (the repository, its parent folder, the home folder)."""
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
    if not args.only:  # a full build: results of earlier builds must not reach the results chapter
        shutil.rmtree(Paths(REPO_ROOT, artifacts_dir()).results, ignore_errors=True)
    for source in sources:
        if args.only and source.stem not in args.only:
            continue
        start = time.perf_counter()
        print(f"executing {source.name} with {parameters.get(source.stem, {})}", flush=True)
        execute(source, parameters.get(source.stem, {}), args.out)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
