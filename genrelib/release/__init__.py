"""The authors' release (zenodo record 13909366): features of every MovieNet trailer and their classifiers.

``features.pkl`` holds five features: ``clip`` (512-d per frame), ``beats`` (768-d audio per chunk),
``face_emotion`` (768-d per face frame), ``asr_sentiment`` and ``ocr_sentiment`` (one 768-d vector per
video, stored 1-D); the trained classifiers are ``{mlp,single_transformer,multi_transformer}.pt`` with
``*_config.pt``. One module per step:

* :mod:`.download`: fetch the files (resumable), record and later verify each one's size and sha256;
* :mod:`.features`: convert ``features.pkl`` into a feature store, once (:func:`import_authors_features`);
* :mod:`.classifiers`: load a classifier into this book's models (:func:`load_classifier`), names mapped;
* :mod:`.evaluation`: score them on the imported test split under the paper's protocol or the authors'.

A small release of exactly this format, for tests and benchmarks, is written by :mod:`genrelib.release.reference`.
"""

from genrelib.release.classifiers import (
           SINGULAR_FEATURES,
           build_from_config,
           load_classifier,
           ours_to_theirs,
           read_config,
           theirs_to_ours,
           to_authors_layout,
           training_lengths,
)
from genrelib.release.download import CLASSIFIERS, FEATURES, ReleaseError, download, verify
from genrelib.release.evaluation import PROTOCOLS, evaluate_classifiers, protocol_inputs, table_capacity
from genrelib.release.features import FEATURE_SHAPES, import_authors_features, read_stats, write_stats

__all__ = ["CLASSIFIERS", "FEATURES", "FEATURE_SHAPES", "PROTOCOLS", "SINGULAR_FEATURES", "ReleaseError",
           "build_from_config", "download", "evaluate_classifiers", "import_authors_features", "load_classifier",
           "ours_to_theirs", "protocol_inputs", "read_config", "read_stats", "table_capacity", "theirs_to_ours",
           "to_authors_layout", "training_lengths", "verify", "write_stats"]
