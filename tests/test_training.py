import numpy as np
import pandas as pd
import pytest
import torch

from genrelib import models, training
from genrelib.evaluation import metrics
from genrelib.models import checkpoints
from genrelib.training import batches


def test_frame_indices_known_answers():
    for rule in batches.FRAME_RULES:
        assert batches.frame_indices(3, 5, rule).tolist() == [0, 1, 2]
        assert batches.frame_indices(10, None, rule).tolist() == list(range(10))
    assert batches.frame_indices(10, 4, "truncate").tolist() == [0, 1, 2, 3]
    assert batches.frame_indices(10, 4, "equidistant").tolist() == [0, 3, 6, 9]
    picked = batches.frame_indices(100, 16, "random", np.random.default_rng(0))
    assert len(picked) == 16 and len(set(picked)) == 16 and (np.diff(picked) > 0).all()
    with pytest.raises(ValueError, match="need a random generator"):
        batches.frame_indices(10, 4, "random")
    with pytest.raises(ValueError, match="frames must be one of"):
        batches.frame_indices(10, 4, "sometimes")


def test_the_default_truncates_as_the_paper_says():
    assert training.TrainConfig().frames == "truncate"
    assert training.fixed_rule(training.TrainConfig(frames="random")) == "equidistant"


def test_mixed_precision_is_refused_on_the_cpu():
    with pytest.raises(ValueError, match="CUDA mixed precision"):
        training.grad_scaler(training.TrainConfig(amp=True), "cpu")
    assert training.grad_scaler(training.TrainConfig(), "cpu") is None


def test_make_batch_masks_match_sequence_lengths(tiny_store):
    indices = tiny_store.indices("trn")[:5]
    batch, labels = batches.make_batch(tiny_store, indices, ["clip", "ocr"], {"clip": 4})
    assert batch["clip"].mask.sum(1).tolist() == np.minimum(tiny_store.lengths("clip")[indices], 4).tolist()
    assert batch["ocr"].mask.sum(1).tolist() == tiny_store.lengths("ocr")[indices].tolist()
    assert labels.shape == (5, 21)


def small_transformer(store):
    return models.build_model("multi-transformer", {n: m.dim for n, m in store.modalities.items()},
                              d_model=16, heads=4, ff_dim=32)


def test_batched_prediction_equals_one_video_at_a_time(tiny_store):
    model = small_transformer(tiny_store)
    training.fit_standardization(model, tiny_store, tiny_store.indices("trn"))
    test = tiny_store.indices("tst")
    np.testing.assert_allclose(training.predict(model, tiny_store, test, batch_size=5),
                               training.predict(model, tiny_store, test), atol=1e-5)


def quick_config(**overrides):
    defaults = dict(learning_rate=1e-2, batch_size=8, max_epochs=12, patience=12, seed=3,
                    train_lengths={"clip": 8, "ocr": 4})
    return training.TrainConfig(**{**defaults, **overrides})


def test_same_seed_gives_the_same_numbers_whatever_the_random_state(tiny_store, tmp_path):
    histories = []
    for run in range(2):
        torch.manual_seed(run)  # the model is built under different random states
        result = training.train(small_transformer(tiny_store), tiny_store, quick_config(max_epochs=2),
                                tmp_path / f"{run}.pt", progress=False)
        histories.append(result.history)
    assert histories[0].equals(histories[1])


def test_mlp_learns_planted_evidence_beyond_the_prior(tiny_store, tmp_path):
    torch.manual_seed(0)
    model = models.build_model("mlp", {n: m.dim for n, m in tiny_store.modalities.items()})
    run = training.train_and_test(model, tiny_store, quick_config(), tmp_path / "m.pt",
                                  progress=False)
    test_labels = tiny_store.labels[tiny_store.indices("tst")]
    prior = metrics.evaluate(test_labels, metrics.prior_scores(tiny_store.labels[tiny_store.indices("trn")],
                                                               len(test_labels)))
    assert run.test_scores.map > prior.map + 20


def test_early_stopping_keeps_and_reloads_the_best_epoch(tiny_store, tmp_path):
    model = small_transformer(tiny_store)
    result = training.train(model, tiny_store, quick_config(learning_rate=0.3, max_epochs=30, patience=2),
                            tmp_path / "m.pt", progress=False)
    history = result.history
    assert len(history) == result.best_epoch + 2 or len(history) == 30
    assert result.best_val_map == pytest.approx(history["val_map"].max())
    reloaded, meta = checkpoints.load_checkpoint(result.checkpoint)
    assert meta["best_epoch"] == result.best_epoch
    val = tiny_store.indices("val")
    lengths = {"clip": 8, "ocr": 4}
    np.testing.assert_allclose(training.predict(reloaded, tiny_store, val, lengths),
                               training.predict(model, tiny_store, val, lengths), atol=1e-6)


def test_training_without_validation_videos_is_refused(tmp_path, tiny_movienet):
    from genrelib.data import labels, synthetic

    store = synthetic.write_store(tmp_path / "s", labels.load_labels(tiny_movienet),
                                      labels.load_splits(tiny_movienet), {"trn": 5, "tst": 2},
                                      modalities=(synthetic.SyntheticModality("clip", 4, 0.2, 0.5),))
    with pytest.raises(ValueError, match=r"'val' \(0\)"):
        training.train(models.build_model("mlp", {"clip": 4}), store, quick_config(), tmp_path / "m.pt")


def test_frame_count_study_and_feature_sets(tiny_store, tmp_path):
    from genrelib.evaluation import experiments

    sets, skipped = experiments.feature_sets(tiny_store.modalities, [("CLIP", "clip", ""), ("+ OCR", "clip+ocr", ""),
                                                                     ("OCR averaged", "clip+ocr", "ocr"),
                                                                     ("+ ASR", "clip+ocr+asr", "")])
    assert sets == [("CLIP", ("clip",), ()), ("+ OCR", ("clip", "ocr"), ()),
                    ("OCR averaged", ("clip", "ocr"), ("ocr",))]
    assert skipped == ["+ ASR"]
    study, first_seed = experiments.frame_count_study(tiny_store, [2, 4], [0, 1], quick_config(max_epochs=1),
                                                      tmp_path, kinds=("mlp",))
    assert list(first_seed) == [("mlp", 2), ("mlp", 4)] and first_seed[("mlp", 4)].map == study["mAP"].iloc[2]
    assert study[["frames", "seed"]].values.tolist() == [[2, 0], [2, 1], [4, 0], [4, 1]]
    summary = experiments.summarize_seeds(study)
    assert summary["seeds"].tolist() == [2, 2]
    with pytest.raises(ValueError, match="locations must be one of"):
        experiments.frame_count_study(tiny_store, [2], [0], quick_config(), tmp_path, locations="sideways")


def test_random_test_frames_are_drawn_from_the_seed(tiny_store):
    model = small_transformer(tiny_store).eval()
    videos, caps = tiny_store.indices("tst"), {"clip": 2}
    assert (tiny_store.lengths("clip")[videos] > 2).any()
    scores = [training.evaluate_on(model, tiny_store, videos, quick_config(seed=seed), caps, test_rule=rule).map
              for seed, rule in ((0, "random"), (0, "random"), (1, "random"), (0, "equidistant"))]
    assert scores[0] == scores[1] and len({scores[0], scores[2], scores[3]}) > 1


def test_ablation_study_reports_each_feature_set_with_its_runtime_beside_the_paper(tiny_store, tmp_path):
    from genrelib.book import tables
    from genrelib.evaluation import experiments

    sets = [("CLIP", "clip", ""), ("+ OCR", "clip+ocr", ""), ("+ OCR averaged", "clip+ocr", "ocr")]
    table, first_seed = experiments.ablation_study(tiny_store, quick_config(max_epochs=1), tmp_path, seeds=(3, 3),
                                                   sets=sets, d_model=16, heads=4)
    assert list(first_seed) == table.index.tolist() and first_seed["CLIP"].map == table.loc["CLIP", "mAP"]
    assert table.index.tolist() == ["CLIP", "+ OCR", "+ OCR averaged"]
    assert (table["seeds"] == 2).all() and (table["mAP std"] == 0).all()  # the same seed twice: the same model
    seconds = pd.DataFrame({"offline": {"decode": 0.25, "clip": 0.5, "ocr": 2.0, "asr": 9.0},
                            "paper": {"clip": 1.0, "ocr": 3.0}})
    beside = tables.ablation_beside_paper(table, seconds)  # asr is not in the store; decoding counts everywhere
    # the paper's baseline row leads, printed values only
    assert beside.index[0] == "baseline (ViT + AST)" and beside.iloc[0][["mAP", "s/video: offline"]].isna().all()
    assert beside.iloc[0][["paper mAP", "paper s/video (GPU)"]].tolist() == [59.73, 7.08]
    beside = beside.iloc[1:]
    np.testing.assert_allclose(beside["s/video: offline"] - beside["classifier s/video"], [0.75, 2.75, 2.75])
    np.testing.assert_allclose(beside["s/video: paper"] - beside["classifier s/video"], [1.0, 4.0, 4.0])
    untimed = tables.ablation_beside_paper(table, seconds.drop(index="ocr"))  # OCR's cost unknown: no sum
    assert untimed.loc["CLIP", "s/video: offline"] > 0 and untimed.loc["+ OCR", ["s/video: offline"]].isna().all()
    assert beside.loc["CLIP", ["paper mAP", "paper s/video (GPU)"]].tolist() == [64.73, 5.32]
    assert beside.loc[["+ OCR", "+ OCR averaged"], "paper mAP"].isna().all()  # the paper has no such row


def test_the_ablation_trains_exactly_the_papers_table_3_feature_sets():
    from genrelib.book import tables
    from genrelib.evaluation import experiments

    sets, skipped = experiments.feature_sets({"clip", "musicnet", "audiotag", "ocr", "asr"})
    assert skipped == [] and len(sets) == 7
    ours = pd.DataFrame([{"features": label, "modalities": "+".join(m), "averaged": "+".join(a),
                          "classifier s/video": 0.0} for label, m, a in sets]).set_index("features")
    beside = tables.ablation_beside_paper(ours, pd.DataFrame(index=["clip"]))
    assert beside["paper mAP"].tolist() == [59.73, 64.73, 65.17, 65.31, 63.33, 65.46, 64.66, 66.02]  # every row
    assert beside.loc["+ OCR, + ASR", "averaged"] == "" and beside.loc["+ OCR averaged, + ASR", "averaged"] == "ocr"


def test_the_option_study_changes_one_option_at_a_time_from_the_paper_configuration(tiny_store, tmp_path):
    from genrelib.evaluation import experiments

    table, first_seed = experiments.option_study(tiny_store, "multi-transformer", quick_config(max_epochs=1),
                                                 tmp_path, d_model=16, heads=4)
    assert list(first_seed) == table.index.tolist()
    assert table.index[0] == "paper configuration" and table.index[-1] == "all of ours"
    assert table.loc["paper configuration", "changes"] == "none"
    assert table.loc["masked padding", "changes"] == "padding=masked"
    assert "positions=interpolated" in table.loc["all of ours", "changes"]
    assert table.loc["paper configuration", "vs paper configuration"] == 0
    # the authors' departure is measured on its own, and is not one of ours
    assert table.loc["the authors' equidistant training frames", "changes"] == "frames=equidistant"
    assert "frames=equidistant" not in table.loc["all of ours", "changes"]
    assert ("the authors' mixed precision (GPU)" in table.index) == torch.cuda.is_available()


@pytest.mark.parametrize("part", ["centre", "scale"])
def test_half_standardisation_sets_only_its_half_of_the_training_statistics(tiny_store, part):
    model = small_transformer(tiny_store)
    whole = models.build_model("multi-transformer", model.dims, d_model=16, heads=4, ff_dim=32, standardize=True)
    half = models.build_model("multi-transformer", model.dims, d_model=16, heads=4, ff_dim=32, standardize=part)
    for built in (whole, half):
        training.fit_standardization(built, tiny_store, tiny_store.indices("trn"))
    mean, std = tiny_store.moments("clip", tiny_store.indices("trn"))
    shift, scale = half.scaling.shift_clip.numpy(), half.scaling.scale_clip.numpy()
    np.testing.assert_allclose(shift, mean if part == "centre" else 0)
    np.testing.assert_allclose(scale, 1 if part == "centre" else std)
    np.testing.assert_allclose(whole.scaling.shift_clip.numpy(), mean)
    with pytest.raises(ValueError, match="standardize='both'"):
        models.build_model("mlp", model.dims, standardize="both")


def test_a_training_subset_keeps_validation_and_test_and_draws_from_training_only(tiny_store):
    subset = tiny_store.training_subset(10, seed=1)
    assert len(subset.indices("trn")) == 10 and set(subset.indices("trn")) <= set(tiny_store.indices("trn"))
    for split in ("val", "tst"):
        assert subset.indices(split).tolist() == tiny_store.indices(split).tolist()
    assert subset.indices("trn").tolist() == tiny_store.training_subset(10, seed=1).indices("trn").tolist()
    assert len(tiny_store.indices("trn")) == 42  # the store itself is unchanged
    with pytest.raises(ValueError, match="a training subset of 43 videos, but the store has 42"):
        tiny_store.training_subset(43)


def test_the_data_curve_trains_each_model_on_each_subset(tiny_store, tmp_path):
    from genrelib.evaluation import experiments

    config = quick_config(max_epochs=1)
    curve = experiments.data_curve(tiny_store, {"mlp": ("mlp", {}, config),
                                                "small": ("multi-transformer", {"d_model": 16, "heads": 4}, config)},
                                   [10, 20], tmp_path)
    assert curve[["model", "training videos"]].values.tolist() == [["mlp", 10], ["small", 10], ["mlp", 20],
                                                                     ["small", 20]]
    assert curve["mAP"].between(0, 100).all() and len(list(tmp_path.glob("curve-*.pt"))) == 4


def test_frame_classifier_learns_from_single_frames(tiny_store):
    model, history = training.train_frame_classifier(tiny_store, "clip", quick_config(max_epochs=8), hidden=32,
                                                     progress=False)
    prior = 100 * np.mean(tiny_store.labels[tiny_store.indices("val")].mean(0)[
        tiny_store.labels[tiny_store.indices("val")].sum(0) > 0])
    assert history["val_map"].max() > prior + 10


@pytest.mark.parametrize("lengths", [{}, {"clip": 4}])
def test_temporal_means_give_the_mlp_what_the_frames_give_it(tiny_store, lengths):
    model = models.build_model("mlp", {n: m.dim for n, m in tiny_store.modalities.items()}).eval()
    training.fit_standardization(model, tiny_store, tiny_store.indices("trn"))
    means = batches.TemporalMeans(tiny_store, model.dims, lengths)
    everything = tiny_store.indices()
    np.testing.assert_allclose(training.predict(model, means, everything, batch_size=7),
                               training.predict(model, tiny_store, everything, lengths, batch_size=7), atol=1e-5)


def test_training_runs_on_the_configured_device(tiny_store, tmp_path):
    # "meta" tensors have shapes but no values: a loss on them cannot be read, so training that honours
    # TrainConfig.device fails, and one that silently stays on the CPU would pass.
    model = small_transformer(tiny_store)
    with pytest.raises((RuntimeError, NotImplementedError), match="meta"):
        training.train(model, tiny_store, quick_config(max_epochs=1, device="meta"), tmp_path / "m.pt",
                       progress=False)
    with pytest.raises((RuntimeError, NotImplementedError), match="meta"):
        training.train_frame_classifier(tiny_store, "clip", quick_config(max_epochs=1, device="meta"),
                                        progress=False)


def test_a_checkpoint_trained_elsewhere_loads_on_the_cpu(tiny_store, tmp_path):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = small_transformer(tiny_store)
    training.train(model, tiny_store, quick_config(max_epochs=1, device=device), tmp_path / "m.pt", progress=False)
    loaded, meta = checkpoints.load_checkpoint(tmp_path / "m.pt")
    assert {p.device.type for p in loaded.parameters()} == {"cpu"} and meta["config"]["device"] == device
    test = tiny_store.indices("tst")
    np.testing.assert_allclose(training.predict(loaded, tiny_store, test),
                               training.predict(model.cpu(), tiny_store, test), atol=1e-5)


def test_the_mlp_is_not_clipped_and_the_transformers_are():
    config = quick_config(clip_grad_norm=1.0)
    assert training.gradient_clip(models.build_model("mlp", {"clip": 4}), config) is None
    assert training.gradient_clip(models.build_model("multi-transformer", {"clip": 4}, d_model=8, heads=2),
                                  config) == 1.0
    assert training.gradient_clip(models.FrameMLP(4), config) is None


def test_length_buckets_hold_every_video_once_in_batches_of_similar_length():
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 500, 1000)
    order = rng.permutation(1000)
    drawn = batches.bucketed_batches(order, tokens, 32, 8, np.random.default_rng(1))
    assert sorted(np.concatenate(drawn).tolist()) == list(range(1000))
    assert all(len(b) == 32 for b in drawn if len(b) != 1000 % 32)
    padding = sum(len(b) * tokens[b].max() - tokens[b].sum() for b in drawn)
    plain = batches.bucketed_batches(order, tokens, 32, 1, np.random.default_rng(1))
    assert [b.tolist() for b in plain] == [order[i:i + 32].tolist() for i in range(0, 1000, 32)]
    assert padding < 0.2 * sum(len(b) * tokens[b].max() - tokens[b].sum() for b in plain)
    again = batches.bucketed_batches(rng.permutation(1000), tokens, 32, 8, np.random.default_rng(2))
    assert {tuple(sorted(b)) for b in again}.isdisjoint({tuple(sorted(b)) for b in drawn})  # new batches each epoch


def test_input_tokens_count_frames_up_to_the_training_lengths(tiny_store):
    names = list(tiny_store.modalities)
    frames = [[len(tiny_store.frames(i, name)) for name in names] for i in range(len(tiny_store))]
    capped = batches.input_tokens(tiny_store, names, {names[0]: 3})
    assert capped.tolist() == [min(counts[0], 3) + sum(counts[1:]) for counts in frames]
    assert any(counts[0] > 3 for counts in frames)  # the cap is exercised


def test_the_papers_padding_fills_zero_vectors_to_the_training_length_and_reads_them():
    dims = {"clip": 2, "ocr": 3}
    sequences = {"clip": [np.ones((2, 2), np.float32), np.ones((6, 2), np.float32)],
                 "ocr": [np.zeros((0, 3), np.float32), np.full((1, 3), 4.0, np.float32)]}
    batch = batches.assemble(sequences, dims, batches.Padding(True, {"clip": 4, "ocr": 3}, {"clip": 4, "ocr": 3}))
    assert batch["clip"].values.shape == (2, 6, 2) and bool(batch["clip"].mask.all())  # the longer one sets it
    assert batch["clip"].values[0, 2:].abs().sum() == 0  # zero vectors after the real frames
    assert batch["ocr"].values.shape == (2, 3, 3) and batch["ocr"].values[0].abs().sum() == 0  # missing: 3 zeros
    masked = batches.assemble(sequences, dims)
    assert masked["ocr"].mask.tolist() == [[False], [True]] and masked["clip"].mask.sum(1).tolist() == [2, 6]


def test_input_scaling_reaches_real_frames_only_before_padding():
    scaling = models.InputScaling({"clip": 2})
    scaling.set("clip", [1.0, 1.0], [2.0, 2.0])
    batch = batches.assemble({"clip": [np.full((1, 2), 3.0, np.float32)]}, {"clip": 2},
                              batches.Padding(True, {"clip": 3}, {"clip": 3}), scaling)
    assert batch["clip"].values[0].tolist() == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]  # as the authors standardise


def test_temporal_means_under_the_papers_padding_are_diluted_as_the_model_would_dilute_them(tiny_store):
    model = models.build_model("mlp", {n: m.dim for n, m in tiny_store.modalities.items()}).eval()
    lengths = {"clip": 12, "ocr": 6}
    padding = batches.Padding.for_training(training.TrainConfig(), lengths)
    means = batches.TemporalMeans(tiny_store, model.dims, lengths, padding)
    everything = tiny_store.indices()
    np.testing.assert_allclose(training.predict(model, means, everything, batch_size=7),
                               training.predict(model, tiny_store, everything, lengths, batch_size=7,
                                                padding=padding), atol=1e-5)
    assert any(tiny_store.lengths("clip") < 12)  # some videos are padded, so dilution is exercised


def test_equidistant_training_frames_are_the_same_every_epoch_random_ones_are_not(tiny_store):
    lengths = {"clip": 3}
    video = int(np.flatnonzero(tiny_store.lengths("clip") > 6)[0])
    draws = [batches.make_batch(tiny_store, [video], ["clip"], lengths, rng,
                                 rule="equidistant" if rng is None else "random")[0]["clip"].values
             for rng in (None, None, np.random.default_rng(0), np.random.default_rng(1))]
    assert torch.equal(draws[0], draws[1]) and not torch.equal(draws[2], draws[3])
    first = batches.make_batch(tiny_store, [video], ["clip"], lengths, rule="truncate")[0]["clip"].values
    assert torch.equal(first[0], torch.from_numpy(tiny_store.frames(video, "clip")[:3]))


def test_whisker_lengths_apply_the_papers_rule_to_a_store(tiny_store):
    lengths = batches.whisker_lengths(tiny_store)
    clip = tiny_store.lengths("clip")[tiny_store.indices("trn")]
    q1, q3 = np.percentile(clip, [25, 75])
    assert lengths["clip"] == int(np.ceil(min(q3 + 1.5 * (q3 - q1), clip.max())))


def test_unknown_training_options_are_refused():
    with pytest.raises(ValueError, match="frames must be one of"):
        training.TrainConfig(frames="sometimes")
    with pytest.raises(ValueError, match="padding must be one of"):
        training.TrainConfig(padding="reflect")


def test_a_model_of_ours_trains_with_its_own_options_through_the_public_entry_point(tiny_store, tmp_path):
    """Genre attention's masked padding is its own default: train_and_test applies it where the config keeps the
    paper's zeros, and keeps a field the config sets otherwise."""
    dims = {n: m.dim for n, m in tiny_store.modalities.items()}
    config = training.TrainConfig(max_epochs=1, batch_size=8)
    run = training.train_and_test(models.build_model("genre-attention", dims), tiny_store, config,
                                  tmp_path / "ga.pt", progress=False)
    assert run.training.config.padding == "masked" and config.padding == "zeros"
    paper = training.train_and_test(models.build_model("mlp", dims), tiny_store, config, tmp_path / "mlp.pt",
                                    progress=False)
    assert paper.training.config.padding == "zeros"
    assert training.with_model_options(models.build_model("genre-attention", dims),
                                       training.TrainConfig(frames="random")).frames == "random"
