"""Command line: ``genrelib <command>``; ``genrelib --help`` lists the commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import labels
from .extractors import WeightsMissing, weights
from .media import MediaError
from .paths import default_paths
from .store import StoreError, import_authors_features

# The multi-transformer that chapter 4 trains on the demo corpus.
DEFAULT_CHECKPOINT = default_paths().checkpoint("multi-transformer", "demo-offline")


def _download_movienet(args) -> None:
    found = labels.default_movienet_dir()
    if args.if_missing and all((found / name).is_file() for name in labels.MOVIENET_FILES):
        print(f"MovieNet label files found in {found}; nothing to download")
        return
    for path in labels.download_movienet(args.dest or labels.downloaded_movienet_dir()):
        print(f"{path}  sha256 {labels.sha256_of(path)}  ok")


def _download_paper_weights(args) -> None:
    print(f"the paper backend's weights are in {weights.download(args.dest)}")


def _import_features(args) -> None:
    store = import_authors_features(args.pickle, args.out, labels.load_splits(args.movienet_dir),
                                    trust_pickle=args.trust_pickle)
    print(f"{store.path}: {len(store)} videos, modalities {sorted(store.modalities)}")


def _predict(args) -> None:
    from .predict import predict_video  # loads torch and the extractors: only for this command

    print(predict_video(args.video, args.checkpoint, args.backend, args.top).report())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genrelib", description="Trailer genre classification book tools")
    commands = parser.add_subparsers(dest="command", required=True)
    download = commands.add_parser("download-movienet", help="fetch the MovieNet label file and the paper's "
                                   "splits, verifying their sha256 (needs internet)")
    download.add_argument("--dest", type=Path, default=None,
                          help="directory to write into (default: the artifacts folder, where the book looks)")
    download.add_argument("--if-missing", action="store_true",
                          help="do nothing when $GENRELIB_MOVIENET_DIR, ../shared/movienet or an earlier download "
                          "already holds the files")
    download.set_defaults(run=_download_movienet)

    weights = commands.add_parser("download-paper-weights", help="fetch CLIP ViT-B/32, PANNs Cnn14, Whisper small "
                                  "and DistilBERT into the one folder the paper backend reads (needs internet)")
    weights.add_argument("--dest", type=Path, default=None,
                         help="default: $GENRELIB_PAPER_WEIGHTS, else ~/.cache/genrelib/paper")
    weights.set_defaults(run=_download_paper_weights)

    imported = commands.add_parser("import-features", help="convert the authors' released features.pkl "
                                   "(zenodo record 13909366) into a feature store, once")
    imported.add_argument("pickle", type=Path)
    imported.add_argument("--out", type=Path, required=True, help="store directory to write")
    imported.add_argument("--movienet-dir", type=Path, default=None, help="folder with splits.json")
    imported.add_argument("--trust-pickle", action="store_true",
                          help="required: reading a pickle runs code stored in it")
    imported.set_defaults(run=_import_features)

    predict = commands.add_parser("predict", help="the 21 genre probabilities of a video file, with the "
                                  "modalities and moments that drove the top genres")
    predict.add_argument("video", type=Path)
    predict.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT,
                         help="a model trained by chapter 3 or 4 (default: %(default)s)")
    predict.add_argument("--backend", default="offline", help="extractors the model was trained on")
    predict.add_argument("--top", type=int, default=3, help="how many top genres to explain")
    predict.set_defaults(run=_predict)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (labels.LabelFileError, MediaError, WeightsMissing, StoreError, OSError, ValueError) as exc:
        print(f"genrelib {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
