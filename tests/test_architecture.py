"""The library's shape: modules import each other without cycles, lazy imports inside functions included; the
library imports none of the book's tooling, and tests and benchmarks import neither each other."""

import ast

import pytest

from bookbuild.imports import import_graph
from bookbuild.myst import NOTEBOOK_DIR, code_cells
from genrelib.common.paths import REPO_ROOT

# what runs the book rather than the method: the library, its kernels and its worker processes need none of it
TOOLING = {"papermill", "jupytext", "nbformat", "bookbuild"}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_relative_and_lazy_imports():
    graph = import_graph()
    assert "genrelib.features.extractors.weights" in graph["genrelib.features.extractors.audio"]  # `from . import weights`
    assert "genrelib.data.labels" in graph["genrelib.features.extractors.weights"]  # `from ..labels import sha256_of`


def test_genrelib_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def top_level_imports(code: str) -> set[str]:
    """The top-level names of the packages ``code`` imports anywhere, lazy imports included (relative ones left
    out: they stay inside the package)."""
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add(node.module.split(".")[0])
    return found


def imports_of_folder(folder: str) -> dict[str, set[str]]:
    return {str(p.relative_to(REPO_ROOT)): top_level_imports(p.read_text()) for p in (REPO_ROOT / folder).rglob("*.py")}


def test_the_import_reader_sees_lazy_and_dotted_imports_and_skips_relative_ones():
    code = "import os.path\nfrom . import book\n\ndef f():\n    from papermill.engines import x\n    import nbformat\n"
    assert top_level_imports(code) == {"os", "papermill", "nbformat"}


def test_the_library_imports_none_of_the_book_tooling():
    found = {path: names & TOOLING for path, names in imports_of_folder("genrelib").items() if names & TOOLING}
    assert not found, f"genrelib modules import the book's tooling: {found}"


def test_chapters_import_none_of_the_book_tooling():
    for source in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.md")):
        code = "\n".join(code for _, code in code_cells(source.read_text()))
        assert not top_level_imports(code) & TOOLING, source.name


@pytest.mark.parametrize("folder, other", [("tests", "benchmarks"), ("benchmarks", "tests")])
def test_tests_and_benchmarks_import_neither_each_other(folder, other):
    """What both need (fakes, reference models) is in genrelib.release.reference."""
    others = {other} | {p.stem for p in (REPO_ROOT / other).glob("*.py")} - {"__init__"}
    found = {path: names & others for path, names in imports_of_folder(folder).items() if names & others}
    assert not found, f"{folder} import {other}: {found}"


def test_importing_the_library_makes_nothing_in_the_artifacts_folder(tmp_path):
    """An import that wrote there (a default path made at import time) would touch `make book`'s artifacts from
    `make test`, whose unit tests import the library before any test sets the folder."""
    import os
    import subprocess
    import sys

    artifacts = tmp_path / "artifacts"
    code = f"import importlib\nfor name in {sorted(import_graph())!r}:\n    importlib.import_module(name)\n"
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "GENRELIB_ARTIFACTS": str(artifacts)},
                   cwd=REPO_ROOT, check=True, capture_output=True)
    assert not artifacts.exists()
