"""The chapters' parameters: parameter files and ``-p``/``-f`` values checked against each chapter's cell.

A parameter file (``params/*.yaml``) maps a chapter's stem to the values that override its ``parameters``
cell. papermill itself only logs unknown names; here an unknown name, a value of another kind than the
default's, or a section for a chapter that does not exist is an error before anything runs.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bookbuild.myst import NOTEBOOK_DIR, ParameterError, declared_parameters


def chapters(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """Chapter sources in reading order (their file names start with the number)."""
    return sorted(p for p in notebook_dir.glob("[0-9][0-9]_*.md"))


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
