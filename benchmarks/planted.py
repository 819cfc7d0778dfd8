"""Do the classifiers find sparse evidence? MLP vs single- vs multi-transformer on a planted store.

Each of a video's 1-3 genres adds its direction (times ``--strength``) to
``--evidence-frames`` frames among 20-80 Gaussian-noise frames. The reference
points come from rules that know the directions: the genre prior, the best
temporal mean (the MLP's ceiling) and the best single frame (what attention
can learn). Prints test mAP per model and its ratio to the MLP's.

    python -m benchmarks.planted [--strength 5] [--epochs 40] [--seed 0]
    python -m benchmarks.planted --strength 3 --train-videos 4000 --held-out 300 --models mlp genre-attention
"""

from __future__ import annotations

import argparse
import tempfile
import time

from genrelib import models, training
from genrelib.common import session
from genrelib.data import planted
from genrelib.evaluation import experiments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strength", type=float, default=5.0)
    parser.add_argument("--evidence-frames", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-videos", type=int, default=600)
    parser.add_argument("--held-out", type=int, nargs=2, default=(150, 300), metavar=("VAL", "TST"))
    parser.add_argument("--models", nargs="+", default=["mlp", "single-transformer", "multi-transformer"],
                        help="the first is the one the others are compared with")
    args = parser.parse_args()
    val, tst = args.held_out
    with tempfile.TemporaryDirectory() as folder:
        store = planted.write_store(f"{folder}/planted", {"trn": args.train_videos, "val": val, "tst": tst},
                                    strength=args.strength, evidence_frames=args.evidence_frames, seed=args.seed)
        print(f"{store.description}\nreferences (test mAP): "
              + ", ".join(f"{k} {v:.1f}" for k, v in experiments.oracle_maps(store, seed=args.seed).items()))
        results = {}
        for kind in args.models:
            session.seed_everything(args.seed)
            config = training.TrainConfig(learning_rate=args.learning_rate, max_epochs=args.epochs, patience=8,
                                          seed=args.seed)
            start = time.perf_counter()
            run = training.train_and_test(models.build_model(kind, {"clip": 64}), store, config,
                                          f"{folder}/{kind}.pt", progress=False)
            results[kind] = run.test_scores.map
            ratio = run.test_scores.map / results[args.models[0]]
            print(f"{kind:<20} test mAP {run.test_scores.map:6.2f}  ({ratio:.2f}x the {args.models[0]}'s; best epoch "
                  f"{run.training.best_epoch}, {time.perf_counter() - start:.0f} s)", flush=True)

if __name__ == "__main__":
    main()
