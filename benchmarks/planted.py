"""Do the classifiers find sparse evidence? MLP vs single- vs multi-transformer on a planted store.

Each of a video's 1-3 genres adds its direction (times ``--strength``) to
``--evidence-frames`` frames among 20-80 Gaussian-noise frames. The reference
points come from rules that know the directions: the genre prior, the best
temporal mean (the MLP's ceiling) and the best single frame (what attention
can learn). Prints test mAP per model and its ratio to the MLP's.

    python -m benchmarks.planted [--strength 5] [--epochs 40] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from genrelib import experiments, models, planted, session, training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strength", type=float, default=5.0)
    parser.add_argument("--evidence-frames", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = planted.write_store(f"{folder}/planted", {"trn": 600, "val": 150, "tst": 300},
                                    strength=args.strength, evidence_frames=args.evidence_frames, seed=args.seed)
        print(f"{store.description}\nreferences (test mAP): "
              + ", ".join(f"{k} {v:.1f}" for k, v in experiments.oracle_maps(store, seed=args.seed).items()))
        results = {}
        for kind in ("mlp", "single-transformer", "multi-transformer"):
            session.seed_everything(args.seed)
            config = training.TrainConfig(learning_rate=args.learning_rate, max_epochs=args.epochs, patience=8,
                                          seed=args.seed)
            start = time.perf_counter()
            run = training.train_and_test(models.build_model(kind, {"clip": 64}), store, config,
                                          f"{folder}/{kind}.pt", progress=False)
            results[kind] = run.test_scores.map
            print(f"{kind:<20} test mAP {run.test_scores.map:6.2f}  ({run.test_scores.map / results['mlp']:.2f}x "
                  f"the MLP's; best epoch {run.training.best_epoch}, {time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
