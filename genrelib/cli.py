"""Command line: ``genrelib <command>``; ``genrelib --help`` lists the commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genrelib.common import files
from genrelib.common.paths import default_paths
from genrelib.data import labels
from genrelib.data.media import MediaError
from genrelib.data.store import StoreError
from genrelib.features.extractors import WeightsMissing, weights
from genrelib.release import import_authors_features


def _download_movienet(args) -> None:
    found = labels.default_movienet_dir()
    if args.if_missing and all((found / name).is_file() for name in labels.MOVIENET_FILES):
        print(f"MovieNet label files found in {found}; nothing to download")
        return
    for path in labels.download_movienet(args.dest or labels.downloaded_movienet_dir()):
        print(f"{path}  sha256 {files.sha256_of(path)}  ok")


def _verify_sources(args) -> None:
    from genrelib.sources import evidence, verify

    problems = []
    if args.paper_text:
        problems += verify.check_paper(args.paper_text.read_text())
        print(f"{len(evidence.PAPER)} facts about the paper checked against {args.paper_text}")
    if args.authors_repo:
        problems += verify.check_authors_code(args.authors_repo)
        print(f"{len(evidence.AUTHORS)} facts about the authors' code checked against {args.authors_repo} "
              f"at {evidence.COMMIT[:7]}")
    if not (args.paper_text or args.authors_repo):
        raise ValueError("name --paper-text FILE, --authors-repo DIR, or both")
    if problems:
        raise ValueError(f"{len(problems)} facts do not hold:\n  " + "\n  ".join(problems))
    print("every fact holds")


def _download_paper_weights(args) -> None:
    print(f"the paper backend's weights are in {weights.download(args.dest)}")


def _download_authors_release(args) -> None:
    from genrelib.release import download

    for path in download(args.dest, args.classifiers, args.url_template):
        print(f"{path}  {path.stat().st_size:,} bytes  ok")


def _import_features(args) -> None:
    from genrelib.features.stores import authors_store_path

    store = import_authors_features(args.pickle, args.out or authors_store_path(default_paths()),
                                    labels.load_splits(args.movienet_dir), trust_pickle=args.trust_pickle)
    print(f"{store.path}: {len(store)} videos, modalities {sorted(store.modalities)}")


def _evaluate_release_classifiers(args) -> None:
    from genrelib.data.store import FeatureStore
    from genrelib.features.stores import authors_store_path, describe
    from genrelib.release import CLASSIFIERS, evaluate_classifiers

    store = FeatureStore(args.store or authors_store_path(default_paths()))
    results = evaluate_classifiers(args.release, store, args.protocol, args.models or CLASSIFIERS)
    print(f"The authors' published classifiers ({args.release}), scored here under the {args.protocol} protocol")
    print(describe(store))
    for kind, result in results.items():
        scores = result["scores"]
        print(f"\n{kind}: P@0.5 {scores.precision:.2f}  R@0.5 {scores.recall:.2f}  mAP {scores.map:.2f}  "
              f"({len(store.indices('tst')):,} test videos, {result['capped']:,} capped to fit a position table; "
              f"{result['seconds']:.0f} s)")
        print(scores.per_genre[["precision", "recall", "ap", "positives"]].round(2).to_string())


def _download_trailers(args) -> None:
    from genrelib.data.trailers import download_trailers

    if args.ids:
        ids = args.ids
    else:
        splits = labels.load_splits(args.movienet_dir)
        ids = [i for name in (labels.SPLIT_NAMES if args.split == "all" else [args.split]) for i in splits[name]]
    report = download_trailers(ids, args.dest, args.url_template, args.workers, args.retry_failed, args.limit,
                               args.interval)
    print(f"{args.dest}: {len(report.done)} stored, {len(report.skipped)} skipped (stored before, or failed before: "
          f"--retry-failed retries those), {len(report.failed)} failed")
    for youtube_id, failure in report.failed.items():
        print(f"  {youtube_id}: {failure['reason']}: {failure['message']}")


def _extract(args) -> None:
    from genrelib.features.extraction import ERROR_LOG, compile_store, extract_videos, trailer_files
    from genrelib.features.extractors import build_extractors

    videos = trailer_files(args.trailers)
    report = extract_videos(videos, args.cache, args.backend, workers=args.workers, dask_address=args.dask)
    movienet, splits = labels.load_labels(args.movienet_dir), labels.load_splits(args.movienet_dir)
    split_of = {video: name for name, ids in splits.items() for video in ids}
    extracted = [v for v in videos if v not in report.failed and v in split_of]
    store = compile_store(args.cache, args.out, dict(zip(extracted, movienet.multi_hot(extracted), strict=True)),
                          split_of, [e.spec() for e in build_extractors(args.backend)],
                          f"MovieNet trailers from {args.trailers.name}, {args.backend} extractors")
    print(f"{store.path}: {len(store)} videos; extracted {len(report.done)}, reused {len(report.skipped)}, "
          f"failed {len(report.failed)}")
    unlabelled = [v for v in videos if v not in report.failed and v not in split_of]
    if unlabelled:
        print(f"  not in the store: {len(unlabelled)} extracted video(s) whose id is no trailer of the MovieNet "
              f"label file and split ({', '.join(unlabelled[:5])}{' ...' if len(unlabelled) > 5 else ''}): name a "
              f"file by its YouTube id to label it; its features stay in {args.cache}")
    if report.failed:
        print(f"  failures, also in {args.cache / ERROR_LOG}:")
    for video, error in report.failed.items():
        print(f"  {video}: {error}")


def _predict(args) -> None:
    from genrelib.evaluation.predict import predict_video  # loads torch and the extractors: only for this command

    # by default the multi-transformer that chapter 4 trains on the demo corpus, looked up when asked for: importing
    # this module must not make folders in the artifacts
    checkpoint = args.checkpoint or default_paths().checkpoint("multi-transformer", "demo-offline")
    prediction = predict_video(args.video, checkpoint, args.backend, args.top, release_config=args.release_config,
                               cover_as_video=args.cover_as_video)
    print(prediction.report())


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

    verify = commands.add_parser("verify-sources", help="check the facts genrelib.sources.evidence registers "
                                 "against the paper's text and a git checkout of the authors' repository")
    verify.add_argument("--paper-text", type=Path, default=None, help="the paper as Markdown (sulun2024.md)")
    verify.add_argument("--authors-repo", type=Path, default=None,
                        help="a clone of serkansulun/trailer-genre-classification holding commit caac031")
    verify.set_defaults(run=_verify_sources)

    weights = commands.add_parser("download-paper-weights", help="fetch CLIP ViT-B/32, PANNs Cnn14, Whisper small "
                                  "and DistilBERT into the one folder the paper backend reads (needs internet)")
    weights.add_argument("--dest", type=Path, default=None,
                         help="default: $GENRELIB_PAPER_WEIGHTS, else ~/.cache/genrelib/paper")
    weights.set_defaults(run=_download_paper_weights)

    authors = commands.add_parser("download-authors-release", help="fetch the authors' features.pkl (zenodo "
                                  "record 13909366, several GB; resumable, checksum recorded) and, optionally, "
                                  "their classifiers")
    authors.add_argument("--dest", type=Path, required=True, help="folder to write into")
    authors.add_argument("--classifiers", action="store_true", help="also the three trained classifiers")
    authors.add_argument("--url-template", default="https://zenodo.org/records/13909366/files/{name}?download=1",
                         help="where a file is, {name} standing for its name (a mirror)")
    authors.set_defaults(run=_download_authors_release)

    imported = commands.add_parser("import-features", help="convert the authors' released features.pkl "
                                   "(zenodo record 13909366) into a feature store, once")
    imported.add_argument("pickle", type=Path)
    imported.add_argument("--out", type=Path, default=None,
                          help="store directory to write (default: where `store: authors` reads, in the artifacts)")
    imported.add_argument("--movienet-dir", type=Path, default=None, help="folder with splits.json")
    imported.add_argument("--trust-pickle", action="store_true",
                          help="required: reading a pickle runs code stored in it")
    imported.set_defaults(run=_import_features)

    scored = commands.add_parser("evaluate-release-classifiers", help="score the authors' three trained classifiers "
                                 "on the imported release's test split: macro and per-genre P/R at 0.5 and AP")
    scored.add_argument("--release", type=Path, required=True, help="folder with mlp.pt, mlp_config.pt, ... "
                        "(genrelib download-authors-release --classifiers)")
    scored.add_argument("--store", type=Path, default=None, help="the imported release (default: where "
                        "`genrelib import-features` writes it)")
    scored.add_argument("--protocol", choices=["paper", "authors"], default="paper",
                        help="paper: one video at a time at full length; authors: their inference, cut or padded "
                        "with zeros to the training length")
    scored.add_argument("--models", nargs="+", choices=["mlp", "single_transformer", "multi_transformer"],
                        default=None, help="which of the three (default: all)")
    scored.set_defaults(run=_evaluate_release_classifiers)

    trailers = commands.add_parser("download-trailers", help="fetch MovieNet trailers with yt-dlp and store them as "
                                   "the paper did: lowest resolution >= 300 px, x265 CRF 23, mono Opus at 48 kbit/s")
    which = trailers.add_mutually_exclusive_group(required=True)
    which.add_argument("--split", choices=[*labels.SPLIT_NAMES, "all"], help="the YouTube ids of a split")
    which.add_argument("--ids", nargs="+", help="these YouTube ids")
    trailers.add_argument("--dest", type=Path, required=True, help="folder of <id>.mkv files")
    trailers.add_argument("--limit", type=int, default=None, help="at most this many new downloads")
    trailers.add_argument("--workers", type=int, default=4, help="downloads at a time")
    trailers.add_argument("--interval", type=float, default=1.0, help="seconds between download starts (politeness)")
    trailers.add_argument("--url-template", default="https://www.youtube.com/watch?v={id}",
                          help="where a trailer is, {id} standing for its YouTube id (a mirror, a test server)")
    trailers.add_argument("--retry-failed", action="store_true", help="try again the ids that failed before")
    trailers.add_argument("--movienet-dir", type=Path, default=None, help="folder with splits.json")
    trailers.set_defaults(run=_download_trailers)

    extract = commands.add_parser("extract", help="extract a folder of trailers into the resumable per-video cache, "
                                  "then a feature store of the labelled ones")
    extract.add_argument("trailers", type=Path, help="folder of <youtube id>.mkv/.mp4 files")
    extract.add_argument("--cache", type=Path, required=True, help="per-video cache (resumable)")
    extract.add_argument("--out", type=Path, required=True, help="feature store to write")
    extract.add_argument("--backend", choices=["offline", "paper"], default="offline")
    extract.add_argument("--workers", type=int, default=1, help="local processes")
    extract.add_argument("--dask", default=None, metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://host:8786")
    extract.add_argument("--movienet-dir", type=Path, default=None, help="folder with the label file and splits.json")
    extract.set_defaults(run=_extract)

    predict = commands.add_parser("predict", help="the 21 genre probabilities of a video file, with the "
                                  "modalities and moments that drove the top genres")
    predict.add_argument("video", type=Path)
    predict.add_argument("--checkpoint", type=Path, default=None, help="a model trained by chapter 3 or 4 "
                         "(default: chapter 4's multi-transformer on the demo corpus, in the artifacts folder)")
    predict.add_argument("--backend", default="offline", help="extractors the model was trained on")
    predict.add_argument("--top", type=int, default=3, help="how many top genres to explain")
    predict.add_argument("--release-config", type=Path, default=None, metavar="CONFIG_PT",
                         help="the checkpoint is one of the authors' released classifiers, with this config "
                         "(e.g. --checkpoint mlp.pt --release-config mlp_config.pt --backend paper)")
    predict.add_argument("--cover-as-video", action="store_true", help="read an audio file's cover picture as "
                         "a keyframe (by default such a file is read as audio only)")
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
