"""Training stage: batches of padded sequences (:mod:`.batches`), the training loop (:mod:`.loop`) and independent
runs at once (:mod:`.parallel`), whose
names are the stage's own: ``training.train_and_test(...)``."""

from genrelib.training.loop import (
    AUTHORS,
    OURS,
    Experiment,
    TrainConfig,
    TrainResult,
    adam,
    evaluate_on,
    fit,
    fit_standardization,
    fixed_rule,
    grad_scaler,
    gradient_clip,
    logits,
    loss_function,
    predict,
    train,
    train_and_test,
    train_epoch,
    train_frame_classifier,
    training_data,
    with_model_options,
)
from genrelib.training.parallel import Run, train_and_test_each

__all__ = [
    "AUTHORS",
    "OURS",
    "Experiment",
    "Run",
    "TrainConfig",
    "TrainResult",
    "adam",
    "evaluate_on",
    "fit",
    "fit_standardization",
    "fixed_rule",
    "grad_scaler",
    "gradient_clip",
    "logits",
    "loss_function",
    "predict",
    "train",
    "train_and_test",
    "train_and_test_each",
    "train_epoch",
    "train_frame_classifier",
    "training_data",
    "with_model_options",
]
