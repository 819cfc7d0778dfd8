import json

import numpy as np
import pytest

from genrelib.common.files import sha256_of
from genrelib.data import labels

CSV_HEADER = "imdb_id,youtube_id,genres,title,duration\n"


def write_movienet(folder, rows, splits=None):
    (folder / labels.LABEL_FILE).write_text(CSV_HEADER + "".join(rows))
    if splits is not None:
        (folder / labels.SPLIT_FILE).write_text(json.dumps(splits))
    return folder


def test_there_are_21_genres_in_alphabetical_order():
    assert len(labels.GENRES) == 21 and list(labels.GENRES) == sorted(labels.GENRES)


def test_parse_genre_list_orders_genres_and_repairs_a_pasted_prefix():
    genres, repaired = labels.parse_genre_list("['Thriller', '-1ru6xV7SOMDrama', 'Action']")
    assert genres == ("Action", "Drama", "Thriller")
    assert repaired == ["-1ru6xV7SOMDrama"]


@pytest.mark.parametrize("text, message", [
    ("['Dramedy']", "unknown genre 'Dramedy'"),
    ("Drama, War", "is not a list literal"),
    ("[1, 2]", "is not a list of strings"),
])
def test_parse_genre_list_rejects_bad_input_naming_where(text, message):
    with pytest.raises(labels.LabelFileError, match=message) as error:
        labels.parse_genre_list(text, where="labels.csv, line 7")
    assert "labels.csv, line 7" in str(error.value)


def test_load_labels_multi_hot_known_answer(tmp_path):
    write_movienet(tmp_path, ['tt1,bbb,"[\'Drama\', \'War\']",B,100.0\n', "tt2,aaa,[],A,20.5\n"])
    movienet = labels.load_labels(tmp_path)
    y = movienet.multi_hot(["bbb", "aaa"])
    assert y.shape == (2, 21)
    assert np.flatnonzero(y[0]).tolist() == [labels.GENRES.index("Drama"), labels.GENRES.index("War")]
    assert y[1].sum() == 0
    assert movienet.frame.loc["aaa", "duration"] == 20.5


def test_missing_label_file_says_where_and_how_to_get_it(tmp_path):
    with pytest.raises(labels.LabelFileError) as error:
        labels.load_labels(tmp_path)
    assert str(tmp_path / labels.LABEL_FILE) in str(error.value)
    assert "genrelib download-movienet" in str(error.value)


def test_malformed_label_file_names_the_line(tmp_path):
    write_movienet(tmp_path, ['tt1,aaa,"[\'Drama\']",A,100\n', 'tt2,bbb,"[\'Cowboy\']",B,100\n'])
    with pytest.raises(labels.LabelFileError, match=r"line 3 \(bbb\): unknown genre 'Cowboy'"):
        labels.load_labels(tmp_path)


def test_label_file_missing_a_column_is_rejected(tmp_path):
    (tmp_path / labels.LABEL_FILE).write_text("youtube_id,genres\naaa,[]\n")
    with pytest.raises(labels.LabelFileError, match="missing column"):
        labels.load_labels(tmp_path)


def test_environment_variable_points_at_the_labels(tmp_path, monkeypatch):
    write_movienet(tmp_path, ["tt1,aaa,\"['Drama']\",A,100\n"])
    monkeypatch.setenv(labels.ENV_VAR, str(tmp_path))
    assert labels.load_labels().path == tmp_path / labels.LABEL_FILE


def test_alphabetical_split_sizes_and_order():
    ids = [f"id{i:03d}" for i in range(10)][::-1]
    split = labels.alphabetical_split(ids)
    assert split == {"trn": [f"id{i:03d}" for i in range(7)], "val": ["id007"], "tst": ["id008", "id009"]}
    assert [len(s) for s in labels.alphabetical_split(range(26_412)).values()] == [18_488, 2_642, 5_282]


def test_alphabetical_split_uses_case_sensitive_string_order():
    split = labels.alphabetical_split(["b", "A", "a", "B", "_", "-", "0", "z", "Z", "9"])
    assert split["trn"] == ["-", "0", "9", "A", "B", "Z", "_"]


def test_split_rejects_duplicates():
    with pytest.raises(ValueError, match="unique"):
        labels.alphabetical_split(["a", "a", "b"])


def test_load_splits_rejects_overlapping_splits(tmp_path):
    write_movienet(tmp_path, [], splits={"trn": ["a", "b"], "val": ["b"], "tst": []})
    with pytest.raises(labels.LabelFileError, match="repeats ids"):
        labels.load_splits(tmp_path)


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ('["trn", "val", "tst"]', "expected an object with keys"),
    ('{"trn": "a b", "val": [], "tst": []}', "split 'trn' must be a list of youtube ids"),
    ('{"trn": [], "val": []}', "expected an object with keys"),
])
def test_load_splits_rejects_a_bad_split_file_naming_it(tmp_path, content, message):
    (tmp_path / labels.SPLIT_FILE).write_text(content)
    with pytest.raises(labels.LabelFileError, match=f"{labels.SPLIT_FILE}: {message}"):
        labels.load_splits(tmp_path)


def test_a_label_file_with_a_repeated_id_is_rejected(tmp_path):
    write_movienet(tmp_path, ["tt1,aaa,[],A,20.5\n", "tt2,bbb,[],B,30.0\n", "tt3,aaa,[],C,40.0\n"])
    with pytest.raises(labels.LabelFileError, match=r"youtube_id must be present and unique \(duplicates: .*aaa"):
        labels.load_labels(tmp_path)


def test_download_keeps_nothing_when_the_checksum_is_wrong(tmp_path):
    source = tmp_path / "remote.csv"
    source.write_text("payload")
    files = {"labels.csv": (source.as_uri(), "0" * 64)}
    with pytest.raises(labels.LabelFileError, match="does not match"):
        labels.download_movienet(tmp_path / "dest", files)
    assert list((tmp_path / "dest").iterdir()) == []


def test_download_verifies_and_writes(tmp_path):
    source = tmp_path / "remote.csv"
    source.write_text("payload")
    checked = {"labels.csv": (source.as_uri(), sha256_of(source))}
    [written] = labels.download_movienet(tmp_path / "dest", checked)
    assert written.read_text() == "payload"


def test_real_files_match_their_published_checksums(real_movienet):
    for name, (_, sha256) in labels.MOVIENET_FILES.items():
        assert sha256_of(real_movienet / name) == sha256


def test_real_split_is_the_alphabetical_rule(real_movienet):
    movienet = labels.load_labels(real_movienet)
    assert labels.alphabetical_split(movienet.frame.index) == labels.load_splits(real_movienet)
    assert len(movienet.frame) == 26_412
    assert [r["token"] for r in movienet.repairs] == ["-1ru6xV7SOMDrama"]


def test_without_shared_files_the_downloaded_copy_is_found(tmp_path, monkeypatch, tiny_movienet):
    import shutil

    monkeypatch.delenv(labels.ENV_VAR, raising=False)
    monkeypatch.setattr(labels, "SHARED_MOVIENET_DIR", tmp_path / "no-shared")
    assert labels.default_movienet_dir() == tmp_path / "no-shared"  # named in the error message
    shutil.copytree(tiny_movienet, labels.downloaded_movienet_dir())
    assert labels.default_movienet_dir() == labels.downloaded_movienet_dir()
    assert len(labels.load_labels().frame) == 60


def test_download_if_missing_does_nothing_when_the_files_are_there(tiny_movienet, monkeypatch, capsys):
    from genrelib import cli

    monkeypatch.setenv(labels.ENV_VAR, str(tiny_movienet))
    assert cli.main(["download-movienet", "--if-missing"]) == 0  # no network needed: nothing is fetched
    assert f"found in {tiny_movienet}" in capsys.readouterr().out
