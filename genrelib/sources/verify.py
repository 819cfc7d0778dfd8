"""Checks of the registry (:mod:`genrelib.sources.evidence`) against its sources: each paper fact's words, its
value filled in, in the section it names, and each code fact's value on the authors' line at their commit."""

from __future__ import annotations

import re
import string
import subprocess
from pathlib import Path

from genrelib.sources.evidence import AUTHORS, COMMIT, PAPER, REPOSITORY, CodeFact, PaperFact

_HEADING = re.compile(r"^#+\s+(\d+(?:\.\d+)*)\.\s", re.MULTILINE)


class _Printed(string.Formatter):
    """A value as the sources print it: ``{:k}`` 48000 as ``48k``, ``{:M}`` 8560000 as ``8.56M``, ``{:%}`` 0.5
    as ``50%``, a float without a spec as Python's shortest form (``1e-5``, ``22``)."""

    def format_field(self, value, spec):
        if spec == "k":
            return f"{value / 1e3:g}k"
        if spec == "M":
            return f"{value / 1e6:.2f}M"
        if spec == "%":
            return f"{value * 100:g}%"
        if spec or not isinstance(value, float):
            return format(value, spec)
        return re.sub(r"e([-+])0*(\d)", r"e\1\2", f"{value:g}").replace("e+", "e")


def _numbers(value) -> set[str]:
    """The fields of ``value`` that hold a number: ``""`` for a number, tuple indices, dict keys."""
    def number(v):
        return isinstance(v, int | float) and not isinstance(v, bool)

    if isinstance(value, dict):
        return {str(k) for k, v in value.items() if number(v)}
    if isinstance(value, tuple):
        return {str(i) for i, v in enumerate(value) if number(v)}
    return {""} if number(value) else set()


def _filled(templates, value) -> tuple[list[str], set[str]]:
    """``templates`` with ``value`` filled in, and the fields of ``value`` holding a number that none of them
    reads (such a number would go unchecked)."""
    args = value if isinstance(value, tuple) else (value,)
    kwargs = value if isinstance(value, dict) else {}
    used = {"" if field == "0" and not isinstance(value, tuple) else field
            for template in templates for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    return [_Printed().format(t, *args, **kwargs) for t in templates], _numbers(value) - used


def _holds(text: str, phrase: str) -> bool:
    """Whether ``text`` holds ``phrase`` as whole tokens: ``18`` is not in ``18488``, ``0.1`` not in ``10.1``."""
    pattern = re.escape(phrase)
    if re.match(r"\w", phrase):
        pattern = r"(?<![\w.])" + pattern
    if re.search(r"\w$", phrase):
        pattern += r"(?!\w|\.\d)"
    return re.search(pattern, text) is not None


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[$*\\]", "", text)).strip().lower()


def paper_sections(text: str) -> dict[str, str]:
    """The paper's numbered sections -> the text under each heading, its title included, up to the next one
    (its own text, not its subsections'), normalised: lower case, single spaces, the PDF extraction's ``$``,
    ``*`` and ``\\`` dropped."""
    marks = list(_HEADING.finditer(text))
    ends = [m.start() for m in marks[1:]] + [len(text)]
    return {m.group(1): _normalised(text[m.end():end]) for m, end in zip(marks, ends, strict=True)}


def check_paper(text: str, facts: dict[str, PaperFact] = PAPER) -> list[str]:
    """Each fact whose section is not among the paper's headings, whose phrases (its value filled in) its
    section lacks, or a number of whose value no phrase reads."""
    sections, problems = paper_sections(text), []
    for key, fact in facts.items():
        phrases, unread = _filled(fact.words, fact.value)
        if unread:
            problems.append(f"{key}: no phrase reads the value's {sorted(unread)}")
        if fact.section not in sections:
            problems.append(f"{key}: the paper has no section {fact.section}")
            continue
        missing = [p for p in phrases if not _holds(sections[fact.section], _normalised(p))]
        if missing:
            problems.append(f"{key}: section {fact.section} does not hold {missing}")
    return problems


def check_authors_code(repo: Path, facts: dict[str, CodeFact] = AUTHORS, commit: str = COMMIT) -> list[str]:
    """Each fact whose lines, in the authors' repository at ``commit`` (a git repository at ``repo``), do not
    hold what the fact says they hold with its value filled in, or a number of whose value its lines do not
    read."""
    problems, files = [], {}
    for key, fact in facts.items():
        if fact.file not in files:
            shown = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{fact.file}"],
                                   capture_output=True, text=True)
            if shown.returncode:
                raise FileNotFoundError(f"{repo}: no {fact.file} at commit {commit[:7]} ({shown.stderr.strip()}); "
                                        f"clone {REPOSITORY} and pass its folder")
            files[fact.file] = shown.stdout.splitlines()
        (found,), unread = _filled([fact.found], fact.value)
        if unread:
            problems.append(f"{key}: {fact.file}:{fact.line} reads none of the value's {sorted(unread)}")
        lines = files[fact.file]
        for number, part in enumerate(found.split("\n"), fact.line):
            line = lines[number - 1] if number <= len(lines) else ""
            if not _holds(" ".join(line.split()), " ".join(part.split())):
                problems.append(f"{key}: {fact.file}:{number} holds {line.strip()!r}, not {part!r}")
    return problems
