import numpy as np
import pytest
import torch

from genrelib import models, paper

DIMS = {"clip": 12, "audiotag": 6, "ocr": 10}
SHORT = {"clip": 6, "audiotag": 4, "ocr": 3}  # position tables shorter than some test sequences
VARIANTS = [
    ("mlp", {}),
    ("single-transformer", {"d_model": 16, "heads": 4, "ff_dim": 32, "positions": SHORT}),
    ("multi-transformer", {"d_model": 16, "heads": 4, "ff_dim": 32, "positions": SHORT}),
    ("multi-transformer", {"d_model": 16, "heads": 4, "ff_dim": 32, "positions": SHORT, "averaged": ("ocr",)}),
    ("two-stage-baseline", {"hidden": 16, "heads": 4, "ff_dim": 32, "positions": SHORT}),
]


def padded(sequences, length, garbage=0.0):
    """Stack (frames x dim) arrays into a padded batch; padded slots hold ``garbage``."""
    dim = sequences[0].shape[1]
    values = torch.full((len(sequences), length, dim), garbage)
    mask = torch.zeros(len(sequences), length, dtype=torch.bool)
    for row, seq in enumerate(sequences):
        values[row, :len(seq)] = torch.as_tensor(seq)
        mask[row, :len(seq)] = True
    return models.Padded(values, mask)


def video(rng, lengths):
    return {name: rng.standard_normal((lengths[name], dim)).astype(np.float32) for name, dim in DIMS.items()}


@pytest.mark.parametrize("kind, hyper", VARIANTS)
def test_prediction_does_not_depend_on_padding(kind, hyper):
    torch.manual_seed(0)
    model = models.build_model(kind, DIMS, **hyper).eval()
    rng = np.random.default_rng(0)
    one = video(rng, {"clip": 5, "audiotag": 3, "ocr": 0})  # an empty modality too
    other = video(rng, {"clip": 20, "audiotag": 9, "ocr": 4})
    alone = model({n: padded([one[n]], len(one[n])) for n in DIMS})
    for extra, garbage in [(0, 0.0), (7, 0.0), (15, 1e3)]:
        batch = {n: padded([one[n], other[n]], max(len(one[n]), len(other[n])) + extra, garbage) for n in DIMS}
        torch.testing.assert_close(model(batch)[0], alone[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind, hyper", VARIANTS)
def test_output_is_21_logits_per_video(kind, hyper):
    model = models.build_model(kind, DIMS, **hyper).eval()
    batch = {n: padded([np.ones((3, d), np.float32)] * 4, 3) for n, d in DIMS.items()}
    assert model(batch).shape == (4, 21)


def test_mlp_is_one_layer_over_the_concatenated_means():
    assert models.count_parameters(models.build_model("mlp", DIMS)) == 28 * 21 + 21
    # the paper's feature widths: 2,240 inputs, 47,061 parameters (the paper prints 57k)
    assert models.count_parameters(models.build_model("mlp", paper.FEATURE_DIMS)) == 2240 * 21 + 21


def test_mlp_standardises_means_as_the_mean_of_standardised_frames():
    model = models.build_model("mlp", {"clip": 3}).eval()
    model.standardize.set("clip", [1.0, -2.0, 0.5], [2.0, 0.5, 4.0])
    frames = torch.randn(7, 3)
    expected = model.net(model.standardize("clip", frames).mean(0, keepdim=True))
    torch.testing.assert_close(model({"clip": padded([frames.numpy()], 7)}), expected)
    empty = model({"clip": padded([np.zeros((0, 3), np.float32)], 1, garbage=5.0)})
    torch.testing.assert_close(empty, model.net(torch.zeros(1, 3)))  # no frame: the training mean


def test_count_with_paper_tables_is_the_count_of_a_model_built_with_4096_row_tables():
    # built both ways at the paper's widths: a wrong row count or a missed table would differ
    for kind in ("single-transformer", "multi-transformer"):
        ours = models.build_model(kind, paper.FEATURE_DIMS)
        big = models.build_model(kind, paper.FEATURE_DIMS, positions=dict.fromkeys(paper.FEATURE_DIMS, 4096))
        assert models.count_with_paper_tables(ours) == models.count_parameters(big)
        assert models.count_parameters(ours) < models.count_parameters(big)
    # with 4,096-row tables the single-transformer lands within 1.5 % of the paper's 8.56M
    single = models.build_model("single-transformer", paper.FEATURE_DIMS)
    assert abs(models.count_with_paper_tables(single) / paper.PARAMETER_COUNTS["single-transformer"] - 1) < 0.015


def test_standardization_uses_the_stored_statistics():
    model = models.build_model("mlp", {"clip": 2}).eval()
    model.standardize.set("clip", [1.0, 2.0], [2.0, 4.0])
    assert model.standardize("clip", torch.tensor([[3.0, 6.0]])).tolist() == [[1.0, 1.0]]


def test_positions_of_a_longer_sequence_interpolate_the_table():
    table = models.PositionTable(3, 2)
    with torch.no_grad():
        table.table.copy_(torch.tensor([[0.0, 10.0], [2.0, 20.0], [4.0, 30.0]]))
    mask = torch.tensor([[True, True, False, False, False], [True] * 5])  # 2 frames padded to 5, and 5 frames
    positions = table(mask)
    torch.testing.assert_close(positions[0, :2], table.table[:2])
    torch.testing.assert_close(positions[1], torch.tensor([[0.0, 10.0], [1.0, 15.0], [2.0, 20.0], [3.0, 25.0],
                                                           [4.0, 30.0]]))


def test_full_length_test_sequences_longer_than_training_run():
    model = models.build_model("multi-transformer", DIMS, d_model=16, heads=4, positions={"clip": 8}).eval()
    batch = {n: padded([np.zeros((500, d), np.float32)], 500) for n, d in DIMS.items()}
    assert torch.isfinite(model(batch)).all()


def test_missing_modality_is_an_error():
    model = models.build_model("mlp", DIMS)
    with pytest.raises(ValueError, match=r"lacks modalities \['ocr'\]"):
        model({n: padded([np.zeros((2, d), np.float32)], 2) for n, d in DIMS.items() if n != "ocr"})


def test_unknown_model_and_averaged_modality_are_errors():
    with pytest.raises(ValueError, match="unknown model"):
        models.build_model("lstm", DIMS)
    with pytest.raises(ValueError, match="averaged modalities"):
        models.build_model("multi-transformer", DIMS, averaged=("asr",))


@pytest.mark.parametrize("kind, hyper", VARIANTS)
def test_checkpoint_round_trip_gives_the_same_predictions(tmp_path, kind, hyper):
    model = models.build_model(kind, DIMS, **hyper).eval()
    model.standardize.set("clip", np.full(12, 0.5), np.full(12, 2.0))
    models.save_checkpoint(model, tmp_path / "m.pt", note="x")
    loaded, meta = models.load_checkpoint(tmp_path / "m.pt")
    batch = {n: padded([np.ones((3, d), np.float32)], 3) for n, d in DIMS.items()}
    torch.testing.assert_close(loaded(batch), model(batch))
    assert meta == {"note": "x"}


def test_missing_checkpoint_says_how_to_get_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="train a model first"):
        models.load_checkpoint(tmp_path / "none.pt")


def test_freezing_trunks_copies_stage_one_and_stops_their_training():
    baseline = models.build_model("two-stage-baseline", DIMS, hidden=16, heads=4, ff_dim=32)
    trained = {name: models.FrameMLP(dim, 16) for name, dim in DIMS.items()}
    before = models.count_parameters(baseline)
    baseline.freeze_trunks(trained)
    torch.testing.assert_close(baseline.frame_mlps["clip"].trunk[0].weight, trained["clip"].trunk[0].weight)
    frozen = sum(p.numel() for m in trained.values() for p in m.parameters())
    assert models.count_parameters(baseline) == before - frozen


@pytest.mark.parametrize("p", [0.5, 0.25, 0.1])  # 0.5 and 0.25 read random bits, 0.1 uniform floats
def test_dropout_keeps_each_element_with_probability_one_minus_p_independently(p):
    torch.manual_seed(0)
    dropout = models.Dropout(p).train()
    out = dropout(torch.ones(2000, 500))
    kept = out > 0
    assert abs(kept.float().mean().item() - (1 - p)) < 0.003  # 1e6 draws: sd < 0.0005
    assert torch.allclose(out[kept], torch.tensor(1 / (1 - p)))  # inverted: the expectation is unchanged
    pairs = torch.stack([kept[:, :-1].flatten(), kept[:, 1:].flatten()]).float()
    assert abs(torch.corrcoef(pairs)[0, 1].item()) < 0.01  # neighbours, which share a random word, are independent
    assert not torch.equal(dropout(torch.ones(4, 64)), dropout(torch.ones(4, 64)))  # a new mask each call


def test_dropout_is_the_identity_in_evaluation_and_rejects_impossible_rates():
    x = torch.randn(3, 7)
    assert torch.equal(models.Dropout(0.5).eval()(x), x)
    for p in (-0.1, 1.0):
        with pytest.raises(ValueError, match="dropout probability"):
            models.Dropout(p)


def test_single_transformer_reads_cls_then_each_modality_after_its_sep():
    model = models.build_model("single-transformer", {"clip": 3, "ocr": 2}, d_model=8, heads=2, ff_dim=16).eval()
    seen = []
    model.encoder.register_forward_pre_hook(lambda module, args, kwargs: seen.append(args[0]), with_kwargs=True)
    model({"clip": padded([np.ones((4, 3), np.float32)], 4), "ocr": padded([np.ones((2, 2), np.float32)], 2)})
    tokens = seen[0][0]  # <CLS>, <SEP clip>, 4 clip frames, <SEP ocr>, 2 ocr frames
    assert tokens.shape == (1 + 1 + 4 + 1 + 2, 8)
    torch.testing.assert_close(tokens[0], model.cls[0, 0])
    torch.testing.assert_close(tokens[1], model.sep["clip"][0, 0])
    torch.testing.assert_close(tokens[6], model.sep["ocr"][0, 0])


def test_single_transformer_packs_each_video_s_tokens_before_its_padding():
    model = models.build_model("single-transformer", {"clip": 3, "ocr": 2}, d_model=8, heads=2, ff_dim=16).eval()
    seen = []
    model.encoder.register_forward_pre_hook(lambda module, args, kwargs: seen.append(args), with_kwargs=True)
    clip = padded([np.ones((1, 3), np.float32), np.ones((4, 3), np.float32)], 4)
    model({"clip": clip, "ocr": padded([np.ones((2, 2), np.float32)] * 2, 2)})
    tokens, keep = seen[0]
    assert tokens.shape[1] == 1 + 1 + 4 + 1 + 2  # the longer video's tokens, nothing more
    assert keep[0].tolist() == [True] * 6 + [False] * 3  # <CLS>, <SEP clip>, 1 frame, <SEP ocr>, 2 frames
    torch.testing.assert_close(tokens[0, 3], model.sep["ocr"][0, 0])


def reference_encoder(seed: int, layers: int = 2) -> torch.nn.TransformerEncoder:
    torch.manual_seed(seed)
    layer = torch.nn.TransformerEncoderLayer(16, 4, 32, 0.5, batch_first=True)
    return torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


def test_encoder_is_torchs_transformer_encoder_with_the_same_weights_and_outputs():
    reference = reference_encoder(seed=3)
    torch.manual_seed(3)
    ours = models.Encoder(16, 4, 2, 32, 0.5)
    theirs = reference.state_dict()
    assert ours.state_dict().keys() == theirs.keys()  # a checkpoint of either loads into the other
    assert all(torch.equal(value, theirs[key]) for key, value in ours.state_dict().items())  # same seed, same start
    x = torch.randn(3, 9, 16)
    keep = torch.ones(3, 9, dtype=torch.bool)
    keep[1, 4:], keep[2, 1:] = False, False
    with torch.no_grad():
        expected = reference.eval()(x, src_key_padding_mask=~keep)
        torch.testing.assert_close(ours.eval()(x, keep)[keep], expected[keep], atol=1e-5, rtol=1e-5)


def test_cpu_attention_dropout_is_unbiased_and_never_reads_padding():
    torch.manual_seed(0)
    layer = models.EncoderLayer(16, 4, 32, 0.5)
    x = torch.randn(2, 6, 16)
    keep = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    with torch.no_grad():
        expected = layer.eval().attend(x, keep)
        layer.train()
        draws = torch.stack([layer.attend(x, keep) for _ in range(4000)])
        torch.testing.assert_close(draws.mean(0), expected, atol=0.03, rtol=0)  # sd of the mean about 0.01
        changed = x.clone()
        changed[1, 4:] = 1e3  # the padded frames' values
        torch.manual_seed(1)
        once = layer.attend(x, keep)
        torch.manual_seed(1)
        torch.testing.assert_close(layer.attend(changed, keep)[1, :4], once[1, :4])


def test_genre_attention_ignores_padding_and_a_missing_modality():
    model = models.build_model("genre-attention", {"clip": 3, "ocr": 2}, d_model=8).eval()
    frames = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    short = {"clip": padded([frames], 5), "ocr": padded([np.zeros((0, 2), np.float32)], 1)}
    long = {"clip": padded([frames], 9, garbage=7.0), "ocr": padded([np.zeros((0, 2), np.float32)], 4, garbage=3.0)}
    torch.testing.assert_close(model(short), model(long))
    alone = models.build_model("genre-attention", {"clip": 3}, d_model=8).eval()
    alone.load_state_dict({k: v for k, v in model.state_dict().items() if "ocr" not in k})
    torch.testing.assert_close(model(short), alone({"clip": short["clip"]}))  # no OCR frame: no OCR term


def test_genre_attention_finds_a_planted_frame_the_mlp_cannot_average_out(tmp_path):
    from genrelib import planted, training

    store = planted.write_store(tmp_path / "p", {"trn": 400, "val": 100, "tst": 100}, dim=16, frames=(30, 40),
                                strength=5.0)
    config = training.TrainConfig(learning_rate=1e-2, batch_size=32, max_epochs=15, patience=15, seed=0)
    scores = {kind: training.train_and_test(models.build_model(kind, {"clip": 16}), store, config,
                                            tmp_path / f"{kind}.pt", progress=False).test_scores.map
              for kind in ("mlp", "genre-attention")}
    assert scores["genre-attention"] > 2 * scores["mlp"], scores
