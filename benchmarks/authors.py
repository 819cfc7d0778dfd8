"""Our training step against the authors' classes, on the same model, weights and batches.

The reference is the authors' architecture rebuilt from torch's own ``nn.TransformerEncoder`` /
``nn.Linear`` (:mod:`genrelib.release.reference`, the classes the architecture tests compare with),
trained as their ``train.py`` trains it: ``torch.optim.Adam``, ``BCEWithLogitsLoss`` with the positive
weight, gradients clipped for the transformers. Ours is genrelib's model in the paper configuration with
the same weights, trained by ``genrelib.training.loop.train_epoch`` (fused Adam). Every batch is 32 videos at
the paper's widths, each sequence at its full training length (CLIP 216, Audiotag 140, Musicnet 18, OCR 64,
ASR 86): what the paper configuration's zero padding makes of every training batch, so both compute the
same function. Rounds alternate ours and theirs in one process; the medians and the median of the paired
ratios are printed. ``--profile`` adds where our step's time goes; each model's share of this machine's
float32 matrix-multiply peak is its step's FLOPs (counted by torch) over its time.

    python -m benchmarks.authors [--rounds 7] [--models mlp single-transformer multi-transformer] [--profile]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from genrelib import models, release, training
from genrelib.release.reference import ReferenceMLP, ReferenceMulti, ReferenceSingle
from genrelib.sources import paper

TARGETS = {"mlp": 1.0, "single-transformer": 1.5, "multi-transformer": 1.5}  # issue 32, per full-length step


def reference_for(kind: str, dims: dict[str, int]) -> torch.nn.Module:
    if kind == "mlp":
        return ReferenceMLP(dims)
    if kind == "single-transformer":
        return ReferenceSingle(dims)
    return ReferenceMulti(dims, dict.fromkeys(dims, models.PAPER_POSITION_ROWS))


def batch(batch_size: int = 32, seed: int = 0) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    values = {name: torch.randn(batch_size, paper.TRAIN_LENGTHS[name], dim, generator=generator)
              for name, dim in sorted(paper.FEATURE_DIMS.items())}
    return values, torch.randint(0, 2, (batch_size, models.N_GENRES), generator=generator).float()


def as_padded(values: dict[str, torch.Tensor]) -> dict[str, models.Padded]:
    return {name: models.Padded(v, torch.ones(v.shape[:2], dtype=torch.bool)) for name, v in values.items()}


def pair(kind: str):
    """(ours, reference, our step, their step) with the same weights; each step trains on one batch."""
    dims = dict(sorted(paper.FEATURE_DIMS.items()))
    torch.manual_seed(0)
    theirs = reference_for(kind, dims)
    ours = models.build_model(kind, dims)
    ours.load_state_dict({release.theirs_to_ours(kind, k): v.reshape(ours.state_dict()[
        release.theirs_to_ours(kind, k)].shape) for k, v in theirs.state_dict().items()})
    config = training.TrainConfig()
    our_optimizer, loss = training.adam(ours, config), training.loss_function(config)
    their_optimizer = torch.optim.Adam(theirs.parameters(), lr=config.learning_rate)
    clip = training.gradient_clip(ours, config)
    values, targets = batch()
    padded = as_padded(values)

    def our_step():
        training.train_epoch(ours, [(padded, targets)], our_optimizer, loss, clip)

    def their_step():
        theirs.train()
        output = theirs({name: v.clone() for name, v in values.items()})
        their_optimizer.zero_grad()
        loss(output, targets).backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(theirs.parameters(), clip)
        their_optimizer.step()

    return ours, theirs, our_step, their_step


def seconds(step, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return (time.perf_counter() - start) / calls


def step_flops(step) -> int:
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def matmul_peak(size: int = 2048, calls: int = 10) -> float:
    """This machine's float32 matrix-multiply rate in GFLOP/s (the best of a few large products)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = min(seconds(lambda: a @ b, 1) for _ in range(calls))
    return 2 * size ** 3 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--models", nargs="+", default=list(TARGETS))
    parser.add_argument("--profile", action="store_true", help="where our step's time goes (torch.profiler)")
    args = parser.parse_args()
    peak = matmul_peak()
    print(f"{torch.get_num_threads()} CPU threads; float32 matmul peak {peak:.0f} GFLOP/s; batch 32 at the paper's "
          f"widths and full training lengths {paper.TRAIN_LENGTHS}")
    print(f"{'model':<20}{'ours s/step':>12}{'theirs s/step':>14}{'speed-up':>10}{'target':>8}"
          f"{'ours % of peak':>16}{'theirs % of peak':>18}")
    for kind in args.models:
        ours, theirs, our_step, their_step = pair(kind)
        calls = 20 if kind == "mlp" else 1
        for step in (our_step, their_step):  # warm-up: first-call allocations
            step()
        mine, other = [], []
        for _ in range(args.rounds):
            mine.append(seconds(our_step, calls))
            other.append(seconds(their_step, calls))
        ratio = statistics.median(t / m for m, t in zip(mine, other, strict=True))
        flops = step_flops(our_step), step_flops(their_step)
        share = [100 * f / t / 1e9 / peak for f, t in zip(flops, (statistics.median(mine), statistics.median(other)),
                                                          strict=True)]
        print(f"{kind:<20}{statistics.median(mine):>12.4f}{statistics.median(other):>14.4f}{ratio:>9.2f}x"
              f"{TARGETS.get(kind, 0):>7.1f}x{share[0]:>15.1f}%{share[1]:>17.1f}%", flush=True)
        if args.profile:
            with torch.profiler.profile() as profiler:
                our_step()
            print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
