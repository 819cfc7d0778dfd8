"""Book stage: execute the chapter sources headless with validated parameters.

Chapters live in ``notebooks/NN_name.md`` (MyST markdown, paired by jupytext).
A parameter file (``params/*.yaml``) maps a chapter's stem to the values that
override its ``parameters`` cell. papermill itself only logs unknown names;
here an unknown name, or a section for a chapter that does not exist, is an
error before anything runs.

    python -m genrelib.book --params params/ci.yaml --out book/executed [--only 01_data]
"""

from __future__ import annotations

import argparse
import ast
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=Path, required=True, help="parameter file, e.g. params/ci.yaml")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "book" / "executed")
    parser.add_argument("--only", nargs="*", default=None, help="chapter stems to run (default: all)")
    args = parser.parse_args(argv)
    sources = chapters()
    try:
        parameters = load_parameter_file(args.params, sources)
    except ParameterError as exc:
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
