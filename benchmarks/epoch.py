"""One training epoch at MovieNet scale: samples per second and the time of an epoch over 18,488 trailers.

The store is synthetic (:mod:`genrelib.data.synthetic`, the paper's five feature widths) over the first
``--videos`` trailers of MovieNet's training split, so each modality's length follows that trailer's real
duration; training caps them at the paper's training lengths (CLIP 216, OCR 64, ASR 86, Audiotag 140,
Musicnet 18). Each transformer trains one epoch of the paper's recipe (batch 32, dropout 0.5) three ways:
the authors' classes (:mod:`genrelib.release.reference`, torch's own layers and Adam) on their batches, every
video cut or zero-padded to the training length and batches drawn at random; genrelib's model in the paper
configuration on the same batches; and genrelib's model with our options, masked padding and batches of
similar length. Batch assembly from the store counts; the time per sample is extrapolated to the 18,488
training trailers; the GPU is used when there is one. ``--store`` times the first ``--videos`` training
videos of a store of your own instead (e.g. the imported authors' release, with ``--lengths clip=216
beats=140 face_emotion=78``).

    python -m benchmarks.epoch [--videos 640] [--models multi-transformer single-transformer]
    python -m benchmarks.epoch --store artifacts/stores/authors --lengths clip=216 beats=140 face_emotion=78
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch

from benchmarks.authors import reference_for
from genrelib import models, training
from genrelib.common import session
from genrelib.data import labels, synthetic
from genrelib.data.store import FeatureStore
from genrelib.sources import paper
from genrelib.training import batches

EPOCH_VIDEOS = paper.SPLIT_SIZES["trn"]
WAYS = {"authors' classes": {}, "ours, paper configuration": {}, "ours, our options": training.OURS[
    "masked padding, batches by length"]}


def epoch_seconds(way: str, kind: str, store, videos: np.ndarray, config: training.TrainConfig) -> tuple[float, float]:
    """(seconds for one epoch over ``videos`` trained ``way``, mean padded input frames per video)."""
    device = config.device
    dims = {name: m.dim for name, m in sorted(store.modalities.items())}
    model = models.build_model(kind, dims)
    step_model = model
    if way == "authors' classes":
        step_model = reference_for(kind, dims)
        optimizer = torch.optim.Adam(step_model.parameters(), lr=config.learning_rate)
    else:
        optimizer = training.adam(model, config)
    step_model.to(device)
    loss_fn = training.loss_function(config, device)
    lengths = {name: config.train_lengths.get(name) for name in dims}
    padding = batches.Padding.for_training(config, lengths)
    rng = np.random.default_rng(0)
    tokens = batches.input_tokens(store, dims, lengths)
    chosen = batches.bucketed_batches(rng.permutation(videos), tokens, config.batch_size, config.bucket_batches, rng)

    def epoch_batches(groups):
        for group in groups:
            inputs, targets = batches.make_batch(store, group, dims, lengths, None, device, padding)
            if way == "authors' classes":  # their forward takes plain tensors
                inputs = {name: padded.values for name, padded in inputs.items()}
            yield inputs, targets

    clip = training.gradient_clip(model, config)
    training.train_epoch(step_model, epoch_batches(chosen[:1]), optimizer, loss_fn, clip)  # warm-up
    synchronize(device)
    start = time.perf_counter()
    frames = 0
    for inputs, targets in epoch_batches(chosen):
        frames += len(targets) * sum((v.values if isinstance(v, models.Padded) else v).shape[1]
                                     for v in inputs.values())
        training.train_epoch(step_model, [(inputs, targets)], optimizer, loss_fn, clip)
    synchronize(device)
    return time.perf_counter() - start, frames / len(videos)


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=640, help="training trailers in the synthetic store")
    parser.add_argument("--models", nargs="+", default=["multi-transformer", "single-transformer"])
    parser.add_argument("--store", help="a feature store of your own instead of the synthetic one")
    parser.add_argument("--lengths", nargs="*", default=[], metavar="NAME=FRAMES",
                        help="training lengths for modalities the paper does not name")
    args = parser.parse_args()
    device = str(session.device())
    lengths = {**training.TrainConfig().train_lengths,
               **{name: int(frames) for name, frames in (item.split("=") for item in args.lengths)}}
    with tempfile.TemporaryDirectory() as folder:
        if args.store:
            store = FeatureStore(args.store)
        else:
            store = synthetic.write_store(f"{folder}/store", labels.load_labels(), labels.load_splits(),
                                          {"trn": args.videos})
        videos = store.indices("trn")[:args.videos]
        real = batches.input_tokens(store, store.modalities, lengths)[videos]
        print(f"{len(videos)} training videos of {store.description}\ndevice {device}, {torch.get_num_threads()} "
              f"CPU threads; input frames per video after the training caps: mean {real.mean():.0f}, max {real.max()}")
        print(f"{'model':<20}{'trained as':>28}{'padded frames/video':>21}{'samples/s':>11}{'epoch (18,488)':>16}"
              f"{'vs authors':>12}")
        for kind in args.models:
            reference = None
            for way, options in WAYS.items():
                config = training.TrainConfig(device=device, train_lengths=lengths, **options)
                seconds, padded = epoch_seconds(way, kind, store, videos, config)
                reference = reference or seconds
                rate = len(videos) / seconds
                print(f"{kind:<20}{way:>28}{padded:>21.0f}{rate:>11.1f}{EPOCH_VIDEOS / rate / 60:>13.1f} min"
                      f"{reference / seconds:>11.2f}x", flush=True)


if __name__ == "__main__":
    main()
