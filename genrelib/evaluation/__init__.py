"""Evaluation stage: metrics with bootstrap intervals (:mod:`.metrics`), paired comparisons that carry the
models they compare (:mod:`.comparisons`), the studies the chapters run (:mod:`.experiments`), the controlled
tests of the paper's claims (:mod:`.controlled`), and a trained model's answer for one video file
(:mod:`.predict`)."""
