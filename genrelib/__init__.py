"""genrelib: the library behind the trailer genre book.

Its subpackages are the stages of the data flow, each importing only the stages before it:

    common -> sources -> data -> features -> models -> training -> evaluation

``common`` holds what every stage shares (paths, files, downloads, progress, a chapter's session);
``sources`` what the paper and the authors' code say, with their evidence, and the authors' release;
``data`` labels, media, the feature store and the data the book makes (demo clips, synthetic and planted
stores); ``features`` the pretrained extractors and extraction; ``models`` the classifiers; ``training``
batches and the training loop; ``evaluation`` metrics, comparisons, studies, controlled tests and
prediction. ``book`` builds the pages from their results and is imported by no stage. ``cli`` runs commands.
Importing genrelib has no side effect: the book's build (``bookbuild``) traces its kernels from outside.
"""

__version__ = "0.1.0"
