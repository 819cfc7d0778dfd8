"""The book's build, beside the library it runs: ``python -m bookbuild`` (see :mod:`bookbuild.cli`).

* :mod:`.parameters`: parameter files and ``-p``/``-f`` values, checked against each chapter's cell;
* :mod:`.execute`: one chapter run headless by papermill, its data traced;
* :mod:`.cache`: a chapter runs again only when something it depends on changed;
* :mod:`.imports`: the genrelib definitions a chapter's code reaches, which the cache keys on;
* :mod:`.status`: the build status page; :mod:`.html`: problems a reader would meet in the built book.

It imports genrelib; genrelib, its chapters and its worker processes never import it.
"""
