"""Problems a reader would meet in the built book, found in its HTML (:func:`check_built_html`)."""

from __future__ import annotations

import re
from pathlib import Path

from genrelib.paths import REPO_ROOT

# a paragraph holding a table's header line, then its |---| line (dashes, or typeset as a dash)
RAW_MARKDOWN_TABLE = re.compile(r"<p>\|[^<]*\n\|(?:-{3}|\u2014|\u2013)")
# the source of prose computed in a code cell: Markdown(f"...") shown above the sentence it writes
FSTRING_PROSE = re.compile(r"Markdown\(\s*f[\"']")
# a table cell that shows a missing value as the computer names it instead of a dash
MISSING_CELL = re.compile(r"<td>\s*(?:NaN|nan|&lt;NA&gt;|None|NaT)\s*</td>")
# a progress summary line (genrelib.progress) or a live tqdm bar
PROGRESS_LINE = re.compile(r"\b\d+ done in \d\d:\d\d\b|\d+%\|")
COLUMN_PX = 760  # the text column at a 1280 px window
CHARACTER_PX, CELL_PADDING_PX = 7.2, 18  # a DataFrame cell's font and padding in the book's theme


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&quot;", '"').replace("&#39;", "'")


def table_width(table_html: str) -> float:
    """The least width in pixels a DataFrame table needs: per column, its longest unbreakable word (a browser
    wraps cells only at spaces) plus the cell's padding."""
    widths: dict[int, int] = {}
    for row in re.findall(r"<tr.*?</tr>", table_html, flags=re.S):
        for column, cell in enumerate(re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)):
            longest = max((len(word) for word in _text(cell).split()), default=0)
            widths[column] = max(widths.get(column, 0), longest)
    return sum(CHARACTER_PX * w + CELL_PADDING_PX for w in widths.values())


def check_built_html(html_dir: Path, forbidden: tuple[str, ...] | None = None) -> list[str]:
    """Problems a reader would meet in the built book: a page without the stylesheet that lets wide tables and
    code scroll inside their cell (book/_static/book.css), a Markdown table printed as its raw text (an
    output that the book's Markdown renderer did not parse as a table), a page that shows an absolute path
    of the building machine (the repository, its parent folder, the home folder), the f-string source of
    prose above the prose, a table cell showing NaN or None, a DataFrame wider than the text column at
    1280 px, or a progress line."""
    if forbidden is None:
        forbidden = tuple(dict.fromkeys(str(p) + "/" for p in (REPO_ROOT, REPO_ROOT.parent, Path.home())))
    pages = sorted(p for p in Path(html_dir).rglob("*.html") if "_static" not in p.parts
                   and p.name not in ("genindex.html", "search.html"))
    if not pages:
        return [f"{html_dir}: no built page; build the book first"]
    problems = []
    for page in pages:
        html = page.read_text(errors="replace")
        name = page.relative_to(html_dir)
        if 'http-equiv="Refresh"' in html[:200]:  # a redirect (the root index.html), no content
            continue
        if "book.css" not in html:
            problems.append(f"{name}: lacks book.css, so wide tables and code are cut at the column's edge")
        raw_table = RAW_MARKDOWN_TABLE.search(html)
        if raw_table:
            problems.append(f"{name}: shows a Markdown table as raw text: {raw_table.group(0)[:80]!r}...")
        for path in forbidden:
            if path in html:
                at = html.index(path)
                problems.append(f"{name}: shows the build machine's path {path!r}: ...{html[at - 60:at + 60]!r}...")
        text = _text(html)
        if FSTRING_PROSE.search(text):
            problems.append(f"{name}: shows the f-string source of computed prose; glue its values "
                            "(myst_nb.glue) or hide the cell's input")
        for found in MISSING_CELL.findall(html)[:1]:
            problems.append(f"{name}: a table cell shows {_text(found).strip()!r}; show a dash (report.show)")
        for table in re.findall(r'<table[^>]*class="[^"]*dataframe.*?</table>', html, flags=re.S):
            if table_width(table) > COLUMN_PX:
                header = _text(re.search(r"<tr.*?</tr>", table, flags=re.S).group(0)).split()
                problems.append(f"{name}: a table about {table_width(table):.0f} px wide overflows the "
                                f"{COLUMN_PX} px column: {' '.join(header)[:80]!r}...")
        for line in PROGRESS_LINE.findall(text)[:1]:
            problems.append(f"{name}: shows a progress line ({line!r}); run the chapter with progress off")
    return problems

