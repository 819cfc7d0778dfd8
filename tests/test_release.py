import json

import numpy as np
import pytest
from http_fixtures import serving

from genrelib import cli, labels, release, sources, store


def test_download_records_the_checksum_and_every_later_use_checks_it(tmp_path):
    remote = tmp_path / "zenodo"
    remote.mkdir()
    (remote / "features.pkl").write_bytes(np.random.default_rng(0).bytes(200_000))
    dest = tmp_path / "release"
    with serving(remote, cut_first_transfer=True) as (url, ranges):
        [path] = release.download(dest, url_template=f"{url}/{{name}}", progress=False)
    assert path.read_bytes() == (remote / "features.pkl").read_bytes() and ranges[1].startswith("bytes=")
    record = json.loads((dest / "features.pkl.sha256.json").read_text())
    assert record["size"] == 200_000
    release.verify(path)
    path.write_bytes(path.read_bytes()[:-1] + b"x")  # damaged after download
    with pytest.raises(release.ReleaseError, match="features.pkl: differs from the file downloaded"):
        release.download(dest, progress=False)


def test_download_offline_says_one_clear_line_and_leaves_nothing(tmp_path, capsys):
    dest = tmp_path / "release"
    code = cli.main(["download-authors-release", "--dest", str(dest), "--url-template",
                     "http://127.0.0.1:9/{name}"])
    error = capsys.readouterr().err.strip()
    assert code == 1 and len(error.splitlines()) == 1
    assert "http://127.0.0.1:9/features.pkl: download failed" in error and "place it at" in error
    assert not dest.exists() or not any(dest.iterdir())


def test_a_synthetic_release_imports_with_the_label_order_mapped(tmp_path, tiny_movienet):
    movienet, splits = labels.load_labels(tiny_movienet), labels.load_splits(tiny_movienet)
    path = release.write_synthetic(tmp_path / "features.pkl", movienet, splits, {"trn": 20, "val": 5, "tst": 5})
    imported = store.import_authors_features(path, tmp_path / "authors", splits, trust_pickle=True)
    assert sorted(imported.modalities) == sorted(release.FEATURE_SHAPES)
    assert len(imported) == 30 and imported.modalities["clip"].dim == 512
    np.testing.assert_array_equal(imported.labels, movienet.multi_hot(imported.videos))
    assert set(imported.lengths("asr_sentiment")) <= {0, 1}
    assert "authors' released features" in sources.describe(imported)


def test_every_chapter_of_the_authors_parameters_runs_on_a_synthetic_release(real_movienet, tmp_path):
    """make test's end-to-end run of params/authors.yaml (as params/authors-ci.yaml, few epochs) on a release of
    the published format over real MovieNet ids; the results page names the release as its data. (Chapter 1
    reads only the label files, as in every other run.)"""
    import nbformat

    from genrelib import book, paths

    where = paths.default_paths()  # the artifacts folder of this test (conftest)
    movienet, splits = labels.load_labels(real_movienet), labels.load_splits(real_movienet)
    pickle_path = release.write_synthetic(tmp_path / "features.pkl", movienet, splits,
                                          {"trn": 32, "val": 8, "tst": 12}, signal=1.5)
    assert cli.main(["import-features", str(pickle_path), "--trust-pickle"]) == 0
    assert len(sources.open_store("authors", where)) == 52
    chapters = ["03_mlp", "04_transformers", "05_baseline", "06_ablations", "07_frame_count", "08_results"]
    assert book.main(["--params", str(book.REPO_ROOT / "params" / "authors-ci.yaml"), "--only", *chapters,
                      "--out", str(tmp_path / "executed")]) == 0
    results = nbformat.read(tmp_path / "executed" / "08_results.ipynb", as_version=4)
    shown = "\n".join(str(output.get("data", {}).get("text/markdown", "")) for cell in results.cells
                      for output in cell.get("outputs", []))
    assert "the authors' released features of MovieNet" in shown
