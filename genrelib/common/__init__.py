"""What every stage shares: where things live (:mod:`.paths`), files written whole and their checksums
(:mod:`.files`), downloads, progress bars, and a chapter's seed and device (:mod:`.session`)."""
