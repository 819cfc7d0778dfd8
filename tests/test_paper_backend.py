"""The paper backend end to end on a real trailer, with random weights of the paper's exact architectures.

None of these weights ship in a package (CLIP, Cnn14, DistilBERT, Whisper small), so the tests save
random ones where a user's downloaded weights go and load them from there. Marked ``paper``; under CI
a skipped ``paper`` test fails the run (conftest.py).
"""

import importlib
import os
import sys
import time
import types

import numpy as np
import pytest
import torch
from media_fixtures import RATE, excerpt

from genrelib.data import compose, media
from genrelib.features import stores
from genrelib.features.extractors import WeightsMissing, audio, build_extractors, image, stand_ins, text, weights
from genrelib.features.extractors.base import Trailer

pytestmark = pytest.mark.paper


@pytest.fixture(scope="module")
def trailer(tmp_path_factory):
    """Half a minute of the real trailer (10-41 s of 55: four scenes, a title card, two music chunks), as
    encoded: the same checks as on the whole of it, at about half the extractors' time."""
    path = stores.sample_trailer()
    if path is None:
        pytest.skip(f"{stores.SAMPLE_TRAILER} (Big Buck Bunny trailer, CC-BY) is not beside the checkout")
    return Trailer(excerpt(path, tmp_path_factory.mktemp("trailer") / "bbb_10-41s.mp4", 10, 41))


def panns_models(monkeypatch):
    """panns_inference.models without the package's __init__, whose import runs `wget` for a label list:
    the package is entered as a bare namespace, so only the model code loads."""
    spec = importlib.util.find_spec("panns_inference")
    bare = types.ModuleType("panns_inference")
    bare.__path__ = list(spec.submodule_search_locations)
    monkeypatch.setitem(sys.modules, "panns_inference", bare)
    monkeypatch.delitem(sys.modules, "panns_inference.models", raising=False)
    return importlib.import_module("panns_inference.models")


def test_cnn14_port_matches_panns_inference(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", os.fspath(tmp_path))
    Original = panns_models(monkeypatch).Cnn14

    torch.manual_seed(0)
    original = Original(sample_rate=32000, window_size=1024, hop_size=320, mel_bins=64, fmin=50, fmax=14000,
                        classes_num=527).eval()
    for layer in original.modules():  # batch-norm statistics away from 0/1, so bn0 and the blocks are checked
        if isinstance(layer, torch.nn.BatchNorm2d):
            layer.running_mean.uniform_(-1, 1)
            layer.running_var.uniform_(0.5, 2)
    port = audio.Cnn14()
    for name in ("spectrogram_extractor.stft.conv_real.weight", "logmel_extractor.melW"):  # same front end unloaded
        torch.testing.assert_close(port.state_dict()[name], original.state_dict()[name], atol=1e-6, rtol=0)
    port.load_state_dict(original.state_dict(), strict=True)
    samples = torch.randn(2, 3 * 32000) * 0.1
    with torch.no_grad():
        expected = original(samples)
        embedding, probabilities = port(samples)
    assert embedding.shape == (2, 2048)  # Cnn14; Cnn14_emb128 differs only in fc1's width (embedding=128)
    torch.testing.assert_close(embedding, expected["embedding"])
    torch.testing.assert_close(probabilities, expected["clipwise_output"])
    assert not (tmp_path / "panns_data").exists()  # nothing was downloaded or written


def test_paper_backend_runs_on_a_real_trailer(paper_weights, trailer, record_property):
    extractors = {e.modality: e for e in build_extractors("paper")}
    features, seconds = {}, {}
    for name, extractor in extractors.items():
        start = time.perf_counter()
        features[name] = extractor.extract(trailer)
        seconds[name] = time.perf_counter() - start
        record_property(f"{name} seconds", round(seconds[name], 2))
    print("paper backend (random weights) seconds on", trailer.path.name, seconds)

    keyframes = len(trailer.keyframes.images)
    assert features["clip"].shape == (keyframes, 512)
    full = media.keyframes(trailer.path, full_resolution=True).full  # the authors' CLIP reads frames as decoded
    assert full[0].shape == (trailer.info.height, trailer.info.width, 3) and max(full[0].shape) > 448
    with torch.no_grad():  # the model's own image embeddings, unscaled, as the authors' release keeps them
        expected = extractors["clip"].network(pixel_values=image.Clip.pixels(full)).image_embeds
    np.testing.assert_allclose(features["clip"], expected.numpy(), atol=1e-4)
    duration = len(trailer.audio(16_000)) / 16_000
    assert features["audiotag"].shape == (media.chunk_count(duration, 3.0, 1.5), 128)  # Cnn14_emb128's embedding
    assert features["musicnet"].shape == (media.chunk_count(duration, 22.0, 11.0), 64)  # the FCN's last conv
    ocr_times = extractors["ocr"].extract_timed(trailer)[1]
    assert features["ocr"].shape == (len(ocr_times), 768) and len(ocr_times) >= 4  # tokens of its title cards
    assert features["asr"].shape == (0, 768)  # music and effects only: voice-activity detection keeps nothing
    assert {e.spec().model for e in extractors.values()} >= {"CLIP ViT-B/32 (OpenAI weights), image embedding",
                                                             "PANNs Cnn14_emb128 (AudioSet), 128-d embedding"}
    assert "Whisper small" in extractors["asr"].model and "distilbert-base-uncased" in extractors["asr"].model


def test_paper_asr_runs_whisper_small_on_speech(paper_weights, tmp_path):
    quiet = np.zeros(RATE, np.float32)
    speech = np.concatenate([quiet, compose.speech("nobody leaves this town tonight", RATE), quiet])
    video = compose.write_video(tmp_path / "spoken.mp4", [(np.zeros((64, 64, 3), np.uint8), len(speech) / RATE)],
                                speech, rate=RATE)
    [asr] = build_extractors("paper", ["asr"])
    features, starts = asr.extract_timed(Trailer(video))
    assert features.shape == (len(starts), 768) and len(starts) >= 1  # the voice found; its words are noise


def test_clip_embedding_does_not_depend_on_the_batch(paper_weights):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (180, 320, 3), dtype=np.uint8) for _ in range(3)]
    clip = image.Clip(batch_size=2)
    together = clip.embed(images)
    alone = np.concatenate([clip.embed([i]) for i in images])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert together.shape == (3, 512)


def test_distilbert_is_uncased_and_gives_one_768_wide_vector_per_token(paper_weights):
    upper, lower, other = text.distilbert().encode_tokens(["A Night In Paris", "a night in paris", "zombies attack"])
    assert upper.shape == (4, 768) and other.shape[1] == 768  # four words, one token each; no [CLS] or [SEP]
    np.testing.assert_allclose(upper, lower, atol=1e-6)
    assert not np.allclose(upper[:2], other[:2])


def test_missing_paper_weights_name_the_folder_and_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv(weights.PAPER_ENV_VAR, os.fspath(tmp_path))
    for load in (image.Clip, audio.Panns, text.distilbert, lambda: weights.paper_model(weights.WHISPER)):
        with pytest.raises(WeightsMissing, match=f"{tmp_path}.*genrelib download-paper-weights"):
            load()


def test_a_truncated_cnn14_checkpoint_is_named_as_such(tmp_path, monkeypatch):
    monkeypatch.setenv(weights.PAPER_ENV_VAR, os.fspath(tmp_path))
    (tmp_path / weights.CNN14).write_bytes(b"")
    with pytest.raises(WeightsMissing, match="holds 0 bytes.*interrupted or offline download"):
        audio.Panns()


def test_random_stand_ins_leave_no_trace(tmp_path, monkeypatch):
    monkeypatch.setenv(weights.PAPER_ENV_VAR, os.fspath(tmp_path))
    assert weights.paper_folder() == tmp_path
    with stand_ins.random_stand_ins() as folder:
        assert weights.paper_folder() == folder and (folder / weights.CNN14).is_file()
    assert weights.paper_folder() == tmp_path and not folder.exists()


def test_download_fetches_resumes_and_each_model_loads_from_where_it_was_written(paper_weights, tmp_path,
                                                                                 monkeypatch):
    """The Cnn14 checkpoint comes over HTTP from a local server that drops the first transfer halfway; the
    hub downloads (CLIP, DistilBERT, Whisper small) are served from the stand-in folder. Then every paper
    extractor loads its weights from the folder the download filled."""
    import shutil

    import faster_whisper
    import transformers
    from http_fixtures import serving

    asked = []

    def from_hub(original):
        def load(name, *args, **kwargs):
            asked.append(name)
            local = {"openai/clip-vit-base-patch32": weights.CLIP}.get(name, name)
            return original(paper_weights / local, *args, **kwargs)
        return load

    def download_model(size, output_dir):
        asked.append(f"whisper {size}")
        shutil.copytree(paper_weights / weights.WHISPER, output_dir)

    for name in ("CLIPVisionModelWithProjection", "AutoModel", "AutoTokenizer"):
        cls = getattr(transformers, name)
        monkeypatch.setattr(cls, "from_pretrained", from_hub(cls.from_pretrained))
    monkeypatch.setattr(faster_whisper, "download_model", download_model)
    target = tmp_path / "downloaded"
    with serving(paper_weights, cut_first_transfer=True) as (url, ranges):
        assert weights.download(target, cnn14_url=f"{url}/{weights.CNN14}",
                                music_fcn_url=f"{url}/{weights.MUSIC_FCN}") == target
    assert asked == ["openai/clip-vit-base-patch32", "distilbert-base-uncased", "distilbert-base-uncased",
                     "whisper small"]
    # Cnn14 resumed (not restarted) after the cut, then the music tagger in one go
    assert ranges[0] is None and ranges[1].startswith("bytes=") and ranges[2:] == [None]
    for name in (weights.CNN14, weights.MUSIC_FCN):
        assert (target / name).read_bytes() == (paper_weights / name).read_bytes()
    monkeypatch.undo()
    monkeypatch.setenv(weights.PAPER_ENV_VAR, os.fspath(target))
    extractors = build_extractors("paper")
    assert [e.modality for e in extractors] == ["clip", "audiotag", "musicnet", "ocr", "asr"]
    probe = audio.Panns().network.fc_audioset.weight
    torch.testing.assert_close(probe, torch.load(paper_weights / weights.CNN14, weights_only=True)["model"][
        "fc_audioset.weight"])  # the downloaded checkpoint is the one the model reads


def authors_clip_transform(frame: np.ndarray) -> np.ndarray:
    """The authors' CLIPRunner preprocessing, written with PIL instead of torchvision (which does not load
    here): /255, Resize(224, bicubic, antialias) on float values (PIL's "F" mode resamples floats with the
    antialiased bicubic that torchvision's tensor resize reproduces), CenterCrop(224), Normalize."""
    from PIL import Image

    height, width = frame.shape[:2]
    short, long = sorted((height, width))
    size = (int(224 * long / short), 224) if height <= width else (224, int(224 * long / short))  # PIL: (w, h)
    channels = [np.asarray(Image.fromarray(frame[..., c].astype(np.float32) / 255, "F").resize(size, Image.BICUBIC))
                for c in range(3)]
    resized = np.stack(channels, -1)
    top, left = int(round((resized.shape[0] - 224) / 2.0)), int(round((resized.shape[1] - 224) / 2.0))
    crop = resized[top:top + 224, left:left + 224]
    return ((crop - image.CLIP_MEAN) / image.CLIP_STD).transpose(2, 0, 1)


def test_clip_preprocessing_is_the_authors_recipe():
    """Floating-point resizing, as the authors' code does it, not the uint8 PIL path of OpenAI's clip package
    (which rounds each resized pixel to 1/255: up to 0.015 after normalisation)."""
    rng = np.random.default_rng(0)
    shapes = [(180, 320), (720, 1280), (448, 300), (225, 225), (224, 400)]
    images = [rng.integers(0, 256, (*shape, 3), dtype=np.uint8) for shape in shapes]
    reference = np.stack([authors_clip_transform(i) for i in images])
    np.testing.assert_allclose(image.Clip.pixels(images).numpy(), reference, atol=1e-4)
    grey = image.Clip.pixels([np.full((90, 160, 3), 100, np.uint8)])  # known answer: a flat frame stays flat
    np.testing.assert_allclose(grey[0, :, 50, 70].numpy(), (100 / 255 - image.CLIP_MEAN) / image.CLIP_STD, rtol=1e-5)


def test_keyframes_at_full_resolution_are_the_downscaled_ones_before_downscaling(tmp_path):
    from media_fixtures import three_scene_video

    video = three_scene_video(tmp_path / "v.mp4")
    plain = media.keyframes(video)
    both = media.keyframes(video, max_side=32, full_resolution=True)
    assert plain.full is None and len(both.full) == len(both.images) == len(plain.images)
    info = media.probe(video)
    assert all(f.shape == (info.height, info.width, 3) for f in both.full)
    assert all(max(i.shape[:2]) == 32 for i in both.images)
    np.testing.assert_allclose(both.full[0].mean((0, 1)), both.images[0].mean((0, 1)), atol=3)  # the same frame
    trailer = Trailer.for_extractors(video, [image.Clip])  # one decoding pass serves CLIP and the others
    assert trailer.full_resolution_keyframes() is trailer.keyframes.full


def test_distilbert_token_states_do_not_depend_on_padding(paper_weights):
    """Encoded together (padded to the longest) each text gets the model's own states of its tokens, the
    special [CLS] and [SEP] left out, as when it is encoded alone."""
    from transformers import AutoModel, AutoTokenizer

    texts = ["revenge is coming", "an unlucky bird", "a"]
    folder = weights.paper_model(weights.DISTILBERT)
    tokenizer, network = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    with torch.no_grad():
        alone = [network(**tokenizer(t, return_tensors="pt")).last_hidden_state[0, 1:-1].numpy() for t in texts]
    for together, expected in zip(text.distilbert().encode_tokens(texts), alone, strict=True):
        np.testing.assert_allclose(together, expected, atol=1e-5)
