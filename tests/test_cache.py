"""The build's execution cache: what a chapter depends on, and that nothing else makes it run again."""

import os
from pathlib import Path

import pytest

from bookbuild import cache, cli, parameters, status
from bookbuild.imports import reached_definitions
from genrelib import paths


def chapter(title: str, parameters: str, code: str) -> str:
    """A chapter's MyST source: a title, its parameters cell, one code cell."""
    return (f"---\nkernelspec: {{display_name: Python 3, language: python, name: python3}}\n---\n# {title}\n\n"
            f"```{{code-cell}} ipython3\n:tags: [parameters]\n\n{parameters}\n```\n\n"
            f"```{{code-cell}} ipython3\n{code}```\n")


MAKE = chapter("Make", "seed = 0", """import os
from pathlib import Path

from fakelib import tools

artifacts = Path(os.environ["GENRELIB_ARTIFACTS"])
(artifacts / "made.txt").write_text(tools.make((artifacts / "labels.txt").read_text(), seed))
""")
USE = chapter("Use", "verbose = True", """import os
from pathlib import Path

print((Path(os.environ["GENRELIB_ARTIFACTS"]) / "made.txt").read_text())
""")
WORK = chapter("Work in a worker process", "seed = 0", """import multiprocessing
import os

from genrelib.labels import sha256_of

data = os.path.join(os.environ["GENRELIB_ARTIFACTS"], "worker.txt")  # never opened by this kernel
with multiprocessing.get_context("spawn").Pool(1) as pool:  # a fresh process, as extraction's workers are
    print(pool.apply(sha256_of, (data,))[:12])
""")
TOOLS = "def make(labels, seed):\n    return labels.upper() + str(seed)\n\n\ndef unused():\n    return 1\n"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def small_book(tmp_path, monkeypatch):
    """A book of the given chapters (stem -> MyST source) over a small library (``fakelib``, on the kernels'
    path) and an artifacts folder holding a label file. Returns a build of it: chapter -> executed or reused."""
    def make(sources: dict[str, str]):
        notebooks, library = tmp_path / "notebooks", tmp_path / "lib" / "fakelib"
        notebooks.mkdir()
        library.mkdir(parents=True)
        for stem, text in sources.items():
            (notebooks / f"{stem}.md").write_text(text)
        (library / "__init__.py").write_text("")
        (library / "tools.py").write_text(TOOLS)
        artifacts = Path(os.environ["GENRELIB_ARTIFACTS"])
        artifacts.mkdir()
        (artifacts / "labels.txt").write_text("drama")
        monkeypatch.setenv("PYTHONPATH", str(library.parent))
        monkeypatch.delenv("CI", raising=False)

        def build(values=None, reuse=True):
            made = cli.build(parameters.chapters(notebooks), values or {}, tmp_path / "out", reuse, library=library)
            build.why = {stem: how["why"] for stem, how in made.items()}
            return {stem: how["this build"] for stem, how in made.items()}

        build.notebooks, build.library, build.artifacts, build.out = notebooks, library, artifacts, tmp_path / "out"
        return build

    return make


@pytest.fixture
def two_chapters(small_book):
    """The first chapter writes a file from the label file with a function of ``fakelib``; the second reads it."""
    return small_book({"01_make": MAKE, "02_use": USE})


BOTH_EXECUTED = {"01_make": "executed", "02_use": "executed"}
BOTH_REUSED = {"01_make": "reused", "02_use": "reused"}


def test_a_chapter_is_executed_again_only_when_something_it_depends_on_changed(two_chapters):
    build = two_chapters
    assert build() == BOTH_EXECUTED
    page = (build.out / "02_use.ipynb").read_bytes()
    assert build() == BOTH_REUSED
    assert (build.out / "02_use.ipynb").read_bytes() == page
    (build.out / "02_use.ipynb").unlink()  # a cleaned book folder is refilled from the cache
    assert build() == BOTH_REUSED and (build.out / "02_use.ipynb").read_bytes() == page

    edit(build.notebooks / "01_make.md", "# Make", "# Make the file")  # prose: the file it writes stays the same
    assert build() == {"01_make": "executed", "02_use": "reused"} and build.why["01_make"] == "its source changed"
    assert build({"01_make": {"seed": 1}}) == BOTH_EXECUTED  # a parameter, and what it changes downstream
    assert build.why["02_use"].endswith("made.txt changed")
    edit(build.library / "tools.py", "return 1", "return 2")  # code no chapter uses
    assert build({"01_make": {"seed": 1}}) == BOTH_REUSED
    edit(build.library / "tools.py", "labels.upper()", "labels.title()")  # code the first chapter uses
    assert build({"01_make": {"seed": 1}}) == BOTH_EXECUTED
    assert build.why["01_make"] == "genrelib code it uses changed: fakelib.tools.make"
    (build.artifacts / "labels.txt").write_text("comedy")  # data the first chapter reads
    assert build({"01_make": {"seed": 1}}) == BOTH_EXECUTED and build.why["01_make"].endswith("labels.txt changed")
    (build.artifacts / "made.txt").unlink()  # what the first wrote: made again, the same, so the second is reused
    assert build({"01_make": {"seed": 1}}) == {"01_make": "executed", "02_use": "reused"}
    assert build.why["01_make"].endswith("made.txt is gone")


def test_ci_and_force_execute_every_chapter(two_chapters, monkeypatch):
    assert two_chapters() == BOTH_EXECUTED
    assert two_chapters(reuse=False) == BOTH_EXECUTED
    monkeypatch.setenv("CI", "true")
    assert not cache.use_cache() and cache.use_cache() == cache.use_cache(force=True)
    assert two_chapters(reuse=cache.use_cache()) == BOTH_EXECUTED
    monkeypatch.setenv("CI", "false")
    assert two_chapters(reuse=cache.use_cache()) == BOTH_REUSED


def test_the_status_page_says_how_each_chapter_was_made_and_on_what(two_chapters):
    import nbformat

    two_chapters()
    two_chapters()
    page = nbformat.read(two_chapters.out / status.STATUS_PAGE, as_version=4)
    assert "0 chapter(s) executed, 2 reused" in page.cells[0].source
    tables = [cell for cell in page.cells if cell.cell_type == "code"]
    assert all(cell.source for cell in tables)  # the book drops a code cell without source, outputs and all
    made, machine = (cell.outputs[0]["data"]["text/plain"] for cell in tables)
    assert "01_make" in made and "reused" in made and "nothing it depends on changed" in made
    assert all(what in machine for what in ("Python", "torch", "CPU cores", "GPU"))
    shown = tables[0].outputs[0]["data"]["text/markdown"]  # reasons and paths wrap to the column
    assert shown.startswith("| chapter | this build | recorded run |") and "| 01_make | reused in " in shown
    toc = (paths.REPO_ROOT / "_toc.yml").read_text()
    assert f"book/executed/{Path(status.STATUS_PAGE).stem}" in toc  # the page is in the book


def test_a_small_book_built_twice_reuses_everything_until_a_file_only_a_worker_process_read_changes(small_book):
    """CI's check of reuse: a second build with nothing changed executes nothing; then the data file that only a
    spawned worker process read (the kernel never opens it) changes, and that chapter alone runs again."""
    build = small_book({"01_make": MAKE, "02_work": WORK})
    (build.artifacts / "worker.txt").write_text("first")
    assert build() == {"01_make": "executed", "02_work": "executed"}
    assert build() == {"01_make": "reused", "02_work": "reused"}
    (build.artifacts / "worker.txt").write_text("second")
    assert build() == {"01_make": "reused", "02_work": "executed"}
    assert build.why["02_work"].endswith("worker.txt changed")


def test_the_folders_a_chapter_declares_are_its_data_as_a_whole(two_chapters, tmp_path, monkeypatch):
    """Weights read in C (no audit event): stand-in weights swapped for real ones, or a model added, re-execute the
    chapters whose code reaches the module that loads them, and only those."""
    weights = tmp_path / "weights"
    (weights / "model").mkdir(parents=True)
    (weights / "model" / "weights.bin").write_bytes(b"random stand-in")
    monkeypatch.setattr(cache, "DECLARED", {"fakelib.tools.make": lambda: [weights]})
    assert two_chapters() == BOTH_EXECUTED
    (weights / "model" / "weights.bin").write_bytes(b"the real weights")
    assert two_chapters() == {"01_make": "executed", "02_use": "reused"}
    assert two_chapters.why["01_make"] == f"the files under {paths.shown(weights)} changed"
    (weights / "model" / "tokenizer.json").write_text("{}")
    assert two_chapters() == {"01_make": "executed", "02_use": "reused"}
    assert two_chapters() == BOTH_REUSED


def test_the_extraction_chapter_declares_the_extractors_weights_and_the_data_chapter_does_not():
    from genrelib.extractors import weights

    declared = {stem: cache.declared_folders(reached_definitions(cache.chapter_code(source)))
                for stem, source in ((s.stem, s) for s in parameters.chapters())}
    paper = Path(os.path.realpath(weights.paper_folder()))
    assert any(paper.is_relative_to(folder) for folder in declared["02_extraction"])
    assert declared["01_data"] == []
