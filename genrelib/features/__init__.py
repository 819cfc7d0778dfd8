"""Features stage: the frozen pretrained extractors (:mod:`.extractors`), extracting a set of trailers into a
feature store (:mod:`.extraction`), and what each extractor costs per trailer (:mod:`.timing`)."""
