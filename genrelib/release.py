"""The authors' release (zenodo record 13909366): features of every MovieNet trailer and their classifiers.

``features.pkl`` is a pickle of ``{"samples": {youtube_id: {"features": {name: array}, "label": multi-hot}},
"stats": {name: {...}}, "idx_to_label": {index: genre}}`` with five features: ``clip`` (512-d per frame),
``beats`` (768-d audio per chunk), ``face_emotion`` (768-d per face frame), ``asr_sentiment`` and
``ocr_sentiment`` (one 768-d vector per video, stored 1-D). A sample can lack a feature or hold an empty
array for it (no face, no speech). The trained classifiers are ``{mlp,single_transformer,
multi_transformer}.pt`` with ``*_config.pt``. :func:`download` fetches them (resumable) and records each
file's size and sha256 beside it; :func:`verify` checks that record on every later use;
:func:`write_synthetic` writes a small release of exactly this format for tests, and
:func:`import_authors_features` converts one into a feature store, once.

The classifiers load into this book's models (:func:`load_classifier`: the authors' architecture is our
paper configuration, so only names and shapes are mapped), and :func:`evaluate_classifiers` scores them on
the imported test split under the paper's protocol or the authors' (:func:`protocol_inputs`).
"""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import re
from pathlib import Path

import numpy as np

from .downloads import fetch
from .labels import GENRES, MovieNetLabels, sha256_of
from .store import FeatureStore, Modality, StoreError, StoreWriter

URL_TEMPLATE = "https://zenodo.org/records/13909366/files/{name}?download=1"
FEATURES = "features.pkl"
CLASSIFIERS = ("mlp", "single_transformer", "multi_transformer")
# The release's features: width, and vectors per second of trailer (None: one vector per video).
FEATURE_SHAPES = {"clip": (512, 1.0), "beats": (768, 1 / 1.5), "face_emotion": (768, 0.5),
                  "asr_sentiment": (768, None), "ocr_sentiment": (768, None)}


class ReleaseError(OSError):
    """A release file is missing, damaged or not what was downloaded; the message says what to do."""


def files(classifiers: bool = False) -> list[str]:
    names = [FEATURES]
    if classifiers:
        names += [f"{kind}{suffix}" for kind in CLASSIFIERS for suffix in (".pt", "_config.pt")]
    return names


def _record(path: Path) -> Path:
    return path.with_name(f"{path.name}.sha256.json")


def download(dest: str | os.PathLike, classifiers: bool = False, url_template: str = URL_TEMPLATE,
             progress: bool = True) -> list[Path]:
    """Fetch the release into ``dest`` (resuming an interrupted file); a file already there is verified instead.
    The size and sha256 of each new file are recorded beside it."""
    dest = Path(dest).expanduser()
    fetched = []
    for name in files(classifiers):
        target = dest / name
        if target.is_file():
            verify(target)
        else:
            fetch(url_template.format(name=name), target, progress=progress)
            _record(target).write_text(json.dumps({"size": target.stat().st_size, "sha256": sha256_of(target)}))
        fetched.append(target)
    return fetched


def verify(path: str | os.PathLike) -> Path:
    """Check a release file against the size and sha256 recorded when it was downloaded (a file placed by hand,
    without a record, is taken as it is)."""
    path = Path(path)
    record = _record(path)
    if not record.is_file():
        return path
    expected = json.loads(record.read_text())
    size = path.stat().st_size
    if size != expected["size"] or sha256_of(path) != expected["sha256"]:
        raise ReleaseError(f"{path}: differs from the file downloaded ({record.name} records {expected['size']:,} "
                           f"bytes, sha256 {expected['sha256'][:12]}...; now {size:,} bytes). It was changed or "
                           f"damaged: delete it and run genrelib download-authors-release again")
    return path


class _StreamedDict:
    """Pickles as a plain dict whose items are drawn from an iterator while the pickle is written."""

    def __init__(self, items):
        self.items = items

    def __reduce__(self):
        return dict, (), None, None, self.items


def write_synthetic(path: str | os.PathLike, movienet: MovieNetLabels, splits: dict[str, list[str]],
                    videos_per_split: dict[str, int], signal: float = 1.0, seed: int = 0) -> Path:
    """A small release in exactly the published format, over the first ``videos_per_split[s]`` real MovieNet
    ids of each split: random vectors whose frames carry a genre direction with some probability, lengths
    following each trailer's duration, some features missing or empty as in the real file.

    Samples are drawn while the pickle is written and not kept, so a release of full size (26,412 trailers,
    about 14 GiB) needs little memory to write; it reads back as the same plain dicts."""
    rng = np.random.default_rng(seed)
    directions = {name: rng.standard_normal((len(GENRES), dim)) for name, (dim, _) in FEATURE_SHAPES.items()}
    order = rng.permutation(len(GENRES))  # the release's label order is its own: a test that it is mapped

    def sample(video: str) -> dict:
        labels = movienet.multi_hot([video])[0]
        duration = float(movienet.frame.loc[video, "duration"])
        features = {}
        for name, (dim, rate) in FEATURE_SHAPES.items():
            if rng.random() < 0.1:
                continue  # the sample lacks this feature
            length = 1 if rate is None else int(rng.poisson(rate * duration))
            frames = rng.standard_normal((length, dim), dtype=np.float32)
            shows = rng.random(length) < 0.3
            if labels.any() and shows.any():
                frames[shows] += signal * directions[name][rng.choice(np.flatnonzero(labels), shows.sum())]
            features[name] = frames[0] if rate is None and length else frames
        return {"features": features, "label": labels[order].astype(np.float32)}

    videos = [video for split, count in videos_per_split.items() for video in splits[split][:count]]
    samples = _StreamedDict((video, sample(video)) for video in videos)
    release = {"samples": samples, "stats": {}, "idx_to_label": {i: GENRES[g] for i, g in enumerate(order)}}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: it would keep every written array alive (the release shares no object)
        pickler.dump(release)
    return path


def import_authors_features(pickle_path: str | os.PathLike, out: str | os.PathLike,
                            splits: dict[str, list[str]], *, trust_pickle: bool = False) -> FeatureStore:
    """Convert the authors' released ``features.pkl`` (zenodo record 13909366) into a store, once.

    Unpickling runs whatever code the file names, so this refuses to read it
    unless ``trust_pickle`` is set by someone who trusts the file. Layout read
    (:mod:`genrelib.release`)::

        {"samples": {youtube_id: {"features": {name: array}, "label": multi-hot}},
         "stats": {...}, "idx_to_label": {index: genre}}

    Every feature any sample has becomes a modality; a sample that lacks a feature or holds an empty
    array for it gets an empty sequence, and a 1-D vector is one frame. Label columns are reordered to
    ``GENRES``; videos in none of ``splits`` are skipped. Each sample is dropped from memory once written,
    so the peak is the unpickled release itself.
    """
    import pickle

    pickle_path = Path(pickle_path)
    if not trust_pickle:
        raise StoreError(f"{pickle_path}: reading a pickle runs code stored in it. If you trust this file, "
                         "pass trust_pickle=True (CLI: --trust-pickle); it is converted once into a feature store.")
    verify(pickle_path)
    with open(pickle_path, "rb") as handle:
        release = pickle.load(handle)  # noqa: S301 -- explicit opt-in above
    try:
        samples, idx_to_label = release["samples"], release["idx_to_label"]
    except (KeyError, TypeError):
        raise StoreError(f"{pickle_path}: expected a dict with 'samples' and 'idx_to_label'") from None
    column_of = {int(i): GENRES.index(name) for i, name in dict(idx_to_label).items()}
    split_of = {video: name for name, ids in splits.items() for video in ids}
    dims = {}
    for sample in samples.values():
        for name, array in sample["features"].items():
            if np.size(array) and name not in dims:
                dims[name] = int(np.shape(array)[-1])
    modalities = [Modality(name, dims[name], "authors-release", name, "zenodo-13909366") for name in sorted(dims)]
    description = f"the authors' released features of MovieNet ({pickle_path.name}, zenodo record 13909366)"
    with StoreWriter(out, modalities, description=description) as writer:
        for video in list(samples):
            sample = samples.pop(video)
            if video not in split_of:
                continue
            labels = np.zeros(len(GENRES), np.float32)
            for i, value in enumerate(np.asarray(sample["label"]).ravel()):
                labels[column_of[i]] = value
            features = {}
            for m in modalities:
                array = np.asarray(sample["features"].get(m.name, np.zeros((0, m.dim))), np.float32)
                features[m.name] = array.reshape(-1, m.dim) if array.size else np.zeros((0, m.dim), np.float32)
            writer.add(video, features, labels, split_of[video])
    write_stats(out, release.get("stats"))  # the statistics the authors' classifiers may have been trained with
    return FeatureStore(out)


# ---- The authors' trained classifiers --------------------------------------------------------------------------

# Features the authors' classes read as one vector per video: the multi-transformer sends them past its transformers
# (their SINGULAR_FEATURES), which is what averaging a one-vector stream does in ours.
SINGULAR_FEATURES = ("asr_sentiment", "ocr_sentiment")
KIND_OF = {"mlp": "mlp", "single_transformer": "single-transformer", "multi_transformer": "multi-transformer"}
# Types the authors' config.py puts into its ``args`` dict beside plain values; nothing else is unpickled.
CONFIG_TYPES = (pathlib.PosixPath,)  # torch.device torch allows itself
PROTOCOLS = ("paper", "authors")

# State-dict names of the authors' classes (classifiers.py @caac031) and ours, as (theirs, ours) prefixes.
_NAMES = {
    "mlp": [("model.", "net.")],
    "single-transformer": [("encoders.", "project."), ("sep_vectors.", "sep."),
                           ("positional_encoding.", "positions."), ("transformer.transformer_body.", "encoder."),
                           ("cls_vector", "cls"), ("decoder.", "head.")],
    "multi-transformer": [("encoders.", "project."), ("cls_vectors.", "cls."), ("decoder.", "head.")],
}
_MULTI = re.compile(r"transformers\.([^.]+)\.(pos_encoder|transformer_body)\.(.*)")


def theirs_to_ours(kind: str, name: str) -> str:
    """One parameter name of the authors' class as it is named in ours."""
    if kind == "multi-transformer" and (match := _MULTI.fullmatch(name)):
        feature, part, rest = match.groups()
        return f"positions.{feature}.table" if part == "pos_encoder" else f"encoders.{feature}.{rest}"
    for their, our in _NAMES[kind]:
        if name.startswith(their):
            name = our + name[len(their):]
            break
    return re.sub(r"^positions\.([^.]+)\.pe$", r"positions.\1.table", name)


def ours_to_theirs(kind: str, name: str) -> str:
    """One parameter name of ours as the authors' class names it (the inverse of :func:`theirs_to_ours`)."""
    if kind == "multi-transformer":
        if match := re.fullmatch(r"positions\.([^.]+)\.table", name):
            return f"transformers.{match.group(1)}.pos_encoder.pe"
        if match := re.fullmatch(r"encoders\.([^.]+)\.(.*)", name):
            return f"transformers.{match.group(1)}.transformer_body.{match.group(2)}"
    if kind == "single-transformer" and (match := re.fullmatch(r"positions\.([^.]+)\.table", name)):
        return f"positional_encoding.{match.group(1)}.pe"
    for their, our in _NAMES[kind]:
        if name.startswith(our):
            return their + name[len(our):]
    return name


def _is_table(name: str) -> bool:
    return name.endswith(".pe") or name.endswith(".table")


def to_authors_layout(model) -> dict:
    """``model``'s weights under the authors' names and shapes (position tables as (rows, 1, width))."""
    return {ours_to_theirs(model.kind, k): (v.unsqueeze(1) if _is_table(k) else v).clone()
            for k, v in model.state_dict().items() if not k.startswith("scaling.")}


def read_config(config_pt: str | os.PathLike) -> dict:
    """The ``args`` dict the authors' config.py saved, read without running code: plain values, tensors and the
    few types it holds (a ``pathlib`` path, a ``torch.device``); any other type is refused, by name."""
    import torch

    try:
        with torch.serialization.safe_globals(list(CONFIG_TYPES)):
            config = torch.load(config_pt, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.findall(r"GLOBAL ([\w.]+)", str(exc))
        raise ReleaseError(f"{config_pt}: holds a {found[0] if found else 'type'} object, which a classifier config "
                           "of the authors' release does not: refused rather than run code from the file") from None
    if not isinstance(config, dict) or "model" not in config:
        raise ReleaseError(f"{config_pt}: not a classifier config of the authors' release (a dict with 'model')")
    return config


def build_from_config(config: dict):
    """Our model that the authors' ``init_model(config)`` describes (their names: model, feature_dims, n_layers,
    n_heads, d_model, dropout, fixed_position_encoding), over their features in their (sorted) order."""
    from .models import build_model

    if config["model"] not in KIND_OF:
        raise ReleaseError(f"model {config['model']!r} is none of the authors' classifiers {sorted(KIND_OF)}")
    kind = KIND_OF[config["model"]]
    dims = {name: int(config["feature_dims"][name]) for name in sorted(config["feature_dims"])}
    layers, dropout, d_model = int(config["n_layers"]), float(config.get("dropout", 0.0)), int(config["d_model"])
    if kind == "mlp":
        return build_model(kind, dims, layers=layers, hidden=d_model, dropout=dropout)
    rows = {name: int(config["feature_lengths"][name]) for name in dims}
    if kind == "single-transformer":  # every table holds the whole input: each feature, its <SEP>, the <CLS>
        total = sum(rows.values()) + len(rows) + 1
        return build_model(kind, dims, d_model=d_model, layers=layers, heads=int(config["n_heads"]), dropout=dropout,
                           position_rows=total)
    return build_model(kind, dims, d_model=d_model if d_model > 0 else None, layers=layers,
                       heads=int(config["n_heads"]), dropout=dropout,
                       averaged=tuple(name for name in dims if name in SINGULAR_FEATURES),
                       positions="sinusoidal" if config.get("fixed_position_encoding") else "learned",
                       position_rows={name: rows[name] + 1 for name in dims})


def input_statistics(config: dict, stats: dict | None, dims: dict[str, int]) -> dict[str, tuple] | None:
    """Per feature (shift, scale) of the authors' input conventions: min-max normalisation, then
    standardisation, with the release's ``stats``, as their loader applies them when the config says so; None
    when it says neither."""
    normalize, standardize = bool(config.get("normalize")), bool(config.get("standardize"))
    if not (normalize or standardize):
        return None
    if stats is None:
        raise ReleaseError("this classifier was trained on normalised or standardised features: it needs the "
                           "release's statistics (genrelib import-features saves them beside the store)")
    scaling = {}
    for name, dim in dims.items():
        shift, scale = np.zeros(dim), np.ones(dim)
        if normalize:  # (x - min) / (max - min)
            low, high = (np.broadcast_to(np.asarray(stats[name][k], np.float64), dim) for k in ("min", "max"))
            shift, scale = low, high - low
        if standardize:  # then (x' - mean) / std: x = shift + scale * x'
            mean, std = (np.broadcast_to(np.asarray(stats[name][k], np.float64), dim) for k in ("mean", "std"))
            shift, scale = shift + scale * mean, scale * std
        scaling[name] = (shift.astype(np.float32), scale.astype(np.float32))
    return scaling


def load_classifier(model_pt: str | os.PathLike, config_pt: str | os.PathLike, stats: dict | None = None):
    """One of the authors' trained classifiers as our model, in eval mode, with its config.

    The config is read with :func:`read_config`; the model is built by :func:`build_from_config` and takes the
    checkpoint's weights under our names. A checkpoint that does not fit (a missing, unexpected or mis-shaped
    key) is an error naming the keys, never a partial load. When the config normalises or standardises, the
    release's ``stats`` become the model's input scaling."""
    import torch

    config = read_config(config_pt)
    model = build_from_config(config)
    try:
        theirs = torch.load(model_pt, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ReleaseError(f"{model_pt}: not a plain state dict ({str(exc).splitlines()[0]})") from None
    ours = model.state_dict()
    mapped = {theirs_to_ours(model.kind, k): v for k, v in theirs.items()}
    missing = sorted(ours_to_theirs(model.kind, k) for k in set(ours) - set(mapped) if not k.startswith("scaling."))
    unexpected = sorted(k for k in theirs if theirs_to_ours(model.kind, k) not in ours)
    expected = {ours_to_theirs(model.kind, k): tuple(v.unsqueeze(1).shape if _is_table(k) else v.shape)
                for k, v in ours.items()}
    shapes = [f"{k} {tuple(v.shape)} (expected {expected[k]})" for k, v in theirs.items()
              if k in expected and tuple(v.shape) != expected[k]]
    if missing or unexpected or shapes:
        raise ReleaseError(f"{model_pt}: does not fit the {config['model']} its config {Path(config_pt).name} "
                           f"describes: missing {missing or 'none'}; unexpected {unexpected or 'none'}; "
                           f"other shapes {shapes or 'none'}")
    model.load_state_dict({k: v.reshape(ours[k].shape) for k, v in mapped.items()}, strict=False)
    scaling = input_statistics(config, stats, model.dims)
    if scaling is not None:
        from .models import InputScaling

        model.scaling = InputScaling(model.dims)
        for name, (shift, scale) in scaling.items():
            model.scaling.set(name, shift, scale)
    return model.eval(), config


def training_lengths(config: dict) -> dict[str, int]:
    """Frames per feature the classifier was trained on (the authors' feature_lengths; their multi-transformer's
    exclude the <CLS>); one vector for the singular features."""
    return {name: 1 if name in SINGULAR_FEATURES else int(config["feature_lengths"][name])
            for name in config["feature_dims"]}


def table_capacity(model) -> dict[str, int]:
    """Frames of each feature the model's position tables can hold (a table row goes to the <SEP>/<CLS>)."""
    from .models import Positions

    tables = getattr(model, "positions", {})
    return {name: len(module.table) - 1 for name, module in tables.items() if isinstance(module, Positions)}


def protocol_inputs(protocol: str, model, config: dict):
    """(frame caps, padding, batch size) of a protocol: ``paper``, one video at a time at full length (capped,
    equidistantly, only where a position table cannot hold it); ``authors``, their inference: equidistant frames
    down to the training length, zero vectors up to it."""
    from .batches import Padding

    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
    lengths = {name: training_lengths(config)[name] for name in model.dims}
    if protocol == "authors":
        return lengths, Padding(True, lengths, lengths), 32
    return table_capacity(model), Padding(True, None, lengths), 1


def evaluate_classifiers(release_dir: str | os.PathLike, store, protocol: str = "paper", kinds=CLASSIFIERS,
                         progress: bool = False) -> dict[str, dict]:
    """Score the authors' classifiers found in ``release_dir`` on ``store``'s test split: per classifier its
    :class:`~genrelib.metrics.Scores`, how many test videos had a sequence capped to fit a position table,
    and the seconds it took."""
    import time

    from .metrics import evaluate
    from .training import predict

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


STATS_FILE = "release-stats.npz"


def write_stats(store_dir: str | os.PathLike, stats: dict) -> None:
    """Keep the release's per-feature statistics (``stats``: name -> mean, std, min, max) beside its store."""
    arrays = {f"{name}.{key}": np.asarray(value, np.float64) for name, values in (stats or {}).items()
              for key, value in dict(values).items() if key in ("mean", "std", "min", "max")}
    np.savez(Path(store_dir) / STATS_FILE, **arrays)


def read_stats(store_dir: str | os.PathLike) -> dict | None:
    path = Path(store_dir) / STATS_FILE
    if not path.is_file():
        return None
    stats: dict[str, dict] = {}
    with np.load(path) as saved:
        for key in saved.files:
            name, _, stat = key.rpartition(".")
            stats.setdefault(name, {})[stat] = saved[key]
    return stats


def authors_config(kind: str, feature_dims: dict[str, int], feature_lengths: dict[str, int], *, d_model: int,
                   n_layers: int, n_heads: int = 8, dropout: float = 0.0, standardize: bool = False,
                   fixed_position_encoding: bool = False) -> dict:
    """A config dict as the authors' config.py builds it (their key names, a ``Path`` and a ``torch.device``
    among the values), for a checkpoint written in their layout."""
    import torch

    lengths = dict(feature_lengths)
    if kind == "multi_transformer":  # their config.py leaves a row of each table to the <CLS>
        lengths = {k: v if k in SINGULAR_FEATURES else v - 1 for k, v in lengths.items()}
    return {"model": kind, "feature_dims": dict(feature_dims), "feature_lengths": lengths, "features":
            sorted(feature_dims), "n_layers": n_layers, "n_heads": n_heads, "d_model": d_model, "dropout": dropout,
            "fixed_position_encoding": fixed_position_encoding, "normalize": False, "standardize": standardize,
            "n_labels": len(GENRES), "labels": list(GENRES), "lr": 1e-5, "batch_size": 32, "amp": True,
            "device": torch.device("cpu"), "output_dir": Path("classification/output") / "synthetic"}


def write_synthetic_classifiers(dest: str | os.PathLike, feature_dims: dict[str, int],
                                feature_lengths: dict[str, int], seed: int = 0,
                                widths: dict[str, int] | None = None) -> list[Path]:
    """Three checkpoint pairs in the release's exact layout (``{kind}.pt``: a state dict under the authors'
    parameter names and shapes; ``{kind}_config.pt``: their config dict), with random weights, for tests and
    for running ``evaluate-release-classifiers`` without the release; ``widths`` overrides a kind's d_model."""
    import torch

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    settings = {"mlp": {"d_model": 256, "n_layers": 1}, "single_transformer": {"d_model": 64, "n_layers": 2},
                "multi_transformer": {"d_model": 32, "n_layers": 1}}
    written = []
    for number, (kind, options) in enumerate(settings.items()):
        config = authors_config(kind, feature_dims, feature_lengths, **{**options, "d_model": (widths or {}).get(
            kind, options["d_model"])})
        torch.manual_seed(seed + number)
        model = build_from_config(config)
        torch.save(to_authors_layout(model), dest / f"{kind}.pt")
        torch.save(config, dest / f"{kind}_config.pt")
        written += [dest / f"{kind}.pt", dest / f"{kind}_config.pt"]
    return written
