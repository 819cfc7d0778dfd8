"""genrelib: the library behind the trailer genre book.

Modules follow the data flow, one stage each:

    labels -> media -> extractors -> extraction / timing -> store -> models -> training
    -> metrics -> experiments -> plots / report / predict

Around it: ``paper`` (every number transcribed from the paper), ``paths``, ``progress`` and
``session`` (where things live, progress bars, seeds and device), the data sources ``demo_corpus``
(video clips made offline), ``synthetic`` (paper-like feature stores) and ``planted`` (the
planted-evidence store), with ``sources`` choosing among them for a chapter; ``cli`` runs commands,
``chapters`` reads the parameters a chapter declares, ``trace`` logs the data a process reads for the
book's cache. Extractor weights come from ``extractors.weights``; random stand-ins for tests from
``extractors.stand_ins``; fakes and reference models for tests and benchmarks from ``testing``.
Chapters import from here; nothing here imports a chapter or the book's build (``bookbuild``).
"""

from .trace import install_from_environment as _trace_if_asked

__version__ = "0.1.0"

_trace_if_asked()  # a worker process of a traced chapter logs its data too (genrelib.trace)
