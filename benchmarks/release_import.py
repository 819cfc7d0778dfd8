"""Time and peak memory of `genrelib import-features` on a synthetic release of the published format.

The real features.pkl holds 26,412 trailers. A synthetic release of a fraction of them (real MovieNet ids,
lengths following each trailer's duration: CLIP one 512-d frame per second, BEATs one 768-d vector per
1.5 s, face emotion one per 2 s, two 768-d text vectors) is written, then imported in a child process whose
peak resident memory is read. Writing streams the samples, so a fraction of 1 measures the full release
(a 14 GiB pickle; it needs about 30 GiB of free disk beside the RAM). Below that, two fractions give a line
(a fixed cost plus a cost per trailer), from which the full release's needs are extrapolated.

    python -m benchmarks.release_import [--fractions 0.05 0.15]   # make benchmark
    python -m benchmarks.release_import --fractions 1             # the full release
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from genrelib.data import labels
from genrelib.release import reference as testing

FULL = 26_412


def measure(fraction: float, movienet, splits) -> tuple[int, float, float, float]:
    """(trailers, pickle GiB, import seconds, peak RSS GiB) for a synthetic release of ``fraction`` of MovieNet."""
    counts = {name: round(len(ids) * fraction) for name, ids in splits.items()}
    with tempfile.TemporaryDirectory() as folder:
        pickle_path = testing.write_synthetic_release(Path(folder) / "features.pkl", movienet, splits, counts)
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "genrelib.cli", "import-features", str(pickle_path), "--out",
                                  f"{folder}/store", "--trust-pickle"], stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        if status:
            raise SystemExit(f"import-features failed with status {status}")
        return (sum(counts.values()), pickle_path.stat().st_size / 1024 ** 3, time.perf_counter() - start,
                usage.ru_maxrss / 1024 ** 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fractions", type=float, nargs="+", default=(0.05, 0.15))
    args = parser.parse_args()
    movienet, splits = labels.load_labels(), labels.load_splits()
    points = [measure(fraction, movienet, splits) for fraction in args.fractions]
    for trailers, size, seconds, peak in points:
        print(f"{trailers:,} trailers: pickle {size:.2f} GiB, import {seconds:.0f} s, peak RSS {peak:.2f} GiB")
    if max(args.fractions) >= 1 or len(points) < 2:
        return
    (n0, *first), (n1, *second) = points[-2:]
    full = [a + (b - a) / (n1 - n0) * (FULL - n0) for a, b in zip(first, second, strict=True)]
    print(f"extrapolated to {FULL:,} trailers: pickle {full[0]:.1f} GiB, import {full[1] / 60:.1f} min, "
          f"peak RSS {full[2]:.1f} GiB")


if __name__ == "__main__":
    main()
