"""Run one chapter headless: jupytext reads the MyST source, papermill executes it with its parameters."""

from __future__ import annotations

import os
from pathlib import Path

from genrelib.common.apart import RUN_ENV_VAR

INJECTED_TAG = "injected-parameters"
TRACE_TAG = "genrelib-trace"
# The first cell of every chapter the build runs, removed from the executed notebook: it marks the kernel, and
# every process it starts, as the build's, which writes where $GENRELIB_ARTIFACTS says (genrelib.common.apart).
BUILD_CELL = """\
import os as _os

_os.environ[{variable!r}] = "book"
del _os
"""
# With it where chapters run side by side: before each cell, and within one when another chapter starts or ends,
# the kernel takes its share of the cores (bookbuild.schedule), read from the file the build keeps
# ($BOOKBUILD_RUNNING).
RUNNING_ENV_VAR = "BOOKBUILD_RUNNING"
SHARE_CELL = """\
from bookbuild.schedule import share_cores as _share_cores, share_on_change as _share_on_change

_share = _share_cores({path!r})
get_ipython().events.register("pre_run_cell", _share)
_share_on_change({path!r}, _share)
del _share_cores, _share_on_change, _share
"""
# With it in a traced chapter: the kernel, and every process it starts that imports genrelib, logs the data it
# reads, writes and lists (bookbuild.trace).
TRACE_CELL = """\
from bookbuild.trace import install as _install

_install({log!r}, {folders!r}, {ignored!r})
del _install
"""


def execute(source: Path, parameters: dict, out_dir: Path, cell_timeout: int = 1800,
            trace: tuple[Path, list[Path], list[Path]] | None = None) -> Path:
    """Run one chapter with papermill into ``out_dir/<stem>.ipynb``.

    The injected-parameters cell is tagged ``hide-cell`` so the book shows it
    folded: readers see which values produced the page without it leading it.
    The kernel is marked as the build's (:data:`BUILD_CELL`). With ``trace`` (log file,
    data folders, folders to leave out), the chapter's processes log the data they read
    and write there (:data:`TRACE_CELL`).
    """
    import jupytext
    import nbformat
    import papermill

    # absolute paths: another chapter may be running in this process, and nothing here depends on its cwd
    source, out_dir = Path(source).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{source.stem}.ipynb"
    unexecuted = out_dir / f".{source.stem}.input.ipynb"
    notebook = jupytext.read(source)
    code = BUILD_CELL.format(variable=RUN_ENV_VAR)
    if os.environ.get(RUNNING_ENV_VAR):
        code += SHARE_CELL.format(path=os.environ[RUNNING_ENV_VAR])
    if trace is not None:
        log, folders, ignored = trace
        code += TRACE_CELL.format(log=str(log), folders=[str(f) for f in folders], ignored=[str(f) for f in ignored])
    notebook.cells.insert(0, nbformat.v4.new_code_cell(code, metadata={"tags": [TRACE_TAG]}))
    nbformat.write(notebook, unexecuted)
    try:
        # The kernel starts in the chapter's folder through nbclient's resources, not papermill's cwd=, which
        # changes the whole process's directory while the chapter runs: with chapters side by side, the other's
        # relative paths would move. Its log at ERROR: its warning that a local kernel talks over TCP
        # unencrypted says nothing about the chapter, and nine of them bury what the build prints.
        papermill.execute_notebook(str(unexecuted), str(target), parameters=parameters, kernel_name="python3",
                                   execution_timeout=cell_timeout, progress_bar=False,
                                   resources={"metadata": {"path": str(source.parent)}},
                                   extra_arguments=["--IPKernelApp.log_level=ERROR"])
    finally:
        unexecuted.unlink(missing_ok=True)
    executed = nbformat.read(target, as_version=4)
    # the page as if the chapter had run without the first cell, execution counts included
    executed.cells = [c for c in executed.cells if TRACE_TAG not in c.metadata.get("tags", [])]
    for cell in executed.cells:
        if cell.get("execution_count"):
            cell.execution_count -= 1
    for cell in executed.cells:
        tags = cell.metadata.get("tags", [])
        if INJECTED_TAG in tags and "hide-cell" not in tags:
            cell.metadata["tags"] = tags + ["hide-cell"]
    nbformat.write(executed, target)
    return target
