"""One preparation module per corpus; each returns the utterances it wrote, lhotse-style."""
