"""Every number this book transcribes from the paper, in one place, each with where it is printed.

Sulun, Viana, Davies (2024), *Movie Trailer Genre Classification Using
Multimodal Pretrained Features*. Chapters, the report and the benchmarks read
the paper's values from here and nowhere else; a value the paper does not
print in its text (Table 2 and Figure 6 are images) is absent, never guessed. Section numbers are the paper's:
3.1 (data), 3.1.1 (the features), 3.2 (the classifiers), 3.2.5 (the baseline), 3.2.6 (training details).
"""

from __future__ import annotations

import pandas as pd

# Section 3.1: the MovieNet trailers kept (durations within these fences, in seconds) and the split sizes of
# the alphabetical 70/10/20 split by YouTube id.
DURATION_FENCES = (19.6, 214.4)
SPLIT_SIZES = {"trn": 18_488, "val": 2_641, "tst": 5_283}

# Section 3.1.1: the width of each feature vector, the activations before each model's output layer: CLIP's
# image embedding, Audiotag "a length of 128", Musicnet "a length of 64", DistilBERT 768 per text token.
FEATURE_DIMS = {"clip": 512, "audiotag": 128, "musicnet": 64, "ocr": 768, "asr": 768}
# Section 3.1.1: chunk lengths in seconds of the two audio extractors.
CHUNK_SECONDS = {"audiotag": 3.0, "musicnet": 22.0}
# Section 3.2.6: frames per video in training, the upper whiskers of MovieNet's sequence lengths.
TRAIN_LENGTHS = {"clip": 216, "ocr": 64, "asr": 86, "audiotag": 140, "musicnet": 18}

# Section 3.2.6: the training recipe of the feature classifiers (gradients clipped for the transformers). The
# paper keeps the model of best validation mAP; when training stops it does not say.
RECIPE = {"learning_rate": 1e-5, "batch_size": 32, "positive_weight": 0.25, "clip_grad_norm": 1.0,
          "dropout": 0.5, "model kept": "best validation mAP"}

# Sections 3.2 and 3.2.5: the classifiers' sizes. The raw-input baseline: image and audio MLPs of 2 layers, width
# 768, then per-modality fusion transformers of 1 layer, 4 heads, width 768.
SINGLE_TRANSFORMER = {"layers": 2, "heads": 8, "d_model": 256}
MULTI_TRANSFORMER = {"layers": 1, "heads": 8, "d_model": 128}
BASELINE = {"mlp_layers": 2, "width": 768, "fusion_layers": 1, "fusion_heads": 4}

# Section 3.2: trainable parameters of the three classifiers (five modalities).
PARAMETER_COUNTS = {"mlp": 57_000, "single-transformer": 8_560_000, "multi-transformer": 6_980_000}

# Table 1: macro scores on the MovieNet test split, in percent (P and R at threshold 0.5).
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

# Table 3: the multi-transformer's ablation, test mAP and seconds per video on one GPU (extraction included).
# The check marks did not survive in the text; each row's feature set (modalities, averaged text streams) is
# the reading that fits the text and the runtimes. The first row is the raw-input baseline.
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

# Table 3, last row: all features, seconds per (about two-minute) trailer on one GPU, extraction included.
SECONDS_PER_VIDEO_ALL_FEATURES = 33.59
