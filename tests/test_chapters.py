"""The chapters' code is linted like the library's: ruff on each chapter's code cells, lines of at most 100."""

import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.md"))

# E402: a chapter imports where it first needs a module; E703: a trailing semicolon hides a figure's repr;
# B018: a cell's last bare expression is what the cell displays.
RUFF_ARGS = ["check", "--line-length", "100", "--select", "E,F,W,B", "--ignore", "E402,E703,B018"]


def chapter_code(path: Path) -> str:
    """The code cells of a chapter, in order, separated by blank lines."""
    cells = jupytext.read(path).cells
    return "\n\n".join(cell.source for cell in cells if cell.cell_type == "code") + "\n"


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.name for path in CHAPTERS])
def test_chapter_code_passes_ruff(path):
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([ruff, *RUFF_ARGS, "--stdin-filename", f"{path.stem}.py", "-"],
                            input=chapter_code(path), capture_output=True, text=True, cwd=REPO_ROOT)
    if result.returncode != 0:
        pytest.fail(f"ruff on the code cells of {path.name}:\n{result.stdout}{result.stderr}", pytrace=False)


def test_every_chapter_is_checked():
    assert len(CHAPTERS) >= 9
