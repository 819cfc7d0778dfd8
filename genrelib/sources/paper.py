"""Every number this book transcribes from the paper, in one place, read from :data:`genrelib.sources.evidence.PAPER`.

Sulun, Viana, Davies (2024), *Movie Trailer Genre Classification Using Multimodal Pretrained Features*.
Chapters, the report and the benchmarks read the paper's values from here and nowhere else; each comes from a
registered fact that names its section (``evidence.cite(key)``), and a test checks that the section's text
holds the fact's words. A value the paper does not print in its text (Table 2 and Figure 6 are images) is
absent, never guessed.
"""

from __future__ import annotations

import pandas as pd

from genrelib.sources.evidence import PAPER


def _value(key: str):
    return PAPER[key].value


DURATION_FENCES = _value("duration_fences")  # seconds: the inner fences of MovieNet's durations
SPLIT_SIZES = _value("split_sizes")  # as printed; the authors' splits.json holds 18,488 / 2,642 / 5,282
GENRES = _value("genres")

# The width of each feature vector, the activations before each model's output layer; DistilBERT per token.
FEATURE_DIMS = {"clip": _value("clip"), "audiotag": _value("audiotag"), "musicnet": _value("musicnet"),
                "ocr": _value("text_encoder"), "asr": _value("text_encoder")}
CHUNK_SECONDS = _value("chunk_seconds")
TRAIN_LENGTHS = _value("train_lengths")  # frames per video in training: upper whiskers of MovieNet's lengths
# The authors' single-transformer's total length, its position tables' rows (evidence.AUTHORS["single_total_len"]):
# the training lengths, a <SEP> each and one <CLS>. Not in the paper; at the paper's lengths it is 530.
SINGLE_TOTAL_LEN = sum(TRAIN_LENGTHS.values()) + len(TRAIN_LENGTHS) + 1

# The training recipe of the feature classifiers (gradients clipped for the transformers). Which model is kept
# and when training stops the paper does not say (the authors' code: evidence.AUTHORS["best_model"], "patience").
RECIPE = _value("recipe")

SINGLE_TRANSFORMER = _value("single_transformer")
MULTI_TRANSFORMER = _value("multi_transformer")
MLP = _value("mlp")
BASELINE = _value("baseline_sizes")
PARAMETER_COUNTS = _value("parameter_counts")  # trainable parameters, five modalities


def as_printed(count: int) -> str:
    """A parameter count as the paper prints it (§3.2.6: 57k, 8.56M), not as a number it never gave."""
    return f"{count / 1e6:.2f}M" if count >= 1e6 else f"{count / 1e3:.0f}k"

# Table 1 (section 4): macro scores on the MovieNet test split, in percent (P and R at threshold 0.5).
TABLE_1: dict[str, dict[str, float]] = {
    "TSN": {"P@0.5": 78.31, "R@0.5": 17.95, "mAP": 43.70},
    "I3D": {"P@0.5": 69.58, "R@0.5": 16.54, "mAP": 35.79},
    "TRN": {"P@0.5": 77.63, "R@0.5": 21.74, "mAP": 45.23},
    "MovieNet": {"P@0.5": 79.74, "R@0.5": 24.97, "mAP": 46.88},
    "two-stage-baseline": {"P@0.5": 73.78, "R@0.5": 32.17, "mAP": 59.73},
    "mlp": {"P@0.5": 82.05, "R@0.5": 33.51, "mAP": 63.16},
    "single-transformer": {"P@0.5": 81.00, "R@0.5": 37.11, "mAP": 65.09},
    "multi-transformer": {"P@0.5": 82.00, "R@0.5": 38.33, "mAP": 66.02},
}

# Table 3 (section 4): the multi-transformer's ablation, test mAP and seconds per video (extraction included;
# the hardware is not stated). The check marks did not survive in the text; each row's feature set (modalities,
# averaged text streams) is the reading that fits the text and the runtimes. The first row is the raw-input baseline.
TABLE_3 = pd.DataFrame(
    [("baseline (ViT + AST)", "", "", 59.73, 7.08),
     ("CLIP", "clip", "", 64.73, 5.32),
     ("+ Musicnet", "clip+musicnet", "", 65.17, 5.76),
     ("+ Audiotag", "clip+musicnet+audiotag", "", 65.31, 5.95),
     ("+ OCR", "clip+musicnet+audiotag+ocr", "", 63.33, 25.85),
     ("+ OCR averaged, + ASR", "clip+musicnet+audiotag+ocr+asr", "ocr", 65.46, 31.52),
     ("+ OCR, + ASR", "clip+musicnet+audiotag+ocr+asr", "", 64.66, 31.44),
     ("+ OCR averaged, + ASR averaged", "clip+musicnet+audiotag+ocr+asr", "ocr+asr", 66.02, 33.59)],
    columns=["features", "modalities", "averaged", "paper mAP", "paper s/video (GPU)"]).set_index("features")
