"""What code a chapter depends on: the definitions it reaches, through imports, re-exports and lazy imports."""

from pathlib import Path

import pytest

from bookbuild import imports
from bookbuild.cache import chapter_code
from bookbuild.parameters import chapters

MODULES = {
    "__init__.py": "",
    "a.py": '''"""Module a."""
import logging

from . import c
from .b import helper as h

LIMIT = 3


def used(x):
    # a comment
    return h(x) + c.value() + LIMIT


def unused():
    from .d import thing

    return thing
''',
    "b.py": "def helper(x):\n    return x\n\n\ndef other():\n    return 0\n",
    "c.py": 'def value():\n    return 1\n\n\nprint("c imported")\n',
    "d.py": "thing = 1\n",
    "e.py": "from .a import used\n",
}


@pytest.fixture
def package(tmp_path) -> Path:
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name, text in MODULES.items():
        (folder / name).write_text(text)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_code_reaches_what_it_uses_and_what_that_uses_not_the_rest_of_a_module(package):
    reached = imports.reached_definitions("from pkg import a\nprint(a.used(1))\n", package)
    assert set(reached) == {"pkg.a.used", "pkg.a.LIMIT", "pkg.b.helper", "pkg.c.value", "pkg.c:import-time"}


def test_re_exports_lazy_imports_and_whole_modules_are_followed(package):
    assert "pkg.a.used" in imports.reached_definitions("from pkg.e import used\nused(2)\n", package)
    assert "pkg.d.thing" in imports.reached_definitions("from pkg import a\na.unused()\n", package)
    assert {"pkg.b.helper", "pkg.b.other"} <= set(imports.reached_definitions("from pkg import b\nf = b\n", package))


def test_a_digest_changes_with_the_code_it_covers_not_with_comments_or_other_code(package):
    code = "from pkg import a\na.used(1)\n"
    before = imports.reached_definitions(code, package)
    edit(package / "a.py", "# a comment", "# another comment")
    edit(package / "b.py", "return 0", "return 5")  # other() is not reached
    assert imports.reached_definitions(code, package) == before
    edit(package / "b.py", "return x", "return -x")
    after = imports.reached_definitions(code, package)
    assert [name for name in before if after[name] != before[name]] == ["pkg.b.helper"]
    edit(package / "c.py", '"c imported"', '"c is imported"')  # run when the module is imported
    assert imports.reached_definitions(code, package)["pkg.c:import-time"] != after["pkg.c:import-time"]


def test_the_book_chapters_reach_the_model_code_only_where_they_train():
    reached = {source.stem: imports.reached_definitions(chapter_code(source)) for source in chapters()}
    uses_models = {stem for stem, names in reached.items()
                   if any(n.startswith("genrelib.models.classifiers.") for n in names)}
    assert {"03_mlp", "04_transformers", "05_baseline"} <= uses_models
    assert not uses_models & {"01_data", "02_extraction"}  # book.tables imports models, but they use none of it
    assert "genrelib.data.labels.load_labels" in reached["01_data"]
