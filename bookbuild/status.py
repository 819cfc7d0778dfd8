"""The book's build status page, QuantEcon's habit: how this build made each chapter, and on what machine."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

import pandas as pd

from genrelib.book.formatting import markdown_table
from genrelib.common.paths import shown


def status_table(executed_dir: Path, build: dict[str, dict] | None = None) -> pd.DataFrame:
    """Each executed chapter's run time and parameters, from the metadata papermill wrote; with ``build`` (what
    :func:`bookbuild.cache.run_chapter` returned, by chapter) also how this build made it: executed or reused,
    why, in how long."""
    import nbformat

    rows = []
    for path in sorted(Path(executed_dir).glob("[0-9][0-9]_*.ipynb")):
        papermill = nbformat.read(path, as_version=4).metadata.get("papermill", {})
        started = papermill.get("start_time") or ""
        rows.append({"chapter": path.stem, "started": f"{started[:10]} {started[11:16]}".strip(),
                     "seconds": round(papermill.get("duration") or 0.0, 1),
                     "status": ("error" if papermill.get("exception") else
                                "ok" if papermill.get("end_time") else "running (this page)"),
                     "parameters": ", ".join(f"{k} = {v}" for k, v in (papermill.get("parameters") or {}).items())
                     or "the chapter's own"})
    table = pd.DataFrame(rows, columns=["chapter", "started", "seconds", "status", "parameters"]).set_index("chapter")
    if build is None:
        return table
    made = pd.DataFrame.from_dict(build, orient="index").reindex(table.index)
    table.insert(0, "this build", [f"{how} in {seconds:.1f} s" if isinstance(how, str) else "not run"
                                   for how, seconds in zip(made["this build"], made["seconds"], strict=True)])
    # an executed page's run is this build's: its time once, in "this build"
    table.insert(1, "recorded run", [f"{started}, this build" if how == "executed" else f"{started}, {seconds:.1f} s"
                                     for how, started, seconds in zip(made["this build"], table["started"],
                                                                      table["seconds"], strict=True)])
    table["why"] = made["why"].fillna("")
    table = table.drop(columns=["started", "seconds"])
    return table.drop(columns="status") if (table["status"] == "ok").all() else table


STATUS_PAGE = "status.ipynb"  # in the table of contents after the chapters
KEY_PACKAGES = ("torch", "numpy", "pandas", "scikit-learn", "onnxruntime", "ctranslate2", "faster-whisper",
                "transformers", "av", "papermill", "jupyter-book")


def machine() -> pd.Series:
    """What this build ran on: Python, the key packages' versions, the CPU and its cores, the GPU."""
    from genrelib.features.extractors.base import package_version

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    try:
        import torch

        gpu = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())) or "none"
    except ImportError:
        gpu = "unknown (torch is not installed)"
    return pd.Series({"Python": platform.python_version(), "platform": platform.platform(), "CPU": cpu,
                      "CPU cores": os.cpu_count(), "GPU": gpu,
                      **{package: package_version(package) for package in KEY_PACKAGES}}, name="version")


def status_page(executed_dir: Path, build: dict[str, dict], seconds: float, params: Path | None):
    """The book's build status page, QuantEcon's habit: how this build made each chapter, and on what (a notebook
    whose tables are outputs, shown as every chapter's tables are)."""
    import nbformat

    def shown_table(table: pd.DataFrame, made_by: str, prose: bool = False):
        # the source is hidden but must not be empty: the book leaves out an empty cell, outputs and all
        cell = nbformat.v4.new_code_cell(made_by, metadata={"tags": ["remove-input"]})
        shown_as = {"text/html": table.to_html()}
        if prose:  # reasons and paths as Markdown, whose cells wrap; a path may break after each "/"
            shown_as = {"text/markdown": markdown_table(
                table.astype(object).fillna("\u2013").map(lambda v: str(v).replace("/", "/\u200b")))}
        cell.outputs = [nbformat.v4.new_output("display_data", data={**shown_as, "text/plain": table.to_string()})]
        return cell

    executed = sum(made["this build"] == "executed" for made in build.values())
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with_params = f" with `{shown(params)}`" if params else ""
    intro = f"""# Build status

This page is written by the build (`bookbuild`), not by hand. Built {when}{with_params} in {seconds:.0f} s:
{executed} chapter(s) executed, {len(build) - executed} reused.

A chapter is executed again only when something it depends on changed since its recorded run: its source,
its parameters, the genrelib code it uses, the installed packages, a data file it or a worker process it
started read or wrote (label files, demo clips, the stores, checkpoints and results of earlier chapters, by
content), or the extractors' weights, for a chapter whose code loads them. Otherwise its executed page of
that run is reused, with the time and duration of that run. `make book FORCE=1` executes every chapter;
`make test` and CI always do."""
    notes = """*this build*: how this build made the page, and in how long (for a reused page, the check that
found nothing changed); *recorded run*: when the page shown was executed (UTC), and for how long when that
was an earlier build; *parameters*: what the build passed in, over the chapter's own values.

## Environment"""
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(intro),
               shown_table(status_table(executed_dir, build), "status.status_table(executed_dir, build)", prose=True),
               nbformat.v4.new_markdown_cell(notes), shown_table(machine().to_frame(), "status.machine()")],
        metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                  "language_info": {"name": "python"}})


