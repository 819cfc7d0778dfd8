"""Training stage: batches of padded sequences (:mod:`.batches`) and the training loop (:mod:`.loop`). The
loop's names are the stage's own: ``training.train_and_test(...)``."""

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
)

__all__ = ["AUTHORS", "OURS", "Experiment", "TrainConfig", "TrainResult", "adam", "evaluate_on", "fit",
           "fit_standardization", "fixed_rule", "grad_scaler", "gradient_clip", "logits", "loss_function",
           "predict", "train", "train_and_test", "train_epoch", "train_frame_classifier", "training_data"]
