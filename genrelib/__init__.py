"""genrelib: the library behind the trailer genre book.

Modules follow the data flow, one stage each:

    labels -> media -> extractors -> extraction / timing -> store -> models -> training
    -> metrics -> experiments -> plots / report / predict

Around it: ``paper`` (every number transcribed from the paper), ``paths``, ``progress`` and
``session`` (where things live, progress bars, seeds and device), the data sources ``demo_corpus``
(video clips made offline), ``synthetic`` (paper-like feature stores) and ``planted`` (the
planted-evidence store), with ``sources`` choosing among them for a chapter; ``book`` and ``cli``
run chapters and commands. Extractor weights come from ``extractors.weights``; random stand-ins
for tests from ``extractors.stand_ins``. Chapters import from here; nothing here imports a chapter.
"""

__version__ = "0.1.0"
