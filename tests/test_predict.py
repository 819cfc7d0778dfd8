import numpy as np
import pandas as pd
import pytest
import torch
from media_fixtures import audio_with_cover, three_scene_video, tone

from genrelib import cli, models
from genrelib.common import paths
from genrelib.data import labels
from genrelib.evaluation import predict
from genrelib.models import checkpoints


def constant_model(dims):
    """An MLP whose output depends only on the clip stream's mean, so occlusion has a known answer."""
    model = models.build_model("mlp", dims).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
        model.net[0].weight[:, 0] = 1.0  # every genre logit reads the mean of clip feature 0
    return model


def test_occlusion_blames_the_frame_that_carries_the_signal():
    dims = {"clip": 3, "ocr": 2}
    model = constant_model(dims)
    clip = np.zeros((4, 3), np.float32)
    clip[2, 0] = 8.0
    features = {"clip": clip, "ocr": np.ones((1, 2), np.float32)}
    times = {"clip": np.array([0.0, 1.0, 2.0, 3.0]), "ocr": np.array([5.0])}
    probabilities, by_modality, by_scene = predict.explain(model, features, times, top=1)
    assert probabilities.min() == pytest.approx(1 / (1 + np.exp(-2.0)))  # mean of clip feature 0 = 8/4
    assert by_modality.loc["ocr"].abs().max() == pytest.approx(0.0)
    assert by_modality.loc["clip"].iloc[0] > 0.3
    top = by_scene.iloc[0]
    assert (top["modality"], top["time (s)"]) == ("clip", 2.0)


def test_predict_command_prints_the_probability_the_model_gives(tmp_path, capsys):
    from genrelib.features.extractors import Trailer, build_extractors

    video = three_scene_video(tmp_path / "v.mp4")
    checkpoint = checkpoints.save_checkpoint(constant_model({"clip": 1280, "audiotag": 1024}), tmp_path / "m.pt")
    assert cli.main(["predict", str(video), "--checkpoint", str(checkpoint)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"Model: mlp, checkpoint {paths.shown(checkpoint)}"
    assert lines[1].startswith("Trained on: not recorded")  # saved without training: nothing to say
    start = lines.index(f"Genre probabilities for {paths.shown(video)}, beside the share of training videos with "
                        "each:") + 1
    printed = {line.split()[0]: float(line.split()[1]) for line in lines[start:start + 21]}
    assert lines[start + 21].startswith("The checkpoint records no training prior")
    assert sorted(printed) == sorted(labels.GENRES) and "audiotag" in out
    # every genre logit is the mean of clip feature 0 over the video's keyframes (the model's only weight)
    [clip] = build_extractors("offline", ["clip"])
    expected = 1 / (1 + np.exp(-clip.extract(Trailer(video))[:, 0].mean()))
    assert all(p == pytest.approx(expected, abs=5e-4) for p in printed.values())


def test_predict_command_names_an_unreadable_video(tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    checkpoint = checkpoints.save_checkpoint(constant_model({"clip": 1280}), tmp_path / "m.pt")
    assert cli.main(["predict", str(broken), "--checkpoint", str(checkpoint)]) == 1
    assert "broken.mp4: not a readable media file" in capsys.readouterr().err


def test_predict_command_without_a_trained_model_says_what_to_do(tmp_path, capsys):
    video = three_scene_video(tmp_path / "v.mp4")
    assert cli.main(["predict", str(video), "--checkpoint", str(tmp_path / "none.pt")]) == 1
    assert "train a model first" in capsys.readouterr().err


def test_feature_size_mismatch_is_explained(tmp_path):
    checkpoint = checkpoints.save_checkpoint(constant_model({"clip": 512}), tmp_path / "m.pt")
    with pytest.raises(ValueError, match="expects 512-d clip features, the offline backend gives 1280-d"):
        predict.predict_video(three_scene_video(tmp_path / "v.mp4"), checkpoint)


def test_a_missing_video_is_reported_before_a_missing_model(tmp_path, capsys):
    assert cli.main(["predict", str(tmp_path / "nowhere.mp4"), "--checkpoint", str(tmp_path / "none.pt")]) == 1
    assert "nowhere.mp4: no such file" in capsys.readouterr().err


def test_a_video_without_usable_features_is_refused(tmp_path, capsys):
    from genrelib.data import compose

    audio_only = compose.write_video(tmp_path / "tone_only.mp4", [], np.zeros(16_000, np.float32))
    checkpoint = checkpoints.save_checkpoint(constant_model({"clip": 1280}), tmp_path / "m.pt")
    assert cli.main(["predict", str(audio_only), "--checkpoint", str(checkpoint)]) == 1
    error = capsys.readouterr().err
    assert "tone_only.mp4: none of the model's modalities (clip) found anything to read" in error


def test_a_prediction_says_what_the_model_learned_from_and_warns_for_the_demo_corpus(tiny_store, tmp_path):
    from genrelib import training

    model = models.build_model("mlp", {n: m.dim for n, m in tiny_store.modalities.items()})
    config = training.TrainConfig(max_epochs=1, batch_size=8, seed=0)
    training.train(model, tiny_store, config, tmp_path / "m.pt", progress=False)
    _, meta = checkpoints.load_checkpoint(tmp_path / "m.pt")
    assert meta["trained_on"].startswith(tiny_store.description) and "trn 42, val 6, tst 12" in meta["trained_on"]
    features = {name: np.ones((2, m.dim), np.float32) for name, m in tiny_store.modalities.items()}
    probabilities, by_modality, by_scene = predict.explain(model, features, {n: np.arange(2.0) for n in features})
    ranked = pd.Series(probabilities, index=labels.GENRES)
    report = predict.Prediction("x.mp4", "m.pt", "mlp", meta["trained_on"], ranked, by_modality, by_scene).report()
    assert report.splitlines()[1] == f"Trained on: {meta['trained_on']}" and predict.DEMO_WARNING not in report
    demo = predict.Prediction("x.mp4", "m.pt", "mlp", "demo corpus (200 generated clips), offline extractors",
                              ranked, by_modality, by_scene).report()
    assert demo.splitlines()[2] == predict.DEMO_WARNING
    # the share of training videos with each genre travels with the checkpoint, to read a prediction against
    prior = pd.Series(meta["genre_prior"], index=labels.GENRES)
    train = tiny_store.labels[tiny_store.indices("trn")]
    np.testing.assert_allclose(prior.to_numpy(), train.mean(0))


def test_an_answer_near_the_training_prior_says_so():
    prior = pd.Series(np.linspace(0.05, 0.5, len(labels.GENRES)), index=labels.GENRES)
    empty = pd.DataFrame()
    near = predict.Prediction("x.mp4", "m.pt", "mlp", "t", prior + 0.05, empty, empty, prior)
    assert near.prior_note().startswith("Every probability is within 0.10 of its genre's share")
    far = prior.copy()
    far["Horror"] += 0.4
    moved = predict.Prediction("x.mp4", "m.pt", "mlp", "t", far, empty, empty, prior)
    assert moved.prior_note() == (f"The largest departure from the training prior is Horror: {far['Horror']:.3f} "
                                  f"against {prior['Horror']:.3f}.")


def test_a_file_without_video_a_silent_track_and_cover_art_are_named(tmp_path):
    from genrelib.data import compose
    from genrelib.features.extractors import Trailer

    sound_only = compose.write_video(tmp_path / "sound.mp4", [], tone(2.0))
    assert predict.what_the_file_lacks(Trailer(sound_only)) == [
        "no video stream: the keyframe and on-screen text modalities read nothing"]
    silent = compose.write_video(tmp_path / "silent.mp4", [(np.full((240, 320, 3), 90, np.uint8), 2.0)],
                                 np.zeros(32_000, np.float32))
    [note] = predict.what_the_file_lacks(Trailer(silent))
    assert note.startswith("its audio track is silent")
    assert predict.what_the_file_lacks(Trailer(three_scene_video(tmp_path / "film.mp4"))) == []
    cover = Trailer(audio_with_cover(tmp_path / "song.mka"))
    assert cover.info.cover_image
    [note] = predict.what_the_file_lacks(cover)
    assert note.startswith("its video stream is one still picture (cover art), so it is read as audio only")
    assert len(cover.keyframes.times) == 0 and len(cover.audio(16_000)) > 0
    as_video = Trailer(audio_with_cover(tmp_path / "song2.mka"))
    predict.what_the_file_lacks(as_video, cover_as_video=True)
    assert len(as_video.keyframes.times) == 1
    assert not Trailer(three_scene_video(tmp_path / "film2.mp4")).info.cover_image


def test_a_released_classifier_of_features_this_project_cannot_extract_says_which(tmp_path, capsys):
    from genrelib.release import reference as testing

    video = three_scene_video(tmp_path / "v.mp4")
    testing.write_synthetic_classifiers(tmp_path, {"beats": 16, "clip": 512}, {"beats": 8, "clip": 8})
    code = cli.main(["predict", str(video), "--checkpoint", str(tmp_path / "mlp.pt"), "--release-config",
                     str(tmp_path / "mlp_config.pt"), "--backend", "paper"])
    assert code == 1 and "cannot extract ['beats']" in capsys.readouterr().err


@pytest.mark.paper
def test_a_released_clip_only_classifier_predicts_a_video(tmp_path, capsys, paper_weights):
    from genrelib.release import reference as testing

    video = three_scene_video(tmp_path / "v.mp4")
    testing.write_synthetic_classifiers(tmp_path, {"clip": 512}, {"clip": 8})
    # CLIP ViT-B/32 with random weights, where downloaded ones would go
    code = cli.main(["predict", str(video), "--checkpoint", str(tmp_path / "multi_transformer.pt"),
                     "--release-config", str(tmp_path / "multi_transformer_config.pt"), "--backend", "paper"])
    out = capsys.readouterr().out
    assert code == 0 and out.splitlines()[1].startswith("Trained on: the authors' released MovieNet features")
