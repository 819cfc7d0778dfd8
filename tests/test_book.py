import os
from pathlib import Path

import pytest

from genrelib import book

CHAPTER = """---
jupytext:
  text_representation: {extension: .md, format_name: myst, format_version: 0.13}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# A chapter

```{code-cell} ipython3
:tags: [parameters]

seed = 0
store = "demo"
```

```{code-cell} ipython3
result = f"{store}-{seed}"
print(result)
```
"""


@pytest.fixture
def chapter(tmp_path):
    source = tmp_path / "01_demo.md"
    source.write_text(CHAPTER)
    return source


def test_declared_parameters_are_read_from_the_parameters_cell(chapter):
    assert book.declared_parameters(chapter) == {"seed": 0, "store": "demo"}


def test_unknown_parameter_is_an_error(tmp_path, chapter):
    params = tmp_path / "p.yaml"
    params.write_text("01_demo:\n  seeed: 3\n")
    with pytest.raises(book.ParameterError, match=r"01_demo has no parameter\(s\) \['seeed'\]"):
        book.load_parameter_file(params, [chapter])


def test_unknown_chapter_is_an_error(tmp_path, chapter):
    params = tmp_path / "p.yaml"
    params.write_text("09_nothing: {}\n")
    with pytest.raises(book.ParameterError, match="names no chapter"):
        book.load_parameter_file(params, [chapter])


def test_a_value_of_the_wrong_kind_is_an_error(tmp_path, chapter):
    params = tmp_path / "p.yaml"
    params.write_text("01_demo:\n  seed: 1e-5\n")  # YAML reads a float without a dot as text
    with pytest.raises(book.ParameterError, match=r"01_demo's seed = '1e-5' is text.*write 1.0e-5"):
        book.load_parameter_file(params, [chapter])
    params.write_text("01_demo:\n  seed: 3.5\n  store: null\n")  # any number for a number; null for anything
    assert book.load_parameter_file(params, [chapter]) == {"01_demo": {"seed": 3.5, "store": None}}


def test_every_repository_parameter_file_loads_and_the_book_files_cover_every_chapter():
    stems = {c.stem for c in book.chapters()}
    for params in sorted((book.REPO_ROOT / "params").glob("*.yaml")):
        book.load_parameter_file(params, book.chapters())  # raises on any unknown name or wrong kind
    for full_run in ("ci.yaml", "default.yaml"):  # what `make test` and `make book` execute
        assert set(book.load_parameter_file(book.REPO_ROOT / "params" / full_run, book.chapters())) == stems


def test_execute_injects_parameters_and_hides_them(tmp_path, chapter):
    import nbformat

    executed = nbformat.read(book.execute(chapter, {"seed": 7}, tmp_path / "out"), as_version=4)
    injected = [c for c in executed.cells if book.INJECTED_TAG in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "hide-cell" in injected[0].metadata["tags"]
    assert executed.cells[-1].outputs[0]["text"].strip() == "demo-7"


def test_status_table_reads_papermill_metadata(tmp_path, chapter):
    book.execute(chapter, {"seed": 3}, tmp_path)
    status = book.status_table(tmp_path)
    assert status.loc["01_demo", "status"] == "ok"
    assert status.loc["01_demo", "parameters"] == "seed = 3"
    assert status.loc["01_demo", "seconds"] >= 0


def test_papermill_style_values_are_read_as_papermill_reads_them():
    assert book.parse_value("1e-5") == 1e-5 and book.parse_value("3") == 3
    assert book.parse_value("[0, 1]") == [0, 1] and book.parse_value("null") is None
    assert book.parse_value("demo") == "demo" and book.parse_value("true") is True


@pytest.mark.parametrize("argv, message", [
    (["--only", "99_nothing", "--params", "params/ci.yaml"], "--only names no chapter"),
    (["-p", "learning_rate", "1e-5"], "name it with --only"),
    (["--only", "03_mlp", "04_transformers", "-p", "seed", "1"], "name it with --only"),
    (["--only", "03_mlp", "-p", "learnig_rate", "1e-5"], r"03_mlp has no parameter\(s\) \['learnig_rate'\]"),
    (["--only", "03_mlp", "-p", "learning_rate", "fast"], "03_mlp's learning_rate = 'fast' is text"),
    ([], "give --params FILE"),
])
def test_the_runner_refuses_bad_arguments_before_running_anything(argv, message, capsys, tmp_path):
    assert book.main([*argv, "--out", str(tmp_path)]) == 2
    assert message.replace("\\", "") in capsys.readouterr().err.replace("\\", "")
    assert not list(tmp_path.iterdir())  # nothing was executed


def test_one_chapter_runs_with_p_and_f_like_papermill(tmp_path, real_movienet):  # chapter 1 reads the labels
    import nbformat

    flat = tmp_path / "mine.yaml"
    flat.write_text("seed: 1\n")
    assert book.main(["--only", "01_data", "-f", str(flat), "-p", "seed", "2", "--out", str(tmp_path / "out")]) == 0
    executed = nbformat.read(tmp_path / "out" / "01_data.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters == {"seed": 2}  # -p wins over -f
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["01_data.ipynb", book.STATUS_PAGE]  # one chapter


def test_a_chapter_runs_with_plain_jupytext_and_papermill(tmp_path, real_movienet):
    import subprocess
    import sys

    import nbformat

    bin_dir = Path(sys.executable).parent
    notebook = tmp_path / "01_data.ipynb"
    subprocess.run([bin_dir / "jupytext", "--to", "ipynb", "--output", notebook, book.NOTEBOOK_DIR / "01_data.md"],
                   check=True, capture_output=True)
    subprocess.run([bin_dir / "papermill", notebook, tmp_path / "out.ipynb", "-p", "seed", "4", "-k", "python3",
                    "--cwd", book.NOTEBOOK_DIR], check=True, capture_output=True)
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters == {"seed": 4}
    outputs = [output for cell in executed.cells for output in cell.get("outputs", [])]
    assert outputs and not any(output.get("output_type") == "error" for output in outputs)


def test_the_html_check_finds_a_missing_stylesheet_and_a_machine_path(tmp_path):
    (tmp_path / "good.html").write_text('<link href="_static/book.css"><p>artifacts/demo</p>')
    (tmp_path / "bad.html").write_text('<p>read from /work/main/artifacts/x.csv</p>')
    problems = book.check_built_html(tmp_path, forbidden=("/work/main/",))
    assert len(problems) == 2 and all(p.startswith("bad.html: ") for p in problems)
    assert "lacks book.css" in problems[0] and "'/work/main/'" in problems[1]
    raw = '<p>| topic | why |\n|\u2014|\u2014|\n| a | b |</p>'  # as a renderer without tables typesets it
    (tmp_path / "bad.html").write_text(f'<link href="_static/book.css">{raw}<table><tr><td>| a | b |</td></tr></table>')
    assert [p.split(":")[1] for p in book.check_built_html(tmp_path)] == [" shows a Markdown table as raw text"]
    empty = tmp_path / "nothing"
    assert book.check_built_html(empty) == [f"{empty}: no built page; build the book first"]


MAKE = """---
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# Make

```{code-cell} ipython3
:tags: [parameters]

seed = 0
```

```{code-cell} ipython3
import os
from pathlib import Path

from fakelib import tools

artifacts = Path(os.environ["GENRELIB_ARTIFACTS"])
(artifacts / "made.txt").write_text(tools.make((artifacts / "labels.txt").read_text(), seed))
```
"""
USE = """---
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# Use

```{code-cell} ipython3
:tags: [parameters]

verbose = True
```

```{code-cell} ipython3
import os
from pathlib import Path

print((Path(os.environ["GENRELIB_ARTIFACTS"]) / "made.txt").read_text())
```
"""
TOOLS = "def make(labels, seed):\n    return labels.upper() + str(seed)\n\n\ndef unused():\n    return 1\n"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def two_chapters(tmp_path, monkeypatch):
    """Two chapters: the first writes a file from a label file with a function of a small library (``fakelib``, on
    the kernels' path), the second reads that file. Returns a build of both: chapter -> executed or reused."""
    notebooks, library = tmp_path / "notebooks", tmp_path / "lib" / "fakelib"
    notebooks.mkdir()
    library.mkdir(parents=True)
    (notebooks / "01_make.md").write_text(MAKE)
    (notebooks / "02_use.md").write_text(USE)
    (library / "__init__.py").write_text("")
    (library / "tools.py").write_text(TOOLS)
    artifacts = Path(os.environ["GENRELIB_ARTIFACTS"])
    artifacts.mkdir()
    (artifacts / "labels.txt").write_text("drama")
    monkeypatch.setenv("PYTHONPATH", str(library.parent))
    monkeypatch.delenv("CI", raising=False)

    def build(parameters=None, reuse=True):
        made = book.build(book.chapters(notebooks), parameters or {}, tmp_path / "out", reuse, library=library)
        build.why = {stem: how["why"] for stem, how in made.items()}
        return {stem: how["this build"] for stem, how in made.items()}

    build.notebooks, build.library, build.artifacts, build.out = notebooks, library, artifacts, tmp_path / "out"
    return build


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
    assert not book.use_cache() and book.use_cache() == book.use_cache(force=True)
    assert two_chapters(reuse=book.use_cache()) == BOTH_EXECUTED
    monkeypatch.setenv("CI", "false")
    assert two_chapters(reuse=book.use_cache()) == BOTH_REUSED


def test_the_status_page_says_how_each_chapter_was_made_and_on_what(two_chapters):
    import nbformat

    two_chapters()
    two_chapters()
    page = nbformat.read(two_chapters.out / book.STATUS_PAGE, as_version=4)
    assert "0 chapter(s) executed, 2 reused" in page.cells[0].source
    tables = [cell for cell in page.cells if cell.cell_type == "code"]
    assert all(cell.source for cell in tables)  # the book drops a code cell without source, outputs and all
    status, machine = (cell.outputs[0]["data"]["text/plain"] for cell in tables)
    assert "01_make" in status and "reused" in status and "nothing it depends on changed" in status
    assert all(what in machine for what in ("Python", "torch", "CPU cores", "GPU"))
    shown = tables[0].outputs[0]["data"]["text/markdown"]  # reasons and paths wrap to the column
    assert shown.startswith("| chapter | this build | recorded run |") and "| 01_make | reused in " in shown
    toc = (book.REPO_ROOT / "_toc.yml").read_text()
    assert f"book/executed/{Path(book.STATUS_PAGE).stem}" in toc  # the page is in the book


def test_the_kernel_logs_the_data_it_reads_lists_and_writes_and_the_page_shows_no_sign_of_it(tmp_path, chapter):
    import nbformat

    log, data = tmp_path / "trace.log", tmp_path / "data"
    (data / "lib").mkdir(parents=True)
    (data / "in.txt").write_text("x")
    (data / "lib" / "helper.py").write_text("VALUE = 'y'\n")
    code = (f"import os, sys\nsys.path.insert(0, {str(data / 'lib')!r})\nimport helper\n"  # the import system lists lib
            f"open({str(data / 'out.txt')!r}, 'w').write(helper.VALUE + str(sorted(os.listdir({str(data)!r}))))\n"
            # an atomic save: tempfile opens the folder itself, which is not writing the folder's files
            f"import tempfile\nt = tempfile.NamedTemporaryFile(dir={str(data)!r}, prefix='.part', delete=False)\n"
            f"t.write(b'z'); t.close(); os.replace(t.name, {str(data / 'saved.bin')!r})\n"
            f"result = open({str(data / 'in.txt')!r}).read() + f'{{store}}-{{seed}}'")
    chapter.write_text(chapter.read_text().replace('result = f"{store}-{seed}"', code))
    executed = nbformat.read(book.execute(chapter, {}, tmp_path / "out", trace=(log, [data], [])), as_version=4)
    assert [c.execution_count for c in executed.cells if c.cell_type == "code"] == [1, 2]
    assert executed.cells[-1].outputs[0]["text"].strip() == "xdemo-0"
    real = os.path.realpath(data)
    logged = sorted(line for line in log.read_text().splitlines() if "/.part" not in line)
    assert logged == [f"list\t{real}", f"read\t{real}/in.txt", f"read\t{real}/lib/helper.py",
                      f"write\t{real}/out.txt", f"write\t{real}/saved.bin"]


def test_the_html_check_finds_fstring_prose_missing_values_wide_tables_and_progress_lines(tmp_path):
    css = '<link href="_static/book.css">'
    code = ('<div class="cell_input"><pre><span class="n">Markdown</span><span class="p">(</span>'
            '<span class="sa">f</span><span class="s2">&quot;On {store}&quot;</span></pre></div>')
    narrow = '<table class="dataframe"><tr><th>model</th><th>mAP</th></tr><tr><td>mlp</td><td>43.3</td></tr></table>'
    wide = ('<table class="dataframe"><tr>' + "".join(f"<th>column_number_{i}</th>" for i in range(12))
            + "</tr></table>")
    pages = {"prose.html": code, "missing.html": '<table class="dataframe"><tr><td>NaN</td></tr></table>',
             "wide.html": wide, "progress.html": "<pre>train mlp: 60 done in 00:02</pre>", "fine.html": narrow}
    for name, body in pages.items():
        (tmp_path / name).write_text(css + body)
    found = {p.split(":")[0]: p for p in book.check_built_html(tmp_path, forbidden=())}
    assert sorted(found) == ["missing.html", "progress.html", "prose.html", "wide.html"]  # fine.html passes
    assert "f-string source" in found["prose.html"] and "'NaN'" in found["missing.html"]
    assert "overflows the 760 px column" in found["wide.html"] and "done in 00:02" in found["progress.html"]
    assert book.table_width(narrow) < book.COLUMN_PX < book.table_width(wide)
