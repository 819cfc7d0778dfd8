"""Chapter 3 run in JupyterLab by a real browser, as a student runs it: it opens as a notebook, unchanged, runs, draws
its figures, and leaves the book's artifacts byte for byte as they were.

It needs a book whose feature store chapter 2 built: `make test` runs it after the CI chapters (`make test-lab`,
with $GENRELIB_ARTIFACTS naming their artifacts), and it needs the system's Chromium and chromedriver. Without
--run-browser it is skipped (the unit tests run beside the CI chapters, before their store exists).
"""

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from lab_server import running

from genrelib.common import apart, paths

CHAPTER = "notebooks/03_mlp.md"
RUN_SECONDS = 420  # chapter 3 on the CI store takes about a minute on 2 cores
# the book under test (make test-lab: the CI chapters'), read before tests/conftest.py points the variable elsewhere
BOOK = os.environ.get(paths.ARTIFACTS_ENV_VAR)


@pytest.fixture
def browser_run(request, monkeypatch):
    if not request.config.getoption("--run-browser"):
        pytest.skip("runs after the CI chapters: make test-lab")
    assert BOOK, f"name the book's artifacts in ${paths.ARTIFACTS_ENV_VAR} (make test-lab does)"
    book = Path(BOOK).resolve()
    monkeypatch.setenv(paths.ARTIFACTS_ENV_VAR, str(book))
    monkeypatch.delenv(apart.RUN_ENV_VAR, raising=False)
    assert (book / "stores").is_dir(), f"no feature store in {book}: run the CI chapters first (make test)"
    return book


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    # the system's chromedriver, named: Selenium Manager would otherwise look for a driver online
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


def wait_for(driver, script: str, seconds: float, what: str):
    """Poll a JavaScript expression until it is truthy; its value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return {script}")
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"{what}: not within {seconds} s")


# optional chaining: the app object appears only once JupyterLab has started, seconds after the page loads
NOTEBOOK = "window.jupyterapp?.shell?.currentWidget"
STATE = f"""(() => {{
  const panel = {NOTEBOOK};
  const cells = Array.from(panel.content.model.cells).map(cell => cell.toJSON());
  const code = cells.filter(cell => cell.cell_type === "code");
  const outputs = code.flatMap(cell => cell.outputs);
  return {{kernel: panel.sessionContext.session && panel.sessionContext.session.kernel.status,
          busy: document.querySelectorAll(".jp-InputPrompt").length &&
                Array.from(document.querySelectorAll(".jp-InputPrompt")).some(p => p.textContent.includes("*")),
          ran: code.filter(cell => cell.execution_count !== null).length, code: code.length,
          errors: outputs.filter(o => o.output_type === "error").map(o => o.ename + ": " + o.evalue),
          figures: outputs.filter(o => o.data && o.data["image/png"]).length,
          drawn: document.querySelectorAll(".jp-OutputArea-output img").length,
          first: outputs.map(o => o.text || "").join("")}};
}})()"""


def test_chapter_3_runs_in_jupyterlab_and_leaves_the_book_alone(browser_run, tmp_path):
    book, source = browser_run, paths.REPO_ROOT / CHAPTER
    overrides = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert overrides.is_file() and json.loads(overrides.read_text()) == json.loads(
        (paths.REPO_ROOT / "lab" / "overrides.json").read_text()), "make setup installs the Lab settings"
    before, text_before = digests(book), source.read_bytes()
    paired = source.with_suffix(".ipynb")
    paired_before = paired.read_bytes() if paired.exists() else None
    # no autosave: the run's outputs must not be written back into the chapter's files
    settings = tmp_path / "settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    options = [f"--LabApp.user_settings_dir={tmp_path / 'settings'}", f"--LabApp.workspaces_dir={tmp_path}",
               "--LabApp.expose_app_in_browser=True"]
    started = time.monotonic()
    with running(paths.REPO_ROOT, app="jupyterlab", options=options, log=tmp_path / "lab.log") as server:
        driver = chromium()
        try:
            driver.get(f"{server.url}/lab/tree/{CHAPTER}?token={server.token}")
            wait_for(driver, f"{NOTEBOOK} && {NOTEBOOK}.content && {NOTEBOOK}.content.widgets.length > 20", 90,
                     "chapter 3 opened as a notebook")
            wait_for(driver, f"{NOTEBOOK}.sessionContext.session && "
                     f"{NOTEBOOK}.sessionContext.session.kernel.status === 'idle'", 90, "its kernel started")
            time.sleep(2)  # what opening changes is changed by now
            opened = driver.execute_script(f"return {NOTEBOOK}.context.model.toJSON()")
            # Lab records the kernel's language_info (the Python version: no source can hold it), nothing else
            served = server.call("GET", f"/api/contents/{CHAPTER}?type=notebook&content=1")["content"]
            opened["metadata"].pop("language_info")
            assert opened["metadata"] == served["metadata"]
            assert [c["source"] for c in opened["cells"]] == [c["source"] for c in served["cells"]]
            driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            state = wait_for(driver, f"(s => (s.errors.length || s.ran === s.code && !s.busy && s.kernel === 'idle')"
                             f" && s)({STATE})", RUN_SECONDS, "every cell ran")
        finally:
            driver.quit()
    print(f"chapter 3 opened and ran in JupyterLab in {time.monotonic() - started:.0f} s")
    assert state["errors"] == []
    assert state["figures"] >= 1 and state["drawn"] >= 1  # in the notebook, and on the page
    assert "runs/lab/artifacts/" in state["first"]  # the chapter says where it writes
    assert digests(book) == before  # byte for byte, and nothing new
    assert source.read_bytes() == text_before
    assert (paired.read_bytes() if paired.exists() else None) == paired_before
    assert any((book.parent / "runs" / "lab" / "artifacts" / "checkpoints").glob("*.pt"))
