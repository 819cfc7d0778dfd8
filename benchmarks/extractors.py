"""Seconds per minute of trailer for each extractor, and for all of them, on this machine's CPU.

The trailer is a real one by default: Big Buck Bunny's (55 s, 720p, CC-BY 3.0),
read from ``../shared/media/bbb_trailer.mp4``. On any machine it can be had from
the package registry: it is
``docs/_static/medias/getting_started/moviepy_10_minutes/trailer_bbb.mp4`` in the
moviepy 2.2.1 source distribution (``pip download --no-deps --no-binary :all:
moviepy==2.2.1``, then untar); pass its path with ``--video``. Decoding
(keyframes and audio, once for all extractors) is timed as its own stage; each
extractor runs once to warm up, then ``--repeats`` times. ``--backend paper
--random-weights`` times the paper's architectures with random weights of the same
shapes (same arithmetic; Whisper's decoding capped, as random weights never stop).

    python -m benchmarks.extractors [--video PATH] [--backend offline|paper] [--random-weights] [--repeats 2]
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import torch

from genrelib.data import media
from genrelib.features import stores
from genrelib.features.extractors import build_extractors, stand_ins
from genrelib.features.timing import time_extractors
from genrelib.sources import paper

# the paper's all-features runtime per video on a GPU (Table 3), for a trailer of about two minutes
PAPER_SECONDS_PER_MINUTE = paper.TABLE_3["paper s/video (GPU)"].iloc[-1] / 2  # all features, a ~2-min trailer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, default=None, help="default: the Big Buck Bunny trailer")
    parser.add_argument("--backend", default="offline")
    parser.add_argument("--random-weights", action="store_true", help="paper backend with random stand-in weights")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    video = args.video or stores.sample_trailer()
    if video is None:
        raise SystemExit(f"no video: {stores.SAMPLE_TRAILER} is absent; pass --video (see this module's help)")
    print(f"{args.backend} backend{' (random weights)' if args.random_weights else ''}, "
          f"{torch.get_num_threads()} CPU threads, {video.name}: {media.probe(video).duration:.1f} s")
    with stand_ins.random_stand_ins() if args.random_weights else contextlib.nullcontext():
        rates = time_extractors(build_extractors(args.backend), [video] * args.repeats, args.backend)
    print(f"{'stage':<44}{'s per minute of trailer':>24}")
    for name, rate in rates.items():
        print(f"{name:<44}{rate:>24.2f}")
    print(f"{'all':<44}{rates.sum():>24.2f}   (target: the paper's GPU budget, {PAPER_SECONDS_PER_MINUTE:.1f})")


if __name__ == "__main__":
    main()
