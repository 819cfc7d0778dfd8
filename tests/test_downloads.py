import numpy as np
import pytest
from http_fixtures import serving

from genrelib.common.downloads import DownloadError, fetch
from genrelib.data import labels


@pytest.fixture
def remote(tmp_path):
    folder = tmp_path / "remote"
    folder.mkdir()
    (folder / "big.bin").write_bytes(np.random.default_rng(0).bytes(3_000_000))
    return folder


def test_an_interrupted_transfer_resumes_where_it_stopped(remote, tmp_path):
    with serving(remote, cut_first_transfer=True) as (url, ranges):
        fetch(f"{url}/big.bin", tmp_path / "big.bin")
    assert (tmp_path / "big.bin").read_bytes() == (remote / "big.bin").read_bytes()
    assert ranges == [None, "bytes=1500000-"]  # the second request asks only for the missing half
    assert not (tmp_path / "big.bin.part").exists()


def test_a_later_call_resumes_from_what_an_earlier_one_kept(remote, tmp_path):
    with serving(remote, cut_first_transfer=True) as (url, ranges):
        with pytest.raises(DownloadError, match=r"1,500,000 bytes kept in .*big.bin.part"):
            fetch(f"{url}/big.bin", tmp_path / "big.bin", attempts=1)
        assert not (tmp_path / "big.bin").exists()  # never a half file under the final name
        fetch(f"{url}/big.bin", tmp_path / "big.bin", attempts=1)
    assert (tmp_path / "big.bin").read_bytes() == (remote / "big.bin").read_bytes()


def test_a_missing_file_fails_at_once_naming_the_url_and_the_manual_way(remote, tmp_path):
    with serving(remote) as (url, ranges):
        with pytest.raises(DownloadError, match=rf"{url}/gone.bin: download failed .*404.*place it at .*gone.bin"):
            fetch(f"{url}/gone.bin", tmp_path / "gone.bin")
    assert ranges == [None]  # a 404 is not retried
    assert list(tmp_path.glob("gone.bin*")) == []


def test_the_label_download_explains_itself_without_network(tmp_path):
    files = {labels.LABEL_FILE: ("http://127.0.0.1:9/trailers_genres_clean.csv", "0" * 64)}  # nothing listens
    with pytest.raises(labels.LabelFileError, match=r"could not download trailers_genres_clean.csv from "
                       r"http://127.0.0.1:9/.*\$GENRELIB_MOVIENET_DIR"):
        labels.download_movienet(tmp_path / "dest", files)
    assert list((tmp_path / "dest").iterdir()) == []
