"""The chapter sources as the build reads them: where they are, and the parameters each declares.

A chapter is MyST markdown (``notebooks/NN_name.md``) whose one cell tagged ``parameters`` assigns each
parameter its default. It is read here with the standard library and YAML, as jupytext writes the format
(a test checks the reading against jupytext's), so that a chapter's kernel can read its own parameters cell
(:func:`genrelib.book.parameters.parameters_ran`) without importing the book's tooling.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from genrelib.common.paths import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
PARAMETERS_TAG = "parameters"
# a code cell: its fence line, the options and code, the closing fence (jupytext's MyST format)
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)


class ParameterError(ValueError):
    """A chapter or a parameter file names a chapter or parameter that does not exist."""


def code_cells(text: str) -> list[tuple[dict, str]]:
    """(options, code) of each code cell of a MyST notebook: options as ``:key: value`` lines or as a YAML
    block between ``---`` lines right after the fence, then the code."""
    cells = []
    for body in CODE_CELL.findall(text):
        lines = body.split("\n")
        options: dict = {}
        if lines[0].strip() == "---":
            end = lines.index("---", 1)
            options = yaml.safe_load("\n".join(lines[1:end])) or {}
            lines = lines[end + 1:]
        else:
            while lines and lines[0].startswith(":"):
                key, _, value = lines.pop(0)[1:].partition(":")
                options[key.strip()] = yaml.safe_load(value)
        cells.append((options, "\n".join(lines).strip("\n")))
    return cells


def _assignments(source: Path) -> list[tuple[str, ast.expr, ast.expr | None]]:
    """(name, default, annotation or None) of each assignment in the chapter's ``parameters`` cell."""
    cells = [code for options, code in code_cells(Path(source).read_text())
             if PARAMETERS_TAG in (options.get("tags") or [])]
    if len(cells) != 1:
        raise ParameterError(f"{source}: expected exactly one cell tagged {PARAMETERS_TAG!r}, found {len(cells)}")
    found = []
    for node in ast.parse(cells[0]).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found.append((node.targets[0].id, node.value, None))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            found.append((node.target.id, node.value, node.annotation))
    return found


def declared_parameters(source: Path) -> dict[str, object]:
    """Names and default values assigned in the chapter's ``parameters`` cell."""
    return {name: ast.literal_eval(value) for name, value, _ in _assignments(source)}


def declared_types(source: Path) -> dict[str, ast.expr]:
    """The annotations of the parameters that have one (``modalities: list[str] | None = None``): what a
    parameter accepts where its default does not say (bookbuild.parameters)."""
    return {name: annotation for name, _, annotation in _assignments(source) if annotation is not None}
