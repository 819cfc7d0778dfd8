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
    assert status.loc["01_demo", "parameters"] == "seed=3"
    assert status.loc["01_demo", "seconds"] >= 0
