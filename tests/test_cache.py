"""The build's execution cache: what a chapter depends on, and that nothing else makes it run again."""

import os
from pathlib import Path

import pytest

from bookbuild import cache, cli, parameters, runs, status
from bookbuild.imports import reached_definitions
from genrelib.common import apart, paths


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

from genrelib.common.files import sha256_of

data = os.path.join(os.environ["GENRELIB_ARTIFACTS"], "worker.txt")  # never opened by this kernel
with multiprocessing.get_context("spawn").Pool(1) as pool:  # a fresh process, as extraction's workers are
    print(pool.apply(sha256_of, (data,))[:12])
""")
STORE = chapter("Store", "seed = 0", """import os
from pathlib import Path

store = Path(os.environ["GENRELIB_ARTIFACTS"]) / "stores" / "made"
store.mkdir(parents=True, exist_ok=True)
(store / "frames.txt").write_text(f"frames {seed}")
""")
TRAIN = chapter("Train", "seed = 0", """import os
from pathlib import Path

from genrelib.common.files import write_atomically

artifacts = Path(os.environ["GENRELIB_ARTIFACTS"])
frames = (artifacts / "stores" / "made" / "frames.txt").read_text()
checkpoint = artifacts / "checkpoints" / "model.pt"
checkpoint.parent.mkdir(exist_ok=True)
write_atomically(checkpoint, lambda handle: handle.write(f"{frames} trained with seed {seed}".encode()))
print(checkpoint.read_text())
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
    from genrelib.features.extractors import weights

    declared = {stem: cache.declared_folders(reached_definitions(cache.chapter_code(source)))
                for stem, source in ((s.stem, s) for s in parameters.chapters())}
    paper = Path(os.path.realpath(weights.paper_folder()))
    assert any(paper.is_relative_to(folder) for folder in declared["02_extraction"])
    assert declared["01_data"] == []


def files(*folders: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for folder in folders for path in folder.rglob("*") if path.is_file()}


def test_a_rerun_with_other_values_goes_to_a_folder_of_its_own_and_reads_what_the_book_made(small_book, tmp_path,
                                                                                            monkeypatch, capsys):
    """An exercise's -p rerun leaves the book's pages, checkpoints, results and cache as they were, writes under
    runs/<name>/, reads the store an earlier chapter of the book made, and runs again when that store changes;
    chapters rerun with one --run NAME read what the others made there; without a record of what the chapter
    writes in the book, the run links nothing."""
    import nbformat

    build = small_book({"01_store": STORE, "02_train": TRAIN})
    assert build() == {"01_store": "executed", "02_train": "executed"}
    book = files(build.out, build.artifacts)
    monkeypatch.setattr(runs, "RUNS_DIR", tmp_path / "runs")
    notebooks = ["--notebooks", str(build.notebooks)]
    rerun = [*notebooks, "--only", "02_train", "-p", "seed", "1"]
    assert cli.main(rerun) == 0
    assert files(build.out, build.artifacts) == book
    run = tmp_path / "runs" / "02_train-seed=1"
    assert capsys.readouterr().out.endswith(f"executed notebook: {paths.shown(run / 'executed' / '02_train.ipynb')}; "
                                            f"artifacts: {paths.shown(run / 'artifacts')}\n")
    executed = nbformat.read(run / "executed" / "02_train.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"].strip() == "frames 0 trained with seed 1"
    assert (run / "artifacts" / "stores" / "made" / "frames.txt").is_symlink()  # read where the book made it
    assert not (run / "artifacts" / "checkpoints" / "model.pt").is_symlink()  # what the chapter makes is its own
    assert (run / "artifacts" / "book-cache" / "02_train.json").is_file()

    assert cli.main(rerun) == 0 and "reused" in capsys.readouterr().out  # the run's own record holds
    (build.artifacts / "stores" / "made" / "frames.txt").write_text("new frames")  # the book's store changed
    assert cli.main(rerun) == 0 and "(frames.txt changed)" in capsys.readouterr().out
    assert (run / "artifacts" / "checkpoints" / "model.pt").read_text() == "new frames trained with seed 1"
    book[build.artifacts / "stores" / "made" / "frames.txt"] = b"new frames"
    # chapters rerun into one folder read what the others made there
    assert cli.main([*notebooks, "--only", "01_store", "-p", "seed", "2", "--run", "both"]) == 0
    assert cli.main([*notebooks, "--only", "02_train", "--run", "both"]) == 0
    both = tmp_path / "runs" / "both" / "artifacts"
    assert (both / "checkpoints" / "model.pt").read_text() == "frames 2 trained with seed 0"
    assert files(build.out, build.artifacts) == book

    (build.artifacts / "stores" / "made" / "frames.txt").unlink()  # the book's record of 01_store no longer holds
    assert cli.main([*notebooks, "--only", "01_store", "--run", "unknown"]) == 0
    assert "reads nothing of the book's artifacts" in capsys.readouterr().out
    assert not any(path.is_symlink() for path in (tmp_path / "runs" / "unknown").rglob("*"))


def test_a_run_rewrites_a_linked_store_or_checkpoint_in_its_own_folder_and_leaves_the_books(tmp_path):
    import numpy as np

    from genrelib.common.files import write_atomically
    from genrelib.data.store import FeatureStore, Modality, StoreWriter

    def write_store(path: Path, frames: int) -> None:
        with StoreWriter(path, [Modality("clip", 2, "synthetic", "none", "0")]) as writer:
            writer.add("v1", {"clip": np.ones((frames, 2))}, np.zeros(21), "trn")

    book, run = tmp_path / "book", tmp_path / "run"
    write_store(book / "stores" / "demo", frames=3)
    for folder in ("checkpoints", "book-cache"):
        (book / folder).mkdir()
    write_atomically(book / "checkpoints" / "mlp.pt", lambda handle: handle.write(b"the book's"))
    (book / "book-cache" / "03_mlp.json").write_text("{}")
    before = files(book)
    apart.link_files(book, run, frozenset({os.path.realpath(book / "book-cache")}))
    assert (run / "stores" / "demo" / "manifest.json").is_symlink() and not (run / "book-cache").exists()
    assert len(FeatureStore(run / "stores" / "demo").frames(0, "clip")) == 3  # the book's store, read
    write_store(run / "stores" / "demo", frames=5)
    write_atomically(run / "checkpoints" / "mlp.pt", lambda handle: handle.write(b"the run's"))
    assert files(book) == before
    assert len(FeatureStore(run / "stores" / "demo").frames(0, "clip")) == 5
    assert not any(path.is_symlink() for path in run.rglob("*"))
    assert (run / "checkpoints" / "mlp.pt").read_bytes() == b"the run's"


def test_a_run_is_named_after_its_chapter_and_values():
    assert runs.run_name("03_mlp", {"learning_rate": 1e-5}) == "03_mlp-learning_rate=1e-05"
    assert runs.run_name("06_ablations", {"seeds": [0], "store": "~/my store"}) == "06_ablations-seeds=0-store=_mystore"
    long = [runs.run_name("07_frame_count", {"frame_counts": list(range(n, 80))}) for n in (0, 1)]
    assert len(set(long)) == 2 and all(len(name) == runs.LONGEST_NAME for name in long)
    for bad in ("", ".hidden", "../up", "a/b"):
        with pytest.raises(parameters.ParameterError, match="--run"):
            runs.check_run_name(bad)
