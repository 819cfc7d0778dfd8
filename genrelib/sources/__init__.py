"""What the sources say: the paper's facts with their sections and the authors' code's with file and line
(:mod:`.evidence`), the paper's printed numbers (:mod:`.paper`), and the authors' release (:mod:`.release`)."""
