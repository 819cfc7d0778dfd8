"""A chapter run outside the book's build (JupyterLab, plain papermill) writes to a folder of its own and reads the
book's artifacts; the build's own kernels write where $GENRELIB_ARTIFACTS says (genrelib.common.apart)."""

import os

import pytest
from chapter_fixtures import myst_chapter

from bookbuild import execute
from genrelib.common import apart, paths

CHAPTER = myst_chapter("seed = 0\n", "from genrelib.common import session\n\npaths = session.setup(seed)\n", """\
print((paths.artifacts / "stores" / "demo" / "manifest.json").read_text())
(paths.results / "03_mlp.json").write_text("this run's")  # in place, through a link to the book's
with open(paths.artifacts / "checkpoints" / "mlp.pt", "ab") as handle:  # in place, keeping what was there
    handle.write(b"+more")
paths.checkpoint("new", "demo").write_bytes(b"new")
""")

BOOK = {"stores/demo/manifest.json": b"the book's store", "results/03_mlp.json": b"the book's result",
        "checkpoints/mlp.pt": b"the book's checkpoint"}


@pytest.fixture
def book(tmp_path):
    """The book's artifacts folder ($GENRELIB_ARTIFACTS, tests/conftest.py) with a store, a result, a checkpoint."""
    folder = paths.artifacts_dir()
    for name, content in BOOK.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    source = tmp_path / "01_demo.md"
    source.write_text(CHAPTER)
    return folder, source


def files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_chapter_run_outside_the_build_leaves_the_books_artifacts_alone(book, tmp_path, monkeypatch):
    import jupytext
    import nbformat
    import papermill

    folder, source = book
    monkeypatch.delenv(apart.RUN_ENV_VAR, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(paths.REPO_ROOT))
    notebook = tmp_path / "chapter.ipynb"
    nbformat.write(jupytext.read(source), notebook)
    papermill.execute_notebook(str(notebook), str(tmp_path / "out.ipynb"), kernel_name="python3",
                               progress_bar=False, cwd=str(tmp_path))
    assert files(folder) == BOOK  # byte for byte, and nothing new
    own = folder.parent / "runs" / "lab" / "artifacts"
    assert files(own) == {**BOOK, "results/03_mlp.json": b"this run's", "checkpoints/new-demo.pt": b"new",
                          "checkpoints/mlp.pt": b"the book's checkpoint+more"}
    assert (own / "stores" / "demo" / "manifest.json").is_symlink()  # what it did not write, it reads from the book
    cells = [c for c in nbformat.read(tmp_path / "out.ipynb", as_version=4).cells if c.cell_type == "code"]
    said = cells[1].outputs[0]["text"]  # the first output says where the chapter writes
    assert "writes to" in said and "runs/lab/artifacts" in said
    assert cells[2].outputs[0]["text"].strip() == "the book's store"


def test_the_builds_kernel_writes_into_the_artifacts_folder_it_is_given(book, tmp_path, monkeypatch):
    folder, source = book
    monkeypatch.setenv("PYTHONPATH", str(paths.REPO_ROOT))
    execute.execute(source, {}, tmp_path / "out")
    assert files(folder)["results/03_mlp.json"] == b"this run's"
    assert not (folder.parent / "runs").exists()
    assert os.environ.get(apart.RUN_ENV_VAR) is None  # the mark is the kernel's, not this process's
