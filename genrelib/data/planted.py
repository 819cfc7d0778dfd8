"""Planted-evidence stores: feature stores whose genre evidence sits where we put it, so the answer is known.

The paper argues for its designs by mechanisms: attention beats a temporal mean because a trailer's decisive
scenes are few; one transformer over all modalities can use their correspondence in time, one per modality
only globally; averaging text tokens reduces the noise that recognition errors put in them. Each store here
plants one mechanism, with a switch that removes it and leaves the rest as it was:

* :func:`write_store`: each genre of a video in a few frames among noise frames (``placement="few"``), or the
  same evidence spread evenly over all frames (``"spread"``), which leaves every temporal mean as it was;
* :func:`write_correspondence_store`: image and audio events whose genre shows only in their meeting at the
  same moment (``aligned=True``), or in each modality alone (``False``);
* :func:`write_text_store`: tokens with sparse genre evidence, a share of them replaced by misread words that
  look like evidence of a random genre (``corrupted``).

Every frame is Gaussian noise plus unit genre directions times a strength (:func:`directions`). The oracles
(:func:`oracle_scores`, :data:`ORACLES`) are rules that know the directions: they say what is possible, before
any model is trained. Labels are made up: nothing here says anything about MovieNet.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from genrelib.data.labels import GENRES
from genrelib.data.store import FeatureStore, Modality, StoreWriter

EVIDENCE = "planted_frames.json"  # beside the store's own files: which frames carry evidence
PLACEMENTS = ("few", "spread")


def directions(dim: int, seed: int = 0, stream: int = 0) -> np.ndarray:
    """The unit genre directions (genres x dim) that the writers plant for ``seed``; ``stream`` 1 gives a
    second modality's own directions."""
    unit = np.random.default_rng([seed, dim, *([stream] if stream else [])]).standard_normal((len(GENRES), dim))
    return unit / np.linalg.norm(unit, axis=1, keepdims=True)


def _draw_labels(rng: np.random.Generator, genres: int, genres_per_video: tuple[int, int]) -> np.ndarray:
    """1 to 3 (``genres_per_video``) genres among the first ``genres``, as a 21-genre label vector."""
    labels = np.zeros(len(GENRES), np.float32)
    labels[rng.choice(genres, rng.integers(genres_per_video[0], genres_per_video[1] + 1), replace=False)] = 1
    return labels


def _write(path, modalities: list[Modality], description: str, videos_per_split: dict[str, int],
           genres: int, genres_per_video: tuple[int, int], seed: int, make_video) -> FeatureStore:
    """Write a planted store: per video, labels drawn, then ``make_video(noise, placement, genres of the
    video)`` gives its sequences by modality and the frames that carry evidence (recorded in
    :data:`EVIDENCE`); frame t of every modality is recorded at t + 0.5 s, so frames of one index meet. Labels,
    noise and where evidence goes draw from three generators, so stores that differ only in how evidence is
    placed share their videos' genres and noise frames."""
    if not 1 <= genres_per_video[0] <= genres_per_video[1] <= genres <= len(GENRES):
        raise ValueError(f"genres_per_video {genres_per_video} must lie within 1..genres, genres ({genres}) "
                         f"within 1..{len(GENRES)}")
    labelling, noise, placement = (np.random.default_rng([seed, stream]) for stream in range(3))
    planted = {}
    with StoreWriter(path, modalities, description=description) as writer:
        for split, count in videos_per_split.items():
            for number in range(count):
                labels = _draw_labels(labelling, genres, genres_per_video)
                sequences, evidence = make_video(noise, placement, np.flatnonzero(labels))
                video = f"planted-{split}-{number:05d}"
                writer.add(video, sequences, labels, split,
                           {name: np.arange(len(frames)) + 0.5 for name, frames in sequences.items()})
                planted[video] = sorted(int(t) for t in evidence)
    (Path(path) / EVIDENCE).write_text(json.dumps(planted))
    return FeatureStore(path)


def _count(bounds: tuple[int, int]) -> str:
    """A count drawn between two bounds, for a description: ``32`` when they agree, else ``8-32``."""
    return f"{bounds[0]}" if bounds[0] == bounds[1] else f"{bounds[0]}-{bounds[1]}"


def _genre_text(genres: int) -> str:
    return "" if genres == len(GENRES) else f", the first {genres} of the 21 genres"


def write_store(path: str | os.PathLike, videos_per_split: dict[str, int], dim: int = 64,
                frames: tuple[int, int] = (20, 80), strength: float = 3.0, evidence_frames: int = 1,
                genres_per_video: tuple[int, int] = (1, 3), modality: str = "clip", seed: int = 0,
                placement: str = "few", genres: int = len(GENRES)) -> FeatureStore:
    """A store where each genre of a video shows in ``evidence_frames`` frames among many noise frames.

    Every frame is standard Gaussian noise; each of the video's genres (``genres_per_video``, drawn among the
    first ``genres``) adds its unit direction times ``strength`` to ``evidence_frames`` random frames
    (``placement="few"``), or the same total, ``strength * evidence_frames / T``, to each of its T frames
    (``"spread"``: every frame's mean, and so any temporal mean, has the distribution it has with "few").
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, not {placement!r}")
    genre_directions = directions(dim, seed)

    def make_video(noise, place, present):
        sequence = noise.standard_normal((noise.integers(frames[0], frames[1] + 1), dim))
        chosen = set()
        for genre in present:
            if placement == "spread":
                sequence += strength * evidence_frames / len(sequence) * genre_directions[genre]
                continue
            where = place.choice(len(sequence), min(evidence_frames, len(sequence)), replace=False)
            sequence[where] += strength * genre_directions[genre]
            chosen.update(where)
        return {modality: sequence}, chosen

    where = (f"{evidence_frames} frame(s) per genre" if placement == "few"
             else f"{evidence_frames} frame(s)' worth per genre spread evenly over all frames")
    description = (f"planted evidence (seed {seed}): {where} of strength {strength} among {_count(frames)} "
                   f"noise frames{_genre_text(genres)}; made-up labels, not extracted from any video")
    modalities = [Modality(modality, dim, "synthetic", "genrelib.data.planted.write_store",
                           f"strength={strength}, evidence_frames={evidence_frames}, placement={placement}")]
    return _write(path, modalities, description, videos_per_split, genres, genres_per_video, seed, make_video)


def write_correspondence_store(path: str | os.PathLike, videos_per_split: dict[str, int], dim: int = 64,
                               frames: int | tuple[int, int] = 16, strength: float = 3.0, aligned: bool = True,
                               genres: int = 4, genres_per_video: tuple[int, int] = (1, 2), seed: int = 0,
                               distractors: int | None = None) -> FeatureStore:
    """Two modalities of ``frames`` frames each (a number, or a range drawn per video), ``clip`` (image) and
    ``audiotag`` (audio), frame t of one at the same moment as frame t of the other. Each genre g has an image
    event a_g and an audio event b_g (unit directions times ``strength``, :func:`directions` streams 0 and 1).

    ``aligned=True`` (the mechanism on): a video shows its genres' image and audio events meeting in the same
    frame, and other genres' two events each in a frame of its own, apart: every other genre
    (``distractors=None``, so either modality alone looks the same whatever the genres), or that many other
    genres drawn per video. ``aligned=False`` (off): a video shows the two events of its own genres only, each
    at an independent random frame.
    """
    shortest = frames if isinstance(frames, int) else frames[0]
    most = genres if distractors is None else min(genres, genres_per_video[1] + distractors)
    if shortest < 2 * most:
        raise ValueError(f"frames ({frames}) must be at least twice the genres a video shows ({most}): each event "
                         "needs a frame")
    image, audio = directions(dim, seed)[:genres], directions(dim, seed, stream=1)[:genres]

    def make_video(noise, place, present):
        count = frames if isinstance(frames, int) else int(noise.integers(frames[0], frames[1] + 1))
        seen, heard = noise.standard_normal((count, dim)), noise.standard_normal((count, dim))
        if not aligned:
            at_image, at_audio = place.integers(count, size=len(present)), place.integers(count, size=len(present))
            seen[at_image] += strength * image[present]
            heard[at_audio] += strength * audio[present]
            return {"clip": seen, "audiotag": heard}, set(at_image) | set(at_audio)
        others = np.setdiff1d(np.arange(genres), present)
        shown = (np.arange(genres) if distractors is None
                 else np.r_[present, place.choice(others, min(distractors, len(others)), replace=False)])
        at_image = np.full(genres, -1)
        at_image[shown] = place.choice(count, len(shown), replace=False)  # one frame per shown image event
        at_audio = np.full(genres, -1)
        at_audio[present] = at_image[present]
        for genre in place.permutation(np.setdiff1d(shown, present)):  # elsewhere, a frame each
            free = np.setdiff1d(np.arange(count), np.r_[at_audio[at_audio >= 0], at_image[genre]])
            at_audio[genre] = place.choice(free)
        seen[at_image[shown]] += strength * image[shown]
        heard[at_audio[shown]] += strength * audio[shown]
        return {"clip": seen, "audiotag": heard}, set(at_image[present])

    apart = "every other genre's" if distractors is None else f"{distractors} other genres'"
    how = (f"a video's genres' image and audio events meeting in the same frame, {apart} apart" if aligned
           else "the image and audio events of a video's own genres, each at its own random frame")
    length = frames if isinstance(frames, int) else f"{frames[0]}-{frames[1]}"
    description = (f"planted correspondence (seed {seed}): {how}; strength {strength}, {length} frames"
                   f"{_genre_text(genres)}; made-up labels, not extracted from any video")
    modalities = [Modality(name, dim, "synthetic", "genrelib.data.planted.write_correspondence_store",
                           f"strength={strength}, aligned={aligned}, distractors={distractors}")
                  for name in ("clip", "audiotag")]
    return _write(path, modalities, description, videos_per_split, genres, genres_per_video, seed, make_video)


def write_text_store(path: str | os.PathLike, videos_per_split: dict[str, int], dim: int = 64,
                     tokens: int = 32, strength: float = 3.0, evidence_tokens: int = 4, corrupted: float = 0.0,
                     genres: int = 4, genres_per_video: tuple[int, int] = (1, 2), modality: str = "ocr",
                     seed: int = 0) -> FeatureStore:
    """Token features of recognised text: ``tokens`` Gaussian noise tokens, each of a video's genres adding
    its direction times ``strength`` to ``evidence_tokens`` of them; then a share ``corrupted`` of the tokens,
    drawn at random, is replaced by a misread word: noise plus the direction of a random genre among the
    first ``genres``, as strong as real evidence. ``corrupted=0`` is clean text with sparse evidence."""
    if not 0 <= corrupted <= 1:
        raise ValueError(f"corrupted is a share of tokens, between 0 and 1, not {corrupted}")
    genre_directions = directions(dim, seed)

    def make_video(noise, place, present):
        sequence = noise.standard_normal((tokens, dim))
        chosen = set()
        for genre in present:
            where = place.choice(tokens, evidence_tokens, replace=False)
            sequence[where] += strength * genre_directions[genre]
            chosen.update(where)
        misread = place.choice(tokens, int(round(corrupted * tokens)), replace=False)
        sequence[misread] = (noise.standard_normal((len(misread), dim))
                             + strength * genre_directions[place.integers(genres, size=len(misread))])
        return {modality: sequence}, chosen - set(misread)

    description = (f"planted text (seed {seed}): {evidence_tokens} evidence token(s) per genre of strength "
                   f"{strength} among {tokens}, {corrupted:.0%} replaced by misread words{_genre_text(genres)}; "
                   "made-up labels, not extracted from any video")
    modalities = [Modality(modality, dim, "synthetic", "genrelib.data.planted.write_text_store",
                           f"strength={strength}, evidence_tokens={evidence_tokens}, corrupted={corrupted}")]
    return _write(path, modalities, description, videos_per_split, genres, genres_per_video, seed, make_video)


def evidence_frames(store: FeatureStore) -> dict[str, list[int]]:
    """Each video of a planted store -> the frames that carry evidence of any of its genres, as the writer
    recorded them beside the store."""
    recorded = store.path / EVIDENCE
    if not recorded.is_file():
        raise FileNotFoundError(f"{recorded}: this store records no planted frames; it was written by an older "
                                "genrelib or is no planted store: delete the folder to have it written again")
    return json.loads(recorded.read_text())


def oracle_scores(store: FeatureStore, genre_directions: np.ndarray, split: str = "tst",
                  modality: str = "clip") -> dict[str, np.ndarray]:
    """Genre scores of a planted store's videos by rules that know the planted directions.

    ``prior``: every video scores each genre by its training frequency (what a
    model that learned nothing achieves); ``temporal mean``: projection of the
    mean frame on each direction, the best a model of temporal means can do;
    ``best frame``: the largest projection of any single frame, the evidence
    detector that attention can learn.
    """
    indices = store.indices(split)
    prior = store.labels[store.indices("trn")].mean(0)
    projections = [store.frames(int(i), modality) @ genre_directions.T for i in indices]
    return {"prior": np.tile(prior, (len(indices), 1)),
            "temporal mean": np.stack([p.mean(0) for p in projections]),
            "best frame": np.stack([p.max(0) for p in projections])}


def correspondence_oracles(store: FeatureStore, seed: int = 0, split: str = "tst") -> dict[str, np.ndarray]:
    """Genre scores by two rules that know a correspondence store's directions: ``same moment``, the
    strongest frame of image and audio evidence together, max_t (a_g . x_t + b_g . y_t), which sees events
    meet; ``each alone``, each modality's strongest frame added, max_t a_g . x_t + max_t b_g . y_t, the most
    that per-modality summaries can carry."""
    dim = store.modalities["clip"].dim
    image, audio = directions(dim, seed), directions(dim, seed, stream=1)
    together, alone = [], []
    for i in store.indices(split):
        seen, heard = store.frames(int(i), "clip") @ image.T, store.frames(int(i), "audiotag") @ audio.T
        together.append((seen + heard).max(0))
        alone.append(seen.max(0) + heard.max(0))
    return {"same moment": np.stack(together), "each alone": np.stack(alone)}


def text_oracles(store: FeatureStore, seed: int = 0, split: str = "tst", modality: str = "ocr") -> dict:
    """Genre scores of a text store by the rules an averaged and an encoded text stream stand for: ``token
    mean``, the mean token's projection on each direction; ``best token``, the largest single projection."""
    scores = oracle_scores(store, directions(store.modalities[modality].dim, seed), split, modality)
    return {"token mean": scores["temporal mean"], "best token": scores["best frame"]}
