"""Models stage: the paper's classifiers (:mod:`.classifiers`), ours (:mod:`.ours`), what they share
(:mod:`.base`), their fast layers (:mod:`.layers`) and saved models (:mod:`.checkpoints`). The classifiers'
names are the stage's own: ``models.build_model(...)``."""

from genrelib.models.base import N_GENRES, FeatureClassifier, InputScaling, Padded
from genrelib.models.classifiers import (
    CONFIGURATIONS,
    MLP,
    MODELS,
    OURS,
    PAPER_POSITION_ROWS,
    FrameMLP,
    MultiTransformer,
    SingleTransformer,
    TwoStageBaseline,
    build_model,
    count_parameters,
    transformer_variants,
)
from genrelib.models.ours import FrameDetector, GenreAttention

__all__ = [
    "CONFIGURATIONS",
    "MLP",
    "MODELS",
    "N_GENRES",
    "OURS",
    "PAPER_POSITION_ROWS",
    "FeatureClassifier",
    "FrameDetector",
    "FrameMLP",
    "GenreAttention",
    "InputScaling",
    "MultiTransformer",
    "Padded",
    "SingleTransformer",
    "TwoStageBaseline",
    "build_model",
    "count_parameters",
    "transformer_variants",
]
