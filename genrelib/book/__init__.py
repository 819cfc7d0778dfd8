"""The book's pages: number formatting (:mod:`.formatting`), tables set beside the paper (:mod:`.tables`),
prose and glued values (:mod:`.pages`), figures (:mod:`.plots`), saved results (:mod:`.results`), the
claims table (:mod:`.claims`) and the deviations page (:mod:`.deviations`). The method never imports it."""
