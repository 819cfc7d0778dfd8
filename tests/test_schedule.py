"""The build's order: chapters wait for what they declare, run side by side up to the jobs asked, and a
chapter that reads another's output without waiting for it is named."""

import signal
import threading
import time
from pathlib import Path

import pytest

from bookbuild import schedule


def _chapter(folder, stem, after=None):
    declared = "" if after is None else f"bookbuild:\n  after: [{', '.join(after)}]\n"
    path = folder / f"{stem}.md"
    path.write_text(f"---\njupytext:\n  formats: md:myst\n{declared}---\n\n# {stem}\n")
    return path


def test_a_chapter_waits_for_what_it_declares_or_for_every_earlier_one(tmp_path):
    sources = [_chapter(tmp_path, "01_a", []), _chapter(tmp_path, "02_b", []), _chapter(tmp_path, "03_c", ["01_a"]),
               _chapter(tmp_path, "04_d")]
    _, declared = schedule.declarations(sources)
    assert declared == {"01_a": (), "02_b": (), "03_c": ("01_a",), "04_d": ("01_a", "02_b", "03_c")}
    assert schedule.ancestors("04_d", declared) == {"01_a", "02_b", "03_c"}
    bad = _chapter(tmp_path, "05_e", ["06_f"])
    with pytest.raises(ValueError, match="not chapters before it"):
        schedule.after(bad, [*sources, bad])


def test_chapters_run_side_by_side_up_to_the_jobs_and_after_what_they_wait_for(tmp_path):
    sources = [_chapter(tmp_path, "01_a", []), _chapter(tmp_path, "02_b", []), _chapter(tmp_path, "03_c", ["01_a"]),
               _chapter(tmp_path, "04_d", [])]
    spans, lock, running, most = {}, threading.Lock(), [0], [0]

    def run(source):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        start = time.perf_counter()
        time.sleep(0.3 if source.stem == "01_a" else 0.1)
        with lock:
            running[0] -= 1
        spans[source.stem] = (start, time.perf_counter())
        return {"stem": source.stem}

    made = schedule.run_in_order(sources, run, jobs=2)
    assert list(made) == ["01_a", "02_b", "03_c", "04_d"] and made["03_c"] == {"stem": "03_c"}
    assert most[0] == 2  # never more than the jobs asked, and the second job was used
    assert spans["03_c"][0] >= spans["01_a"][1]  # it waited for the chapter it reads from
    assert spans["04_d"][0] < spans["01_a"][1]  # a chapter waiting for nothing did not wait for 01_a
    # one job: reading order, one at a time; --only: a chapter outside the build counts as done
    order = []
    schedule.run_in_order(sources, lambda s: order.append(s.stem) or {}, jobs=1)
    assert order == ["01_a", "02_b", "03_c", "04_d"]
    assert list(schedule.run_in_order(sources[2:3], lambda s: {}, jobs=2)) == ["03_c"]


def test_a_read_of_another_chapters_output_without_waiting_for_it_is_named(tmp_path):
    sources = [_chapter(tmp_path, "01_a", []), _chapter(tmp_path, "02_b", []), _chapter(tmp_path, "03_c", ["01_a"])]
    entries = {"01_a": {"files": {"/x/store": "1"}, "written": ["/x/store"]},
               "02_b": {"files": {"/x/store": "1", "/x/own": "2"}, "written": ["/x/own"]},
               "03_c": {"files": {"/x/store": "1"}, "written": []}}
    problems = schedule.undeclared_reads(sources, entries)
    assert len(problems) == 1 and problems[0].startswith("02_b read /x/store, which 01_a writes")
    assert "02_b.md" in problems[0]


def test_chapters_side_by_side_run_in_their_folder_whatever_the_build_process_cwd(tmp_path, monkeypatch):
    from bookbuild.cli import build

    notebooks = tmp_path / "chapters"
    notebooks.mkdir()
    for stem in ("01_a", "02_b"):
        (notebooks / f"{stem}.md").write_text(
            "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\nkernelspec:\n"
            "  display_name: Python 3\n  language: python\n  name: python3\nbookbuild:\n  after: []\n---\n\n"
            "```{code-cell} ipython3\n:tags: [parameters]\nseed = 0\n```\n\n"
            "```{code-cell} ipython3\nimport os, time\ntime.sleep(1)\nprint('cwd', os.getcwd())\n```\n")
    monkeypatch.chdir(tmp_path)  # the build gets relative paths, as make passes them
    monkeypatch.setenv("GENRELIB_ARTIFACTS", "artifacts")
    made = build(sorted(notebooks.glob("*.md")), {}, Path("executed"), reuse=False, jobs=2)
    assert set(made) == {"01_a", "02_b"}
    for stem in made:  # each page where it was asked for, each kernel in its chapter's folder
        assert f"cwd {notebooks}" in (tmp_path / "executed" / f"{stem}.ipynb").read_text()


def test_a_kernel_takes_its_share_of_the_cores_before_each_cell(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(schedule.os, "cpu_count", lambda: 4)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before = torch.get_num_threads()
    running = schedule.RunningChapters(tmp_path / "running")
    share = schedule.share_cores(running.path)
    try:
        with running.one_more(), running.one_more():
            assert running.path.read_text() == "2"
            share()
            assert torch.get_num_threads() == 2 and schedule.os.environ["OMP_NUM_THREADS"] == "2"
            with running.one_more():
                share()
                assert torch.get_num_threads() == 1  # three chapters on four cores: one thread each
        with running.one_more():
            share()
            assert torch.get_num_threads() == 4  # alone: the whole machine
        assert running.path.read_text() == "0"
        running.path.unlink()
        share()  # the build is gone: the kernel keeps what it has
        assert torch.get_num_threads() == 4
    finally:
        torch.set_num_threads(before)


def test_a_kernel_takes_its_share_again_within_a_cell_when_a_chapter_ends(tmp_path, monkeypatch):
    # a cell that trains for minutes must not keep one thread once the chapter beside it is done
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(schedule.os, "cpu_count", lambda: 4)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before, handler = torch.get_num_threads(), signal.getsignal(signal.SIGUSR1)
    running = schedule.RunningChapters(tmp_path / "running")
    share = schedule.share_cores(running.path)
    stop = None
    try:
        with running.one_more():
            with running.one_more():
                share()  # the cell starts beside another chapter
                stop = schedule.share_on_change(running.path, share, every=0.05)
                assert torch.get_num_threads() == 2
            deadline = time.monotonic() + 5
            while torch.get_num_threads() != 4 and time.monotonic() < deadline:
                time.sleep(0.01)  # the cell goes on; nobody calls share()
            assert torch.get_num_threads() == 4
    finally:
        if stop is not None:  # the watcher ends before the default handler (which would end pytest) is back
            stop.set()
            time.sleep(0.2)
        signal.signal(signal.SIGUSR1, handler)
        torch.set_num_threads(before)
