"""Seconds per minute of trailer for each extractor, and for all of them, on this machine's CPU.

The trailer is a one-minute demo clip (``genrelib.demo``, needs espeak-ng); each
extractor runs once to warm up, then ``--repeats`` times on the same decoded
media, so decoding is counted once, separately.

    python -m benchmarks.extractors [--backend offline] [--repeats 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from genrelib import demo
from genrelib.extractors import Trailer, build_extractors


def one_minute_clip(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    plan = demo.plan_clip(("Horror", "Comedy"), rng, scenes=26)
    return demo.render_clip(folder / "minute.mp4", plan, rng, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="offline")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = one_minute_clip(Path(folder))
        start = time.perf_counter()
        trailer = Trailer(path)
        trailer.keyframes, trailer.audio(16_000), trailer.audio(32_000)  # decode once
        decode = time.perf_counter() - start
        minutes = trailer.info.duration / 60
        print(f"{args.backend} backend, {torch.get_num_threads()} CPU threads, clip of {trailer.info.duration:.1f} s "
              f"with {len(trailer.keyframes.images)} keyframes")
        rows = {"decode (keyframes + audio)": decode}
        for extractor in build_extractors(args.backend):
            extractor.extract(trailer)
            start = time.perf_counter()
            for _ in range(args.repeats):
                extractor.extract(trailer)
            rows[f"{extractor.modality} ({extractor.backend})"] = (time.perf_counter() - start) / args.repeats
    print(f"{'stage':<44}{'s per minute of trailer':>24}")
    for name, seconds in rows.items():
        print(f"{name:<44}{seconds / minutes:>24.2f}")
    print(f"{'all':<44}{sum(rows.values()) / minutes:>24.2f}")


if __name__ == "__main__":
    main()
