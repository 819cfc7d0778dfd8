"""Seconds per minute of trailer for each extractor, and for all of them, on this machine's CPU.

The trailer is a real one by default: Big Buck Bunny's (55 s, 720p, CC-BY 3.0),
read from ``../shared/media/bbb_trailer.mp4``. On any machine it can be had from
the package registry: it is
``docs/_static/medias/getting_started/moviepy_10_minutes/trailer_bbb.mp4`` in the
moviepy 2.2.1 source distribution (``pip download --no-deps --no-binary :all:
moviepy==2.2.1``, then untar); pass its path with ``--video``. Decoding
(keyframes and audio, once for all extractors) is timed as its own stage; each
extractor runs once to warm up, then ``--repeats`` times.

    python -m benchmarks.extractors [--video PATH] [--backend offline] [--repeats 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from genrelib import datasets
from genrelib.extractors import Trailer, build_extractors

PAPER_SECONDS_PER_MINUTE = 33.6 / 2  # the paper's all-features runtime, 33.6 s per (two-minute) video on a GPU


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, default=None, help="default: the Big Buck Bunny trailer")
    parser.add_argument("--backend", default="offline")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    video = args.video or datasets.sample_trailer()
    if video is None:
        raise SystemExit(f"no video: {datasets.SAMPLE_TRAILER} is absent; pass --video (see this module's help)")
    start = time.perf_counter()
    trailer = Trailer(video)
    trailer.keyframes, trailer.audio(16_000), trailer.audio(32_000)  # decoded once, shared by the extractors
    rows = {"decode (keyframes + audio)": time.perf_counter() - start}
    minutes = trailer.info.duration / 60
    print(f"{args.backend} backend, {torch.get_num_threads()} CPU threads, {video.name}: "
          f"{trailer.info.duration:.1f} s, {len(trailer.keyframes.images)} keyframes")
    for extractor in build_extractors(args.backend):
        extractor.extract(trailer)
        start = time.perf_counter()
        for _ in range(args.repeats):
            extractor.extract(trailer)
        rows[f"{extractor.modality} ({extractor.backend})"] = (time.perf_counter() - start) / args.repeats
    print(f"{'stage':<44}{'s per minute of trailer':>24}")
    for name, seconds in rows.items():
        print(f"{name:<44}{seconds / minutes:>24.2f}")
    print(f"{'all':<44}{sum(rows.values()) / minutes:>24.2f}   (target: the paper's GPU budget, "
          f"{PAPER_SECONDS_PER_MINUTE:.1f})")


if __name__ == "__main__":
    main()
