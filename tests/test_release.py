import json

import numpy as np
import pytest
import torch
from http_fixtures import serving

from genrelib import cli, models, release
from genrelib.data import labels
from genrelib.features import stores
from genrelib.release import reference as testing
from genrelib.training import batches


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
    path = testing.write_synthetic_release(tmp_path / "features.pkl", movienet, splits, {"trn": 20, "val": 5, "tst": 5})
    imported = release.import_authors_features(path, tmp_path / "authors", splits, trust_pickle=True)
    assert sorted(imported.modalities) == sorted(release.FEATURE_SHAPES)
    assert len(imported) == 30 and imported.modalities["clip"].dim == 512
    np.testing.assert_array_equal(imported.labels, movienet.multi_hot(imported.videos))
    assert set(imported.lengths("asr_sentiment")) <= {0, 1}
    assert "authors' released features" in stores.describe(imported)


def test_every_chapter_of_the_authors_parameters_runs_on_a_synthetic_release(real_movienet, tmp_path):
    """make test's end-to-end run of params/authors.yaml (as params/authors-ci.yaml, few epochs) on a release of
    the published format over real MovieNet ids; the results page names the release as its data. (Chapter 1
    reads only the label files, as in every other run.)"""
    import nbformat

    from bookbuild import cli as bookbuild
    from genrelib.common import paths

    where = paths.default_paths()  # the artifacts folder of this test (conftest)
    movienet, splits = labels.load_labels(real_movienet), labels.load_splits(real_movienet)
    pickle_path = testing.write_synthetic_release(tmp_path / "features.pkl", movienet, splits,
                                          {"trn": 32, "val": 8, "tst": 12}, signal=1.5)
    assert cli.main(["import-features", str(pickle_path), "--trust-pickle"]) == 0
    imported = stores.open_store("authors", where)
    assert len(imported) == 52
    dims = {name: m.dim for name, m in imported.modalities.items()}
    testing.write_synthetic_classifiers(where.artifacts / "release-ci", dims,  # authors-ci.yaml's release_dir
                                        {"asr_sentiment": 1, "beats": 32, "clip": 32, "face_emotion": 16,
                                         "ocr_sentiment": 1})
    chapters = ["03_mlp", "04_transformers", "05_baseline", "06_ablations", "07_frame_count", "08_results"]
    assert bookbuild.main(["--params", str(paths.REPO_ROOT / "params" / "authors-ci.yaml"), "--only", *chapters,
                      "--out", str(tmp_path / "executed")]) == 0
    results = nbformat.read(tmp_path / "executed" / "08_results.ipynb", as_version=4)
    shown = "\n".join(str(output.get("data", {}).get("text/markdown", "")) for cell in results.cells
                      for output in cell.get("outputs", []))
    assert "the authors' released features of MovieNet" in shown
    assert "The authors' published classifiers, scored here" in shown


# The release's five features at small widths (divisible by 8 heads), with the authors' training lengths.
FEATURE_DIMS = {"asr_sentiment": 8, "beats": 24, "clip": 16, "face_emotion": 8, "ocr_sentiment": 8}
FEATURE_LENGTHS = {"asr_sentiment": 1, "beats": 12, "clip": 10, "face_emotion": 6, "ocr_sentiment": 1}


def reference_for(config):
    """The authors' class that their init_model(config) builds, rebuilt from torch modules
    (genrelib.release.reference)."""
    from genrelib.release.reference import ReferenceMLP, ReferenceMulti, ReferenceSingle

    dims, lengths = config["feature_dims"], config["feature_lengths"]
    if config["model"] == "mlp":
        return ReferenceMLP(dims, config["n_layers"], config["d_model"], config["dropout"])
    if config["model"] == "single_transformer":
        return ReferenceSingle(dims, config["n_layers"], config["n_heads"], config["d_model"], config["dropout"],
                               rows=sum(lengths.values()) + len(lengths) + 1)
    return ReferenceMulti(dims, {k: v + 1 for k, v in lengths.items()}, config["n_layers"], config["n_heads"],
                          config["d_model"], config["dropout"], config["fixed_position_encoding"])


def full_length_inputs(lengths, seed=0):
    rng = np.random.default_rng(seed)
    return {name: torch.from_numpy(rng.standard_normal((2, lengths[name], dim)).astype(np.float32))
            for name, dim in FEATURE_DIMS.items()}


@pytest.mark.parametrize("kind, d_model", [("mlp", 256), ("single_transformer", 64), ("multi_transformer", 32),
                                           ("multi_transformer", -1)])
def test_a_checkpoint_in_the_authors_layout_loads_and_gives_their_classes_logits(tmp_path, kind, d_model):
    config = testing.authors_config(kind, FEATURE_DIMS, FEATURE_LENGTHS, d_model=d_model,
                                    n_layers=2 if kind == "single_transformer" else 1)
    torch.manual_seed(0)
    reference = reference_for(config).eval()
    for parameter in reference.parameters():  # weights far from their initial values
        torch.nn.init.normal_(parameter, std=0.3)
    torch.save(reference.state_dict(), tmp_path / f"{kind}.pt")
    torch.save(config, tmp_path / f"{kind}_config.pt")  # with a Path and a torch.device among its values
    model, read = release.load_classifier(tmp_path / f"{kind}.pt", tmp_path / f"{kind}_config.pt")
    assert not model.training and read["device"] == torch.device("cpu")
    lengths = {name: 1 if name in release.SINGULAR_FEATURES else 5 for name in FEATURE_DIMS}  # tables hold them
    values = full_length_inputs(lengths)
    batch = {name: models.Padded(v, torch.ones(v.shape[:2], dtype=torch.bool)) for name, v in values.items()}
    with torch.no_grad():
        torch.testing.assert_close(model(batch), reference({k: v.clone() for k, v in values.items()}),
                                   atol=1e-5, rtol=1e-5)


def test_the_synthetic_classifiers_are_in_the_authors_exact_layout(tmp_path):
    testing.write_synthetic_classifiers(tmp_path, FEATURE_DIMS, FEATURE_LENGTHS)
    for kind in release.CLASSIFIERS:
        config = release.read_config(tmp_path / f"{kind}_config.pt")
        reference_for(config).load_state_dict(torch.load(tmp_path / f"{kind}.pt", weights_only=True))  # strict


def test_a_config_holding_another_type_is_refused_by_name(tmp_path):
    import fractions

    config = testing.authors_config("mlp", FEATURE_DIMS, FEATURE_LENGTHS, d_model=256, n_layers=1)
    torch.save({**config, "lr": fractions.Fraction(1, 100_000)}, tmp_path / "mlp_config.pt")
    with pytest.raises(release.ReleaseError, match="holds a fractions.Fraction object.*refused"):
        release.read_config(tmp_path / "mlp_config.pt")


def test_a_state_dict_that_does_not_fit_names_the_keys(tmp_path):
    testing.write_synthetic_classifiers(tmp_path, FEATURE_DIMS, FEATURE_LENGTHS)
    state = torch.load(tmp_path / "multi_transformer.pt", weights_only=True)
    del state["cls_vectors.clip"]
    state["decoder.weight"] = state["decoder.weight"][:, :5]
    state["extra.bias"] = torch.zeros(3)
    torch.save(state, tmp_path / "multi_transformer.pt")
    with pytest.raises(release.ReleaseError) as error:
        release.load_classifier(tmp_path / "multi_transformer.pt", tmp_path / "multi_transformer_config.pt")
    message = str(error.value)
    assert "missing ['cls_vectors.clip']" in message and "unexpected ['extra.bias']" in message
    assert "decoder.weight (21, 5) (expected (21, 160))" in message


def test_standardised_inputs_use_the_release_statistics_on_real_frames_before_zero_padding(tmp_path):
    config = testing.authors_config("mlp", {"clip": 4}, {"clip": 6}, d_model=256, n_layers=1, standardize=True)
    torch.manual_seed(0)
    reference = reference_for(config).eval()
    torch.save(reference.state_dict(), tmp_path / "mlp.pt")
    torch.save(config, tmp_path / "mlp_config.pt")
    stats = {"clip": {"mean": np.arange(4.0), "std": np.full(4, 2.0), "min": 0.0, "max": 1.0}}
    with pytest.raises(release.ReleaseError, match="needs the release's statistics"):
        release.load_classifier(tmp_path / "mlp.pt", tmp_path / "mlp_config.pt")
    model, config = release.load_classifier(tmp_path / "mlp.pt", tmp_path / "mlp_config.pt", stats)
    frames = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    _, padding, _ = release.protocol_inputs("authors", model, config)
    batch = batches.assemble({"clip": [frames]}, model.dims, padding, model.scaling)
    theirs = np.pad((frames - np.arange(4.0)) / 2.0, ((0, 3), (0, 0)))  # standardised, then zeros to 6 frames
    with torch.no_grad():
        torch.testing.assert_close(model(batch), reference({"clip": torch.tensor(theirs[None], dtype=torch.float32)}))


def test_evaluate_release_classifiers_scores_the_three_under_both_protocols(tmp_path, tiny_movienet, capsys):
    movienet, splits = labels.load_labels(tiny_movienet), labels.load_splits(tiny_movienet)
    pickle_path = testing.write_synthetic_release(tmp_path / "features.pkl", movienet, splits,
                                                  {"trn": 8, "val": 4, "tst": 12})
    imported = release.import_authors_features(pickle_path, tmp_path / "store", splits, trust_pickle=True)
    dims = {name: m.dim for name, m in imported.modalities.items()}
    testing.write_synthetic_classifiers(tmp_path / "release", dims, {"asr_sentiment": 1, "beats": 20, "clip": 16,
                                                                     "face_emotion": 8, "ocr_sentiment": 1})
    results = {protocol: release.evaluate_classifiers(tmp_path / "release", imported, protocol)
               for protocol in release.PROTOCOLS}
    for scored in results.values():
        assert list(scored) == list(release.CLASSIFIERS)
        assert all(0 <= r["scores"].map <= 100 for r in scored.values())
    assert results["paper"]["multi_transformer"]["capped"] > 0  # 16-row tables: long trailers are cut to fit
    assert results["paper"]["mlp"]["scores"].map != results["authors"]["mlp"]["scores"].map  # zeros dilute means
    code = cli.main(["evaluate-release-classifiers", "--release", str(tmp_path / "release"), "--store",
                     str(tmp_path / "store"), "--protocol", "authors"])
    out = capsys.readouterr().out
    assert code == 0 and "under the authors protocol" in out and out.count("mAP") == 3
    assert f"mAP {results['authors']['single_transformer']['scores'].map:.2f}" in out
