"""The registries of what the book takes from the paper and the authors' code, checked against the sources."""

import os
import subprocess
from pathlib import Path

import pytest

from genrelib.common.paths import REPO_ROOT
from genrelib.sources import evidence, paper, verify

PAPER_TEXT = Path(os.environ.get("GENRELIB_PAPER_TEXT", REPO_ROOT.parent / "shared" / "paper" / "sulun2024.md"))


@pytest.fixture(scope="module")
def paper_text() -> str:
    if not PAPER_TEXT.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PAPER_TEXT}: the paper's text is missing; CI checks every fact against it")
        pytest.skip(f"{PAPER_TEXT}: no paper text here (set GENRELIB_PAPER_TEXT)")
    return PAPER_TEXT.read_text()


def test_every_paper_fact_is_in_its_section(paper_text):
    assert verify.check_paper(paper_text) == []


@pytest.mark.parametrize("key, change", [
    ("audio_codec", lambda v: (v[0], 16_000, v[2])),  # the authors' Opus bitrate, not the paper's
    ("train_lengths", lambda v: {**v, "clip": 160}),  # the authors' CLIP length
    ("recipe", lambda v: {**v, "dropout": 0.1}),  # 0.1 is in the section, but not as the dropout rate
    ("split_sizes", lambda v: {**v, "val": 2_642}),  # the authors' splits.json
    ("parameter_counts", lambda v: {**v, "multi-transformer": 6_970_000}),
])
def test_a_wrong_value_fails_against_the_paper(paper_text, key, change):
    fact = evidence.PAPER[key]
    wrong = {key: evidence.PaperFact(change(fact.value), fact.section, fact.words, fact.said)}
    [problem] = verify.check_paper(paper_text, wrong)
    assert problem.startswith(f"{key}: section {fact.section} does not hold")


def test_phrases_match_whole_tokens_and_every_number_is_read():
    text = "# 3. M\nSplits of 18488 and 10.1 videos; a bitrate of 48k in mono.\n"
    facts = {"inside": evidence.PaperFact(18, "3", ("of {}",), ""),
             "decimal": evidence.PaperFact(0.1, "3", ("and {}",), ""),
             "printed": evidence.PaperFact((48_000, "mono"), "3", ("bitrate of {0:k} in {1}",), ""),
             "unread": evidence.PaperFact({"a": 18488, "b": 3}, "3", ("splits of {a}",), "")}
    assert verify.check_paper(text, facts) == ["inside: section 3 does not hold ['of 18']",
                                                 "decimal: section 3 does not hold ['and 0.1']",
                                                 "unread: no phrase reads the value's ['b']"]


def test_sections_are_the_papers_own_text():
    text = "# 3.2. Classification\nA sigmoid.\n#### 3.2.1. MLP\nAveraged  over\nthe $temporal$ dimension.\n"
    sections = verify.paper_sections(text)
    assert sections == {"3.2": "classification a sigmoid.", "3.2.1": "mlp averaged over the temporal dimension."}


def test_a_wrong_section_or_word_is_reported():
    text = "# 3.2. Classification\nA sigmoid per genre.\n"
    facts = {"here": evidence.PaperFact("sigmoid", "3.2", ("SIGMOID",), ""),
             "absent": evidence.PaperFact("softmax", "3.2", ("{}",), ""),
             "nowhere": evidence.PaperFact(None, "4", ("sigmoid",), "")}
    assert verify.check_paper(text, facts) == ["absent: section 3.2 does not hold ['softmax']",
                                                 "nowhere: the paper has no section 4"]


def test_printed_tables_are_in_section_4(paper_text):
    section = verify.paper_sections(paper_text)["4"]
    printed = [v for row in paper.TABLE_1.values() for v in row.values()]
    printed += [*paper.TABLE_3["paper mAP"], *paper.TABLE_3["paper s/video (GPU)"]]
    assert [v for v in printed if f"{v:.2f}" not in section] == []


def test_code_facts_are_checked_against_a_checkout(tmp_path):
    """A stand-in of the authors' repository: a git repository whose commit holds the files at their lines."""
    repo = tmp_path / "authors"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "model.py").write_text("import torch\nrows = make(max_len=530)\nrate = 16000\n")
    for command in (["init", "-q"], ["add", "."], ["-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(repo), *command], check=True)
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    facts = {"rows": evidence.CodeFact(530, "src/model.py", 2, "make(max_len={})", ""),
             "moved": evidence.CodeFact(530, "src/model.py", 1, "max_len={}", ""),
             "two lines": evidence.CodeFact((530, 16_000), "src/model.py", 2, "max_len={0})\nrate = {1}", ""),
             "wrong": evidence.CodeFact(53, "src/model.py", 2, "max_len={}", ""),
             "unread": evidence.CodeFact(48_000, "src/model.py", 3, "rate = 16000", "")}
    assert verify.check_authors_code(repo, facts, commit) == [
        "moved: src/model.py:1 holds 'import torch', not 'max_len=530'",
        "wrong: src/model.py:2 holds 'rows = make(max_len=530)', not 'max_len=53'",
        "unread: src/model.py:3 reads none of the value's ['']"]
    with pytest.raises(FileNotFoundError, match="no src/other.py at commit"):
        verify.check_authors_code(repo, {"x": evidence.CodeFact(0, "src/other.py", 1, "", "")}, commit)


def test_citations_name_section_or_file_and_line():
    assert evidence.cite("truncated") == "§3.2.6"
    assert evidence.cite("single_position_rows") == "classifiers.py:83@caac031"
    assert evidence.cite("feature_lengths") == "config.py:105-107@caac031"


AUTHORS_REPO = os.environ.get("GENRELIB_AUTHORS_REPO")


@pytest.mark.skipif(not AUTHORS_REPO, reason="no checkout of the authors' code (set GENRELIB_AUTHORS_REPO)")
def test_a_wrong_value_fails_against_the_authors_code():
    fact = evidence.AUTHORS["opus_bitrate"]
    assert verify.check_authors_code(Path(AUTHORS_REPO), {"opus_bitrate": fact}) == []
    wrong = evidence.CodeFact(48_000, fact.file, fact.line, fact.found, fact.said)
    assert verify.check_authors_code(Path(AUTHORS_REPO), {"opus_bitrate": wrong}) != []
