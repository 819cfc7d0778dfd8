"""The authors' classifiers scored on an imported release's test split, under the paper's protocol or theirs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from genrelib.release.classifiers import load_classifier, training_lengths
from genrelib.release.download import CLASSIFIERS, ReleaseError, verify
from genrelib.release.features import read_stats

PROTOCOLS = ("paper", "authors")


def table_capacity(model) -> dict[str, int]:
    """Frames of each feature the model's position tables can hold (a table row goes to the <SEP>/<CLS>)."""
    from genrelib.models.classifiers import Positions

    tables = getattr(model, "positions", {})
    return {name: len(module.table) - 1 for name, module in tables.items() if isinstance(module, Positions)}


def protocol_inputs(protocol: str, model, config: dict):
    """(frame caps, padding, batch size) of a protocol: ``paper``, one video at a time at full length (capped,
    equidistantly, only where a position table cannot hold it); ``authors``, their inference: equidistant frames
    down to the training length, zero vectors up to it."""
    from genrelib.training.batches import Padding

    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
    lengths = {name: training_lengths(config)[name] for name in model.dims}
    if protocol == "authors":
        return lengths, Padding(True, lengths, lengths), 32
    return table_capacity(model), Padding(True, None, lengths), 1


def evaluate_classifiers(release_dir: str | os.PathLike, store, protocol: str = "paper", kinds=CLASSIFIERS,
                         progress: bool = False) -> dict[str, dict]:
    """Score the authors' classifiers found in ``release_dir`` on ``store``'s test split: per classifier its
    :class:`~genrelib.evaluation.metrics.Scores`, how many test videos had a sequence capped to fit a position table,
    and the seconds it took."""
    import time

    from genrelib.evaluation.metrics import evaluate
    from genrelib.training.loop import predict

    release_dir, results = Path(release_dir).expanduser(), {}
    stats = read_stats(store.path)
    test = store.indices("tst")
    for kind in kinds:
        model_pt, config_pt = release_dir / f"{kind}.pt", release_dir / f"{kind}_config.pt"
        if not (model_pt.is_file() and config_pt.is_file()):
            raise ReleaseError(f"{release_dir}: no {model_pt.name} with {config_pt.name}; fetch them with "
                               "genrelib download-authors-release --classifiers")
        start = time.perf_counter()
        model, config = load_classifier(verify(model_pt), verify(config_pt), stats)
        absent = sorted(set(model.dims) - set(store.modalities))
        if absent:
            raise ReleaseError(f"{store.path}: lacks the features {absent} that {model_pt.name} reads")
        caps, padding, batch = protocol_inputs(protocol, model, config)
        longer = [store.lengths(name)[test] > cap for name, cap in caps.items()]
        capped = int(np.logical_or.reduce(longer).sum()) if longer and protocol == "paper" else 0
        probabilities = predict(model, store, test, caps, batch_size=batch, progress=progress, padding=padding)
        results[kind] = {"scores": evaluate(store.labels[test], probabilities), "capped": capped,
                         "seconds": time.perf_counter() - start, "parameters": sum(p.numel() for p in
                                                                                   model.parameters())}
    return results
