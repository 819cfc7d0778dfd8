"""Models stage: the paper's classifiers (:mod:`.classifiers`), their fast layers (:mod:`.layers`) and saved
models (:mod:`.checkpoints`). The classifiers' names are the stage's own: ``models.build_model(...)``."""

from genrelib.models.classifiers import (
    CONFIGURATIONS,
    MLP,
    MODELS,
    N_GENRES,
    OURS,
    PAPER_POSITION_ROWS,
    FeatureClassifier,
    FrameMLP,
    GenreAttention,
    InputScaling,
    MultiTransformer,
    Padded,
    SingleTransformer,
    TwoStageBaseline,
    build_model,
    count_parameters,
    transformer_variants,
)

__all__ = [
    "CONFIGURATIONS",
    "MLP",
    "MODELS",
    "N_GENRES",
    "OURS",
    "PAPER_POSITION_ROWS",
    "FeatureClassifier",
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
