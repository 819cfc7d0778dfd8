"""Training and inference throughput and peak memory of the three classifiers on this machine's CPU.

Shapes are the paper's: its five feature sizes, its training lengths, batch 32
for training; inference runs one video at a time on full-length sequences of
``--test-frames`` times the training length. Each model runs in its own
process so that the peak resident memory belongs to it alone.

    python -m benchmarks.classifiers [--steps 5] [--test-frames 1.5]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time

import torch

from genrelib import models
from genrelib.sources import paper
from genrelib.training.loop import TrainConfig, adam, gradient_clip, loss_function, train_epoch

WARM_UP = 3  # untimed first calls: one-off allocations
MIN_SECONDS = 2.0  # a fast model repeats its calls for at least this long, so that one hiccup cannot dominate


def calls_per_second(call, at_least: int) -> float:
    for _ in range(WARM_UP):
        call()
    calls, start = 0, time.perf_counter()
    while calls < at_least or time.perf_counter() - start < MIN_SECONDS:
        call()
        calls += 1
    return calls / (time.perf_counter() - start)


def random_batch(batch_size: int, scale: float) -> dict[str, models.Padded]:
    batch = {}
    for name, dim in paper.FEATURE_DIMS.items():
        frames = max(1, round(paper.TRAIN_LENGTHS[name] * scale))
        batch[name] = models.Padded(torch.randn(batch_size, frames, dim), torch.ones(batch_size, frames, dtype=bool))
    return batch


def measure(kind: str, steps: int, test_scale: float, queue) -> None:
    torch.manual_seed(0)
    model = models.build_model(kind, paper.FEATURE_DIMS)
    config = TrainConfig()
    optimizer = adam(model, config)
    loss_fn = loss_function(config)
    # the MLP trains on each video's temporal mean, computed once (batches.TemporalMeans): one frame per sequence
    batch = random_batch(config.batch_size, 0.0 if model.reads_only_temporal_means else 1.0)
    targets = torch.randint(0, 2, (config.batch_size, models.N_GENRES)).float()

    def step():
        train_epoch(model, [(batch, targets)], optimizer, loss_fn, gradient_clip(model, config))

    train_rate = config.batch_size * calls_per_second(step, steps)
    model.eval()
    video = random_batch(1, test_scale)
    with torch.no_grad():
        infer_rate = calls_per_second(lambda: model(video), steps * 4)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((kind, models.count_parameters(model), train_rate, infer_rate, peak_mib))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--test-frames", type=float, default=1.5, help="test length as a multiple of training length")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    print(f"CPU threads: {torch.get_num_threads()}; batch 32; training lengths {paper.TRAIN_LENGTHS}")
    print(f"{'model':<20}{'parameters':>12}{'paper':>11}{'train samples/s':>17}"
          f"{'infer videos/s':>16}{'peak RSS MiB':>14}")
    for kind in models.MODELS:
        worker = context.Process(target=measure, args=(kind, args.steps, args.test_frames, queue))
        worker.start()
        name, params, train_rate, infer_rate, peak = queue.get()
        worker.join()
        printed = paper.PARAMETER_COUNTS.get(name)
        print(f"{name:<20}{params:>12,}{printed or 0:>11,}{train_rate:>17.1f}{infer_rate:>16.1f}"
              f"{peak:>14.0f}")


if __name__ == "__main__":
    main()
