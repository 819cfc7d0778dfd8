"""The built book as a reader sees it, in a real browser at a phone's width (390 px) and a desktop's (1280 px):
no page wider than the window, no displayed equation cut off, no table wider than the text column unless a box
scrolls it or the page gives it its full width (a cell tagged full-width).

It reads the HTML `make test` builds from the CI chapters (`make test-lab`, with $GENRELIB_ARTIFACTS naming their
artifacts; the HTML lies beside them in _build/html), in the system's Chromium. Without --run-browser it is skipped.
"""

import os
import time
from pathlib import Path

import pytest
from test_lab_browser import chromium

from genrelib.common import paths

BOOK = os.environ.get(paths.ARTIFACTS_ENV_VAR)
# typeset: MathJax has drawn every displayed equation (a page without one loads no MathJax) and has nothing queued
MATH_TYPESET = ("Array.from(document.querySelectorAll('div.math')).every(m => m.querySelector('span.MathJax')) && "
                "(!window.MathJax || !MathJax.Hub || "
                "(MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0))")
# a displayed formula that MathJax drew wider than the box it clips to, by its equation's label
CLIPPED_EQUATIONS = """return Array.from(document.querySelectorAll('div.MathJax_Display span.math'))
  .filter(m => m.scrollWidth > m.getBoundingClientRect().width + 1)
  .map(m => (m.closest('div.math') || {}).id || 'an unlabelled equation');"""
# a table past the text column's right edge, outside a box that scrolls it and outside a full-width cell
WIDE_TABLES = """const article = document.querySelector('article.bd-article');
const edge = article.getBoundingClientRect().right - parseFloat(getComputedStyle(article).paddingRight);
const scrolls = e => { for (let box = e; box && box !== article; box = box.parentElement) {
  const overflow = getComputedStyle(box).overflowX;
  if ((overflow === 'auto' || overflow === 'scroll') && box.getBoundingClientRect().right <= edge + 1) return true; }
  return false; };
return Array.from(article.querySelectorAll('table'))
  .filter(t => t.getBoundingClientRect().right > edge + 1 && !scrolls(t) && !t.closest('div.tag_full-width'))
  .map(t => (t.querySelector('th, td') || {textContent: 'a table'}).textContent.trim().slice(0, 40));"""


@pytest.fixture(scope="module")
def pages(request):
    if not request.config.getoption("--run-browser"):
        pytest.skip("runs after the CI chapters' book is built: make test-lab")
    assert BOOK, f"name the book's artifacts in ${paths.ARTIFACTS_ENV_VAR} (make test-lab does)"
    html = Path(BOOK).resolve().parent / "_build" / "html"
    found = sorted(html.glob("book/**/*.html"))  # index.html only redirects to book/intro.html
    assert len(found) > 10, f"no built book in {html}: run make test"
    return found


def wait_for_math(driver, page: Path, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while not driver.execute_script(f"return {MATH_TYPESET}"):
        assert time.monotonic() < deadline, f"{page.name}: MathJax did not typeset within {seconds} s"
        time.sleep(0.2)


@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_fits_the_window_with_its_equations_and_tables_whole(pages, width):
    driver = chromium()
    try:
        driver.set_window_size(width, 1000)
        problems = []
        for page in pages:
            driver.get(page.as_uri())
            wait_for_math(driver, page)
            overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 1:
                problems.append(f"{page.name}: {overflow} px wider than the window")
            problems += [f"{page.name}: {label} cut off" for label in driver.execute_script(CLIPPED_EQUATIONS)]
            if width >= 1200:  # on a phone every table scrolls (book.css)
                problems += [f"{page.name}: table '{head}' wider than the text column"
                             for head in driver.execute_script(WIDE_TABLES)]
    finally:
        driver.quit()
    assert not problems, f"at {width} px:\n" + "\n".join(problems)
