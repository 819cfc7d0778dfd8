"""Evaluation stage: metrics with bootstrap intervals (:mod:`.metrics`), paired comparisons that carry the
models they compare (:mod:`.comparisons`), the studies the chapters run (:mod:`.experiments`), the controlled
tests of the paper's claims (:mod:`.controlled`) with the choice of the correspondence test's control
(:mod:`.control_choice`), and a trained model's answer for one video file
(:mod:`.predict`)."""
