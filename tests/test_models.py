import numpy as np
import pytest
import torch

from genrelib import models
from genrelib.models import checkpoints, layers
from genrelib.sources import paper

DIMS = {"clip": 12, "audiotag": 6, "ocr": 10}
SMALL = {"d_model": 16, "heads": 4}
VARIANTS = [
    ("mlp", {}),
    ("single-transformer", SMALL),
    ("single-transformer", {**SMALL, "positions": "interpolated", "position_rows": 6}),
    ("multi-transformer", SMALL),
    ("multi-transformer", {**SMALL, "positions": "interpolated", "position_rows": 6}),
    ("multi-transformer", {**SMALL, "averaged": ("ocr",)}),
    ("two-stage-baseline", {"d_model": 16, "heads": 4}),
]


def padded(sequences, length, garbage=0.0):
    """Stack (frames x dim) arrays into a masked batch; padded slots hold ``garbage``."""
    dim = sequences[0].shape[1]
    values = torch.full((len(sequences), length, dim), garbage)
    mask = torch.zeros(len(sequences), length, dtype=torch.bool)
    for row, seq in enumerate(sequences):
        values[row, :len(seq)] = torch.as_tensor(seq)
        mask[row, :len(seq)] = True
    return models.Padded(values, mask)


def read_all(values):
    """A batch as the paper's zero padding gives it: every frame read."""
    values = torch.as_tensor(values)
    return models.Padded(values, torch.ones(values.shape[:2], dtype=torch.bool))


def video(rng, lengths):
    return {name: rng.standard_normal((lengths[name], dim)).astype(np.float32) for name, dim in DIMS.items()}


@pytest.mark.parametrize("kind, hyper", VARIANTS)
def test_prediction_does_not_depend_on_masked_padding(kind, hyper):
    torch.manual_seed(0)
    model = models.build_model(kind, DIMS, **hyper).eval()
    rng = np.random.default_rng(0)
    one = video(rng, {"clip": 5, "audiotag": 3, "ocr": 0})  # an empty modality too
    other = video(rng, {"clip": 20, "audiotag": 9, "ocr": 4})
    alone = model({n: padded([one[n]], len(one[n])) for n in DIMS})
    for extra, garbage in [(0, 0.0), (7, 0.0), (15, 1e3)]:
        batch = {n: padded([one[n], other[n]], max(len(one[n]), len(other[n])) + extra, garbage) for n in DIMS}
        torch.testing.assert_close(model(batch)[0], alone[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", ["mlp", "single-transformer", "multi-transformer"])
def test_the_papers_zero_padding_is_read_as_frames(kind):
    torch.manual_seed(0)
    model = models.build_model(kind, DIMS, **({} if kind == "mlp" else SMALL)).eval()
    frames = {n: torch.randn(1, 4, d) for n, d in DIMS.items()}
    longer = {n: torch.cat([f, torch.zeros(1, 6, f.shape[2])], 1) for n, f in frames.items()}
    short, padded_out = model({n: read_all(f) for n, f in frames.items()}), model({n: read_all(f) for n, f in
                                                                                longer.items()})
    assert not torch.allclose(short, padded_out, atol=1e-4)  # zero vectors are frames, as in the authors' code
    if kind == "mlp":  # their torch.mean: the zeros dilute the mean by 4 / 10
        expected = model.net(torch.cat([f.mean(1) * 0.4 for f in frames.values()], -1))
        torch.testing.assert_close(padded_out, expected)


@pytest.mark.parametrize("kind, hyper", VARIANTS)
def test_output_is_21_logits_per_video(kind, hyper):
    model = models.build_model(kind, DIMS, **hyper).eval()
    batch = {n: padded([np.ones((3, d), np.float32)] * 4, 3) for n, d in DIMS.items()}
    assert model(batch).shape == (4, 21)


def test_the_paper_configuration_has_the_papers_single_transformer_count():
    counts = {kind: models.count_parameters(models.build_model(kind, paper.FEATURE_DIMS))
              for kind in ("mlp", "single-transformer", "multi-transformer")}
    assert counts["single-transformer"] == 8_561_685  # the paper prints 8.56M
    assert counts["mlp"] == 2240 * 21 + 21  # one linear layer over 2,240 inputs: 47,061 (the paper prints 57k)
    assert counts["multi-transformer"] == 4_494_101  # the paper prints 6.98M: not reproduced
    single = models.build_model("single-transformer", paper.FEATURE_DIMS)
    layer = single.encoder.layers[0]
    assert (layer.linear1.out_features, len(single.encoder.layers), layer.heads) == (1024, 2, 8)  # 4 x d_model
    assert {len(p.table) for p in single.positions.values()} == {5000}
    assert isinstance(single.head, torch.nn.Linear) and single.head_dropout.p == 0


def test_the_printed_count_configuration_has_the_papers_multi_transformer_count(tiny_store, tmp_path):
    from genrelib import training

    printed = models.build_model("multi-transformer", paper.FEATURE_DIMS, config="printed count")
    assert models.count_parameters(printed) == 6_980_117  # the paper prints 6.98M
    assert printed.averaged == ("ocr", "asr") and len(printed.encoders["clip"].layers) == 2
    assert {n: len(p.table) for n, p in printed.positions.items()} == {"clip": 216, "audiotag": 140, "musicnet": 18}
    assert printed.head.in_features == sum(paper.FEATURE_DIMS.values())  # every stream at its own width
    with pytest.raises(ValueError, match="has no configuration 'smaller'"):
        models.build_model("multi-transformer", paper.FEATURE_DIMS, config="smaller")
    # it trains, and is tested on sequences its training-length tables can hold (checkpoint round trip included)
    dims = {n: m.dim for n, m in tiny_store.modalities.items()}
    model = models.build_model("multi-transformer", dims, config="printed count", heads=4)
    config = training.TrainConfig(learning_rate=1e-3, batch_size=8, max_epochs=1, patience=1,
                                  train_lengths={"clip": 8, "ocr": 4})
    run = training.train_and_test(model, tiny_store, config, tmp_path / "printed.pt", progress=False,
                                  test_lengths=config.train_lengths)
    loaded, _ = checkpoints.load_checkpoint(tmp_path / "printed.pt")
    assert models.count_parameters(loaded) == models.count_parameters(model) and 0 <= run.test_scores.map <= 100


def test_interpolated_positions_read_a_longer_sequence_spread_over_the_table():
    table = layers.Positions(3, 2, "interpolated")
    table.load_state_dict({"table": torch.tensor([[0.0, 10.0], [2.0, 20.0], [4.0, 30.0]])})
    mask = torch.tensor([[True, True, False, False, False], [True] * 5])  # 2 tokens padded to 5, and 5 tokens
    positions = table.read(mask)
    torch.testing.assert_close(positions[0, :2], table.table[:2])
    torch.testing.assert_close(positions[1], torch.tensor([[0.0, 10.0], [1.0, 15.0], [2.0, 20.0], [3.0, 25.0],
                                                           [4.0, 30.0]]))


def test_a_sequence_longer_than_a_learned_table_is_an_error_that_says_what_to_do():
    model = models.build_model("multi-transformer", DIMS, **SMALL, position_rows=8).eval()
    batch = {n: read_all(torch.zeros(1, 20, d)) for n, d in DIMS.items()}
    with pytest.raises(ValueError, match="longer than its 8-row position table; cap it"):
        model(batch)
    stretched = models.build_model("multi-transformer", DIMS, **SMALL, positions="interpolated", position_rows=8)
    assert torch.isfinite(stretched.eval()(batch)).all()


def test_missing_modality_is_an_error():
    model = models.build_model("mlp", DIMS)
    with pytest.raises(ValueError, match=r"lacks modalities \['ocr'\]"):
        model({n: padded([np.zeros((2, d), np.float32)], 2) for n, d in DIMS.items() if n != "ocr"})


def test_unknown_model_option_and_averaged_modality_are_errors():
    with pytest.raises(ValueError, match="unknown model"):
        models.build_model("lstm", DIMS)
    with pytest.raises(ValueError, match="averaged modalities"):
        models.build_model("multi-transformer", DIMS, averaged=("asr",))
    with pytest.raises(ValueError, match="positions must be one of"):
        models.build_model("single-transformer", DIMS, positions="rotary")
    with pytest.raises(ValueError, match="cannot be split into 8 attention heads"):
        models.build_model("multi-transformer", {"clip": 12}, d_model=None)


@pytest.mark.parametrize("kind, hyper", VARIANTS + [("mlp", {"standardize": True})])
def test_checkpoint_round_trip_gives_the_same_predictions(tmp_path, kind, hyper):
    model = models.build_model(kind, DIMS, **hyper).eval()
    if model.scaling is not None:
        model.scaling.set("clip", np.full(12, 0.5), np.full(12, 2.0))
    checkpoints.save_checkpoint(model, tmp_path / "m.pt", note="x")
    loaded, meta = checkpoints.load_checkpoint(tmp_path / "m.pt")
    batch = {n: padded([np.ones((3, d), np.float32)], 3) for n, d in DIMS.items()}
    torch.testing.assert_close(loaded(batch), model(batch))
    assert meta == {"note": "x"}
    if model.scaling is not None:
        torch.testing.assert_close(loaded.scaling.shift_clip, torch.full((12,), 0.5))


def test_missing_checkpoint_says_how_to_get_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="train a model first"):
        checkpoints.load_checkpoint(tmp_path / "none.pt")


def test_freezing_trunks_copies_stage_one_and_stops_their_training():
    baseline = models.build_model("two-stage-baseline", DIMS, d_model=16, heads=4)
    trained = {name: models.FrameMLP(dim, 16) for name, dim in DIMS.items()}
    before = models.count_parameters(baseline)
    baseline.freeze_trunks(trained)
    torch.testing.assert_close(baseline.project["clip"][0].weight, trained["clip"].trunk[0].weight)
    frozen = sum(p.numel() for m in trained.values() for p in m.trunk.parameters())
    assert models.count_parameters(baseline) == before - frozen


@pytest.mark.parametrize("p", [0.5, 0.25, 0.1])  # 0.5 and 0.25 read random bits, 0.1 uniform floats
def test_dropout_keeps_each_element_with_probability_one_minus_p_independently(p):
    torch.manual_seed(0)
    dropout = layers.Dropout(p).train()
    out = dropout(torch.ones(2000, 500))
    kept = out > 0
    assert abs(kept.float().mean().item() - (1 - p)) < 0.003  # 1e6 draws: sd < 0.0005
    assert torch.allclose(out[kept], torch.tensor(1 / (1 - p)))  # inverted: the expectation is unchanged
    pairs = torch.stack([kept[:, :-1].flatten(), kept[:, 1:].flatten()]).float()
    assert abs(torch.corrcoef(pairs)[0, 1].item()) < 0.01  # neighbours, which share a random word, are independent
    assert not torch.equal(dropout(torch.ones(4, 64)), dropout(torch.ones(4, 64)))  # a new mask each call


def test_dropout_is_the_identity_in_evaluation_and_rejects_impossible_rates():
    x = torch.randn(3, 7)
    assert torch.equal(layers.Dropout(0.5).eval()(x), x)
    for p in (-0.1, 1.0):
        with pytest.raises(ValueError, match="dropout probability"):
            layers.Dropout(p)


def test_single_transformer_reads_cls_then_each_modality_after_its_sep():
    model = models.build_model("single-transformer", {"clip": 3, "ocr": 2}, d_model=8, heads=2).eval()
    seen = []
    model.encoder.register_forward_pre_hook(lambda module, args, kwargs: seen.append(args[0]), with_kwargs=True)
    model({"clip": read_all(torch.ones(1, 4, 3)), "ocr": read_all(torch.ones(1, 2, 2))})
    tokens = seen[0][0]  # <CLS>, <SEP clip>, 4 clip frames, <SEP ocr>, 2 ocr frames
    assert tokens.shape == (1 + 1 + 4 + 1 + 2, 8)
    torch.testing.assert_close(tokens[0], model.cls[0, 0])  # the <CLS> has no position
    clip_positions, ocr_positions = model.positions["clip"].table, model.positions["ocr"].table
    torch.testing.assert_close(tokens[1], model.sep["clip"][0, 0] + clip_positions[0])  # <SEP> takes row 0
    torch.testing.assert_close(tokens[2], model.project["clip"](torch.ones(3)) + clip_positions[1])
    torch.testing.assert_close(tokens[6], model.sep["ocr"][0, 0] + ocr_positions[0])


def test_single_transformer_packs_each_video_s_tokens_before_its_masked_padding():
    model = models.build_model("single-transformer", {"clip": 3, "ocr": 2}, d_model=8, heads=2).eval()
    seen = []
    model.encoder.register_forward_pre_hook(lambda module, args, kwargs: seen.append(args), with_kwargs=True)
    clip = padded([np.ones((1, 3), np.float32), np.ones((4, 3), np.float32)], 4)
    model({"clip": clip, "ocr": padded([np.ones((2, 2), np.float32)] * 2, 2)})
    tokens, keep = seen[0]
    assert tokens.shape[1] == 1 + 1 + 4 + 1 + 2  # the longer video's tokens, nothing more
    assert keep[0].tolist() == [True] * 6 + [False] * 3  # <CLS>, <SEP clip>, 1 frame, <SEP ocr>, 2 frames
    torch.testing.assert_close(tokens[0, 3], model.sep["ocr"][0, 0] + model.positions["ocr"].table[0])


def test_encoder_is_torchs_transformer_encoder_with_a_final_norm_same_weights_and_outputs():
    torch.manual_seed(3)
    layer = torch.nn.TransformerEncoderLayer(16, 4, 64, 0.5, batch_first=True)
    reference = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(16), enable_nested_tensor=False)
    torch.manual_seed(3)
    ours = layers.Encoder(16, 4, 2, 64, 0.5)
    theirs = reference.state_dict()
    assert ours.state_dict().keys() == theirs.keys()  # a checkpoint of either loads into the other
    assert all(torch.equal(value, theirs[key]) for key, value in ours.state_dict().items())  # same seed, same start
    x = torch.randn(3, 9, 16)
    keep = torch.ones(3, 9, dtype=torch.bool)
    keep[1, 4:], keep[2, 1:] = False, False
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(x, keep), reference.eval()(x, src_key_padding_mask=~keep)[:, 0],
                                   atol=1e-5, rtol=1e-5)
        everything = torch.ones(3, 9, dtype=torch.bool)  # the paper's zero padding: no mask at all
        torch.testing.assert_close(ours(x, everything), reference(x)[:, 0], atol=1e-5, rtol=1e-5)


def test_cpu_attention_dropout_is_unbiased_and_never_reads_padding():
    torch.manual_seed(0)
    layer = layers.EncoderLayer(16, 4, 32, 0.5)
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
    from genrelib import training
    from genrelib.data import planted

    store = planted.write_store(tmp_path / "p", {"trn": 400, "val": 100, "tst": 100}, dim=16, frames=(30, 40),
                                strength=5.0)
    config = training.TrainConfig(learning_rate=1e-2, batch_size=32, max_epochs=15, patience=15, seed=0,
                                  padding="masked")  # genre attention is ours: trained with our options
    scores = {kind: training.train_and_test(models.build_model(kind, {"clip": 16}), store, config,
                                            tmp_path / f"{kind}.pt", progress=False).test_scores.map
              for kind in ("mlp", "genre-attention")}
    assert scores["genre-attention"] > 2 * scores["mlp"], scores


def authors_batch(rng, lengths, dims, batch=3):
    """One full-length batch in both layouts: ours ({name: Padded}) and the reference's ({name: tensor})."""
    values = {n: torch.from_numpy(rng.standard_normal((batch, lengths[n], d)).astype(np.float32))
              for n, d in dims.items()}
    return {n: read_all(v) for n, v in values.items()}, values


SENTIMENT = ("asr_sentiment", "ocr_sentiment")


@pytest.mark.parametrize("kind, options", [
    ("single-transformer", {}),
    ("multi-transformer", {"features": ("beats", "clip")}),  # no one-vector feature: every stream encoded
    ("multi-transformer", {"averaged": SENTIMENT}),
    ("multi-transformer", {"averaged": SENTIMENT, "d_model": None}),
    ("multi-transformer", {"averaged": SENTIMENT, "fixed": True}),
    ("mlp", {}),
    ("mlp", {"layers": 2}),
])
def test_our_classifiers_are_the_authors_classes_same_start_same_logits(kind, options):
    """The authors' classes rebuilt from torch's own modules (genrelib/testing.py): a seed draws the same
    initial weights in both (mapped by name), and the two give the same logits, dropout off. Their
    multi-transformer sends the one-vector sentiment features past its transformers: ours averages them."""
    from genrelib import release
    from genrelib.release.reference import ReferenceMLP, ReferenceMulti, ReferenceSingle

    dims = {n: d for n, d in {"asr_sentiment": 24, "beats": 16, "clip": 32, "ocr_sentiment": 24}.items()
            if n in options.get("features", ("asr_sentiment", "beats", "clip", "ocr_sentiment"))}
    lengths = {"asr_sentiment": 1, "beats": 7, "clip": 11, "ocr_sentiment": 1}
    width = options.get("d_model", 16)
    torch.manual_seed(7)
    if kind == "mlp":
        layers = options.get("layers", 1)
        reference, ours_options = ReferenceMLP(dims, layers, 8), {"layers": layers, "hidden": 8}
    elif kind == "single-transformer":
        reference = ReferenceSingle(dims, 2, 4, 16, rows=40)
        ours_options = {"d_model": 16, "heads": 4, "position_rows": 40}
    else:
        reference = ReferenceMulti(dims, dict.fromkeys(dims, 20), heads=4, width=width or -1,
                                   fixed=options.get("fixed", False))
        ours_options = {"d_model": width, "heads": 4, "averaged": options.get("averaged", ()), "position_rows": 20,
                        "positions": "sinusoidal" if options.get("fixed") else "learned"}
    torch.manual_seed(7)
    ours = models.build_model(kind, dims, **ours_options)
    theirs, mine = reference.state_dict(), release.to_authors_layout(ours)
    assert mine.keys() == theirs.keys()
    assert all(torch.equal(mine[k], theirs[k]) for k in theirs), "same seed, same initial weights"
    with torch.no_grad():
        head = [m for m in reference.modules() if isinstance(m, torch.nn.Linear)][-1]
        torch.nn.init.normal_(head.weight)  # a head far from zero, so the logits differ wherever the models do
        ours.load_state_dict({release.theirs_to_ours(ours.kind, k): v.reshape(ours.state_dict()[
            release.theirs_to_ours(ours.kind, k)].shape) for k, v in reference.state_dict().items()})
        batch, values = authors_batch(np.random.default_rng(0), lengths, dims)
        torch.testing.assert_close(ours.eval()(batch), reference.eval()(values), atol=1e-5, rtol=1e-5)


def test_rows_past_the_training_sequences_get_no_gradient_and_stay_as_drawn():
    torch.manual_seed(0)
    positions = layers.Positions(50, 4, "learned", reach=6)
    drawn = positions.table.detach().clone()
    optimizer = torch.optim.Adam(positions.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        positions(torch.randn(2, 5, 4), torch.ones(2, 5, dtype=torch.bool)).square().sum().backward()
        optimizer.step()
    assert positions.tail.grad is None  # Adam and clipping skip it
    assert torch.equal(positions.table[6:], drawn[6:]) and not torch.equal(positions.table[:5], drawn[:5])
    assert list(positions.state_dict()) == ["table"] and positions.state_dict()["table"].shape == (50, 4)
    longer = torch.ones(1, 20, dtype=torch.bool)  # a longer sequence reads, and trains, the rest too
    positions(torch.zeros(1, 20, 4), longer).sum().backward()
    assert positions.tail.grad is not None and positions.tail.grad[:14].abs().sum() > 0


def test_first_token_attention_is_torchs_multihead_attention_on_the_same_weights():
    torch.manual_seed(0)
    layer = layers.EncoderLayer(16, 4, 32, 0.5).eval()
    x = torch.randn(3, 7, 16)
    keep = torch.ones(3, 7, dtype=torch.bool)
    keep[1, 5:] = False  # a padded video: its last frames are never read
    ours = layer.first_token_attention(x, keep)
    _, theirs = layer.self_attn(x[:, :1].transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1),
                                key_padding_mask=~keep, need_weights=True, average_attn_weights=False)
    torch.testing.assert_close(ours, theirs[:, :, 0], rtol=1e-5, atol=1e-6)
    assert torch.all(ours[1, :, 5:] == 0) and torch.allclose(ours.sum(-1), torch.ones(3, 4))


def test_frame_attention_reads_the_last_layers_cls_query_over_one_modality(tiny_store):
    from genrelib.training import batches

    dims = {n: m.dim for n, m in tiny_store.modalities.items()}
    model = models.build_model("multi-transformer", dims, d_model=16, heads=4, layers=2).eval()
    videos = tiny_store.indices("tst")[:4]
    batch, _ = batches.make_batch(tiny_store, videos, dims)
    weights = model.frame_attention(batch, "clip")
    lengths = tiny_store.lengths("clip")[videos]
    assert weights.shape == (4, lengths.max())
    assert torch.all(weights[torch.arange(lengths.max()) >= torch.as_tensor(lengths)[:, None]] == 0)
    assert torch.all(weights.sum(1) <= 1 + 1e-6) and torch.all(weights.sum(1) > 0)
    with pytest.raises(ValueError, match="has no encoder"):
        models.build_model("multi-transformer", dims, d_model=16, heads=4, averaged=("ocr",)).frame_attention(
            batch, "ocr")


def test_the_single_transformers_token_attention_is_what_its_cls_reads():
    torch.manual_seed(0)
    model = models.build_model("single-transformer", {"clip": 8, "audiotag": 8}, d_model=16, heads=4,
                               layers=2).eval()
    batch = {name: read_all(np.random.default_rng(1).standard_normal((2, 5, 8)).astype(np.float32))
             for name in ("clip", "audiotag")}
    weights, where = model.token_attention(batch)
    # <CLS>, <SEP>, 5 image frames, <SEP>, 5 audio frames
    assert where == {"clip": slice(2, 7), "audiotag": slice(8, 13)} and weights[0].shape == (2, 13, 13)
    torch.testing.assert_close(weights[0].sum(-1), torch.ones(2, 13))
    tokens, mask, _ = model._sequence(batch)
    from genrelib.models.layers import _prepend
    tokens, mask = _prepend(model.cls, tokens, mask)
    cls = model.encoder.cls_attention(tokens, mask)  # the last layer's <CLS> row, by the classifier's own path
    torch.testing.assert_close(weights[-1][:, 0], cls)
