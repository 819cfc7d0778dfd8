"""A small MyST chapter as jupytext writes one, for the tests that execute or parse chapters."""


def myst_chapter(parameters: str, *cells: str) -> str:
    """A chapter with jupytext's header, a title, a cell tagged ``parameters`` holding ``parameters`` and then
    one code cell per item of ``cells`` (each source ending in a newline)."""
    blocks = [f"```{{code-cell}} ipython3\n:tags: [parameters]\n\n{parameters}```\n",
              *(f"```{{code-cell}} ipython3\n{cell}```\n" for cell in cells)]
    return ("---\njupytext:\n  text_representation: {extension: .md, format_name: myst, format_version: 0.13}\n"
            "kernelspec: {display_name: Python 3, language: python, name: python3}\n---\n# A chapter\n\n"
            + "\n".join(blocks))
