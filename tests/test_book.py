import os
from pathlib import Path

import pytest
from chapter_fixtures import myst_chapter

from bookbuild import cli, execute, html, parameters, runs, status
from bookbuild import myst as chapters
from genrelib.common import paths

CHAPTER = myst_chapter('seed = 0\nstore = "demo"\n', 'result = f"{store}-{seed}"\nprint(result)\n')


@pytest.fixture
def chapter(tmp_path):
    source = tmp_path / "01_demo.md"
    source.write_text(CHAPTER)
    return source


def test_declared_parameters_are_read_from_the_parameters_cell(chapter):
    assert chapters.declared_parameters(chapter) == {"seed": 0, "store": "demo"}
    chapter.write_text(CHAPTER.replace(":tags: [parameters]\n", ""))
    with pytest.raises(chapters.ParameterError, match="expected exactly one cell tagged 'parameters', found 0"):
        chapters.declared_parameters(chapter)


def test_the_library_reads_the_code_cells_of_every_chapter_as_jupytext_does(tmp_path):
    """genrelib reads the parameters cell without jupytext (kernels and workers need none of the tooling):
    the same code and tags as jupytext's, for every chapter and for options written as a YAML block."""
    import jupytext

    block = tmp_path / "01_block.md"
    block.write_text(CHAPTER.replace(":tags: [parameters]\n", "---\ntags: [parameters]\n---\n"))
    assert chapters.declared_parameters(block) == {"seed": 0, "store": "demo"}
    for source in [*parameters.chapters(), block]:
        theirs = [cell for cell in jupytext.read(source).cells if cell.cell_type == "code"]
        ours = chapters.code_cells(source.read_text())
        assert [code for _, code in ours] == [cell.source for cell in theirs], source.name
        assert [o.get("tags", []) for o, _ in ours] == [cell.metadata.get("tags", []) for cell in theirs], source.name


def test_unknown_parameter_is_an_error(tmp_path, chapter):
    params = tmp_path / "p.yaml"
    params.write_text("01_demo:\n  seeed: 3\n")
    with pytest.raises(parameters.ParameterError, match=r"01_demo has no parameter\(s\) \['seeed'\]"):
        parameters.load_parameter_file(params, [chapter])


def test_unknown_chapter_is_an_error(tmp_path, chapter):
    params = tmp_path / "p.yaml"
    params.write_text("09_nothing: {}\n")
    with pytest.raises(parameters.ParameterError, match="names no chapter"):
        parameters.load_parameter_file(params, [chapter])


def test_a_value_of_the_wrong_kind_is_an_error(tmp_path, chapter):
    params = tmp_path / "p.yaml"
    params.write_text("01_demo:\n  seed: 1e-5\n")  # YAML reads a float without a dot as text
    with pytest.raises(parameters.ParameterError, match=r"01_demo's seed = '1e-5' is text.*write 1.0e-5"):
        parameters.load_parameter_file(params, [chapter])
    params.write_text("01_demo:\n  seed: 2.5\n")  # an int default takes whole numbers only
    with pytest.raises(parameters.ParameterError, match=r"seed = 2.5 is a number, but seed takes int"):
        parameters.load_parameter_file(params, [chapter])
    params.write_text("01_demo:\n  store: null\n")  # null only where the chapter says so
    with pytest.raises(parameters.ParameterError, match=r"store = None is null, but store takes str"):
        parameters.load_parameter_file(params, [chapter])
    params.write_text("01_demo:\n  seed: 3\n  store: mine\n")
    assert parameters.load_parameter_file(params, [chapter]) == {"01_demo": {"seed": 3, "store": "mine"}}


TYPED = CHAPTER.replace('store = "demo"\n', 'store = "demo"\nrate = 0.1\nmodalities: list[str] | None = None\n'
                        'lengths: str | dict | None = "whiskers"\n')


@pytest.mark.parametrize("name, value, accepted", [
    ("rate", "1", True),  # an int for a float
    ("rate", "true", False),
    ("modalities", "video", False),
    ("modalities", "[video, audio]", True),
    ("modalities", "[1]", False),
    ("modalities", "null", True),
    ("lengths", "{clip: 8}", True),
    ("lengths", "3", False),
    ("lengths", "null", True),
])
def test_an_annotation_says_what_a_parameter_takes(tmp_path, name, value, accepted):
    source = tmp_path / "01_demo.md"
    source.write_text(TYPED)
    if accepted:
        assert name in parameters.chapter_overrides(source, [(name, value)], None)
    else:
        with pytest.raises(parameters.ParameterError, match=f"01_demo's {name} = .* but {name} takes"):
            parameters.chapter_overrides(source, [(name, value)], None)


def test_a_list_parameter_given_one_word_says_how_to_write_a_list(tmp_path):
    source = tmp_path / "01_demo.md"
    source.write_text(TYPED)
    with pytest.raises(parameters.ParameterError, match=r"a list of one: -p modalities '\[video\]'"):
        parameters.chapter_overrides(source, [("modalities", "video")], None)


def test_a_parameter_defaulting_to_none_must_say_its_type(tmp_path):
    source = tmp_path / "01_demo.md"
    source.write_text(CHAPTER.replace('store = "demo"', "store = None"))
    with pytest.raises(parameters.ParameterError, match=r"\['store'\] default to None: .*`store: str \| None"):
        parameters.chapter_overrides(source, [("seed", "1")], None)
    for chapter in parameters.chapters():  # every chapter of the book says it
        parameters.parameter_types(chapter)


def test_a_refused_run_leaves_no_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runs, "RUNS_DIR", tmp_path / "runs")
    for value in ("2.5", "[2]"):
        assert cli.main(["--only", "03_mlp", "-p", "max_epochs", value]) == 2
        assert "03_mlp's max_epochs" in capsys.readouterr().err
    assert cli.main(["--only", "03_mlp", "-p", "modalities", "video"]) == 2
    assert "-p modalities '[video]'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_the_chapters_hold_the_books_values_and_the_paper_recipe_is_one_file():
    """params/default.yaml overrides nothing, so a chapter run in Lab or by papermill computes the book's numbers;
    the files that train with the paper's recipe repeat params/paper.yaml's values."""
    sources = parameters.chapters()
    book = parameters.load_parameter_file(paths.REPO_ROOT / "params" / "default.yaml", sources)
    assert book and all(values == {} for values in book.values())
    paper = parameters.load_parameter_file(paths.REPO_ROOT / "params" / "paper.yaml", sources)
    assert paper["03_mlp"]["learning_rate"] == 1e-5 and paper["06_ablations"]["standardize"] is False
    declared = {source.stem: chapters.declared_parameters(source) for source in sources}
    for name in ("authors", "full", "movienet"):
        other = parameters.load_parameter_file(paths.REPO_ROOT / "params" / f"{name}.yaml", sources)
        for stem, recipe in paper.items():
            mismatched = {key: value for key, value in recipe.items() if key != "train_lengths" or name != "authors"
                          if other.get(stem, {}).get(key, declared[stem][key]) != value}
            assert not mismatched, (name, stem, mismatched)


def test_a_runs_name_says_what_differs_from_the_book(tmp_path):
    mlp = chapters.NOTEBOOK_DIR / "03_mlp.md"
    assert runs.changed(mlp, {"learning_rate": 1e-5, "max_epochs": 100}) == {"learning_rate": 1e-5}
    paper = parameters.load_parameter_file(paths.REPO_ROOT / "params" / "paper.yaml", parameters.chapters())["03_mlp"]
    with_paper = runs.run_name("03_mlp", runs.changed(mlp, {**paper, "patience": 3}))
    alone = runs.run_name("03_mlp", runs.changed(mlp, {"patience": 3}))
    assert alone == "03_mlp-patience=3" and with_paper.startswith("03_mlp-train_lengths=None-learning_rate=1e-05")


def test_every_repository_parameter_file_loads_and_the_book_files_cover_every_chapter():
    sources = parameters.chapters()
    stems = {c.stem for c in sources}
    for params in sorted((paths.REPO_ROOT / "params").glob("*.yaml")):
        parameters.load_parameter_file(params, sources)  # raises on any unknown name or wrong kind
    for full_run in ("ci.yaml", "default.yaml"):  # what `make test` and `make book` execute
        assert set(parameters.load_parameter_file(paths.REPO_ROOT / "params" / full_run, sources)) == stems


def test_execute_injects_parameters_and_hides_them(tmp_path, chapter):
    import nbformat

    executed = nbformat.read(execute.execute(chapter, {"seed": 7}, tmp_path / "out"), as_version=4)
    injected = [c for c in executed.cells if execute.INJECTED_TAG in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "hide-cell" in injected[0].metadata["tags"]
    assert executed.cells[-1].outputs[0]["text"].strip() == "demo-7"


def test_status_table_reads_papermill_metadata(tmp_path, chapter):
    execute.execute(chapter, {"seed": 3}, tmp_path)
    table = status.status_table(tmp_path)
    assert table.loc["01_demo", "status"] == "ok"
    assert table.loc["01_demo", "parameters"] == "seed = 3"
    assert table.loc["01_demo", "seconds"] >= 0
    execute.execute(chapter, {}, tmp_path / "plain")  # nothing passed in: the chapter's own values ran
    assert status.status_table(tmp_path / "plain").loc["01_demo", "parameters"] == "the chapter's own"


def test_papermill_style_values_are_read_as_papermill_reads_them():
    assert parameters.parse_value("1e-5") == 1e-5 and parameters.parse_value("3") == 3
    assert parameters.parse_value("[0, 1]") == [0, 1] and parameters.parse_value("null") is None
    assert parameters.parse_value("demo") == "demo" and parameters.parse_value("true") is True


@pytest.mark.parametrize("argv, message", [
    (["--only", "99_nothing", "--params", "params/ci.yaml"], "--only names no chapter"),
    (["-p", "learning_rate", "1e-5"], "name it with --only"),
    (["--only", "03_mlp", "04_transformers", "-p", "seed", "1"], "name it with --only"),
    (["--only", "03_mlp", "-p", "learnig_rate", "1e-5"], r"03_mlp has no parameter\(s\) \['learnig_rate'\]"),
    (["--only", "03_mlp", "-p", "learning_rate", "fast"], "03_mlp's learning_rate = 'fast' is text"),
    ([], "give --params FILE"),
    (["--params", "params/ci.yaml", "--run", "mine"], "name it with --only"),
    (["--only", "03_mlp", "-p", "seed", "1", "--run", "mine"], "--run, --out and --into-book"),  # with --out
])
def test_the_runner_refuses_bad_arguments_before_running_anything(argv, message, capsys, tmp_path):
    assert cli.main([*argv, "--out", str(tmp_path)]) == 2
    assert message.replace("\\", "") in capsys.readouterr().err.replace("\\", "")
    assert not list(tmp_path.iterdir())  # nothing was executed


def test_one_chapter_runs_with_p_and_f_like_papermill(tmp_path, chapter):
    import nbformat

    (tmp_path / "02_other.md").write_text(CHAPTER)
    flat, out = tmp_path / "mine.yaml", tmp_path / "out"
    flat.write_text("seed: 1\nstore: mine\n")
    assert cli.main(["--notebooks", str(tmp_path), "--only", "01_demo", "-f", str(flat), "-p", "seed", "2",
                     "--out", str(out)]) == 0
    executed = nbformat.read(out / "01_demo.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters == {"seed": 2, "store": "mine"}  # -p wins over -f
    assert executed.cells[-1].outputs[0]["text"].strip() == "mine-2"
    assert sorted(p.name for p in out.iterdir()) == ["01_demo.ipynb", status.STATUS_PAGE]  # one chapter


def test_a_chapter_runs_with_plain_jupytext_and_papermill(tmp_path):
    """A real chapter needs nothing of the build: the README's jupytext + papermill commands run it, with its
    parameters table showing the value given. Chapter 9, the quickest: the CI chapters run every one."""
    import subprocess
    import sys

    import nbformat

    bin_dir = Path(sys.executable).parent
    notebook = tmp_path / "09_deviations.ipynb"
    subprocess.run([bin_dir / "jupytext", "--to", "ipynb", "--output", notebook,
                    chapters.NOTEBOOK_DIR / "09_deviations.md"], check=True, capture_output=True)
    subprocess.run([bin_dir / "papermill", notebook, tmp_path / "out.ipynb", "-p", "seed", "4", "-k", "python3",
                    "--cwd", chapters.NOTEBOOK_DIR], check=True, capture_output=True)
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters == {"seed": 4}
    outputs = [output for cell in executed.cells for output in cell.get("outputs", [])]
    assert outputs and not any(output.get("output_type") == "error" for output in outputs)
    shown = "".join(str(output.get("data", {}).get("text/markdown", "")) for output in outputs)
    assert "| `seed` | `4` | `0` | yes |" in shown


def test_the_html_check_finds_a_missing_stylesheet_and_a_machine_path(tmp_path):
    (tmp_path / "good.html").write_text('<link href="_static/book.css"><p>artifacts/demo</p>')
    (tmp_path / "bad.html").write_text('<p>read from /work/main/artifacts/x.csv</p>')
    problems = html.check_built_html(tmp_path, forbidden=("/work/main/",))
    assert len(problems) == 2 and all(p.startswith("bad.html: ") for p in problems)
    assert "lacks book.css" in problems[0] and "'/work/main/'" in problems[1]
    raw = '<p>| topic | why |\n|\u2014|\u2014|\n| a | b |</p>'  # as a renderer without tables typesets it
    (tmp_path / "bad.html").write_text(f'<link href="_static/book.css">{raw}<table><tr><td>| a | b |</td></tr></table>')
    assert [p.split(":")[1] for p in html.check_built_html(tmp_path)] == [" shows a Markdown table as raw text"]
    empty = tmp_path / "nothing"
    assert html.check_built_html(empty) == [f"{empty}: no built page; build the book first"]


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
    executed = nbformat.read(execute.execute(chapter, {}, tmp_path / "out", trace=(log, [data], [])), as_version=4)
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
    found = {p.split(":")[0]: p for p in html.check_built_html(tmp_path, forbidden=())}
    assert sorted(found) == ["missing.html", "progress.html", "prose.html", "wide.html"]  # fine.html passes
    assert "f-string source" in found["prose.html"] and "'NaN'" in found["missing.html"]
    assert "overflows the 760 px column" in found["wide.html"] and "done in 00:02" in found["progress.html"]
    assert html.table_width(narrow) < html.COLUMN_PX < html.table_width(wide)


def test_no_chapter_shows_the_fstring_source_of_its_prose():
    """The HTML check's rule, read in the chapters' sources, so the unit tests catch it before a book is built: a
    cell whose input the page shows (hidden input is still in the page, folded) builds no prose from an f-string."""
    shown = [(source.name, code) for source in parameters.chapters()
             for options, code in chapters.code_cells(source.read_text())
             if not {"remove-input", "remove-cell"} & set(options.get("tags", []))]
    assert len(shown) > 50  # the chapters' shown cells were read
    assert [name for name, code in shown if html.FSTRING_PROSE.search(code)] == []


def check_pages(folder: Path, pages: dict[str, str]) -> dict[str, str]:
    """The HTML check's problems on pages written into ``folder`` (each linking book.css), by page."""
    for name, body in pages.items():
        (folder / name).write_text('<link href="_static/book.css">' + body)
    problems = {}
    for problem in html.check_built_html(folder, forbidden=()):
        problems.setdefault(problem.split(":")[0], problem)
    return problems


def test_the_html_check_finds_the_repr_of_a_display_object(tmp_path):
    found = check_pages(tmp_path, {"repr.html": "<pre>&lt;IPython.core.display.Markdown object&gt;</pre>",
                                   "figure.html": "<pre>&lt;Figure size 880x440 with 2 Axes&gt;</pre>",
                                   "axes.html": "<pre>&lt;Axes: title={'center': 'Durations'}&gt;</pre>",
                                   "shown.html": "<p>200 trailers read from <code>artifacts/demo</code>.</p>"})
    assert sorted(found) == ["axes.html", "figure.html", "repr.html"]
    assert "'<IPython.core.display.Markdown object...>'" in found["repr.html"]


def test_the_html_check_finds_a_count_printed_as_a_float(tmp_path):
    def table(rows: str) -> str:  # as pandas writes a table with a named index; test videos are a count
        return ('<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th>'
                '<th>test mAP</th><th>test videos</th><th>mAP, mean over seeds</th></tr><tr><th>model</th>'
                f"<th></th><th></th><th></th></tr></thead><tbody>{rows}</tbody></table>")

    found = check_pages(tmp_path, {"float.html": table("<tr><th>mlp</th><td>43.0</td><td>50.0</td><td>2.5</td></tr>"
                                                      "<tr><th>mean</th><td>44.5</td><td>\u2013</td><td>3.0</td></tr>"),
                                   "whole.html": table("<tr><th>mlp</th><td>43.0</td><td>1,050</td><td>3.0</td></tr>"
                                                       "<tr><th>mean</th><td>44.5</td><td>50</td><td>2.5</td></tr>")})
    assert list(found) == ["float.html"]  # 43.0 is a score; a mean over seeds may be whole
    assert "column of counts 'test videos' shows '50.0'" in found["float.html"]
    spanned = ('<table class="dataframe"><tr><th></th><th colspan="2">test</th></tr><tr><th></th><th>mAP</th>'
               '<th>positives</th></tr><tr><th rowspan="2">drama</th><th>a</th><td>40.1</td><td>7.0</td></tr>'
               '<tr><th>b</th><td>40.0</td><td>12.0</td></tr></table>')
    assert html.count_shown_as_float(spanned) == ("positives", "7.0")  # MultiIndex columns and rows


def test_the_html_check_finds_an_image_whose_alt_text_is_a_file_name(tmp_path):
    image = '<div class="cell_output"><img alt="{}" src="../_images/abc123.png" /></div>'
    found = check_pages(tmp_path, {"file.html": image.format("../_images/abc123.png"), "empty.html": image.format(""),
                                   "none.html": '<img src="_images/plot.svg">',
                                   "said.html": image.format("Bar chart: trailers per genre, most frequent first."),
                                   "theme.html": '<img src="_static/logo.png" alt="">'})  # not an output
    assert sorted(found) == ["empty.html", "file.html", "none.html"]
    assert "alt text is '../_images/abc123.png'" in found["file.html"] and "alt text is ''" in found["empty.html"]


def test_the_runner_calls_itself_as_it_is_run(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert capsys.readouterr().out.startswith("usage: python -m bookbuild ")


def test_a_long_chapter_says_what_it_has_written_while_it_runs(tmp_path):
    """Chapter 2 shows nothing for minutes: the build reports the files its processes write (the trace log)."""
    import time

    from bookbuild import watch

    log, said = tmp_path / "trace", []
    kept, renamed, writing = (tmp_path / "cache" / name for name in ("vid1.npz", ".vid2.tmp", "vid3.npz"))
    kept.parent.mkdir()
    kept.write_bytes(b"x")
    writing.write_bytes(b"x")
    lines = [f"read\t{tmp_path / 'clip.mp4'}", f"write\t{renamed}", f"write\t{kept}", f"write\t{kept}"]
    log.write_text("\n".join(lines) + f"\nwrite\t{writing}")  # its line not yet whole
    with watch.watching("02_extraction", log, said.append, every=0.05):
        time.sleep(0.3)
    assert said and said[-1].startswith("  02_extraction: running ")
    assert said[-1].endswith(f"1 file(s) written, the latest {paths.shown(kept)}")  # gone, half-written: not counted
