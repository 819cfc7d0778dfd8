"""The registries of what the book takes from the paper and the authors' code, checked against the sources."""

import os
import subprocess
from pathlib import Path

import pytest

from genrelib.common.paths import REPO_ROOT
from genrelib.sources import evidence, paper

PAPER_TEXT = Path(os.environ.get("GENRELIB_PAPER_TEXT", REPO_ROOT.parent / "shared" / "paper" / "sulun2024.md"))


@pytest.fixture(scope="module")
def paper_text() -> str:
    if not PAPER_TEXT.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PAPER_TEXT}: the paper's text is missing; CI checks every fact against it")
        pytest.skip(f"{PAPER_TEXT}: no paper text here (set GENRELIB_PAPER_TEXT)")
    return PAPER_TEXT.read_text()


def test_every_paper_fact_is_in_its_section(paper_text):
    assert evidence.check_paper(paper_text) == []


def test_sections_are_the_papers_own_text():
    text = "# 3.2. Classification\nA sigmoid.\n#### 3.2.1. MLP\nAveraged  over\nthe $temporal$ dimension.\n"
    sections = evidence.paper_sections(text)
    assert sections == {"3.2": "classification a sigmoid.", "3.2.1": "mlp averaged over the temporal dimension."}


def test_a_wrong_section_or_word_is_reported():
    text = "# 3.2. Classification\nA sigmoid per genre.\n"
    facts = {"here": evidence.PaperFact(1, "3.2", ("SIGMOID",), ""),
             "absent": evidence.PaperFact(1, "3.2", ("softmax",), ""),
             "nowhere": evidence.PaperFact(1, "4", ("sigmoid",), "")}
    assert evidence.check_paper(text, facts) == ["absent: section 3.2 does not hold ['softmax']",
                                                 "nowhere: the paper has no section 4"]


def test_printed_tables_are_in_section_4(paper_text):
    section = evidence.paper_sections(paper_text)["4"]
    printed = [v for row in paper.TABLE_1.values() for v in row.values()]
    printed += [*paper.TABLE_3["paper mAP"], *paper.TABLE_3["paper s/video (GPU)"]]
    assert [v for v in printed if f"{v:.2f}" not in section] == []


def test_code_facts_are_checked_against_a_checkout(tmp_path):
    """A stand-in of the authors' repository: a git repository whose commit holds the files at their lines."""
    repo = tmp_path / "authors"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "model.py").write_text("import torch\nrows = make(max_len=530)\n")
    for command in (["init", "-q"], ["add", "."], ["-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(repo), *command], check=True)
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    facts = {"rows": evidence.CodeFact(530, "src/model.py", 2, "make(max_len=530)", ""),
             "moved": evidence.CodeFact(530, "src/model.py", 1, "max_len=530", "")}
    assert evidence.check_authors_code(repo, facts, commit) == [
        "moved: src/model.py:1 holds 'import torch', not 'max_len=530'"]
    with pytest.raises(FileNotFoundError, match="no src/other.py at commit"):
        evidence.check_authors_code(repo, {"x": evidence.CodeFact(0, "src/other.py", 1, "", "")}, commit)


def test_citations_name_section_or_file_and_line():
    assert evidence.cite("truncated") == "§3.2.6"
    assert evidence.cite("single_position_rows") == "classifiers.py:83@caac031"
