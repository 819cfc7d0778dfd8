"""One training epoch at MovieNet scale: samples per second and the time of an epoch over 18,488 trailers.

The store is synthetic (:mod:`genrelib.synthetic`, the paper's five feature widths) over the first
``--videos`` trailers of MovieNet's training split, so each modality's length follows that trailer's real
duration; training caps them at the paper's training lengths (CLIP 216, OCR 64, ASR 86, Audiotag 140,
Musicnet 18), as in every chapter. Each transformer trains one epoch of the paper's recipe (batch 32,
dropout 0.5) with batches of similar length (the default) and with plain random batches, on the GPU when
there is one, else the CPU; batch assembly from the store counts. The time per sample is extrapolated to
the 18,488 training trailers. ``--store`` times the first ``--videos`` training videos of a store of your
own instead (e.g. the imported authors' release, with ``--lengths clip=216 beats=140 face_emotion=78``).

    python -m benchmarks.epoch [--videos 640] [--models multi-transformer single-transformer]
    python -m benchmarks.epoch --store artifacts/stores/authors --lengths clip=216 beats=140 face_emotion=78
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch

from genrelib import labels, models, paper, session, synthetic, training
from genrelib.store import FeatureStore

EPOCH_VIDEOS = paper.SPLIT_SIZES["trn"]


def epoch_seconds(kind: str, store, videos: np.ndarray, config: training.TrainConfig) -> tuple[float, float]:
    """(seconds for one epoch over ``videos``, mean padded input frames per video)."""
    device = config.device
    model = models.build_model(kind, {name: m.dim for name, m in store.modalities.items()})
    training.fit_standardization(model, store, videos)
    model.to(device)
    optimizer, loss_fn = training.adam(model, config), training.loss_function(config, device)
    lengths = {name: config.train_lengths.get(name) for name in model.dims}
    rng = np.random.default_rng(0)
    tokens = training.input_tokens(store, model.dims, lengths)
    chosen = training.bucketed_batches(rng.permutation(videos), tokens, config.batch_size, config.bucket_batches, rng)
    capped = {name: np.minimum(store.lengths(name), lengths[name] or np.iinfo(np.int64).max) for name in model.dims}
    padded = sum(len(batch) * sum(int(capped[name][batch].max()) for name in model.dims) for batch in chosen)
    warm_up = training.make_batch(store, chosen[0], model.dims, lengths, rng, device)
    training.train_epoch(model, [warm_up], optimizer, loss_fn, training.gradient_clip(model, config))
    synchronize(device)
    start = time.perf_counter()
    batches = (training.make_batch(store, videos, model.dims, lengths, rng, device) for videos in chosen)
    training.train_epoch(model, batches, optimizer, loss_fn, training.gradient_clip(model, config))
    synchronize(device)
    return time.perf_counter() - start, padded / len(videos)


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
        real = training.input_tokens(store, store.modalities, lengths)[videos]
        print(f"{len(videos)} training videos of {store.description}\ndevice {device}, {torch.get_num_threads()} "
              f"CPU threads; input frames per video after the training caps: mean {real.mean():.0f}, max {real.max()}")
        print(f"{'model':<20}{'batches':>10}{'padded frames/video':>21}{'samples/s':>11}{'epoch (18,488)':>16}")
        for kind in args.models:
            for bucket_batches, name in ((training.TrainConfig().bucket_batches, "by length"), (1, "random")):
                config = training.TrainConfig(bucket_batches=bucket_batches, device=device, train_lengths=lengths)
                seconds, padded = epoch_seconds(kind, store, videos, config)
                rate = len(videos) / seconds
                print(f"{kind:<20}{name:>10}{padded:>21.0f}{rate:>11.1f}{EPOCH_VIDEOS / rate / 60:>13.1f} min",
                      flush=True)


if __name__ == "__main__":
    main()
