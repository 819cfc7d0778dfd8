import torch

from genrelib.common import paths, session
from genrelib.common.progress import progress


def test_progress_off_a_terminal_prints_one_line_when_done(capsys):
    for _ in progress(range(250), desc="train mlp"):
        pass
    bar = progress(total=3, desc="extract (offline)")
    for _ in range(3):
        bar.update()
    bar.close()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" done")[0] for line in lines] == ["train mlp: 250", "extract (offline): 3"]


def test_device_follows_the_gpu_and_a_named_device_wins(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert session.device() == torch.device("cuda")
    assert session.device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert session.device() == torch.device("cpu")
    assert session.device("cuda:1") == torch.device("cuda", 1)


def test_paths_are_shown_relative_to_the_repository_or_home(tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "work" / "repo")
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    assert paths.shown(tmp_path / "work" / "repo" / "artifacts" / "x.csv") == "artifacts/x.csv"
    assert paths.shown(tmp_path / "work" / "shared" / "movienet") == "../shared/movienet"
    assert paths.shown(tmp_path / "home" / "data" / "labels.csv") == "~/data/labels.csv"
    assert paths.shown("/opt/elsewhere/clip.mp4") == "clip.mp4"


def test_an_installed_copy_keeps_its_artifacts_in_the_current_folder(tmp_path, monkeypatch):
    """Outside the book's repository (a `pip install .`), nothing is written into site-packages."""
    monkeypatch.delenv(paths.ARTIFACTS_ENV_VAR, raising=False)
    assert paths.artifacts_dir() == paths.REPO_ROOT / "artifacts"  # this checkout
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "site-packages")
    monkeypatch.chdir(tmp_path)
    assert not paths.in_checkout() and paths.artifacts_dir() == tmp_path / "artifacts"
    monkeypatch.setenv(paths.ARTIFACTS_ENV_VAR, str(tmp_path / "elsewhere"))
    assert paths.artifacts_dir() == tmp_path / "elsewhere"
