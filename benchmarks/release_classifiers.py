"""Time and peak memory of `genrelib evaluate-release-classifiers` on the release's full test split.

A synthetic release of the published format holds the 5,282 test trailers of MovieNet's split (real ids, lengths
following each trailer's duration, as :func:`genrelib.release.reference.write_synthetic_release` writes them); it is
imported, three classifiers are written in the authors' exact layout with random weights
(:func:`genrelib.release.reference.write_synthetic_classifiers`, widths of their ``config.py``'s defaults unless
``--d-model`` says otherwise), and the command scores them in a child process whose time and peak resident memory are
read, once per protocol. Random weights cost the same arithmetic as trained ones.

    python -m benchmarks.release_classifiers [--test-videos 5282] [--d-model 1280]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from genrelib import release
from genrelib.data import labels
from genrelib.release import reference as testing

LENGTHS = {"asr_sentiment": 1, "beats": 144, "clip": 160, "face_emotion": 80, "ocr_sentiment": 1}  # config.py's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test-videos", type=int, default=5282)
    parser.add_argument("--d-model", type=int, default=1280, help="the transformers' width (config.py: 1,280)")
    args = parser.parse_args()
    movienet, splits = labels.load_labels(), labels.load_splits()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        pickle_path = testing.write_synthetic_release(folder / "features.pkl", movienet, splits,
                                              {"trn": 32, "val": 8, "tst": args.test_videos})
        store = release.import_authors_features(pickle_path, folder / "store", splits, trust_pickle=True)
        pickle_path.unlink()
        dims = {name: m.dim for name, m in store.modalities.items()}
        testing.write_synthetic_classifiers(folder / "release", dims, LENGTHS,
                                            widths={"single_transformer": args.d_model,
                                                    "multi_transformer": args.d_model})
        print(f"{len(store.indices('tst')):,} test trailers of a synthetic release; transformers of width "
              f"{args.d_model}")
        for protocol in release.PROTOCOLS:
            start = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-m", "genrelib.cli", "evaluate-release-classifiers",
                                      "--release", str(folder / "release"), "--store", str(folder / "store"),
                                      "--protocol", protocol], stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            if status:
                raise SystemExit(f"evaluate-release-classifiers failed with status {status}")
            print(f"{protocol} protocol: the three classifiers in {time.perf_counter() - start:.0f} s, peak RSS "
                  f"{usage.ru_maxrss / 1024 ** 2:.2f} GiB", flush=True)


if __name__ == "__main__":
    main()
