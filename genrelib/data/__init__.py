"""Data stage: MovieNet's labels and split, video and audio files, the feature store, and the data the book
makes itself: the demo corpus of clips (:mod:`.demo_corpus`, drawn with :mod:`.compose`), paper-like synthetic
stores (:mod:`.synthetic`) and planted-evidence stores (:mod:`.planted`); :mod:`.stores` opens or builds the
store a chapter asks for."""
