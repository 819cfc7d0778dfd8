"""Problems a reader would meet in the built book, found in its HTML (:func:`check_built_html`)."""

from __future__ import annotations

import re
from html import unescape
from itertools import zip_longest
from pathlib import Path

from genrelib.common.paths import REPO_ROOT

# a paragraph holding a table's header line, then its |---| line (dashes, or typeset as a dash)
RAW_MARKDOWN_TABLE = re.compile(r"<p>\|[^<]*\n\|(?:-{3}|\u2014|\u2013)")
# the source of prose computed in a code cell: Markdown(f"...") shown above the sentence it writes
FSTRING_PROSE = re.compile(r"Markdown\(\s*f[\"']")
# a table cell that shows a missing value as the computer names it instead of a dash
MISSING_CELL = re.compile(r"<td>\s*(?:NaN|nan|&lt;NA&gt;|None|NaT)\s*</td>")
# a progress summary line (genrelib.common.progress) or a live tqdm bar
PROGRESS_LINE = re.compile(r"\b\d+ done in \d\d:\d\d\b|\d+%\|")
COLUMN_PX = 760  # the text column at a 1280 px window
CHARACTER_PX, CELL_PADDING_PX = 7.2, 18  # a DataFrame cell's font and padding in the book's theme
# the repr of a display object (IPython's, or a Matplotlib figure) printed as text instead of what it displays
DISPLAY_REPR = re.compile(r"&lt;(?:IPython\.[\w.]+ object|Figure size \d+x\d+ with \d+ Axes|Axes: )")
WHOLE_NUMBER_AS_FLOAT = re.compile(r"-?[\d,]*\d\.0+")
IMAGE_FILE_NAME = re.compile(r"\.(?:png|svg|jpe?g|gif|webp)$", flags=re.I)


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


def count_shown_as_float(table_html: str) -> tuple[str, str] | None:
    """The first column of counts (by its header: :func:`genrelib.book.formatting.is_count_column`) whose values are all
    whole numbers shown with decimals, as (header, first value); None when there is none. A column whose
    header names a count but holds other numbers too (a mean over seeds) is left alone."""
    from genrelib.book.formatting import is_count_column

    headers: list[str] = []  # by column position, the lowest header row that names it
    # the values by column counted from the right: they fill the rightmost columns, as row labels may span rows
    columns: dict[int, list[str]] = {}
    for row in re.findall(r"<tr.*?</tr>", table_html, flags=re.S):
        values = [_text(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        if not values:  # a header row: a cell spanning columns names each of them
            named = [_text(cell).strip() for attributes, cell in re.findall(r"<th([^>]*)>(.*?)</th>", row, flags=re.S)
                     for _ in range(int((re.search(r'colspan="(\d+)"', attributes) or [0, 1])[1]))]
            headers = [new or old for old, new in zip_longest(headers, named, fillvalue="")]
        for position, value in enumerate(reversed(values)):
            columns.setdefault(position, []).append(value)
    for position, values in sorted(columns.items(), reverse=True):
        header = headers[-1 - position] if position < len(headers) else ""
        shown = [value for value in values if value not in ("", "\u2013")]  # formatting.show's dash: missing
        if is_count_column(header) and shown and all(WHOLE_NUMBER_AS_FLOAT.fullmatch(v) for v in shown):
            return header, shown[0]
    return None


def check_built_html(html_dir: Path, forbidden: tuple[str, ...] | None = None) -> list[str]:
    """Problems a reader would meet in the built book: a page without the stylesheet that lets wide tables and
    code scroll inside their cell (book/_static/book.css), a Markdown table printed as its raw text (an
    output that the book's Markdown renderer did not parse as a table), a page that shows an absolute path
    of the building machine (the repository, its parent folder, the home folder), the f-string source of
    prose above the prose, a table cell showing NaN or None, a DataFrame wider than the text column at
    1280 px, a progress line, the repr of a display object (``<IPython.core.display.Markdown object>``, a
    figure's ``<Figure size 880x440 with 2 Axes>``, a plot's ``<Axes: title=...>``) instead of what it shows,
    a count printed as a float in a DataFrame's column of counts, or an image whose alt text is empty or a file
    name (what Sphinx writes when a figure has none). Whether display math fits a phone is not guessed from its
    TeX here: book.css lets it scroll, and a look in a browser at 390 px tells what a reader meets."""
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
            problems.append(f"{name}: a table cell shows {_text(found).strip()!r}; show a dash (formatting.show)")
        for table in re.findall(r'<table[^>]*class="[^"]*dataframe.*?</table>', html, flags=re.S):
            if table_width(table) > COLUMN_PX:
                header = _text(re.search(r"<tr.*?</tr>", table, flags=re.S).group(0)).split()
                problems.append(f"{name}: a table about {table_width(table):.0f} px wide overflows the "
                                f"{COLUMN_PX} px column: {' '.join(header)[:80]!r}...")
            if found := count_shown_as_float(table):
                problems.append(f"{name}: the column of counts {found[0]!r} shows {found[1]!r}; print counts as "
                                "whole numbers (formatting.show)")
        for line in PROGRESS_LINE.findall(text)[:1]:
            problems.append(f"{name}: shows a progress line ({line!r}); run the chapter with progress off")
        for found in DISPLAY_REPR.findall(html)[:1]:
            problems.append(f"{name}: shows {unescape(found) + '...>'!r}, the repr of a display object instead "
                            "of what it displays; display() it, or end the cell with it alone")
        for image in re.findall(r'<img\b[^>]*src="[^"]*_images/[^"]*"[^>]*>', html):
            alt = unescape((re.search(r'\balt="([^"]*)"', image) or ["", ""])[1])
            if not alt.strip() or IMAGE_FILE_NAME.search(alt):
                problems.append(f"{name}: an image's alt text is {alt!r}, not what it shows; give the figure "
                                "alt text (plots.show or the figure's :alt:)")
    return problems

