"""The parameters a chapter ran with, shown on its page beside the defaults its ``parameters`` cell declares."""

from __future__ import annotations

import pandas as pd

from genrelib.book.formatting import markdown_table


def parameters_table(chapter: str, namespace: dict) -> pd.DataFrame:
    """The parameters a chapter ran with: each name its ``parameters`` cell declares, the value it had when this
    was called (a parameter file's or ``-p``'s where one was given) and the chapter's default."""
    from bookbuild.myst import NOTEBOOK_DIR, declared_parameters  # the build's reader of a chapter source

    declared = declared_parameters(NOTEBOOK_DIR / f"{chapter}.md")
    rows = [{"parameter": name, "value this run": repr(namespace[name]), "chapter default": repr(default),
             "changed": "yes" if namespace[name] != default else ""} for name, default in declared.items()]
    return pd.DataFrame(rows).set_index("parameter")


def parameters_ran(chapter: str, namespace: dict):
    """:func:`parameters_table` as a page shows it: a Markdown table, values as code."""
    from IPython.display import Markdown

    table = parameters_table(chapter, namespace)
    code = table.copy()
    for column in ("value this run", "chapter default"):
        code[column] = [f"`{value}`" for value in table[column]]
    code.index = [f"`{name}`" for name in table.index]
    return Markdown(markdown_table(code.rename_axis("parameter")))
