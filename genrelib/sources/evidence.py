"""What this book takes from its two sources, each fact with the evidence it rests on.

Two registries, written in our own words, never the sources' sentences:

* :data:`PAPER`: facts the paper states. Each names its section (a heading of the paper: ``"3.2.6"``,
  ``"4"``) and a few phrases that section's own text holds, so a reader can find the place and a test
  (``tests/test_evidence.py``) can check it against the paper's text.
* :data:`AUTHORS`: facts about the authors' code (serkansulun/trailer-genre-classification at
  :data:`COMMIT`). Each names a file, a line and what that line holds (consecutive lines, ``\\n``-separated);
  ``genrelib verify-sources --authors-repo DIR`` (``make verify-sources AUTHORS_REPO=DIR``) checks them against a
  checkout.

Both check values, not only places: a phrase or line may hold ``{}`` fields (``str.format``: ``{}`` the value,
``{0}`` an item of a tuple, ``{name}`` an entry of a dict), filled with the fact's value as the source prints
it (spec ``k``: 48000 as ``48k``; ``M``: 8560000 as ``8.56M``), and every number of a value must fill one, so a
wrong value reads a phrase the source lacks. Phrases match whole tokens: ``18`` does not match ``18488``.

:mod:`genrelib.sources.paper` reads the paper's values from here; the deviations page and the chapters cite both
through :func:`cite`. A fact about either source that the book states goes here first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

COMMIT = "caac031754d3c3df2bfb27002b58e47b9408270b"
REPOSITORY = "serkansulun/trailer-genre-classification"


@dataclass(frozen=True)
class PaperFact:
    value: object
    section: str  # a numbered heading of the paper
    words: tuple[str, ...]  # phrases that section's own text holds (case and spacing aside), fields filled
    said: str  # the fact, in our words


@dataclass(frozen=True)
class CodeFact:
    value: object
    file: str  # path in the authors' repository
    line: int
    found: str  # what that line holds (spacing aside), fields filled; each "\n" starts the next line
    said: str


PAPER: dict[str, PaperFact] = {
    # data
    "resolution": PaperFact(300, "3.1", ("at least {} pixels",), "the lowest YouTube rendition at least 300 "
                            "pixels high"),
    "video_codec": PaperFact(("libx265", 23), "3.1", ("x265", "constant rate factor of {1}"),
                             "video re-encoded with x265 at CRF 23"),
    "audio_codec": PaperFact(("libopus", 48_000, "mono"), "3.1", ("Opus", "bitrate of {1:k} in {2}"),
                             "audio re-encoded as mono Opus at 48 kbit/s"),
    "keyframes": PaperFact("mid-scene", "3.1", ("FFmpeg", "scene boundaries", "exactly in the middle"),
                           "one keyframe in the middle of each pair of FFmpeg scene boundaries"),
    "multi_label": PaperFact(True, "3.1", ("multi-label",), "a trailer can carry several genres"),
    "duration_fences": PaperFact((19.6, 214.4), "3.2.6", ("inner fence", "to {0} seconds", "to {1} seconds"),
                                 "trailers kept: durations inside the box plot's inner fences"),
    "trailers_kept": PaperFact(26_412, "3.2.6", ("yielded {} videos", "32647"), "26,412 of 32,647 trailers kept"),
    "genres": PaperFact(21, "3.2.6", ("{} most frequent genres",), "the 21 most frequent genres"),
    "split": PaperFact((0.7, 0.1, 0.2), "3.2.6", ("alphabetically", "YouTube IDs", "ratios of {0}, {1}, and {2}"),
                       "a 70/10/20 split of the trailers sorted by YouTube id"),
    "split_sizes": PaperFact({"trn": 18_488, "val": 2_641, "tst": 5_283}, "3.2.6", ("{trn}, {val}, and {tst} samples",),
                             "split sizes as printed"),
    # features
    "clip": PaperFact(512, "3.1.1", ("CLIP", "224", "frame to a vector with a length of {}"),
                      "CLIP's image embedding of each keyframe, 512-d"),
    "audiotag": PaperFact(128, "3.1.1", ("3 seconds", "527",
                          "prior to that, ending up with vectors with a length of {}"),
                          "an audio tagger on 3 s chunks, the 128-d activations before its 527-way output"),
    "musicnet": PaperFact(64, "3.1.1", ("Choi", "22 seconds", "50 different labels",
                                      "final layer, ending up with vectors with a length of {}"),
                          "Choi et al.'s music tagger on 22 s chunks, the 64-d activations before its output"),
    "chunk_seconds": PaperFact({"audiotag": 3.0, "musicnet": 22.0}, "3.1.1",
                               ("chunks of {audiotag} seconds and outputs a vector of probabilities for 527",
                                "chunks of {musicnet} seconds and outputs a vector of probabilities for 50"),
                               "the audio tagger reads 3 s chunks, the music tagger 22 s"),
    "ocr": PaperFact("PaddleOCR", "3.1.1", ("PaddleOCR", "spell correction"),
                     "PaddleOCR on each keyframe, then a pretrained spelling corrector"),
    "asr": PaperFact("Whisper", "3.1.1", ("Whisper", "non-English", "German language"),
                     "Whisper, then a language detector; non-English text becomes the language's name"),
    "text_encoder": PaperFact(768, "3.1.1", ("DistilBERT", "them as a vector with a length of {}"),
                              "DistilBERT, one 768-d vector per token"),
    # classifiers
    "sigmoid": PaperFact("sigmoid", "3.2", ("size of 21", "sigmoid", "do not add up to 1"),
                         "a 21-way linear layer and a sigmoid per genre: probabilities that need not sum to 1"),
    "mlp_means": PaperFact("temporal mean", "3.2.1", ("averaged", "temporal dimension", "concatenated"),
                           "the MLP reads each modality's temporal mean, concatenated"),
    "cls": PaperFact("<CLS>", "3.2.2", ("<CLS>", "Devlin"), "a learned <CLS> vector whose output is classified"),
    "sep": PaperFact("<SEP>", "3.2.2", ("<SEP>", "specific for each modality", "prepended"),
                     "a learned <SEP> per modality, prepended to its sequence"),
    "modality_positions": PaperFact("learned per modality", "3.2.2", ("separately learned positional embeddings",),
                                    "positional embeddings learned separately for each modality"),
    "temporal_level": PaperFact("single", "3.2.2", ("temporal level",),
                                "the single-transformer is meant to use correspondences at the temporal level"),
    "global_level": PaperFact("multi", "3.2.3", ("global level", "not at the temporal level"),
                              "the multi-transformer uses correspondences at the global level only"),
    "averaging": PaperFact(("ocr", "asr"), "3.2.4", ("optionally averaged", "OCR and ASR", "noise"),
                           "OCR and ASR features optionally averaged over time, to reduce the noise of text errors"),
    "baseline": PaperFact("ViT + AST", "3.2.5", ("ViT", "AST", "two-stage"),
                          "the baseline: frozen ViT and AST, trainable MLPs, then fusion transformers"),
    "baseline_audio": PaperFact((10.0, 0.5), "3.2.5", ("into {0}-second chunks, with a {1:%} overlap",),
                                "AST reads 10 s spectrogram windows overlapping by half"),
    "mlp": PaperFact({"layers": 1, "d_model": 256}, "3.2.6", ("layers is {layers}, the model dimension is {d_model}",),
                     "the MLP: 1 layer, model dimension 256"),
    "single_transformer": PaperFact({"layers": 2, "heads": 8, "d_model": 256}, "3.2.6",
                                    ("single-transformer model has {layers} layers, {heads} attention heads, and a "
                                     "model dimension of {d_model}",),
                                    "the single-transformer: 2 layers, 8 heads, d 256"),
    "multi_transformer": PaperFact({"layers": 1, "heads": 8, "d_model": 128}, "3.2.6",
                                   ("each with {layers} layer, {heads} attention heads, and a model dimension of "
                                    "{d_model}",),
                                   "the multi-transformer: per modality 1 layer, 8 heads, d 128"),
    "baseline_sizes": PaperFact({"mlp_layers": 2, "width": 768, "fusion_layers": 1, "fusion_heads": 4}, "3.2.6",
                                ("image-MLP", "have {mlp_layers} layers and a dimensionality of {width}",
                                 "both have {fusion_layers} layer, {fusion_heads} attention heads and a "
                                 "dimensionality of {width}"),
                                "the baseline: MLPs of 2 layers x 768, fusion transformers of 1 layer, 4 heads, 768"),
    "parameter_counts": PaperFact({"mlp": 57_000, "single-transformer": 8_560_000, "multi-transformer": 6_980_000},
                                  "3.2.6", ("parameters is {mlp:k}", "totaling {single-transformer:M}",
                                            "totaling {multi-transformer:M}"), "trainable parameters as printed"),
    # training
    "recipe": PaperFact({"learning_rate": 1e-5, "batch_size": 32, "positive_weight": 0.25, "clip_grad_norm": 1.0,
                         "dropout": 0.5}, "3.2.6",
                        ("Adam", "learning rate of {learning_rate}", "dropout rate of {dropout}",
                         "batch size of {batch_size}", "norm of {clip_grad_norm}", "weight of {positive_weight}"),
                        "Adam at lr 1e-5, dropout 0.5, batches of 32, transformers clipped at norm 1, positive "
                        "labels weighted 0.25 in the BCE"),
    "selection": PaperFact("validation mAP", "3.2.6", ("grid search", "mean average precision on the validation"),
                           "hyperparameters chosen by grid search on validation mAP"),
    "train_lengths": PaperFact({"clip": 216, "ocr": 64, "asr": 86, "audiotag": 140, "musicnet": 18}, "3.2.6",
                               ("upper whisker", "{clip} for CLIP, {ocr} for OCR, {asr} for ASR",
                                "{audiotag} for Audiotag, and {musicnet} for Musicnet", "totaled 524"),
                               "training lengths: each modality's upper whisker of sequence lengths"),
    "truncated": PaperFact("truncate", "3.2.6", ("truncated", "padded with zero-vectors"),
                           "in training, longer sequences truncated, shorter ones padded with zero vectors"),
    "gpu": PaperFact("Quadro RTX 6000", "3.2.6", ("Quadro RTX 6000",), "trained on one NVIDIA Quadro RTX 6000"),
    # results
    "test_protocol": PaperFact("one video, full length", "4", ("one sample (video) at a time",
                                                               "without padding or truncating"),
                               "tested one video at a time at full length"),
    "metrics": PaperFact("macro", "4", ("macro-averaged", "precision", "recall", "mean average precision"),
                         "macro-averaged precision, recall and mAP"),
    "threshold": PaperFact(0.5, "4", ("decision threshold at {}",), "P and R at a decision threshold of 0.5"),
    "table_1": PaperFact("Table 1", "4", ("59.73", "63.16", "65.09", "66.02", "82.00", "38.33"),
                         "Table 1: test P, R and mAP of each model"),
    "table_3": PaperFact("Table 3", "4", ("64.73", "65.31", "63.33", "65.46", "64.66", "33.59"),
                         "Table 3: the multi-transformer's ablation, mAP and seconds per video"),
    "text_first_hurts": PaperFact("OCR lowers mAP", "4", ("initially seems to hurt",),
                                  "adding the text features first lowers mAP"),
    "averaged_text_helps": PaperFact("averaged text raises mAP", "4", ("averaged version", "reduces the noise"),
                                     "their temporal averages raise it"),
    "no_text_beats_baseline": PaperFact("without text", "4", ("textual features are excluded", "faster runtime"),
                                        "the settings without text beat the baseline and run faster"),
    "frame_count": PaperFact((8, 16, 32, 64, 128, 256), "4", ("{0}, {1}, {2}, {3}, {4} and {5} frames",
                                                              "random locations", "using only the CLIP features"),
                             "Figure 6: CLIP only, 8 to 256 frames from random locations, MLP against transformer"),
    "more_frames_help": PaperFact("more frames", "4", ("higher number of frames", "superiority of the transformer"),
                                  "more frames help, and help the transformer more than the MLP"),
}


def _code(file, line, found, value, said):
    return CodeFact(value, file, line, found, said)


_CLASSIFIERS, _CONFIG = "classification/src/classifiers.py", "classification/src/config.py"
_DATASET, _TRAIN = "classification/src/dataset.py", "classification/src/train.py"

AUTHORS: dict[str, CodeFact] = {
    # classifiers
    "ff_width": _code(_CLASSIFIERS, 79, "d_ff = self.d_model * {}", 4, "feed-forward width 4 x d_model"),
    "encoder_layer": _code(_CLASSIFIERS, 51, "TransformerEncoderLayer(d_model, n_heads, dim_feedforward=d_ff, "
                           "dropout=dropout)", "post-norm ReLU", "torch's TransformerEncoderLayer (post-norm, ReLU)"),
    "final_norm": _code(_CLASSIFIERS, 53, "TransformerEncoder(encoder_layers, n_layers, norm=norm)", True,
                        "a LayerNorm after the encoder stack"),
    "uniform_tokens": _code(_CLASSIFIERS, 82, "nn.Parameter(torch.rand((1, 1, self.d_model)", "U[0, 1)",
                            "<SEP> and <CLS> vectors drawn uniform in [0, 1)"),
    "single_total_len": _code(_CLASSIFIERS, 76, "self.total_len = sum(lengths) + len(lengths) + 1",
                              "sum(lengths) + len(lengths) + 1",
                              "the single-transformer's total length: the training lengths, a <SEP> each, one <CLS>"),
    "single_position_rows": _code(_CLASSIFIERS, 83, "PositionalEncoding(self.d_model, learned=True, "
                                  "max_len=self.total_len)", "total_len",
                                  "the released single-transformer sizes each position table to that total"),
    "position_default": _code(_CLASSIFIERS, 176, "def __init__(self, d_model, dropout={dropout}, max_len={rows}, "
                              "learned=False)", {"dropout": 0.1, "rows": 5000},
                              "PositionalEncoding's defaults: 5,000 rows, dropout 0.1"),
    "single_position_dropout": _code(_CLASSIFIERS, 83, "PositionalEncoding(self.d_model, learned=True, "
                                     "max_len=self.total_len)", "the default",
                                     "the single-transformer passes no dropout to its tables, so they take the "
                                     "default"),
    "multi_input_len": _code(_CLASSIFIERS, 135, "input_len = feature_lengths[feature_name] + 1", "length + 1",
                             "the multi-transformer's tables: the configured length plus the <CLS>"),
    "multi_position_rows": _code(_CLASSIFIERS, 147, "d_model=d, n_layers=n_layers, n_heads=n_heads, "
                                 "max_input_len=input_len,", "length + 1", "passed as each table's rows"),
    "multi_lengths": _code(_CONFIG, 122, "args.feature_lengths[key] -= {}", 1,
                           "the multi-transformer's configured lengths are the training lengths minus this"),
    "multi_own_width": _code(_CLASSIFIERS, 124, "learned_position=True, d_model={}):", -1,
                             "the multi-transformer's default d_model -1: each stream at its own width"),
    "singular_features": _code(_CLASSIFIERS, 6, "SINGULAR_FEATURES = ('asr_sentiment', 'ocr_sentiment')",
                               ("asr_sentiment", "ocr_sentiment"),
                               "one-vector text features skip the transformer and go to the head"),
    "mlp_layers": _code(_CLASSIFIERS, 22, "sizes = [input_size] + [d_layers] * (n_layers - 1) + [d_output]",
                        "one linear layer at n_layers 1",
                        "n_layers 1 builds one linear layer; dropout only between layers"),
    # configuration and training
    "learning_rate": _code(_CONFIG, 23, "parser.add_argument('--lr', type=float, default={},", 1e-5,
                           "learning rate 1e-5"),
    "clip_grad_norm": _code(_CONFIG, 25, "parser.add_argument('--clip', type=float, default={:.1f},", 1.0,
                            "gradients clipped at norm 1"),
    "batch_size": _code(_CONFIG, 27, "parser.add_argument('--batch_size', type=int, default={},", 32,
                        "batches of 32"),
    "dropout": _code(_CONFIG, 29, "parser.add_argument('--dropout', type=float, default={},", 0.0,
                     "dropout 0 unless asked for"),
    "patience": _code(_CONFIG, 77, "parser.add_argument('--patience', type=int, default={},", 100_000,
                      "patience: steps without a better validation mAP, counted a check at a time"),
    "eval_step": _code(_CONFIG, 41, "parser.add_argument('--eval_step', type=int, default={},", 25_000,
                       "validated every 25,000 steps"),
    "standardize": _code(_CONFIG, 53, "parser.add_argument('--standardize', action='store_true',", False,
                         "inputs not standardised unless asked for"),
    "amp": _code(_CONFIG, 83, "args.amp = not args.no_amp", True, "mixed precision on unless --no_amp"),
    "autocast": _code(_TRAIN, 187, "with torch.cuda.amp.autocast(enabled=self.config['amp']):", True,
                      "forward and loss under CUDA autocast"),
    "feature_lengths": _code(_CONFIG, 105, "'beats': {beats},   # 137.5\n'clip': {clip},    # 150.5\n"
                             "'face_emotion': {face_emotion},    # 78.0",
                             {"clip": 160, "beats": 144, "face_emotion": 80},
                             "their training lengths: the upper whiskers 150.5, 137.5 and 78.0 rounded up"),
    "whiskers_rounded": _code(_CONFIG, 101, "# that are slightly larger than the upper whiskers", "rounded up",
                              "the lengths are chosen slightly above the whiskers"),
    "their_features": _code(_CONFIG, 124, "args.feature_dims = {{", ("asr_sentiment", "beats", "clip", "face_emotion",
                                                                     "ocr_sentiment"),
                            "their features: CLIP, BEATs, face emotion, ASR and OCR sentiment"),
    "no_mask": _code(_CLASSIFIERS, 114, "x = self.transformer(x)", "no mask",
                     "the single-transformer runs its encoder without a padding mask (the multi likewise, line 164)"),
    "stop_check": _code(_TRAIN, 240, "if self.not_improving >= self.config['patience']:\n\n"
                        "return train_loss, self.best_result\nself.not_improving += self.config['eval_step']",
                        "checked before counting",
                        "a validation without improvement stops training once the count has reached the patience, "
                        "else adds eval_step to it"),
    "test_batches": _code(_TRAIN, 69, "self.tst_loader = torch.utils.data.DataLoader(self.tst_loader, "
                          "batch_size=self.config['batch_size'],", "batches",
                          "the test split is scored in batches of the training batch size"),
    "random_frames": _code(_DATASET, 152, "inds = sorted(random.sample(range(source_length), target_length))",
                           "random", "the unreachable branch: sorted random frames"),
    "best_model": _code(_TRAIN, 230, "if (metrics['map_macro'] > self.best_result):", "best validation mAP",
                        "the model of best validation mAP is kept"),
    "positive_weight": _code(_TRAIN, 78, "pos_weight = torch.ones((args.n_labels)) * args.pos_weight", "pos_weight",
                             "BCEWithLogitsLoss with a weight on positive labels"),
    "train_mode": _code(_DATASET, 151, "if self.mode == 'train':    # Random frames", "never",
                        "the random-frames branch tests mode 'train'"),
    "modes": _code(_DATASET, 136, "assert self.mode in ('trn', 'val', 'tst')", ("trn", "val", "tst"),
                   "but the modes are 'trn', 'val' and 'tst', so training takes equidistant frames"),
    "equidistant": _code(_DATASET, 154, "inds = u.equidistant_indices(source_length, target_length)", "equidistant",
                         "a longer sequence is cut to its length by equidistant frames"),
    "zero_padding": _code(_DATASET, 78, "np.pad(", "zeros", "a shorter one is padded with zeros"),
    "missing_zeros": _code(_DATASET, 60, "torch.zeros((", "zeros", "a missing feature becomes zeros"),
    # data preparation and inference
    "opus_bitrate": _code("preprocessing/src/download_movienet.py", 104, "\"-b:a\", \"{:k}\"", 16_000,
                          "their download script encodes Opus at 16 kbit/s"),
    "min_height": _code("preprocessing/src/download_movienet.py", 27, "min_height = {}", 300,
                        "their download script's lowest video height"),
    "smallest_audio": _code("preprocessing/src/video_utils.py", 60, "# no audio, need to get it also (smallest "
                            "file)\naudios = sorted(audios, key=lambda x:x[\"FILESIZE\"])", "smallest file",
                            "a video stream without audio gets the audio stream of the smallest file"),
    "scale": _code("preprocessing/src/download_movienet.py", 103, "scale=-1:{{min_height}}", "min_height",
                   "and scales the video to min_height pixels high"),
    "scene_threshold": _code("preprocessing/src/video_utils.py", 140,
                             "def video_to_midscenes(input_path,  threshold={},", 0.27,
                             "FFmpeg's scene score threshold 0.27"),
    "clip_package": _code("preprocessing/src/feature_extractors.py", 7, "import {}", "clip",
                          "CLIP through OpenAI's clip package"),
    "whisper_model": _code("preprocessing/src/feature_extractors.py", 167, 'model_id = "{}"',
                           "openai/whisper-large-v3", "Whisper large-v3 (tiny only when asked for)"),
    "whisper_package": _code("preprocessing/src/feature_extractors.py", 169,
                             "model = {}.AutoModelForSpeechSeq2Seq.from_pretrained(", "transformers",
                             "Whisper through Hugging Face transformers"),
    "language_detector": _code("preprocessing/src/feature_extractors.py", 561, 'model="{}",',
                               "papluca/xlm-roberta-base-language-detection", "the text's language: XLM-RoBERTa"),
    "ocr_language": _code("preprocessing/src/feature_extractors.py", 602, "lang='{}',", "en",
                          "PaddleOCR's English models"),
    "clip_model": _code("preprocessing/src/feature_extractors.py", 287, "def __init__(self, model='{}'):",
                        "ViT-B/32", "CLIP ViT-B/32 with OpenAI's weights"),
    "inference_softmax": _code("classification/src/inference.py", 156, "output = torch.nn.functional.softmax(output)",
                               "softmax", "their single-video script prints softmax outputs"),
    "inference_lengths": _code("classification/src/inference.py", 134, "if source_length > target_length:",
                               "equidistant", "and cuts a longer video to the training length by equidistant frames"),
}


def cite(key: str) -> str:
    """Where a registered fact rests: ``§3.2.6`` for the paper, ``classifiers.py:83@caac031`` for the code
    (``config.py:105-107@caac031`` for a fact over several lines)."""
    if key in PAPER:
        return f"§{PAPER[key].section}"
    fact = AUTHORS[key]
    last = fact.line + fact.found.count("\n")
    lines = f"{fact.line}-{last}" if last > fact.line else f"{fact.line}"
    return f"{Path(fact.file).name}:{lines}@{COMMIT[:7]}"


# ---- checking the registries against the sources -------------------------------------------------------
