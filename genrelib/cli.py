"""Command line: ``genrelib <command>``; ``genrelib --help`` lists the commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import labels


def _download_movienet(args) -> None:
    for path in labels.download_movienet(args.dest):
        print(f"{path}  sha256 {labels.sha256_of(path)}  ok")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genrelib", description="Trailer genre classification book tools")
    commands = parser.add_subparsers(dest="command", required=True)
    download = commands.add_parser("download-movienet", help="fetch the MovieNet label file and the paper's "
                                   "splits, verifying their sha256 (needs internet)")
    download.add_argument("--dest", type=Path, required=True, help="directory to write into")
    download.set_defaults(run=_download_movienet)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (labels.LabelFileError, OSError, ValueError) as exc:
        print(f"genrelib {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
