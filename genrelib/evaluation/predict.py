"""Inference on one video file: genre probabilities and what drove them.

For people who want a trailer's genres rather than a benchmark: extract the
features a trained model needs, run it on the full-length sequences, and
explain the top genres by occlusion: how much a genre's probability drops
when one modality, or one scene of one modality, is taken away.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from genrelib.common.paths import shown
from genrelib.data.labels import GENRES
from genrelib.data.media import SCENE_THRESHOLD, MediaError
from genrelib.features.extractors import Trailer, build_extractors
from genrelib.models.checkpoints import load_checkpoint
from genrelib.models.classifiers import FeatureClassifier
from genrelib.training.batches import MASKED, Padding, assemble, frame_indices
from genrelib.training.loop import TrainConfig

# A model trained on generated clips has learned the corpus's recipes, not cinema.
DEMO_WARNING = ("WARNING: this model was trained on the book's generated demo corpus (drawings, synthetic sound); "
                "its genres for a real trailer mean nothing. Train on MovieNet features (README) for real answers.")


SILENT = 1e-4  # peak amplitude (of 1) under which an audio track carries nothing an extractor can hear
NEAR_PRIOR = 0.1  # every probability this close to the training share of its genre: the video moved little


@dataclass
class Prediction:
    video: Path
    checkpoint: Path
    model_kind: str
    trained_on: str  # the data and extractors the model learned from (its checkpoint's record)
    probabilities: pd.Series  # genre -> probability, highest first
    modality_influence: pd.DataFrame  # modality x top genre: probability lost without the modality
    scene_influence: pd.DataFrame  # modality, time (s), genre, probability lost without that frame
    prior: pd.Series | None = None  # genre -> share of the training videos with it (None: not recorded)
    notes: tuple[str, ...] = ()  # what the file lacks for the model: no video, a cover picture, silence

    def prior_note(self) -> str:
        """Whether the answer departs from the training prior, which a model falls back on when a video tells it
        little: one sentence."""
        if self.prior is None:
            return "The checkpoint records no training prior to compare with (saved before it was recorded)."
        departure = (self.probabilities - self.prior.reindex(self.probabilities.index)).abs()
        genre = departure.idxmax()
        if departure.max() < NEAR_PRIOR:
            return (f"Every probability is within {NEAR_PRIOR:.2f} of its genre's share of the training videos "
                    f"(largest departure: {genre}, {departure.max():.3f}): the model says little more about this "
                    "video than its training prior.")
        return (f"The largest departure from the training prior is {genre}: {self.probabilities[genre]:.3f} "
                f"against {self.prior[genre]:.3f}.")

    def summary(self, genres: list[str] | None = None, top: int = 5) -> str:
        """The ``top`` genres as a Markdown list, each marked when it is among the video's known ``genres``,
        and a sentence on whether the top one is."""
        lines = [f"**Top {top} genres for {shown(self.video)}** (model trained on {self.trained_on.split(' (')[0]}):"]
        for genre, p in self.probabilities.head(top).items():
            lines.append(f"- {genre}: {p:.3f}" + (" (one of the video's genres)" if genres and genre in genres else ""))
        if genres:
            first = self.probabilities.index[0]
            lines.append(f"\nIts labelled genres are {', '.join(genres)}; the top genre, {first}, "
                         + ("is one of them." if first in genres else "is not: this model misreads this video."))
        return "\n".join(lines)

    def report(self, scenes: int = 5) -> str:
        lines = [f"Model: {self.model_kind}, checkpoint {shown(self.checkpoint)}", f"Trained on: {self.trained_on}"]
        if "demo corpus" in self.trained_on:
            lines.append(DEMO_WARNING)
        lines += [f"NOTE: {shown(self.video)}: {note}" for note in self.notes]
        lines += ["", f"Genre probabilities for {shown(self.video)}, beside the share of training videos with each:"]
        lines += [f"  {genre:<12}{p:6.3f}" + ("" if self.prior is None else f"   prior {self.prior[genre]:.3f}")
                  for genre, p in self.probabilities.items()]
        lines += [self.prior_note()]
        lines += ["", "Probability lost when a modality is removed (top genres):",
                  self.modality_influence.round(3).to_string(), "",
                  f"The {scenes} moments that weigh most on the top genres:",
                  self.scene_influence.head(scenes).round(3).to_string(index=False)]
        return "\n".join(lines)


def _probabilities(model: FeatureClassifier, features: dict[str, np.ndarray], padding: Padding) -> np.ndarray:
    batch = assemble({name: [f.astype(np.float32)] for name, f in features.items()}, model.dims, padding, model.scaling)
    with torch.no_grad():
        return torch.sigmoid(model(batch))[0].numpy()


def explain(model: FeatureClassifier, features: dict[str, np.ndarray], times: dict[str, np.ndarray],
            top: int = 3, padding: Padding = MASKED) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Probabilities plus modality- and frame-level occlusion for the ``top`` genres: a removed modality is
    what a missing one is under ``padding`` (the model's training convention)."""
    full = _probabilities(model, features, padding)
    top_genres = np.argsort(-full)[:top]
    modality_rows, scene_rows = {}, []
    for name, frames in features.items():
        without = _probabilities(model, {**features, name: frames[:0]}, padding)
        modality_rows[name] = {GENRES[g]: full[g] - without[g] for g in top_genres}
        for i in range(len(frames)):
            dropped = _probabilities(model, {**features, name: np.delete(frames, i, axis=0)}, padding)
            for g in top_genres:
                scene_rows.append({"modality": name, "time (s)": float(times[name][i]), "genre": GENRES[g],
                                   "probability lost": full[g] - dropped[g]})
    scenes = pd.DataFrame(scene_rows, columns=["modality", "time (s)", "genre", "probability lost"])
    return (full, pd.DataFrame(modality_rows).T.rename_axis("modality"),
            scenes.sort_values("probability lost", ascending=False, ignore_index=True))


# The release's features this project extracts the way the release was made (the paper backend's CLIP).
RELEASE_EXTRACTABLE = ("clip",)


def _release_classifier(checkpoint, config_pt, backend: str):
    """One of the authors' released classifiers, with the paper protocol's padding and caps, or an error that
    names the features this project cannot extract for it."""
    from genrelib.release import load_classifier, protocol_inputs

    model, config = load_classifier(checkpoint, config_pt)
    missing = [name for name in model.dims if name not in RELEASE_EXTRACTABLE]
    if missing:
        raise ValueError(f"{checkpoint}: this classifier reads {sorted(model.dims)}; this project cannot extract "
                         f"{missing} (the release's BEATs, face-emotion and sentiment features come from models it "
                         "does not run). Only a classifier of the release's CLIP features can predict here")
    if backend != "paper":
        raise ValueError("the release's CLIP features are the paper backend's: pass --backend paper")
    caps, padding, _ = protocol_inputs("paper", model, config)
    return model, padding, caps, "the authors' released MovieNet features (zenodo record 13909366)"


def what_the_file_lacks(trailer: Trailer, cover_as_video: bool = False) -> list[str]:
    """What a file gives the model less of than a trailer does, in words: no video stream; a video stream that is
    one cover picture (then read as audio only, unless ``cover_as_video``); no audio stream, or a silent one."""
    info, notes = trailer.info, []
    if not info.has_video:
        notes.append("no video stream: the keyframe and on-screen text modalities read nothing")
    elif info.cover_image and not cover_as_video:
        trailer.read_video = False
        notes.append("its video stream is one still picture (cover art), so it is read as audio only; "
                     "--cover-as-video reads the picture as a keyframe")
    elif info.cover_image:
        notes.append("its video stream is one still picture (cover art), read as a keyframe as asked")
    if not info.has_audio:
        notes.append("no audio stream: the audio, music and speech modalities hear nothing")
    elif not np.abs(trailer.audio(16_000)).max(initial=0.0) > SILENT:
        notes.append(f"its audio track is silent (no sample above {SILENT:g} of full scale): the audio, music and "
                     "speech modalities hear nothing")
    return notes


def predict_video(video: str | Path, checkpoint: str | Path, backend: str = "offline", top: int = 3,
                  scene_threshold: float = SCENE_THRESHOLD, release_config: str | Path | None = None,
                  cover_as_video: bool = False) -> Prediction:
    """Genre probabilities of one video file under a trained checkpoint, with explanations, the training prior
    beside them, and notes on what the file lacks (:func:`what_the_file_lacks`).

    Refuses (:class:`MediaError`) a video that gives the model no feature at all
    rather than answer from its biases alone. With ``release_config`` the checkpoint is one of the authors'
    released classifiers (its ``*_config.pt`` beside it), scored with the paper's protocol.
    """
    trailer = Trailer(video, scene_threshold)
    if trailer.info.duration <= 0:
        raise MediaError(f"{video}: lasts 0 seconds")
    notes = what_the_file_lacks(trailer, cover_as_video)
    if release_config is None:
        model, meta = load_checkpoint(checkpoint)
        config = TrainConfig(**meta["config"]) if "config" in meta else TrainConfig()
        lengths = {name: config.train_lengths.get(name) for name in model.dims}
        padding, caps = Padding.for_testing(config, lengths), {}
        trained_on = meta.get("trained_on", "not recorded (a checkpoint saved before the training data was recorded)")
        prior = pd.Series(meta["genre_prior"], index=GENRES) if "genre_prior" in meta else None
    else:
        model, padding, caps, trained_on = _release_classifier(checkpoint, release_config, backend)
        prior = None
    extractors = build_extractors(backend, list(model.dims))
    trailer.full_resolution = any(e.reads_full_resolution for e in extractors)  # nothing is decoded yet
    features, times = {}, {}
    for extractor in extractors:
        if extractor.dim != model.dims[extractor.modality]:
            raise ValueError(f"{checkpoint}: the model expects {model.dims[extractor.modality]}-d "
                             f"{extractor.modality} features, the {backend} backend gives {extractor.dim}-d; "
                             "use the backend the model was trained on")
        frames, at = extractor.extract_timed(trailer)
        kept = frame_indices(len(frames), caps.get(extractor.modality), "equidistant")  # what a position table can hold
        features[extractor.modality], times[extractor.modality] = frames[kept], at[kept]
    if not any(len(f) for f in features.values()):
        raise MediaError(f"{video}: none of the model's modalities ({', '.join(features)}) found anything to read "
                         "(no keyframe, sound or text), so there is nothing to predict from; check that the file plays")
    probabilities, by_modality, by_scene = explain(model, features, times, top, padding)
    ranked = pd.Series(probabilities, index=GENRES, name="probability").sort_values(ascending=False)
    return Prediction(Path(video), Path(checkpoint), model.kind, trained_on, ranked, by_modality, by_scene, prior,
                      tuple(notes))
