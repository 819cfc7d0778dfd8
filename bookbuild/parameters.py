"""The chapters' parameters: parameter files and ``-p``/``-f`` values checked against each chapter's cell.

A parameter file (``params/*.yaml``) maps a chapter's stem to the values that override its ``parameters``
cell. papermill itself only logs unknown names; here an unknown name, a value of another kind than the
parameter takes, or a section for a chapter that does not exist is an error before anything runs. A parameter
takes the type of its default (an int default refuses 2.5; a float default takes 1) unless the cell annotates
it, as every parameter whose default is None must: ``modalities: list[str] | None = None``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from bookbuild.myst import NOTEBOOK_DIR, ParameterError, declared_parameters, declared_types


def chapters(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """Chapter sources in reading order (their file names start with the number)."""
    return sorted(p for p in notebook_dir.glob("[0-9][0-9]_*.md"))


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    return {str: "text", dict: "a mapping"}.get(type(value), type(value).__name__)


TYPES = {"bool": bool, "int": int, "float": float, "str": str, "list": list, "dict": dict}


def fits(value, annotation: ast.expr) -> bool:
    """Whether ``value`` is of the type ``annotation`` writes: the names of :data:`TYPES` and None, joined by
    ``|``; ``list[X]`` checks each item. An int fits float, a bool fits neither."""
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return fits(value, annotation.left) or fits(value, annotation.right)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return value is None
    if isinstance(annotation, ast.Subscript):
        return fits(value, annotation.value) and (not isinstance(value, list)
                                                  or all(fits(item, annotation.slice) for item in value))
    if isinstance(annotation, ast.Name) and annotation.id in TYPES:
        if isinstance(value, bool):
            return annotation.id == "bool"
        return isinstance(value, (int, float) if annotation.id == "float" else TYPES[annotation.id])
    raise ParameterError(f"cannot check a parameter of type {ast.unparse(annotation)!r}: write it with "
                         f"{sorted(TYPES)}, None, list[...] and |")


def parameter_types(source: Path) -> dict[str, ast.expr]:
    """The type each parameter of the chapter takes: its annotation, else its default's type. A None default
    says nothing of the type, so such a parameter must be annotated."""
    declared, annotated = declared_parameters(source), declared_types(source)
    unannotated = sorted(name for name, default in declared.items() if default is None and name not in annotated)
    if unannotated:
        raise ParameterError(f"{source.name}: the parameter(s) {unannotated} default to None: declare what each "
                             f"takes, e.g. `{unannotated[0]}: str | None = None`")
    return {name: annotated.get(name) or ast.Name(type(default).__name__) for name, default in declared.items()}


def check_parameters(where: str, chapter: str, values: dict, source: Path) -> None:
    """Every name must be declared by the chapter's parameters cell, and every value of the type the parameter
    takes (:func:`parameter_types`). YAML reads ``1e-5`` without a dot as text: caught here."""
    types = parameter_types(source)
    unknown = set(values) - set(types)
    if unknown:
        raise ParameterError(f"{where}: {chapter} has no parameter(s) {sorted(unknown)}; "
                             f"its parameters cell declares {sorted(types)}")
    for name, value in values.items():
        if not fits(value, types[name]):
            hint = ""
            if isinstance(value, str) and parse_value(value) != value:
                hint = " (write 1.0e-5, not 1e-5, in YAML)"
            elif fits([value], types[name]):
                hint = f" (a list of one: -p {name} '[{value}]')"
            raise ParameterError(f"{where}: {chapter}'s {name} = {value!r} is {_kind(value)}, but {name} takes "
                                 f"{ast.unparse(types[name])}{hint}")


def load_parameter_file(path: Path, sources: list[Path]) -> dict[str, dict]:
    """Read a parameter file and check every chapter, name and value it mentions."""
    content = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(content, dict):
        raise ParameterError(f"{path}: expected a mapping of chapter name -> parameters")
    by_stem = {s.stem: s for s in sources}
    for stem, values in content.items():
        if stem not in by_stem:
            raise ParameterError(f"{path}: section {stem!r} names no chapter; chapters are {sorted(by_stem)}")
        check_parameters(str(path), stem, values or {}, by_stem[stem])
    return {stem: dict(values or {}) for stem, values in content.items()}


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
    check_parameters("-p/-f", chapter.stem, values, chapter)
    return values
