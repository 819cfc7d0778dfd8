import torch

from genrelib import env


def test_progress_off_a_terminal_prints_one_line_when_done(capsys):
    for _ in env.progress(range(250), desc="train mlp"):
        pass
    bar = env.progress(total=3, desc="extract (offline)")
    for _ in range(3):
        bar.update()
    bar.close()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" done")[0] for line in lines] == ["train mlp: 250", "extract (offline): 3"]


def test_device_is_chosen_automatically_and_can_be_named():
    assert env.device("cpu").type == "cpu"
    assert env.device().type == ("cuda" if torch.cuda.is_available() else "cpu")
