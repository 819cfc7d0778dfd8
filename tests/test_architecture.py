"""The library's shape: its stages are subpackages that import only earlier stages (two named exceptions), the
method never imports the book's pages, modules import each other without cycles (lazy imports inside functions
included), the library imports none of the book's tooling, importing it does nothing, and tests and benchmarks
import neither each other."""

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


# The stages in data-flow order; a stage imports only itself and earlier ones.
STAGES = ["common", "sources", "data", "features", "models", "training", "evaluation", "release", "book"]
# Imports against the flow, each for a reason: training scores its validation set with the evaluation metrics,
# and predict can answer with the authors' released classifiers as well as ours.
AGAINST_THE_FLOW = {("genrelib.training.loop", "genrelib.evaluation.metrics"),
                    ("genrelib.evaluation.predict", "genrelib.release")}


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in STAGES) else None


def imports_against_the_flow(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    found = set()
    for module, targets in graph.items():
        if stage_of(module) in STAGES:
            found |= {(module, target) for target in targets if stage_of(target) in STAGES
                      and STAGES.index(stage_of(target)) > STAGES.index(stage_of(module))}
    return found


def test_the_flow_check_finds_a_planted_backward_import():
    graph = {"genrelib.data.store": {"genrelib.common.files", "genrelib.models.classifiers"},
             "genrelib.book.pages": {"genrelib.data.store"}}
    assert imports_against_the_flow(graph) == {("genrelib.data.store", "genrelib.models.classifiers")}


def test_stages_import_only_earlier_stages():
    assert imports_against_the_flow(import_graph()) == AGAINST_THE_FLOW


def test_no_method_stage_imports_the_pages():
    found = {(module, target) for module, targets in import_graph().items() for target in targets
             if stage_of(target) == "book" and stage_of(module) != "book"}
    assert found == set()


def test_the_top_level_holds_only_the_package_the_cli_and_shared_helpers():
    top = {p.name for p in (REPO_ROOT / "genrelib").iterdir() if p.suffix == ".py"}
    assert top == {"__init__.py", "cli.py"}
    assert {p.name for p in (REPO_ROOT / "genrelib").iterdir() if p.is_dir() and p.name != "__pycache__"} == set(STAGES)


def test_no_library_file_is_over_400_lines():
    long = {str(p.relative_to(REPO_ROOT)): n for p in (REPO_ROOT / "genrelib").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long


def test_the_graph_sees_lazy_imports_and_packages():
    graph = import_graph()
    assert "genrelib.features.extractors.weights" in graph["genrelib.features.extractors.audio"]
    assert "genrelib.release" in graph["genrelib.evaluation.predict"]  # inside a function


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
    """One exception: a page shows the parameters its chapter declares, read by the build's own reader of a
    chapter source (bookbuild.myst: the standard library and YAML), never by papermill, jupytext or nbformat."""
    found = {path: names & TOOLING for path, names in imports_of_folder("genrelib").items() if names & TOOLING}
    assert found == {"genrelib/book/parameters.py": {"bookbuild"}}, "genrelib modules import the book's tooling"
    code = (REPO_ROOT / "genrelib/book/parameters.py").read_text()
    assert "from bookbuild.myst import" in code and top_level_imports(
        (REPO_ROOT / "bookbuild/myst.py").read_text()) & TOOLING == set()


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


def test_importing_genrelib_installs_no_hook_and_makes_no_folder(tmp_path):
    """`import genrelib` from a folder outside the checkout adds no audit hook and writes nothing there."""
    import os
    import subprocess
    import sys

    code = ("import sys\nhooks = []\nsys.addaudithook(lambda event, args: event == 'sys.addaudithook' and "
            "hooks.append(1))\nimport genrelib, genrelib.common.session\nprint(len(hooks))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.stdout.strip() == "0"
    assert list(tmp_path.iterdir()) == []


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


def test_training_on_a_stored_planted_store_needs_no_extra(tmp_path):
    """What `pip install .` brings (numpy, pandas, scipy, tqdm, torch) trains and tests the MLP on a planted store:
    the packages of the extras are made unimportable, and the short script still runs."""
    import os
    import subprocess
    import sys

    extras = ["av", "PIL", "matplotlib", "seaborn", "yaml", "onnxruntime", "transformers", "faster_whisper",
              "espeakng_loader", "yt_dlp", "dask", "IPython", "jupytext", "papermill", "sklearn"]
    code = f"""
import sys
sys.modules.update(dict.fromkeys({extras!r}))  # None there: `import` fails, a find_spec probe finds nothing
from genrelib import models, training
from genrelib.data import planted
store = planted.write_store("store", {{"trn": 40, "val": 10, "tst": 20}}, dim=8, frames=(4, 8), seed=0)
model = models.build_model("mlp", {{"clip": 8}})
config = training.TrainConfig(learning_rate=1e-3, max_epochs=2, patience=2)
run = training.train_and_test(model, store, config, "mlp.pt", progress=False)
print(len(run.test_probabilities))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "20"
